//go:build unix

package bench

import (
	"os/exec"
	"syscall"
)

// sigKillChild asks the launcher to kill the program.
const sigKillChild = syscall.SIGUSR1

// signalGroup sends sig to cmd's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
