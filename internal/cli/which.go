package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// whichLong is the long help of which.
const whichLong = `which prints the absolute path of the go executable that a 'go' call in this
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
go runs than the one gonative chose.`

func newWhichCmd() *cobra.Command {
	var o whichOptions
	cmd := &cobra.Command{
		Use:   "which",
		Short: "Print the go executable a go command here would run, and why",
		Long:  whichLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := newManager()
			if err != nil {
				return err
			}
			h, err := whatRunsHere(cmd.Context(), m)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: withPinFix(err)}
			}
			sel, v, noSel := h.sel, h.verdict, h.noSel
			out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.asJSON {
				var s *toolchain.Selection
				if !noSel {
					s = &sel
				}
				if err := newJSONEncoder(out).Encode(toolchain.NewWhichReport(s, v)); err != nil {
					return err
				}
			} else {
				renderWhich(out, sel, v, o.reason)
			}
			if v.Problem != "" {
				fmt.Fprintf(stderr, "gonative: %s\n", v.Problem)
				fmt.Fprintf(stderr, "gonative: fix: %s\n", v.Fix)
			} else if sel.Note != "" {
				fmt.Fprintf(stderr, "gonative: %s\n", sel.Note)
			}
			return whichExit(sel, v, noSel)
		},
	}
	cmd.Flags().BoolVar(&o.reason, "reason", false, "also say which file or variable chose it")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

// here is gonative's choice in the working directory and what a go call there really
// runs: which prints it and decides its exit status from it, list marks "active here"
// from it, so the two never disagree.
type here struct {
	sel     toolchain.Selection
	verdict toolchain.Verdict
	noSel   bool // gonative chooses nothing (no default, no pin)
}

// active is the version list marks "active here": gonative's choice when it is
// installed and what runs agrees with it, else "".
func (h here) active() string {
	if h.noSel || !h.sel.Installed || !h.verdict.Agrees || whichExit(h.sel, h.verdict, h.noSel) != nil {
		return ""
	}
	return h.sel.Version
}

// whatRunsHere decides here for the working directory.
func whatRunsHere(ctx context.Context, m *toolchain.Manager) (here, error) {
	in := m.WhichInput(ctx, true)
	sel, err := toolchain.Which(in)
	noSel := errors.Is(err, toolchain.ErrNoDefault)
	if err != nil && !noSel {
		return here{}, err
	}
	v := toolchain.Check(in, sel, m.Getenv("PATH"))
	return here{sel: sel, verdict: v, noSel: noSel}, nil
}

// withPinFix adds the one-line fix to a pin that is not a Go version: replace or
// remove the file (use --local writes one in the working directory, which wins over a
// parent's), fix the .tool-versions line, or unset $GONATIVE_GO.
func withPinFix(err error) error {
	var bad *toolchain.BadPinError
	if !errors.As(err, &bad) {
		return err
	}
	var fix string
	switch {
	case bad.File == "":
		fix = "unset " + toolchain.GoEnv + " (or set it to a version such as 1.26.1)"
	case filepath.Base(bad.File) == ".tool-versions":
		fix = fmt.Sprintf("edit the golang line of \"%s\" to a version such as 1.26.1", shQuote(bad.File))
	default:
		fix = fmt.Sprintf("rm \"%s\" (or gonative use --local VERSION to pin a version here)", shQuote(bad.File))
	}
	return fmt.Errorf("%w\nfix: %s", err, fix)
}

// whichOptions are which's flags.
type whichOptions struct {
	reason, asJSON bool
}

// renderWhich prints the go that runs and, with reason, why.
func renderWhich(out io.Writer, sel toolchain.Selection, v toolchain.Verdict, reason bool) {
	switch {
	case v.Agrees:
		fmt.Fprintln(out, sel.Go) // gonative's links followed
	case v.Runs != "":
		fmt.Fprintln(out, v.Runs)
	case sel.Go != "":
		fmt.Fprintln(out, sel.Go)
	}
	if !reason {
		return
	}
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

// whichExit is which's exit status: 1 when no go runs or the chosen one is not
// installed, 3 when another go runs than gonative's choice.
func whichExit(sel toolchain.Selection, v toolchain.Verdict, noSel bool) error {
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
}
