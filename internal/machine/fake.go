package machine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/proctree"
)

// FakeMachine is a machine described by a file system and an environment. Fake and
// FromDir make one; a test sets the fields it needs before handing it out.
type FakeMachine struct {
	// Files is the machine's "/": the name "etc/hosts" is its /etc/hosts. Symbolic
	// links are read through fs.ReadLinkFS (fstest.MapFS holds them as
	// fs.ModeSymlink entries whose Data is the target).
	Files fs.FS
	// Env is the environment as KEY=VALUE.
	Env []string
	// GOOS and GOARCH are the process's platform; Pages the page size (0: 4096,
	// 16384 on darwin/arm64).
	GOOS, GOARCH string
	Pages        int
	// Sysctls are the sysctl values by name; Release and Machine what uname says
	// (UnameErr, when set, what it fails with instead).
	Sysctls          map[string]string
	Release, Machine string
	UnameErr         error
	// ParentRosetta is what ParentTranslated answers: whether the parent process
	// runs under Rosetta 2 (nil: unknown, as on every OS but macOS).
	ParentRosetta *bool
	// Wd is the working directory ("/" when empty).
	Wd string
	// Clock is the machine's clock (time.Now when nil).
	Clock func() time.Time
	// Run, when set, is every program the machine runs to completion (Output): a
	// test's table of programs and what they print. Nil runs #! scripts under a
	// directory's root (FromDir) and refuses the rest with ErrCannotRun.
	Run func(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error)
	// Exec, when set, runs the programs given as bytes (RunProgram, a probe): a test
	// stands in a kernel that refuses a format by returning syscall.ENOEXEC. Nil
	// refuses every one with ErrCannotRun.
	Exec func(ctx context.Context, prog []byte) error

	// dir is the real directory that stands for "/" (FromDir), "" for any fs.FS.
	dir string
}

// Fake returns a machine whose "/" is fsys (an fstest.MapFS, os.DirFS) and whose
// environment is env, on linux/amd64 until the test says otherwise. A nil fsys is a
// machine without files.
func Fake(fsys fs.FS, env map[string]string) *FakeMachine {
	if fsys == nil {
		fsys = fstest.MapFS{}
	}
	environ := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		environ = append(environ, k+"="+env[k])
	}
	return &FakeMachine{Files: fsys, Env: environ, GOOS: "linux", GOARCH: "amd64", Release: "6.1.0", Machine: "x86_64"}
}

// FakeEnv is the environment variable that points gonative at a fake machine, a
// directory laid out as FromDir describes. It exists for end-to-end tests, in the way
// cmd/go's tests use TESTGO_* variables.
const FakeEnv = "GONATIVE_FAKE_HOST"

// FromEnv returns the machine named by $GONATIVE_FAKE_HOST in real's environment
// (see FromDir; it keeps that environment), or real itself.
func FromEnv(real Machine) (Machine, error) {
	if dir := Getenv(real, FakeEnv); dir != "" {
		return FromDir(dir, real.Environ())
	}
	return real, nil
}

// FromDir returns the fake machine that the directory dir describes, with the
// environment environ:
//
//	platform   one line "GOOS/GOARCH" of the process (required)
//	uname      one line "RELEASE MACHINE" (optional)
//	pagesize   one line, bytes (optional, default 4096; 16384 for darwin/arm64)
//	sysctl     lines "name: value", as sysctl(8) prints them (optional)
//	root/      stands for "/": root/proc/cpuinfo, root/proc/sys/fs/binfmt_misc/...,
//	           every file whose existence is asked (an ELF interpreter), and the
//	           #! scripts the machine can run (a fake uname or pkg-config)
//	exec       one line, how its kernel answers a probe program (RunProgram):
//	           "runs" (it exits 0) or "enoexec" (exec fails with ENOEXEC);
//	           without it the machine runs none (ErrCannotRun)
//	parent     one line, how the process that started gonative runs (a Mac's
//	           P_TRANSLATED flag, ParentTranslated): "translated" (under
//	           Rosetta 2) or "native"; without it that is unknown
//
// Its files are read as this machine's are (never blocking, regular files only);
// its working directory is the real one seen from root/ ("/" when outside).
func FromDir(dir string, environ []string) (*FakeMachine, error) {
	plat, err := os.ReadFile(filepath.Join(dir, "platform"))
	if err != nil {
		return nil, fmt.Errorf("fake host %s: %w", dir, err)
	}
	goos, goarch, ok := strings.Cut(strings.TrimSpace(string(plat)), "/")
	if !ok {
		return nil, fmt.Errorf("fake host %s: platform %q is not GOOS/GOARCH", dir, plat)
	}
	root := filepath.Join(dir, "root")
	m := &FakeMachine{Files: os.DirFS(root), Env: slices.Clone(environ), GOOS: goos, GOARCH: goarch, dir: root}
	if b, err := os.ReadFile(filepath.Join(dir, "pagesize")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			m.Pages = n
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sysctl")); err == nil {
		m.Sysctls = ParseSysctl(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "uname")); err != nil {
		m.UnameErr = err
	} else if f := strings.Fields(string(b)); len(f) != 2 {
		m.UnameErr = fmt.Errorf("fake host %s: uname %q is not RELEASE MACHINE", dir, b)
	} else {
		m.Release, m.Machine = f[0], f[1]
	}
	if b, err := os.ReadFile(filepath.Join(dir, "exec")); err == nil {
		m.Exec = probeAnswer(strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "parent")); err == nil {
		if m.ParentRosetta, err = parseParent(b); err != nil {
			return nil, fmt.Errorf("fake host %s: %w", dir, err)
		}
	}
	return m, nil
}

// parseParent reads a fake host's parent file: "translated" or "native".
func parseParent(b []byte) (*bool, error) {
	switch s := strings.TrimSpace(string(b)); s {
	case "translated", "native":
		t := s == "translated"
		return &t, nil
	default:
		return nil, fmt.Errorf("parent %q is neither translated nor native", s)
	}
}

// probeAnswer is the Exec of a fake machine whose exec file says answer: nil for
// one it does not know.
func probeAnswer(answer string) func(context.Context, []byte) error {
	switch answer {
	case "runs":
		return func(context.Context, []byte) error { return nil }
	case "enoexec":
		return func(context.Context, []byte) error {
			return &fs.PathError{Op: "fork/exec", Path: "probe", Err: syscall.ENOEXEC}
		}
	}
	return nil
}

// ParseSysctl reads sysctl(8)'s output, lines "name: value", into a map; lines
// without a colon are skipped.
func ParseSysctl(b []byte) map[string]string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			vals[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return vals
}

// Platform implements Machine.
func (m *FakeMachine) Platform() Platform { return Platform{m.GOOS, m.GOARCH} }

// PageSize implements Machine.
func (m *FakeMachine) PageSize() int {
	switch {
	case m.Pages > 0:
		return m.Pages
	case m.GOOS == "darwin" && m.GOARCH == "arm64":
		return 16384
	}
	return 4096
}

// Sysctl implements Machine.
func (m *FakeMachine) Sysctl(name string) (string, error) {
	if v, ok := m.Sysctls[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("sysctl %s: %w", name, ErrNoSysctl)
}

// Uname implements Machine.
func (m *FakeMachine) Uname() (string, string, error) {
	if m.UnameErr != nil {
		return "", "", m.UnameErr
	}
	return m.Release, m.Machine, nil
}

// ParentTranslated implements Machine: ParentRosetta, or an error wrapping
// errors.ErrUnsupported when it is nil.
func (m *FakeMachine) ParentTranslated() (bool, error) {
	if m.ParentRosetta == nil {
		return false, fmt.Errorf("whether the parent process is translated: %w", errors.ErrUnsupported)
	}
	return *m.ParentRosetta, nil
}

// rel turns an absolute machine path into a name of Files.
func (m *FakeMachine) rel(op, name string) (string, error) {
	name = filepath.ToSlash(name)
	if !strings.HasPrefix(name, "/") {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	r := strings.TrimPrefix(path.Clean(name), "/")
	if r == "" {
		r = "."
	}
	return r, nil
}

// rooted is name for FromDir's machine, where a relative name is read from "/" (as
// below its root); any other machine's names are as they are.
func (m *FakeMachine) rooted(name string) string {
	if m.dir == "" {
		return name
	}
	return path.Clean("/" + filepath.ToSlash(name))
}

// real is the real path of an absolute machine path under FromDir's root.
func (m *FakeMachine) real(name string) string {
	return filepath.Join(m.dir, filepath.FromSlash(path.Clean("/"+filepath.ToSlash(name))))
}

// fake is the machine path of a real path under FromDir's root (name when outside).
func (m *FakeMachine) fake(name string) string {
	rel, err := filepath.Rel(m.dir, name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return name
	}
	return path.Clean("/" + filepath.ToSlash(rel))
}

// inRoot is the real path under FromDir's root of the machine path name, its links
// resolved inside the machine first: an absolute link names a path of the fake
// machine, never one of this one, and no link leads out of the root.
func (m *FakeMachine) inRoot(name string) (string, error) {
	p, err := m.EvalSymlinks(m.rooted(name))
	if err != nil {
		return "", err
	}
	return m.real(p), nil
}

// ReadFile implements Machine.
func (m *FakeMachine) ReadFile(name string) ([]byte, error) {
	if m.dir != "" {
		p, err := m.inRoot(name)
		if err != nil {
			return nil, err
		}
		return realMachine{}.ReadFile(p)
	}
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxReadFile+1))
	if err == nil && len(b) > MaxReadFile {
		return nil, &fs.PathError{Op: "read", Path: name, Err: atomicfile.ErrTooLarge}
	}
	return b, err
}

// Open implements Machine.
func (m *FakeMachine) Open(name string) (File, error) {
	if m.dir != "" {
		p, err := m.inRoot(name)
		if err != nil {
			return nil, err
		}
		f, _, err := atomicfile.OpenInput(p)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	r, err := m.resolved("open", name)
	if err != nil {
		return nil, err
	}
	st, err := fs.Stat(m.Files, r)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", atomicfile.ErrNotRegular, atomicfile.TypeName(st.Mode()))}
	}
	f, err := m.Files.Open(r)
	if err != nil {
		return nil, err
	}
	if fa, ok := f.(File); ok {
		return fa, nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxReadFile+1))
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), info: st}, nil
}

// memFile is a file of an fs.FS whose files cannot be read at an offset.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

// Stat implements Machine.
func (m *FakeMachine) Stat(name string) (fs.FileInfo, error) {
	if m.dir != "" {
		p, err := m.inRoot(name)
		if err != nil {
			return nil, err
		}
		return os.Stat(p)
	}
	p, err := m.EvalSymlinks(name)
	if err != nil {
		return nil, err
	}
	return m.lstat(p)
}

// Lstat implements Machine.
func (m *FakeMachine) Lstat(name string) (fs.FileInfo, error) {
	dir, file := path.Split(path.Clean(filepath.ToSlash(m.rooted(name))))
	if file == "" {
		return m.lstat(name)
	}
	d, err := m.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	return m.lstat(path.Join(d, file))
}

// lstat is Lstat of a path whose directories are no links.
func (m *FakeMachine) lstat(name string) (fs.FileInfo, error) {
	if m.dir != "" {
		return os.Lstat(m.real(name))
	}
	r, err := m.rel("lstat", name)
	if err != nil {
		return nil, err
	}
	return fs.Lstat(m.Files, r)
}

// resolved is name with every link resolved, as a name of Files.
func (m *FakeMachine) resolved(op, name string) (string, error) {
	p, err := m.EvalSymlinks(name)
	if err != nil {
		return "", err
	}
	return m.rel(op, p)
}

// ReadDir implements Machine.
func (m *FakeMachine) ReadDir(name string) ([]fs.DirEntry, error) {
	if m.dir != "" {
		p, err := m.inRoot(name)
		if err != nil {
			return nil, err
		}
		return os.ReadDir(p)
	}
	r, err := m.resolved("readdir", name)
	if err != nil {
		return nil, err
	}
	return fs.ReadDir(m.Files, r)
}

// Readlink implements Machine. A link under FromDir's root that names a real path
// inside the root is returned as the machine's path.
func (m *FakeMachine) Readlink(name string) (string, error) {
	dir, file := path.Split(path.Clean(filepath.ToSlash(m.rooted(name))))
	d, err := m.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return m.readlink(path.Join(d, file))
}

// EvalSymlinks implements Machine: links (absolute machine paths or relative ones)
// are resolved one path element at a time inside the machine.
func (m *FakeMachine) EvalSymlinks(name string) (string, error) {
	if !strings.HasPrefix(filepath.ToSlash(name), "/") {
		return "", &fs.PathError{Op: "evalsymlinks", Path: name, Err: fs.ErrNotExist}
	}
	todo := strings.Split(strings.TrimPrefix(path.Clean(filepath.ToSlash(name)), "/"), "/")
	done := "/"
	for links := 0; len(todo) > 0; {
		elem := todo[0]
		todo = todo[1:]
		if elem == "" || elem == "." {
			continue
		}
		next := path.Join(done, elem)
		st, err := m.lstat(next)
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > 40 {
			return "", &fs.PathError{Op: "evalsymlinks", Path: name, Err: errors.New("too many links")}
		}
		t, err := m.readlink(next)
		if err != nil {
			return "", err
		}
		t = filepath.ToSlash(t)
		if strings.HasPrefix(t, "/") {
			done = "/"
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	return done, nil
}

// readlink is Readlink of a path whose directories are no links.
func (m *FakeMachine) readlink(name string) (string, error) {
	if m.dir != "" {
		t, err := os.Readlink(m.real(name))
		if err == nil && filepath.IsAbs(t) {
			t = m.fake(t)
		}
		return t, err
	}
	r, err := m.rel("readlink", name)
	if err != nil {
		return "", err
	}
	return fs.ReadLink(m.Files, r)
}

// Getwd implements Machine.
func (m *FakeMachine) Getwd() (string, error) {
	if m.dir != "" {
		if wd, err := os.Getwd(); err == nil {
			if f := m.fake(wd); f != wd {
				return f, nil
			}
		}
		return "/", nil
	}
	if m.Wd == "" {
		return "/", nil
	}
	return m.Wd, nil
}

// Environ implements Machine.
func (m *FakeMachine) Environ() []string { return slices.Clone(m.Env) }

// LookupEnv implements Machine.
func (m *FakeMachine) LookupEnv(key string) (string, bool) { return lookupEnv(m.Env, m.GOOS, key) }

// LookPath implements Machine: the first file of that name (not a directory) in the
// machine's PATH.
func (m *FakeMachine) LookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		if st, err := m.Stat(name); err != nil || st.IsDir() {
			return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
		}
		return name, nil
	}
	for _, d := range strings.Split(Getenv(m, "PATH"), ":") {
		if !strings.HasPrefix(d, "/") {
			continue
		}
		p := path.Join(d, name)
		if st, err := m.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// Command implements Machine: only #! scripts under FromDir's root run (their path
// is the real one); anything else has cmd.Err set.
func (m *FakeMachine) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	p, err := m.LookPath(name)
	if err == nil {
		var b []byte
		if b, err = m.ReadFile(p); err == nil && (m.dir == "" || !bytes.HasPrefix(b, []byte("#!"))) {
			err = fmt.Errorf("%s: %w", name, ErrCannotRun)
		}
	}
	if err != nil {
		return &exec.Cmd{Path: name, Args: append([]string{name}, args...), Err: err}
	}
	if p, err = m.inRoot(p); err != nil {
		return &exec.Cmd{Path: name, Args: append([]string{name}, args...), Err: err}
	}
	cmd := proctree.Command(ctx, p, args...)
	cmd.Env = slices.Clone(m.Env)
	return cmd
}

// Output implements Machine: Run when set, else Command.
func (m *FakeMachine) Output(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
	if m.Run != nil {
		return m.Run(ctx, env, name, args...)
	}
	return output(ctx, m.Command(ctx, name, args...), env, name, args)
}

// Now implements Machine.
func (m *FakeMachine) Now() time.Time {
	if m.Clock != nil {
		return m.Clock()
	}
	return time.Now()
}
