package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"
)

func newWhichCmd() *cobra.Command {
	var reason, asJSON bool
	cmd := &cobra.Command{
		Use:   "which",
		Short: "Print the go executable a go command here would run, and why",
		Long: `which prints the absolute path of the go executable that a 'go' call in this
directory runs, deciding as cmd/go and gonative do, first match wins:

  1. GONATIVE_GO (a version, or the path of a go executable)
  2. .go-version, or a golang/go line in .tool-versions, in the nearest directory
  3. go.work (or GOWORK) over go.mod: the toolchain line, then the go line, when
     GOTOOLCHAIN (environment, 'go env -w' file, then the default toolchain's go.env)
     allows switching (auto, path, +auto, +path); 'toolchain default' and local do not;
     GOTOOLCHAIN=goX.Y.Z selects that version with or without a go.mod
  4. the global default ('gonative use')

--reason adds a line saying which file or variable chose it. It exits 1 when the
chosen go is not installed (and says how to install it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := tcWhich(cmd.Context())
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return &ExitError{Code: ExitFailed, Err: err}
				}
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := json.NewEncoder(out).Encode(sel); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(out, sel.Go)
				if reason {
					v := ""
					if sel.Version != "" {
						v = "go" + sel.Version + ": "
					}
					fmt.Fprintf(out, "%s%s\n", v, sel.Reason)
				}
			}
			if sel.Note != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: %s\n", sel.Note)
			}
			if !sel.Installed {
				return &ExitError{Code: ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reason, "reason", false, "also say which file or variable chose it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
