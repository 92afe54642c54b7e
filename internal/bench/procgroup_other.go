//go:build !unix

package bench

import (
	"os/exec"
	"syscall"
)

// sigKillChild has no Unix signal to stand for: the launcher is signalled as is.
const sigKillChild = syscall.SIGTERM

// signalGroup signals the launcher only.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return cmd.Process.Kill()
	}
	return cmd.Process.Signal(sig)
}
