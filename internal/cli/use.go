package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

func newUseCmd() *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "use VERSION",
		Short: "Set the global default Go (or, with --local, pin this directory in .go-version)",
		Long: `use makes an installed VERSION (1.27.3, go1.27.3, or 1.27 for its newest installed
patch) the global default: the go and gofmt links in the store's bin directory (put
it on PATH with 'eval "$(gonative env)"') now run it. No process sits in between.

--local writes .go-version in the current directory instead (atomically); 'gonative
which' and 'gonative exec' obey it in this directory and below.`,
		Example: `  gonative use 1.27.3
  gonative use --local 1.26`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			st, err := tcStore()
			if err != nil {
				return err
			}
			v, err := tcInstalledVersion(st, args[0])
			if err != nil && !local {
				return err
			}
			if local {
				q, qerr := toolchain.ParseQuery(args[0])
				if qerr != nil || q.Latest {
					return &ExitError{Code: ExitFailed, Err: fmt.Errorf("use --local: %q is not a Go version", args[0])}
				}
				pin := q.Version
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "gonative: warning: go%s is not installed (gonative install %s)\n", pin, pin)
				}
				wd, werr := os.Getwd()
				if werr != nil {
					return werr
				}
				file, err := toolchain.WritePin(wd, pin)
				if err != nil {
					return fmt.Errorf("use --local: %w", err)
				}
				fmt.Fprintf(out, "pinned go%s in %s\n", pin, file)
				return nil
			}
			if err := st.SetDefault(v); err != nil {
				return err
			}
			fmt.Fprintf(out, "go%s is the global default (%s)\n", v, filepath.Join(st.BinDir(), "go"))
			tcPathHint(out, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "pin VERSION for this directory in .go-version")
	return cmd
}

// tcInstalledVersion resolves arg against the installed versions.
func tcInstalledVersion(st toolchain.Store, arg string) (string, error) {
	q, err := toolchain.ParseQuery(arg)
	if err != nil {
		return "", &ExitError{Code: ExitFailed, Err: err}
	}
	list, err := st.List()
	if err != nil {
		return "", err
	}
	var vs []string
	for _, i := range list {
		vs = append(vs, i.Version)
	}
	if v, ok := q.Resolve(vs); ok {
		return v, nil
	}
	return "", &ExitError{Code: ExitFailed, Err: fmt.Errorf("go%s is not installed (installed: %s): run `gonative install %s`", q, tcJoin(vs), q)}
}

func tcJoin(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += "go" + v
	}
	return s
}
