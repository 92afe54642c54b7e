//go:build linux && (amd64 || arm64)

package main

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigevent is the kernel's struct sigevent on 64-bit Linux (64 bytes).
type sigevent struct {
	value  uintptr // sigev_value
	signo  int32
	notify int32 // SIGEV_SIGNAL
	_      [48]byte
}

const kernelQuit = true

// armKernelQuit has the kernel send this process SIGQUIT after d (timer_create with
// SIGEV_SIGNAL): it fires even when no goroutine can run. disarm deletes the timer.
func armKernelQuit(d time.Duration) (disarm func()) {
	ev := sigevent{signo: int32(syscall.SIGQUIT)} // notify 0 is SIGEV_SIGNAL
	var id int32
	if _, _, e := unix.Syscall(unix.SYS_TIMER_CREATE, uintptr(unix.CLOCK_MONOTONIC), uintptr(unsafe.Pointer(&ev)), uintptr(unsafe.Pointer(&id))); e != 0 {
		return func() {} // the Go timer still bounds the command
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	unix.Syscall6(unix.SYS_TIMER_SETTIME, uintptr(id), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	return func() { unix.Syscall(unix.SYS_TIMER_DELETE, uintptr(id), 0, 0) }
}

func quitSelf() { syscall.Kill(syscall.Getpid(), syscall.SIGQUIT) }
