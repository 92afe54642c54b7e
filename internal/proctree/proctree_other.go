//go:build !unix

package proctree

import "os/exec"

// own leaves cmd as exec.CommandContext made it: cancelling kills the child alone.
func own(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}
