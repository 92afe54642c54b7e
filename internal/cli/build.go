package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/build"
)

// buildLong is the long help of build.
var buildLong = `build runs go build for each target (default: ` + buildTargetList(build.DefaultTargets) + `),
writing NAME_OS_ARCH[.exe] into the output directory, then verifies every output
(format, OS and architecture, cgo linked exactly when it was on, darwin/arm64
signature, ELF interpreter and glibc floor) and writes SHA256SUMS and manifest.json.

cgo is turned on for a target when a package it builds has cgo files; each such
target gets its own C compiler (native, Debian cross gcc, zig, clang -arch on a
Mac, or --cc) and its own pkg-config search path (never the host's). A target that
needs cgo and cannot get it fails before anything is built; --cgo=off builds it
without cgo anyway.

Exit status: 0 all built and verified, 1 a build failed or could not start,
3 an output failed verification or its smoke run.`

// buildOptions are build's flags.
type buildOptions struct {
	targets    []string
	out        string
	universal  bool
	ldflags    string
	tags       string
	trimpath   bool
	jobs       int
	cgo        string
	cc, sdk    []string
	smoke      string
	jsonOutput bool
	trace      bool
}

func newBuildCmd() *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build [PACKAGES]",
		Short: "Build packages for every target, cgo included, and verify every output",
		Long:  buildLong,
		Example: `  gonative build ./cmd/tool
  gonative build --target linux/arm64,darwin/arm64,darwin/amd64 --universal --smoke=--version
  gonative build --target linux/arm64 --sdk linux/arm64=/srv/sysroot-arm64
  gonative build --cgo=off`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := o.options(cmd, args)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			steps := traceSteps(&opts, o.trace)
			p := startProgress(cmd.Context(), stderr)
			if p != nil {
				opts.Progress = buildProgress(p)
			} else if !o.jsonOutput {
				opts.Progress = buildPlainProgress(stderr)
			}
			res, err := build.Build(cmd.Context(), opts)
			p.wait()
			steps.render(stderr)
			if err != nil {
				return buildError(stderr, err)
			}
			if o.jsonOutput {
				enc := newJSONEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				renderBuild(stdout, paletteFor(stdout), res)
			}
			switch {
			case res.Failed():
				return &ExitError{Code: ExitFailed}
			case res.HasProblems():
				return problems()
			}
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// flags defines build's flags on cmd.
func (o *buildOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.targets, "target", nil, "targets as os/arch, comma-separated or repeated (default "+buildTargetList(build.DefaultTargets)+")")
	f.StringVarP(&o.out, "output", "o", "dist", "output directory")
	f.BoolVar(&o.universal, "universal", false, "also merge darwin/arm64 and darwin/amd64 into NAME_darwin_universal")
	f.StringVar(&o.ldflags, "ldflags", "", "flags for go build -ldflags")
	f.StringVar(&o.tags, "tags", "", "build tags, comma-separated")
	f.BoolVar(&o.trimpath, "trimpath", true, "build with -trimpath")
	f.IntVarP(&o.jobs, "jobs", "j", 0, fmt.Sprintf("go builds at once (default the CPU count, at least 4: %d)", build.DefaultJobs()))
	f.StringVar(&o.cgo, "cgo", "auto", "cgo: auto (on where a package needs it), on, or off")
	f.StringArrayVar(&o.cc, "cc", nil, "C compiler for cgo targets, as OS/ARCH=CC or CC for all (repeatable)")
	f.StringArrayVar(&o.sdk, "sdk", nil, "SDK or sysroot for cgo targets, as OS/ARCH=DIR or DIR for all: a macOS SDK for darwin, the target libraries' sysroot (with its .pc files) for Linux")
	f.Var((*smokeFlag)(&o.smoke), "smoke", "run every output this machine can run (natively or under qemu-user) and check it exits 0; --smoke=ARGS runs it with ARGS (split at spaces), such as --smoke=--version")
	f.Lookup("smoke").NoOptDefVal = "true"
	f.BoolVar(&o.jsonOutput, "json", false, "print the result as JSON")
	f.BoolVar(&o.trace, "trace", false, "print each step (go list, go build, verify, ...) with its start and duration on stderr at the end")
}

// stepLog collects a build's steps for --trace; a nil *stepLog renders nothing.
type stepLog struct {
	mu    sync.Mutex
	steps []build.Step
}

// traceSteps sets opts.Trace to collect the steps when on.
func traceSteps(opts *build.Options, on bool) *stepLog {
	if !on {
		return nil
	}
	l := &stepLog{}
	opts.Trace = func(s build.Step) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.steps = append(l.steps, s)
	}
	return l
}

// render prints the steps in the order they started: start offset, duration, what
// ran, for which target and output, and how it failed.
func (l *stepLog) render(w io.Writer) {
	if l == nil {
		return
	}
	l.mu.Lock()
	steps := slices.Clone(l.steps)
	l.mu.Unlock()
	slices.SortStableFunc(steps, func(a, b build.Step) int { return cmp.Compare(a.Start, b.Start) })
	fmt.Fprintf(w, "trace %8s %8s  %-18s %-14s %s\n", "start", "took", "step", "target", "output")
	for _, s := range steps {
		errText := ""
		if s.Err != nil {
			errText = s.Err.Error()
		}
		fmt.Fprintln(w, traceLine(s.Start, s.Duration, string(s.Kind), s.Target, s.Output, s.UpToDate, errText))
	}
}

// traceLine is one line of build --trace and image build --trace: start offset,
// duration, step, target, output (or what the step worked on), whether go build
// found the output up to date, and how the step failed; everything from outside
// quoted on the one line.
func traceLine(start, took time.Duration, step, target, output string, upToDate bool, errText string) string {
	line := fmt.Sprintf("trace %7.3fs %7.3fs  %-18s %-14s %s", start.Seconds(), took.Seconds(), step, Quote(target), Quote(output))
	line = strings.TrimRight(line, " ")
	if upToDate {
		line += "  (up to date: not linked again)"
	}
	if errText != "" {
		line += "  error: " + Quote(buildFirstLine(errors.New(errText)))
	}
	return line
}

// options turns the flags and the packages args into build.Options for this host.
func (o *buildOptions) options(cmd *cobra.Command, args []string) (build.Options, error) {
	ts := build.DefaultTargets
	if len(o.targets) > 0 {
		var err error
		if ts, err = build.ParseTargets(o.targets); err != nil {
			return build.Options{}, err
		}
	}
	mode, ccs, sdks, err := cgoFlags(o.cgo, o.cc, o.sdk)
	if err != nil {
		return build.Options{}, err
	}
	h, err := thisHost(cmd.Context())
	if err != nil {
		return build.Options{}, err
	}
	cache, _ := build.CacheDir(os.Getenv) // none: go tool dist list runs every time
	return build.Options{
		Packages: args, Targets: ts, OutDir: o.out, Universal: o.universal,
		LDFlags: o.ldflags, Tags: o.tags, TrimPath: o.trimpath, Jobs: o.jobs,
		Cgo: mode, CC: ccs, SDK: sdks, Host: h,
		Smoke: cmd.Flags().Changed("smoke"), SmokeArgs: strings.Fields(o.smoke),
		CacheDir: cache,
	}, nil
}

// buildError reports a build that could not run: a plan's problems on stderr, one
// each, or the error itself.
func buildError(stderr io.Writer, err error) error {
	var pe *build.PlanError
	if !errors.As(err, &pe) {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	fmt.Fprintln(stderr, "gonative: nothing was built:")
	for _, e := range pe.Problems {
		fmt.Fprintf(stderr, "  %s\n", strings.ReplaceAll(e.Error(), "\n", "\n  "))
	}
	return &ExitError{Code: ExitFailed}
}

// smokeFlag is --smoke's value: --smoke alone (or --smoke=true) runs each output
// without arguments, --smoke=ARGS with ARGS. Its type is pflag's "boolfunc" so that
// help shows "--smoke" rather than a type and a default.
type smokeFlag string

func (f *smokeFlag) String() string { return string(*f) }
func (f *smokeFlag) Type() string   { return "boolfunc" }
func (f *smokeFlag) Set(v string) error {
	if v == "true" {
		v = ""
	}
	*f = smokeFlag(v)
	return nil
}

func buildTargetList(ts []build.Target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.String())
	}
	return strings.Join(s, ",")
}

// buildPerTarget parses OS/ARCH=VALUE or VALUE (for every target) items.
// cgoFlags reads the --cgo, --cc and --sdk flags that build and image build share.
func cgoFlags(cgo string, cc, sdk []string) (mode build.CgoMode, ccs, sdks map[string]string, err error) {
	mode = build.CgoMode(cgo)
	if mode != build.CgoAuto && mode != build.CgoOn && mode != build.CgoOff {
		return "", nil, nil, fmt.Errorf("--cgo=%s: want auto, on or off", cgo)
	}
	if ccs, err = buildPerTarget("--cc", cc); err != nil {
		return "", nil, nil, err
	}
	if sdks, err = buildPerTarget("--sdk", sdk); err != nil {
		return "", nil, nil, err
	}
	return mode, ccs, sdks, nil
}

func buildPerTarget(flag string, items []string) (map[string]string, error) {
	m := map[string]string{}
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if ok && strings.Count(k, "/") == 1 && !strings.ContainsAny(k, " \t") {
			if _, err := build.ParseTargets([]string{k}); err != nil {
				return nil, fmt.Errorf("%s %s: %w", flag, it, err)
			}
			m[k] = v
			continue
		}
		m[""] = it
	}
	return m, nil
}

// buildPlainProgress prints one line as each output finishes.
func buildPlainProgress(w io.Writer) func(build.Event) {
	return func(e build.Event) {
		switch e.Stage {
		case build.StageBuilding:
			fmt.Fprintf(w, "     %-18s building %s\n", e.Target, e.Output)
		}
	}
}

func buildFirstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// buildProgress shows build's events on p: one spinner line per output.
func buildProgress(p *progress) func(build.Event) {
	return func(e build.Event) {
		status := string(e.Stage)
		if e.Err != nil {
			status += ": " + Quote(buildFirstLine(e.Err))
		}
		p.event(progressEvent{
			Key:    e.Output,
			Kind:   progressSpinner,
			Label:  fixedWidth(e.Target, 18) + " " + Quote(e.Output),
			Status: status,
			End:    e.Stage == build.StageDone || e.Stage == build.StageFailed || e.Stage == build.StageProblems,
		})
	}
}

// renderBuild prints one line per output and its problems.
func renderBuild(w io.Writer, pal palette, res *build.Result) {
	for _, o := range res.Outputs {
		renderBuildOutput(w, pal, o)
	}
	if len(res.Kept) > 0 {
		fmt.Fprintf(w, "kept %d earlier %s that manifest.json listed (re-hashed)\n", len(res.Kept), buildPlural(len(res.Kept), "output", "outputs"))
	}
	if res.Sums != "" {
		fmt.Fprintf(w, "wrote %s and %s (%.1fs)\n", Quote(res.Sums), Quote(filepath.Base(res.Manifest)), res.Elapsed)
	} else if res.Failed() {
		fmt.Fprintln(w, "nothing was written: a build failed, so the output directory, its SHA256SUMS and manifest.json are as they were")
	}
}

// renderBuildOutput prints one output's line, then its notes and problems.
func renderBuildOutput(w io.Writer, pal palette, o *build.Output) {
	name := Quote(filepath.Base(o.Path))
	shown := buildStatus(pal, o)
	if o.Error != "" {
		fmt.Fprintf(w, "%s %-18s %s\n     %s\n", shown, o.Target, name, strings.ReplaceAll(QuoteKeeping(o.Error, "\n"), "\n", "\n     "))
		return
	}
	fmt.Fprintf(w, "%s %-18s %-32s %s\n", shown, o.Target, name, strings.Join(buildFacts(o), ", "))
	for _, n := range o.Notes {
		fmt.Fprintf(w, "     note: %s\n", Quote(n))
	}
	for _, p := range o.Problems {
		fmt.Fprintf(w, "     problem: %s\n", Quote(p))
	}
}

// buildStatus is an output's status column: ok, FAIL (not built) or BAD (problems),
// padded before colouring, so the escapes do not upset the columns.
func buildStatus(pal palette, o *build.Output) string {
	switch {
	case o.Error != "":
		return pal.bad(fmt.Sprintf("%-4s", "FAIL"))
	case len(o.Problems) > 0:
		return pal.warn(fmt.Sprintf("%-4s", "BAD"))
	}
	return pal.good(fmt.Sprintf("%-4s", "ok"))
}

// buildFacts are the facts of a built output, in the order its line shows them.
func buildFacts(o *build.Output) []string {
	facts := []string{buildSize(o.Size), "no cgo"}
	if o.CgoLinked {
		facts[1] = "cgo"
	}
	if o.CToolchain != nil && o.CToolchain.CC != "" {
		facts = append(facts, "cc="+o.CToolchain.CC)
	}
	switch {
	case o.Format == "elf" && o.Interpreter != "":
		facts = append(facts, "interp "+o.Interpreter)
	case o.Format == "elf" && o.Static:
		facts = append(facts, "static")
	}
	if o.GLIBC != "" {
		facts = append(facts, "glibc>="+o.GLIBC)
	}
	if o.Signature != "" {
		facts = append(facts, "signature "+o.Signature)
	}
	if o.Smoke != nil {
		switch {
		case !o.Smoke.Ran:
			facts = append(facts, "smoke skipped ("+o.Smoke.Detail+")")
		case o.Smoke.OK:
			facts = append(facts, "smoke ok ("+o.Smoke.How+")")
		default:
			facts = append(facts, "smoke FAILED ("+o.Smoke.How+")")
		}
	}
	return facts
}

// buildPlural picks the singular or plural form for n.
func buildPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func buildSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
