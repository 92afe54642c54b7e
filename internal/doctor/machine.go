package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

// Machine is everything the doctor reads: the host probe, the environment, the file
// system and the commands it runs. System returns this machine; FromFakeHost a machine
// described by a directory; a test fills the funcs directly.
type Machine struct {
	// Probe describes the hardware and OS (host.Detect reads it).
	Probe host.Probe
	// Environ is the environment as KEY=VALUE; PATH, HOME and the GO* variables are
	// read from it.
	Environ []string
	// Getwd is the working directory (where go.mod is looked for).
	Getwd func() (string, error)
	// Stat follows symbolic links; EvalSymlinks resolves them; ReadDir lists a directory.
	Stat         func(name string) (fs.FileInfo, error)
	EvalSymlinks func(name string) (string, error)
	ReadDir      func(name string) ([]fs.DirEntry, error)
	ReadFile     func(name string) ([]byte, error)
	// Open opens a file for reading parts of it (static libraries); nil means
	// ReadFile is used.
	Open func(name string) (File, error)
	// Inspect reads an executable or library's headers (exe.Inspect on a real machine).
	Inspect func(ctx context.Context, name string) (*exe.File, error)
	// ParentTranslated reports whether the process that started this one runs under
	// Rosetta 2 (nil when unknown, as on a fake machine).
	ParentTranslated func() (bool, error)
	// Exec runs a program (a name found on the machine's PATH, or a path) with the
	// machine's environment plus env (KEY=VALUE overrides) and returns its standard
	// output. Checks run nothing else: a fake machine decides what can run.
	Exec func(ctx context.Context, env []string, name string, args ...string) ([]byte, error)
	// Command is Exec that also returns the program's standard error, even when it
	// succeeds (the warnings go prints); an error from a program that ran and failed
	// wraps an *exec.ExitError. Nil means only Exec is available.
	Command func(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error)
}

// File is an open file the doctor reads parts of.
type File interface {
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
}

// Getenv returns the value of key in m.Environ (the last one wins, as in os/exec).
func (m Machine) Getenv(key string) string {
	v, _ := m.LookupEnv(key)
	return v
}

// LookupEnv is Getenv that also says whether key is set.
func (m Machine) LookupEnv(key string) (string, bool) {
	for i := len(m.Environ) - 1; i >= 0; i-- {
		// Windows environment names are case-insensitive (Path, PATH).
		if k, v, ok := strings.Cut(m.Environ[i], "="); ok && (k == key || m.Probe.GOOS == "windows" && strings.EqualFold(k, key)) {
			return v, true
		}
	}
	return "", false
}

// maxReadFile bounds every file the doctor reads whole (settings files, .netrc, CA
// bundles, the checksum database's cached head, go.mod, archives).
const maxReadFile = 64 << 20

// readFile is the machine's ReadFile: the files the doctor and netcheck read are
// named by settings and environment variables, not on the command line, so a named
// pipe or a device there must not hang the run (atomicfile.ReadFile never blocks and
// reads regular files only).
func readFile(name string) ([]byte, error) { return atomicfile.ReadFile(name, maxReadFile) }

// openFile is the machine's Open: like readFile, never blocking and regular files
// only (atomicfile.OpenInput); a PATH entry or a library that is a named pipe is
// refused, not waited on.
func openFile(name string) (File, error) {
	f, _, err := atomicfile.OpenInput(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// System returns this machine.
func System() Machine {
	return Machine{
		Probe:        host.System(),
		Environ:      os.Environ(),
		Getwd:        os.Getwd,
		Stat:         os.Stat,
		EvalSymlinks: filepath.EvalSymlinks,
		ReadDir:      os.ReadDir,
		ReadFile:     readFile,
		Open:         openFile,
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			return exe.Inspect(ctx, name, exe.Options{})
		},
		Exec:             execWith(os.Environ(), nil),
		Command:          commandWith(os.Environ(), nil),
		ParentTranslated: host.ParentTranslated,
	}
}

// FromFakeHost returns a machine described by the fake host directory dir (see
// host.FromDir): its root/ directory stands for "/", so every absolute path the doctor
// reads (PATH entries, HOME, GOROOT) is looked up below it, and environ describes the
// fake machine's environment. Programs can run only when they are scripts (#!) under
// the root, such as a fake uname or pkg-config: a fake Mac's real Mach-O binaries
// are read, never run.
func FromFakeHost(dir string, environ []string) (Machine, error) {
	p, err := host.FromDir(dir)
	if err != nil {
		return Machine{}, err
	}
	root := filepath.Join(dir, "root")
	real := func(name string) string {
		if !strings.HasPrefix(name, "/") {
			return name
		}
		return filepath.Join(root, filepath.FromSlash(name))
	}
	fake := func(name string) string {
		rel, err := filepath.Rel(root, name)
		if err != nil || strings.HasPrefix(rel, "..") {
			return name
		}
		return "/" + filepath.ToSlash(rel)
	}
	m := Machine{
		Probe:   p,
		Environ: environ,
		// The working directory is the real one seen from the fake root ("/" when it
		// lies outside), so a test can cd into the root to stand in a module.
		Getwd: func() (string, error) {
			wd, err := os.Getwd()
			if err != nil {
				return "/", nil
			}
			if f := fake(wd); f != wd {
				return f, nil
			}
			return "/", nil
		},
		Stat:     func(name string) (fs.FileInfo, error) { return os.Stat(real(name)) },
		ReadDir:  func(name string) ([]fs.DirEntry, error) { return os.ReadDir(real(name)) },
		ReadFile: func(name string) ([]byte, error) { return readFile(real(name)) },
		Open:     func(name string) (File, error) { return openFile(real(name)) },
		EvalSymlinks: func(name string) (string, error) {
			// Links inside the fake root are absolute fake paths; resolve them one
			// step at a time under the root.
			cur := name
			for range 40 {
				target, err := os.Readlink(real(cur))
				if err != nil {
					if _, serr := os.Stat(real(cur)); serr != nil {
						return "", serr
					}
					return cur, nil
				}
				if strings.HasPrefix(target, root) {
					target = fake(target)
				}
				if !strings.HasPrefix(target, "/") {
					target = filepath.ToSlash(filepath.Join(filepath.Dir(cur), target))
				}
				cur = target
			}
			return "", fmt.Errorf("%s: too many links", name)
		},
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			f, err := exe.Inspect(ctx, real(name), exe.Options{})
			if f != nil {
				f.Path = name
			}
			return f, err
		},
	}
	resolve := func(name string) (string, error) {
		if !strings.HasPrefix(name, "/") {
			var found string
			for _, d := range filepath.SplitList(m.Getenv("PATH")) {
				if st, err := os.Stat(real(d + "/" + name)); err == nil && !st.IsDir() {
					found = d + "/" + name
					break
				}
			}
			if found == "" {
				return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
			}
			name = found
		}
		b, err := os.ReadFile(real(name))
		if err != nil {
			return "", err
		}
		if !bytes.HasPrefix(b, []byte("#!")) {
			return "", fmt.Errorf("%s: %w", name, errFakeCannotRun)
		}
		return real(name), nil
	}
	m.Exec = execWith(environ, resolve)
	m.Command = commandWith(environ, resolve)
	return m, nil
}

// errFakeCannotRun is returned by a fake machine's Exec for a program that is not a
// script: its binaries are read, never run.
var errFakeCannotRun = errors.New("cannot run a fake machine's binary (only #! scripts run)")

// execTimeout bounds any one program the doctor runs.
const execTimeout = 5 * time.Second

// execWaitDelay is how long a probe waits for its output pipes after the program
// exits (or is killed at execTimeout) before closing them.
const execWaitDelay = 500 * time.Millisecond

// execWith returns an Exec that runs programs with environ; resolve, when not nil,
// maps the name to the file to run (or refuses it).
func execWith(environ []string, resolve func(string) (string, error)) func(context.Context, []string, string, ...string) ([]byte, error) {
	command := commandWith(environ, resolve)
	return func(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
		out, stderr, err := command(ctx, env, name, args...)
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return out, err
			}
			msg := strings.TrimSpace(string(stderr))
			if len(msg) > 300 {
				msg = msg[:300] + "…"
			}
			if msg != "" {
				return out, fmt.Errorf("%w: %s", err, msg)
			}
		}
		return out, err
	}
}

// commandWith returns a Command that runs programs with environ; resolve, when not
// nil, maps the name to the file to run (or refuses it).
func commandWith(environ []string, resolve func(string) (string, error)) func(context.Context, []string, string, ...string) ([]byte, []byte, error) {
	return func(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		file := name
		if resolve != nil {
			var err error
			if file, err = resolve(name); err != nil {
				return nil, nil, err
			}
		} else if runtime.GOOS == "windows" && !strings.ContainsAny(name, `/\`) {
			p, err := exec.LookPath(name) // PATHEXT rules; this process's PATH is the machine's
			if err != nil {
				return nil, nil, err
			}
			file = p
		} else if !strings.ContainsAny(name, `/\`) {
			// Look name up in the machine's PATH, not this process's.
			p, err := lookPath(name, environ)
			if err != nil {
				return nil, nil, err
			}
			file = p
		}
		ctx, cancel := context.WithTimeout(ctx, execTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, file, args...)
		cmd.Env = append(slices.Clip(environ), env...)
		// A grandchild that keeps the output pipe open (a CC wrapper that leaves
		// `(sleep 40) &` behind) must not hold the probe once the program has exited.
		cmd.WaitDelay = execWaitDelay
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if errors.Is(err, exec.ErrWaitDelay) {
			err = nil // the program itself exited 0; only the pipes were left open
		}
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w: %w", err, ctx.Err())
			}
			return out, stderr.Bytes(), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return out, stderr.Bytes(), nil
	}
}

// lookPath finds name in environ's PATH.
func lookPath(name string, environ []string) (string, error) {
	var pathEnv string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}
