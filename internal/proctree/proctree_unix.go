//go:build unix

package proctree

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func own(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	cmd.Cancel = func() error { return end(cmd.Process) }
}

// end interrupts p's process group, waits up to Grace for p to be waited for, then
// kills whatever is left of the group. exec.Cmd.Wait returns only after end does, so
// nothing of the tree outlives Wait.
func end(p *os.Process) error {
	pgid := p.Pid
	err := syscall.Kill(-pgid, syscall.SIGINT)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	// Process.Signal reports ErrProcessDone once Wait has reaped p; until then the
	// group cannot be reused, as p's id is still taken.
	for deadline := time.Now().Add(Grace); time.Now().Before(deadline); {
		if errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if kerr := syscall.Kill(-pgid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) && err == nil {
		err = kerr
	}
	return err
}
