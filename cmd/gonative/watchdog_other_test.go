//go:build !(linux && (amd64 || arm64))

package main

import (
	"os"
	"time"
)

const kernelQuit = false

func armKernelQuit(time.Duration) (disarm func()) { return func() {} }

// quitSelf ends the process: a goroutine dump needs SIGQUIT, which is sent where the
// platform has it (quitSelfSignal).
func quitSelf() {
	if !quitSelfSignal() {
		os.Exit(2)
	}
}
