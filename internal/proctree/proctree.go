// Package proctree starts child processes whose whole tree ends with their context:
// the child and everything it starts (go build's compilers and linker, a C compiler,
// qemu-user running a smoke test) stop when the context is cancelled, as they would
// on a terminal's Ctrl-C.
//
// On Unix the child leads a process group of its own. Cancelling sends the group
// SIGINT, which lets a program clean up (the go command removes its work directory),
// waits up to Grace for the child to exit, then sends the group SIGKILL, so no
// grandchild outlives the command. Elsewhere cancelling kills the child alone.
package proctree

import (
	"context"
	"os/exec"
	"time"
)

// Grace is how long a cancelled child has to exit after the interrupt, before its
// whole tree is killed.
const Grace = 300 * time.Millisecond

// WaitDelay is how long Wait waits, once the tree has been killed, for the child's
// output pipes to close (a process outside the tree may hold them).
const WaitDelay = time.Second

// Command is exec.CommandContext with cancellation that reaches the whole process
// tree (see Own).
func Command(ctx context.Context, name string, arg ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, arg...)
	Own(cmd)
	return cmd
}

// Own sets up cmd, made by exec.CommandContext and not yet started, so that
// cancelling its context ends its whole process tree: it keeps the fields of
// cmd.SysProcAttr already set and replaces cmd.Cancel and cmd.WaitDelay.
func Own(cmd *exec.Cmd) {
	own(cmd)
	cmd.WaitDelay = WaitDelay
}
