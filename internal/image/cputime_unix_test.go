//go:build unix

package image

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system): the work done,
// less sensitive than wall time to other processes on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
