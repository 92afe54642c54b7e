package machine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gonative/gonative/internal/proctree"
)

// ErrWriteProgram is wrapped by RunProgram's error when the program could not be
// written to a private temporary file (so it never ran).
var ErrWriteProgram = errors.New("cannot write the program to a temporary file")

// ProgramTimeout bounds every RunProgram execution. A probe program exits at once;
// the bound is generous for a busy machine.
const ProgramTimeout = 10 * time.Second

// ProgramRunner is a Machine that can run a program given as its bytes (a probe).
type ProgramRunner interface {
	// RunProgram writes prog to a private temporary file, runs it with no arguments,
	// no environment and a time-out, and removes it. It returns what running it
	// returned: nil when it exited 0; an error wrapping the errno of a refused exec
	// (syscall.ENOEXEC: the kernel cannot execute that format); an *exec.ExitError;
	// ErrWriteProgram when it could not be written.
	RunProgram(ctx context.Context, prog []byte) error
}

// RunProgram runs prog on m (see ProgramRunner); an error wrapping ErrCannotRun when
// m runs no programs given as bytes (a described machine).
func RunProgram(ctx context.Context, m Machine, prog []byte) error {
	for {
		switch x := m.(type) {
		case ProgramRunner:
			return x.RunProgram(ctx, prog)
		case withEnv:
			m = x.Machine
		default:
			return fmt.Errorf("%T: %w", m, ErrCannotRun)
		}
	}
}

// RunProgram implements ProgramRunner: the file is created (O_EXCL, mode 0700) under
// an os.Root of a fresh directory that only this user can read.
func (realMachine) RunProgram(ctx context.Context, prog []byte) error {
	dir, err := os.MkdirTemp("", "gonative-probe-")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWriteProgram, err)
	}
	defer os.RemoveAll(dir)
	if err := writeProgram(dir, prog); err != nil {
		return fmt.Errorf("%w: %w", ErrWriteProgram, err)
	}
	ctx, cancel := context.WithTimeout(ctx, ProgramTimeout)
	defer cancel()
	name := filepath.Join(dir, "probe")
	for attempt := 0; ; attempt++ {
		cmd := proctree.Command(ctx, name)
		cmd.Env = []string{}
		cmd.WaitDelay = time.Second
		err = cmd.Run()
		// Another goroutine's fork may still hold the file open for writing (Go issue
		// 22315): the exec fails with ETXTBSY for a moment.
		if errors.Is(err, syscall.ETXTBSY) && attempt < 50 && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", err, ctx.Err())
		}
		return err
	}
}

// writeProgram writes prog to dir/probe through an os.Root, executable by its owner.
func writeProgram(dir string, prog []byte) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.OpenFile("probe", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if _, err := f.Write(prog); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RunProgram implements ProgramRunner with the test's Exec (ErrCannotRun when nil).
func (f *FakeMachine) RunProgram(ctx context.Context, prog []byte) error {
	if f.Exec == nil {
		return fmt.Errorf("fake machine: %w", ErrCannotRun)
	}
	return f.Exec(ctx, prog)
}
