package machine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// TestRunProgram runs programs given as bytes on this machine: from a private temp
// file that is gone afterwards, with what the kernel said about each.
func TestRunProgram(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("#! scripts")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var exit *exec.ExitError
	for _, tc := range []struct {
		name string
		prog string
		ok   func(error) bool
	}{
		{"exits 0", "#!/bin/sh\nexit 0\n", func(err error) bool { return err == nil }},
		{"exits 3", "#!/bin/sh\nexit 3\n", func(err error) bool { return errors.As(err, &exit) && exit.ExitCode() == 3 }},
		{"no format the kernel knows", "\x7fELF\x09garbage", func(err error) bool { return errors.Is(err, syscall.ENOEXEC) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RunProgram(context.Background(), WithEnv(Real(), "X=1"), []byte(tc.prog))
			if !tc.ok(err) {
				t.Errorf("RunProgram: %v", err)
			}
			if es, _ := os.ReadDir(tmp); len(es) != 0 {
				t.Errorf("left behind: %v", es)
			}
		})
	}
	t.Setenv("TMPDIR", "/nonexistent/dir")
	if err := RunProgram(context.Background(), Real(), []byte("#!/bin/sh\n")); !errors.Is(err, ErrWriteProgram) {
		t.Errorf("unwritable temp dir: %v", err)
	}
}

func TestRunProgramFake(t *testing.T) {
	f := Fake(nil, nil)
	if err := RunProgram(context.Background(), f, nil); !errors.Is(err, ErrCannotRun) {
		t.Errorf("fake without Exec: %v", err)
	}
	f.Exec = func(context.Context, []byte) error { return syscall.ENOEXEC }
	if err := RunProgram(context.Background(), WithEnv(f, "A=B"), nil); !errors.Is(err, syscall.ENOEXEC) {
		t.Errorf("fake with Exec: %v", err)
	}
}
