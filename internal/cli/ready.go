package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
	"github.com/gonative/gonative/internal/ready/ciconf"
	"github.com/gonative/gonative/internal/ready/dockerfile"
	"github.com/gonative/gonative/internal/ready/gocode"
	"github.com/gonative/gonative/internal/redact"
	"github.com/spf13/cobra"
)

// readyOptions are ready's flags.
type readyOptions struct {
	targets       []string
	asJSON, sarif bool
	online        bool
}

// readyCheckers are the checkers ready runs, in report order.
func readyCheckers() []ready.Checker {
	return []ready.Checker{
		gocode.Check,
		dockerfile.Check,
		ciconf.Check,
	}
}

// readyRules describe every checker's rules for SARIF.
func readyRules() []ready.Rule {
	return slices.Concat(gocode.Rules, dockerfile.Rules, ciconf.Rules)
}

// readyDefaultExtra are the targets ready checks besides this platform's.
var readyDefaultExtra = []build.Target{{OS: "linux", Arch: "arm64"}, {OS: "linux", Arch: "amd64"}, {OS: "darwin", Arch: "arm64"}}

func newReadyCmd() *cobra.Command {
	o := &readyOptions{}
	cmd := &cobra.Command{
		Use:   "ready [DIR]",
		Short: "Is this repository ready for arm64: Dockerfiles (Go code, cgo and CI to come), each finding at file:line with its fix",
		Long: `ready checks a repository (DIR, default the current directory) for what breaks or
slows it on arm64 and the other targets, and says how to fix each finding, as a
diff that patch -p1 applies from DIR where the fix is an edit.

Dockerfiles (every Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile; not in
vendor, .git, node_modules, testdata), every stage: a constant FROM --platform; a
default given to TARGETARCH, TARGETOS or TARGETPLATFORM; Go compiled in a stage that
runs on the target platform (emulated by QEMU for every other architecture); Go
compiled on $BUILDPLATFORM without GOARCH; a hard-coded GOARCH; downloads whose URL
names one architecture; cgo cross-compiled without a C cross compiler; with
--online, base images that publish no image for a target.

Targets: --target os/arch,... (default this platform, linux/arm64, linux/amd64 and
darwin/arm64).

Output: text; --json (the report); --sarif (SARIF 2.1.0 for code scanning).
Exit status: 0 nothing found, 3 something found (a warning or an error), 1 ready
itself failed (a bad flag, DIR not a directory).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReady(cmd, args, o) },
	}
	cmd.Flags().StringSliceVar(&o.targets, "target", nil, "platforms to be ready for, os/arch, comma-separated or repeated")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&o.sarif, "sarif", false, "print the report as SARIF 2.1.0")
	cmd.Flags().BoolVar(&o.online, "online", false, "also read base images' platforms from their registries")
	cmd.MarkFlagsMutuallyExclusive("json", "sarif")
	return cmd
}

// runReady checks the repository and prints the report.
func runReady(cmd *cobra.Command, args []string, o *readyOptions) error {
	m, err := thisMachine()
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	in, err := readyInput(m, args, o)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	r, err := ready.Run(cmd.Context(), in, readyCheckers())
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	out := cmd.OutOrStdout()
	switch {
	case o.asJSON:
		err = writeJSON(out, r)
	case o.sarif:
		err = writeSARIF(out, r)
	default:
		renderReady(out, paletteFor(out), r)
	}
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	if r.Found() {
		return problems()
	}
	return nil
}

// writeSARIF writes the report as SARIF with credentials masked (internal/redact),
// as writeJSON does: a URL in a Dockerfile may carry a password.
func writeSARIF(w io.Writer, r ready.Report) error {
	var b strings.Builder
	if err := ready.WriteSARIF(&b, r, ready.Tool{Name: "gonative", Version: Version()}, readyRules()); err != nil {
		return err
	}
	_, err := io.WriteString(w, redact.Text(b.String()))
	return err
}

// readyInput turns ready's arguments into the checkers' Input: DIR made absolute and
// checked to be a directory, the targets parsed (default: this platform and
// readyDefaultExtra).
func readyInput(m machine.Machine, args []string, o *readyOptions) (ready.Input, error) {
	dir := "."
	if len(args) > 0 {
		dir = args[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ready.Input{}, err
	}
	st, err := m.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ready.Input{}, fmt.Errorf("ready %s: no such directory", Quote(dir))
		}
		return ready.Input{}, fmt.Errorf("ready %s: %w", Quote(dir), err)
	}
	if !st.IsDir() {
		return ready.Input{}, fmt.Errorf("ready %s: not a directory (give the repository's root)", Quote(dir))
	}
	var targets []build.Target
	if len(o.targets) > 0 {
		if targets, err = build.ParseTargets(o.targets); err != nil {
			return ready.Input{}, fmt.Errorf("--target: %w", err)
		}
	} else {
		p := m.Platform()
		items := []string{p.GOOS + "/" + p.GOARCH}
		for _, t := range readyDefaultExtra {
			items = append(items, t.String())
		}
		if targets, err = build.ParseTargets(items); err != nil {
			return ready.Input{}, err
		}
	}
	return ready.Input{Machine: m, Dir: abs, Targets: targets, Online: o.online}, nil
}

// readyAreas is the order of ready's areas in the text report.
var readyAreas = []finding.Area{finding.AreaGo, finding.AreaCgo, finding.AreaDockerfile, finding.AreaCI, finding.AreaScripts}

// renderReady prints the report: the targets, then per area with findings its mark
// and each finding at file:line with its evidence, its fix and the fix's diff
// (unindented, so that it can be given to patch -p1 as printed).
func renderReady(w io.Writer, pal palette, r ready.Report) {
	var ts []string
	for _, t := range r.Targets {
		ts = append(ts, t.String())
	}
	fmt.Fprintf(w, "Ready for %s? %s\n", strings.Join(ts, ", "), Quote(r.Dir))
	areas := append([]finding.Area(nil), readyAreas...)
	for _, f := range r.Findings {
		if !containsArea(areas, f.Area) {
			areas = append(areas, f.Area)
		}
	}
	var warnings, errs, infos int
	for _, a := range areas {
		var fs []finding.Finding
		for _, f := range r.Findings {
			if f.Area == a {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		worst := finding.Worst(fs)
		g := glyph(worst)
		if worst == finding.Info {
			g = "•" // notes only: what was not judged, and why
		}
		fmt.Fprintf(w, "[%s] %s\n", pal.severity(worst, g), readyAreaTitle(a))
		for _, f := range fs {
			switch f.Severity {
			case finding.Error:
				errs++
			case finding.Warning:
				warnings++
			default:
				infos++
			}
			renderReadyFinding(w, pal, f)
		}
	}
	fmt.Fprintln(w)
	if warnings+errs == 0 {
		msg := "• Nothing found."
		if infos > 0 {
			msg = fmt.Sprintf("• Nothing found (%d note%s above).", infos, plural(int64(infos)))
		}
		fmt.Fprintln(w, pal.good(msg))
		return
	}
	msg := fmt.Sprintf("! %d error%s, %d warning%s.", errs, plural(int64(errs)), warnings, plural(int64(warnings)))
	if slices.ContainsFunc(r.Findings, func(f finding.Finding) bool { return f.Fix != nil && f.Fix.Diff != "" }) {
		msg += " Apply a diff with patch -p1 from " + Quote(r.Dir) + "."
	}
	fmt.Fprintln(w, pal.warn(msg))
}

// renderReadyFinding prints one finding: mark, file:line and title, id, evidence,
// fix, and the diff.
func renderReadyFinding(w io.Writer, pal palette, f finding.Finding) {
	where := f.Path
	if f.Line > 0 {
		where = fmt.Sprintf("%s:%d", f.Path, f.Line)
	}
	if where != "" {
		where += ": "
	}
	fmt.Fprintf(w, "    %s %s%s\n", pal.severity(f.Severity, mark(f.Severity)), Quote(where), Quote(f.Title))
	fmt.Fprintf(w, "      id: %s\n", f.ID)
	for _, e := range f.Evidence {
		fmt.Fprintf(w, "      - %s\n", Quote(e))
	}
	if f.Fix == nil {
		return
	}
	fmt.Fprintf(w, "      fix: %s\n", Quote(f.Fix.Text))
	for _, c := range f.Fix.Commands {
		fmt.Fprintf(w, "        $ %s\n", Quote(c))
	}
	if f.Fix.Diff == "" {
		return
	}
	for _, l := range strings.Split(strings.TrimSuffix(f.Fix.Diff, "\n"), "\n") {
		body := quoteDiffLine(l)
		switch {
		case strings.HasPrefix(body, "+++"), strings.HasPrefix(body, "---"):
			body = pal.bold(body)
		case strings.HasPrefix(body, "+"):
			body = pal.good(body)
		case strings.HasPrefix(body, "-"):
			body = pal.bad(body)
		}
		fmt.Fprintln(w, body)
	}
}

// readyAreaTitle names an area in ready's report: the Go areas are about the
// repository's code here, not the machine's go.
func readyAreaTitle(a finding.Area) string {
	switch a {
	case finding.AreaGo:
		return "Go code"
	case finding.AreaCgo:
		return "cgo"
	}
	return a.Title()
}

// quoteDiffLine quotes a diff line for a terminal (Quote) but keeps its tabs and a
// final carriage return (a CRLF file's line), so that the diff still applies.
func quoteDiffLine(l string) string {
	cr := strings.HasSuffix(l, "\r")
	parts := strings.Split(strings.TrimSuffix(l, "\r"), "\t")
	for i, p := range parts {
		parts[i] = Quote(p)
	}
	l = strings.Join(parts, "\t")
	if cr {
		l += "\r"
	}
	return l
}

func containsArea(as []finding.Area, a finding.Area) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}
