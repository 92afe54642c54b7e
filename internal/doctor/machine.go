package doctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// Machine is the machine the doctor diagnoses: everything is read through its
// machine.Machine (files, environment, PATH, programs), plus the two readings that
// need more than files. System returns this machine; FromFakeHost a machine described
// by a directory; a test builds one on machine.Fake.
type Machine struct {
	machine.Machine
	// Inspect reads an executable or library's headers (exe.Inspect on a real
	// machine).
	Inspect func(ctx context.Context, name string) (*exe.File, error)
	// ParentTranslated reports whether the process that started this one runs under
	// Rosetta 2 (nil when unknown, as on a fake machine).
	ParentTranslated func() (bool, error)
}

// Getenv returns the value of key in the machine's environment ("" when unset).
func (m Machine) Getenv(key string) string { return machine.Getenv(m.Machine, key) }

// System returns this machine.
func System() Machine {
	return Machine{
		Machine: machine.Real(),
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			return exe.Inspect(ctx, name, exe.Options{})
		},
		ParentTranslated: host.ParentTranslated,
	}
}

// FromFakeHost returns a machine described by the fake host directory dir (see
// machine.FromDir): its root/ directory stands for "/", so every absolute path the
// doctor reads (PATH entries, HOME, GOROOT) is looked up below it, and environ
// describes the fake machine's environment. Programs can run only when they are
// scripts (#!) under the root, such as a fake uname or pkg-config: a fake Mac's real
// Mach-O binaries are read, never run.
func FromFakeHost(dir string, environ []string) (Machine, error) {
	fm, err := machine.FromDir(dir, environ)
	if err != nil {
		return Machine{}, err
	}
	return Machine{
		Machine: fm,
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			p, _ := fm.HostPath(name)
			f, err := exe.Inspect(ctx, p, exe.Options{})
			if f != nil {
				f.Path = name
			}
			return f, err
		},
	}, nil
}

// execTimeout bounds any one program the doctor runs.
const execTimeout = 5 * time.Second

// Exec runs a program (a name found on the machine's PATH, or a path) with the
// machine's environment plus env (KEY=VALUE overrides), for at most execTimeout, and
// returns its standard output; the error of a program that ran and failed carries
// the start of its standard error. Checks run nothing else: a fake machine decides
// what can run.
func (m Machine) Exec(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	out, stderr, err := m.Run(ctx, env, name, args...)
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

// Run is Exec that also returns the program's standard error, even when it succeeds
// (the warnings go prints); an error from a program that ran and failed wraps an
// *exec.ExitError.
func (m Machine) Run(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	return m.Output(ctx, env, name, args...)
}
