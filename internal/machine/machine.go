// Package machine is gonative's one way to reach the machine it runs on: its files,
// environment, PATH, programs, kernel facts (sysctl, uname, page size) and clock.
//
// Domain packages take a [Machine] and hold no other access to the outside world, in
// the way golang.org/x/mod/sumdb's Client takes its ClientOps: the logic inside is
// pure, and a test hands it a [Fake] (an fstest.MapFS or a directory, plus an
// environment) to be an Apple Silicon Mac on a Linux box. [Real] is this machine;
// [FromDir] is the fake machine a directory describes ($GONATIVE_FAKE_HOST, see
// [FakeEnv]).
//
// Every file a Machine reads is read as hostile input: ReadFile and Open never block
// (a named pipe or a device where a setting names a file is refused with an error
// wrapping atomicfile.ErrNotRegular) and ReadFile is bounded by [MaxReadFile].
package machine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Machine is everything of the outside world that gonative's domain packages read.
// File names are the machine's absolute paths ("/proc/cpuinfo"); [Root] is the same
// files as an fs.FS rooted at "/".
type Machine interface {
	// Platform is the GOOS and GOARCH of this process (not the hardware's: host
	// tells them apart).
	Platform() Platform
	// PageSize is the kernel's page size in bytes.
	PageSize() int
	// Sysctl returns a sysctl's value as text (integers in decimal); an error
	// wrapping ErrNoSysctl where there is none (every OS but darwin).
	Sysctl(name string) (string, error)
	// Uname returns the kernel release and machine (uname -r, uname -m).
	Uname() (release, machine string, err error)
	// ParentTranslated reports whether the process that started this one (the
	// shell, terminal or IDE) runs under Rosetta 2: the P_TRANSLATED flag of its
	// kinfo_proc on macOS. Where that cannot be known (every OS but macOS, a fake
	// machine that does not say) the error wraps errors.ErrUnsupported.
	ParentTranslated() (bool, error)

	// ReadFile reads a regular file whole, at most MaxReadFile bytes, without ever
	// blocking.
	ReadFile(name string) ([]byte, error)
	// Open opens a regular file for reading parts of it, without ever blocking.
	Open(name string) (File, error)
	// Stat follows symbolic links; Lstat does not.
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Readlink returns a symbolic link's target; EvalSymlinks resolves every link
	// of a path.
	Readlink(name string) (string, error)
	EvalSymlinks(name string) (string, error)
	// Getwd is the working directory.
	Getwd() (string, error)

	// Environ is the environment as KEY=VALUE; LookupEnv reads one variable of it
	// (the last one wins; names are case-insensitive on Windows).
	Environ() []string
	LookupEnv(key string) (string, bool)
	// LookPath finds a program on the machine's PATH (an error wrapping
	// exec.ErrNotFound when there is none).
	LookPath(name string) (string, error)
	// Command prepares a program to run with the machine's environment (append to
	// cmd.Env to add to it); cancelling ctx ends its whole process tree
	// (internal/proctree). A program the machine cannot run has cmd.Err set, which
	// Start returns.
	Command(ctx context.Context, name string, args ...string) *exec.Cmd
	// Output runs a program to completion with the machine's environment plus env
	// (KEY=VALUE overrides) and returns its standard output and error; an error from
	// a program that ran and failed wraps an *exec.ExitError.
	Output(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error)

	// Now is the machine's clock.
	Now() time.Time
}

// Platform is an OS and architecture as Go names them.
type Platform struct {
	GOOS, GOARCH string
}

// File is an open regular file: read in parts (static libraries, archives) or whole.
type File interface {
	fs.File
	io.ReaderAt
}

// MaxReadFile bounds every file ReadFile reads whole (settings files, .netrc, CA
// bundles, go.mod, /proc files).
const MaxReadFile = 64 << 20

// ErrNoSysctl is returned by Sysctl where there is none or the name is unknown.
var ErrNoSysctl = errors.New("no such sysctl")

// ErrCannotRun is returned for a program a fake machine cannot run: its binaries are
// read, never run (only #! scripts under a directory's root run).
var ErrCannotRun = errors.New("cannot run a fake machine's binary (only #! scripts run)")

// Getenv returns the value of key in m's environment ("" when unset).
func Getenv(m Machine, key string) string {
	v, _ := m.LookupEnv(key)
	return v
}

// lookupEnv finds key in environ, the last one winning, as os/exec does; Windows
// names are case-insensitive (Path, PATH).
func lookupEnv(environ []string, goos, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(environ[i], "=")
		if ok && (k == key || goos == "windows" && strings.EqualFold(k, key)) {
			return v, true
		}
	}
	return "", false
}

// Root returns m's files as an fs.FS rooted at "/": the name "etc/hosts" is the
// machine's "/etc/hosts". It implements fs.ReadFileFS, fs.StatFS and fs.ReadDirFS
// with m's methods, so its reads keep their guarantees (never blocking, bounded).
func Root(m Machine) fs.FS { return rootFS{m} }

type rootFS struct{ m Machine }

func (r rootFS) abs(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join("/", name), nil
}

func (r rootFS) Open(name string) (fs.File, error) {
	p, err := r.abs("open", name)
	if err != nil {
		return nil, err
	}
	if st, err := r.m.Stat(p); err == nil && st.IsDir() {
		return &dirFile{m: r.m, name: p, info: st}, nil
	}
	return r.m.Open(p)
}

func (r rootFS) ReadFile(name string) ([]byte, error) {
	p, err := r.abs("readfile", name)
	if err != nil {
		return nil, err
	}
	return r.m.ReadFile(p)
}

func (r rootFS) Stat(name string) (fs.FileInfo, error) {
	p, err := r.abs("stat", name)
	if err != nil {
		return nil, err
	}
	return r.m.Stat(p)
}

func (r rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := r.abs("readdir", name)
	if err != nil {
		return nil, err
	}
	return r.m.ReadDir(p)
}

// dirFile is a directory opened through Root.
type dirFile struct {
	m       Machine
	name    string
	info    fs.FileInfo
	entries []fs.DirEntry
	read    bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: syscall.EISDIR}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		es, err := d.m.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = es, true
	}
	if n <= 0 {
		es := d.entries
		d.entries = nil
		return es, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	es := d.entries[:n]
	d.entries = d.entries[n:]
	return es, nil
}

// WithEnv returns m with env (KEY=VALUE) added to its environment: programs run with
// it and LookupEnv reads it. Programs are still looked up in m's own PATH.
func WithEnv(m Machine, env ...string) Machine {
	if len(env) == 0 {
		return m
	}
	return withEnv{m, env}
}

type withEnv struct {
	Machine
	env []string
}

func (w withEnv) Environ() []string { return append(w.Machine.Environ(), w.env...) }

func (w withEnv) LookupEnv(key string) (string, bool) {
	return lookupEnv(w.Environ(), w.Platform().GOOS, key)
}

func (w withEnv) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := w.Machine.Command(ctx, name, args...)
	cmd.Env = append(cmd.Env, w.env...)
	return cmd
}

func (w withEnv) Output(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
	return w.Machine.Output(ctx, append(slices.Clip(w.env), env...), name, args...)
}
