package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// Exit codes of exec when COMMAND does not run, as POSIX shells use them.
const (
	exitNotExecutable = 126 // found but cannot be executed
	exitNotFound      = 127 // not found
)

// execWaitDelay is how long exec waits, once COMMAND has exited or been killed, for
// grandchildren holding its output open before it closes the pipes.
const execWaitDelay = 5 * time.Second

// execLong is the long help of exec.
const execLong = `exec runs COMMAND with the bin directory of the installed VERSION (1.27.3, go1.27.3,
or 1.27 for its newest installed patch) first on PATH, GOROOT removed from the
environment (go finds its own), and GOTOOLCHAIN=local so that a go.mod toolchain line
cannot switch to another Go behind your back.

The exit status follows the shell's conventions: COMMAND's own status; 127 when
COMMAND is not found, 126 when it is found but cannot be executed; 128+N when a
signal N killed it; 1 when gonative itself fails (VERSION not installed).`

func newExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exec VERSION -- COMMAND [ARGS...]",
		Short: "Run a command with an installed Go toolchain first on PATH",
		Long:  execLong,
		Example: `  gonative exec 1.27.3 -- go version
  gonative exec 1.26 -- go test ./...`,
		Args:               cobra.MinimumNArgs(2),
		DisableFlagParsing: false,
		ValidArgsFunction:  completeVersions(true, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return &ExitError{Code: ExitFailed, Err: errors.New("usage: gonative exec VERSION -- COMMAND [ARGS...]")}
			}
			m, err := newManager()
			if err != nil {
				return err
			}
			st := m.Store
			v, err := tcInstalledVersion(st, args[0], "gonative install %s")
			if err != nil {
				return err
			}
			env, path := execEnv(filepath.Join(st.GOROOT(v), "bin"))
			name := args[1]
			if !strings.ContainsAny(name, `/\`) {
				// Resolve against the new PATH, so "go" is this toolchain's.
				p, err := toolchain.LookExec(name, path, m.Dir, runtime.GOOS, m.Machine)
				if err != nil {
					return &ExitError{Code: execCode(err), Err: fmt.Errorf("exec %s: %w", name, err)}
				}
				name = p
			}
			c := exec.CommandContext(cmd.Context(), name, args[2:]...)
			c.Env = env
			c.WaitDelay = execWaitDelay
			c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return execExit(c.Run(), args[1])
		},
	}
}

// execEnv is the environment COMMAND runs in, bin first on its PATH, no GOROOT and
// GOTOOLCHAIN=local, and that PATH.
func execEnv(bin string) (env []string, path string) {
	env = []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "PATH", "GOROOT", "GOTOOLCHAIN":
			continue
		}
		env = append(env, kv)
	}
	path = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	return append(env, "PATH="+path, "GOTOOLCHAIN=local"), path
}

// execExit is exec's result for COMMAND's err: its exit status, 128+N for signal N,
// or the shell's status for a command that could not start.
func execExit(err error, name string) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &ExitError{Code: 128 + int(ws.Signal())}
		}
		return &ExitError{Code: ee.ExitCode()}
	}
	return &ExitError{Code: execCode(err), Err: fmt.Errorf("exec %s: %w", name, err)}
}

// execCode is the shell's exit status for a command that could not be started.
func execCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return exitNotFound
	}
	return exitNotExecutable
}
