package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

func newWhichCmd() *cobra.Command {
	var reason, asJSON bool
	cmd := &cobra.Command{
		Use:   "which",
		Short: "Print the go executable a go command here would run, and why",
		Long: `which prints the absolute path of the go executable that a 'go' call in this
directory runs. It resolves PATH as the shell does (the first executable go; an
empty entry is the current directory), follows gonative's links (bin/go is the
global default) and the go.work/go.mod switch cmd/go makes, and compares that with
gonative's choice, first match wins:

  1. GONATIVE_GO (a version, or the path of a go executable)
  2. .go-version, or a golang/go line in .tool-versions, in the nearest directory
     (honoured by the shell hook of 'gonative env' and by 'gonative exec')
  3. go.work (or GOWORK) over go.mod: the toolchain line, then the go line, when
     GOTOOLCHAIN (environment, 'go env -w' file, then the default toolchain's go.env)
     allows switching (auto, path, +auto, +path); 'toolchain default' and local do not;
     GOTOOLCHAIN=goX.Y.Z selects that version with or without a go.mod
  4. the global default ('gonative use')

When what runs is not gonative's choice (gonative's links not on PATH, or first on
PATH another go, the shell hook not active, a pinned version not installed), it says
so on stderr with the one-line fix.

--reason adds a line saying which file or variable chose it.

Exit status: 0 what runs is gonative's choice (or gonative chooses nothing and a go
on PATH runs), 1 the chosen go is not installed or there is no go at all, 3 another
go runs than the one gonative chose.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := tcWhichInput(cmd.Context(), true)
			if err != nil {
				return err
			}
			sel, err := toolchain.Which(in)
			noSel := errors.Is(err, toolchain.ErrNoDefault)
			if err != nil && !noSel {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			v := toolchain.Check(in, sel, os.Getenv("PATH"), toolchain.FS{})
			out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if asJSON {
				// One spelling everywhere: "go1.27.3".
				var s *toolchain.Selection
				if !noSel {
					js := sel
					if js.Version != "" {
						js.Version = "go" + js.Version
					}
					s = &js
				}
				jv := v
				if jv.RunsVersion != "" {
					jv.RunsVersion = "go" + jv.RunsVersion
				}
				if jv.OnPath.Version != "" {
					jv.OnPath.Version = "go" + jv.OnPath.Version
				}
				if err := json.NewEncoder(out).Encode(struct {
					*toolchain.Selection
					toolchain.Verdict
				}{s, jv}); err != nil {
					return err
				}
			} else {
				switch {
				case v.Agrees:
					fmt.Fprintln(out, sel.Go) // gonative's links followed
				case v.Runs != "":
					fmt.Fprintln(out, v.Runs)
				case sel.Go != "":
					fmt.Fprintln(out, sel.Go)
				}
				if reason {
					switch {
					case v.Agrees:
						fmt.Fprintf(out, "go%s: %s\n", sel.Version, sel.Reason)
					case v.Runs != "":
						ver := "unknown version"
						if v.RunsVersion != "" {
							ver = "go" + v.RunsVersion
						}
						why := "first go on PATH"
						if v.Runs != v.OnPath.Path {
							why = "switched to by cmd/go from " + v.OnPath.Path
						}
						fmt.Fprintf(out, "%s: %s\n", ver, why)
					case sel.Go != "":
						fmt.Fprintf(out, "go%s: %s\n", sel.Version, sel.Reason)
					}
				}
			}
			if v.Problem != "" {
				fmt.Fprintf(stderr, "gonative: %s\n", v.Problem)
				fmt.Fprintf(stderr, "gonative: fix: %s\n", v.Fix)
			} else if sel.Note != "" {
				fmt.Fprintf(stderr, "gonative: %s\n", sel.Note)
			}
			switch {
			case v.Runs == "":
				return &ExitError{Code: ExitFailed}
			case noSel:
				return nil
			case !sel.Installed:
				return &ExitError{Code: ExitFailed}
			case !v.Agrees:
				return problems()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reason, "reason", false, "also say which file or variable chose it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
