package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/scaffold"
)

// initFlags are the flags every init subcommand shares.
type initFlags struct {
	force, dryRun, json bool
	dir, main           string
	gonativeVersion     string // the gonative the workflow and the devcontainer install
}

// initLong is the long help of init.
const initLong = `init writes files derived from the module: go.mod's go and toolchain lines, its
main packages, whether go.sum exists and whether a package needs cgo on Linux.

  docker        Dockerfile and .dockerignore: the builder runs on the build machine's
                platform and cross-compiles for each target (cgo with a Debian cross
                compiler), the module download is shared between platforms
  devcontainer  .devcontainer/devcontainer.json: a multi-arch Go image, cache volumes
                owned by the non-root user, delve's ptrace, gonative doctor
  ci            .github/workflows/build.yml: native runners for linux/amd64,
                linux/arm64 and darwin/arm64, gonative ready, build and
                inspect --expect

Files are written atomically. An existing file with other content is never
replaced without --force, which shows the diff; --dry-run writes nothing and
shows what would be written.

The workflow and the devcontainer install the gonative that writes them, by its
module version (a release, or the pseudo-version of a pushed commit); a development
build ((devel), or +dirty: uncommitted changes) has none: name one with
--gonative-version.`

func newInitCmd() *cobra.Command {
	var fl initFlags
	cmd := &cobra.Command{
		Use:   "init docker|devcontainer|ci",
		Short: "Write a multi-platform Dockerfile, a devcontainer or a CI workflow for this module",
		Long:  initLong,
		Example: `  gonative init docker
  gonative init docker --main ./cmd/server --dry-run
  gonative init ci -C ~/src/tool --force`,
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "no kind"
			if len(args) > 0 {
				what = fmt.Sprintf("unknown kind %q", args[0])
			}
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("init: %s: want docker, devcontainer or ci", terminalSafe(what))}
		},
	}
	pf := cmd.PersistentFlags()
	pf.BoolVar(&fl.force, "force", false, "replace files that exist with other content, showing the diff")
	pf.BoolVar(&fl.dryRun, "dry-run", false, "write nothing: print what would be written")
	pf.StringVarP(&fl.dir, "dir", "C", ".", "the module's root directory")
	pf.BoolVar(&fl.json, "json", false, "print the plan as JSON")
	pf.StringVar(&fl.gonativeVersion, "gonative-version", "", "the gonative version the workflow and the devcontainer install (default: this gonative's own, when it is a module version)")
	for _, k := range scaffold.Kinds {
		sub := &cobra.Command{
			Use:   string(k),
			Short: initShort[k],
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runInit(cmd, k, fl)
			},
		}
		if k == scaffold.Docker {
			sub.Flags().StringVar(&fl.main, "main", "", "the program the image runs: a name, package or ./dir (default: the only main package, or the module root's)")
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

var initShort = map[scaffold.Kind]string{
	scaffold.Docker:       "Write a Dockerfile that cross-compiles for linux/amd64 and linux/arm64, and .dockerignore",
	scaffold.Devcontainer: "Write .devcontainer/devcontainer.json: native on every machine, caches in volumes",
	scaffold.CI:           "Write .github/workflows/build.yml: native runners, gonative build and inspect as the gate",
}

// runInit renders kind's files for the module in fl.dir, plans and (without
// --dry-run) writes them, and prints the plan.
func runInit(cmd *cobra.Command, kind scaffold.Kind, fl initFlags) error {
	fail := func(err error) error { return &ExitError{Code: ExitFailed, Err: err} }
	m, err := scaffold.ReadModule(cmd.Context(), fl.dir, scaffold.ReadOptions{})
	if err != nil {
		return fail(err)
	}
	gv := fl.gonativeVersion
	if gv == "" {
		gv = Version()
	}
	files, err := scaffold.Render(kind, m, scaffold.Options{Main: fl.main, GonativeVersion: gv})
	if err != nil {
		return fail(err)
	}
	changes, err := scaffold.Plan(fl.dir, files, fl.force)
	if err != nil && !(fl.dryRun && errors.Is(err, scaffold.ErrExists)) {
		return fail(err)
	}
	if !fl.dryRun {
		if err := scaffold.Apply(changes); err != nil {
			return fail(err)
		}
	}
	w := cmd.OutOrStdout()
	if fl.json {
		enc := newJSONEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(scaffold.Report(changes, fl.dryRun))
	}
	fmt.Fprintf(w, "%s: %s\n", terminalSafe(m.Path), describeModule(m))
	for _, c := range changes {
		printChange(w, c, fl.dryRun)
	}
	return nil
}

// describeModule says what the files were derived from.
func describeModule(m *scaffold.Module) string {
	s := "go " + m.Go
	if m.Toolchain != "" {
		s += ", toolchain " + m.Toolchain
	}
	if !m.HasSum {
		s += ", no go.sum"
	}
	switch len(m.Programs) {
	case 0:
		s += ", no main package"
	default:
		var dirs []string
		for _, p := range m.Programs {
			dirs = append(dirs, p.Dir)
		}
		s += ", main " + strings.Join(dirs, " ")
	}
	if m.NeedsCgo() {
		s += ", cgo (" + strings.Join(m.CgoPackages(), ", ") + ")"
	} else {
		s += ", no cgo"
	}
	return terminalSafe(s)
}

func printChange(w io.Writer, c scaffold.Change, dryRun bool) {
	name := terminalSafe(c.Target)
	switch {
	case c.Action == scaffold.Unchanged:
		fmt.Fprintf(w, "unchanged %s\n", name)
	case dryRun && c.Action == scaffold.Create:
		fmt.Fprintf(w, "would create %s:\n", name)
		writeIndented(w, c.Data)
	case dryRun:
		fmt.Fprintf(w, "would overwrite %s (--force):\n", name)
		writeIndented(w, c.Diff())
	case c.Action == scaffold.Create:
		fmt.Fprintf(w, "created %s\n", name)
	default:
		fmt.Fprintf(w, "overwrote %s:\n", name)
		writeIndented(w, c.Diff())
	}
}

// writeIndented prints text indented by a tab, control characters quoted.
func writeIndented(w io.Writer, b []byte) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		fmt.Fprintf(w, "\t%s\n", terminalSafe(strings.TrimSuffix(line, "\n")))
	}
}

// terminalSafe quotes s when it holds characters a terminal would interpret, keeping
// tabs (diff lines show file content).
func terminalSafe(s string) string { return QuoteKeeping(s, "\t") }
