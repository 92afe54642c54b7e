package machine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"io/fs"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/proctree"
)

// outputWaitDelay is how long Output waits for a program's output pipes after it
// exits before closing them: a grandchild that keeps them open (a CC wrapper that
// leaves `(sleep 40) &` behind) must not hold the caller.
const outputWaitDelay = 500 * time.Millisecond

// Real returns this machine, with the environment of this process as it is now.
func Real() Machine { return realMachine{environ: os.Environ(), own: true} }

// RealWith returns this machine with environ as its whole environment: programs run
// with it and are looked up in its PATH.
func RealWith(environ []string) Machine { return realMachine{environ: slices.Clone(environ)} }

type realMachine struct {
	environ []string
	own     bool // environ is this process's: exec.LookPath searches its PATH
}

func (realMachine) Platform() Platform { return Platform{runtime.GOOS, runtime.GOARCH} }
func (realMachine) PageSize() int      { return os.Getpagesize() }
func (realMachine) Sysctl(name string) (string, error) {
	return sysctl(name)
}
func (realMachine) Uname() (string, string, error)  { return uname() }
func (realMachine) ParentTranslated() (bool, error) { return parentTranslated() }

// ReadFile opens name as atomicfile.OpenInput does (never blocking, regular files
// only) and reads it whole. A file of size 0 (the kernel's /proc and /sys files) is
// read to its end, at most MaxReadFile bytes: its descriptor is non-blocking, so
// one whose reads would block (/proc/kmsg) fails with EAGAIN instead of waiting.
func (realMachine) ReadFile(name string) ([]byte, error) {
	f, fi, err := atomicfile.OpenInput(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, fi, name)
}

// readAll reads an open regular file whole: Size bytes, or to its end when Size is
// 0; more than MaxReadFile is an error wrapping atomicfile.ErrTooLarge.
func readAll(f io.ReaderAt, fi fs.FileInfo, name string) ([]byte, error) {
	size := fi.Size()
	if size == 0 {
		size = MaxReadFile + 1
	}
	if size > MaxReadFile {
		b, err := io.ReadAll(io.NewSectionReader(f, 0, size))
		if err == nil && len(b) > MaxReadFile {
			err = atomicfile.ErrTooLarge
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		return b, nil
	}
	b := make([]byte, size)
	n, err := io.ReadFull(io.NewSectionReader(f, 0, size), b)
	if err == io.ErrUnexpectedEOF {
		err = nil // it shrank since: what was there
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b[:n], nil
}

func (realMachine) Open(name string) (File, error) {
	f, _, err := atomicfile.OpenInput(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (realMachine) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (realMachine) Lstat(name string) (fs.FileInfo, error)     { return os.Lstat(name) }
func (realMachine) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (realMachine) Readlink(name string) (string, error)       { return os.Readlink(name) }
func (realMachine) EvalSymlinks(name string) (string, error)   { return filepath.EvalSymlinks(name) }
func (realMachine) Getwd() (string, error)                     { return os.Getwd() }
func (r realMachine) Environ() []string                        { return slices.Clone(r.environ) }
func (r realMachine) LookupEnv(key string) (string, bool) {
	return lookupEnv(r.environ, runtime.GOOS, key)
}

// LookPath is exec.LookPath where the machine's PATH is this process's (and on
// Windows, for PATHEXT); else it searches the machine's PATH for an executable file.
func (r realMachine) LookPath(name string) (string, error) {
	if r.own || runtime.GOOS == "windows" || strings.ContainsAny(name, `/\`) {
		return exec.LookPath(name)
	}
	path, _ := lookupEnv(r.environ, runtime.GOOS, "PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

func (r realMachine) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	file := name
	if !r.own {
		p, err := r.LookPath(name)
		if err != nil {
			return &exec.Cmd{Path: name, Args: append([]string{name}, args...), Err: err}
		}
		file = p
	}
	cmd := proctree.Command(ctx, file, args...)
	cmd.Env = slices.Clone(r.environ)
	return cmd
}

func (r realMachine) Output(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
	return output(ctx, r.Command(ctx, name, args...), env, name, args)
}

func (realMachine) Now() time.Time { return time.Now() }

// output runs cmd with env added to its environment and collects its output; an
// error names the program and its arguments, and says when ctx ended it.
func output(ctx context.Context, cmd *exec.Cmd, env []string, name string, args []string) ([]byte, []byte, error) {
	if cmd.Err != nil {
		return nil, nil, cmd.Err
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = outputWaitDelay
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // the program itself exited 0; only the pipes were left open
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", err, ctx.Err())
		}
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return stdout.Bytes(), stderr.Bytes(), err
}
