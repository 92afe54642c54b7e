package doctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/machine"
)

// Getenv returns the value of key in the machine's environment ("" when unset).
func (s *Session) Getenv(key string) string { return machine.Getenv(s.M, key) }

// execTimeout bounds any one program the doctor runs.
const execTimeout = 5 * time.Second

// Exec runs a program (a name found on the machine's PATH, or a path) with the
// machine's environment plus env (KEY=VALUE overrides), for at most execTimeout, and
// returns its standard output; the error of a program that ran and failed carries
// the start of its standard error. Checks run nothing else: a fake machine decides
// what can run.
func (s *Session) Exec(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	out, stderr, err := s.Run(ctx, env, name, args...)
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
func (s *Session) Run(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	return s.M.Output(ctx, env, name, args...)
}

// readExe reads the executable or library name of m: its bytes through m's files
// (never blocking, regular files only), its facts from exe.Read. A fake machine's
// files are read exactly as this machine's are.
func readExe(ctx context.Context, m machine.Machine, name string) (*exe.File, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	file := exe.Read(ctx, f, st.Size(), exe.Options{})
	file.Path = name
	return file, nil
}
