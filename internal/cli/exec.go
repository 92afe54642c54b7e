package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func newExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exec VERSION -- COMMAND [ARGS...]",
		Short: "Run a command with an installed Go toolchain first on PATH",
		Long: `exec runs COMMAND with the bin directory of the installed VERSION (1.27.3, go1.27.3,
or 1.27 for its newest installed patch) first on PATH, GOROOT removed from the
environment (go finds its own), and GOTOOLCHAIN=local so that a go.mod toolchain line
cannot switch to another Go behind your back. The exit code is COMMAND's.`,
		Example: `  gonative exec 1.27.3 -- go version
  gonative exec 1.26 -- go test ./...`,
		Args:               cobra.MinimumNArgs(2),
		DisableFlagParsing: false,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return &ExitError{Code: ExitFailed, Err: errors.New("usage: gonative exec VERSION -- COMMAND [ARGS...]")}
			}
			st, err := tcStore()
			if err != nil {
				return err
			}
			v, err := tcInstalledVersion(st, args[0])
			if err != nil {
				return err
			}
			bin := filepath.Join(st.GOROOT(v), "bin")
			env := []string{}
			for _, kv := range os.Environ() {
				k, _, _ := strings.Cut(kv, "=")
				switch strings.ToUpper(k) {
				case "PATH", "GOROOT", "GOTOOLCHAIN":
					continue
				}
				env = append(env, kv)
			}
			path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
			env = append(env, "PATH="+path, "GOTOOLCHAIN=local")
			name := args[1]
			if !strings.ContainsAny(name, `/\`) {
				// Resolve against the new PATH, so "go" is this toolchain's.
				if p, err := lookPathIn(name, path); err == nil {
					name = p
				}
			}
			c := exec.CommandContext(cmd.Context(), name, args[2:]...)
			c.Env = env
			c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := c.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return &ExitError{Code: ee.ExitCode()}
				}
				return fmt.Errorf("exec %s: %w", args[1], err)
			}
			return nil
		},
	}
}

// lookPathIn finds an executable name in the directories of path.
func lookPathIn(name, path string) (string, error) {
	exts := []string{""}
	if filepath.Separator == '\\' {
		exts = []string{".exe", ".bat", ".cmd", ""}
	}
	for _, dir := range filepath.SplitList(path) {
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && (filepath.Separator == '\\' || fi.Mode()&0o111 != 0) {
				return p, nil
			}
		}
	}
	return "", exec.ErrNotFound
}
