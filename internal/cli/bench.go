package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/bench"
	"github.com/gonative/gonative/internal/build"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure build choices on your own program",
	}
	cmd.AddCommand(newBenchCgoCmd())
	return cmd
}

// benchCgoLong is the long help of bench cgo.
const benchCgoLong = `bench cgo builds PACKAGE (default ".") twice, with CGO_ENABLED=0 and =1 and
otherwise identical flags, and compares the two on this machine: binary size and
what the difference is made of (runtime/cgo, C code, the net and os/user cgo paths,
dynamic linking), linkage, start-up time, peak RSS (wait4), and a workload:

  --run ARGS     the program's own run with ARGS, start to exit (the default; a
                 run longer than --timeout fails: a server never exits, so
                 measure a server with --http)
  --http ADDR/PATH  start the program (with --run's ARGS), time it to the first byte
                 served at ADDR/PATH, then put a bounded HTTP load on it from
                 --conns loopback clients for --load
  --bench REGEX  go test -bench REGEX of the package's own benchmarks

On Linux a DNS workload also resolves names through each build's resolver (Go's;
the C library's) in a network namespace with a loopback DNS server, and says which
resolver each build used. Runs alternate between the builds after a warm-up; each
figure is a median with its 95% confidence interval, and "~" marks a difference
that is not significant (benchstat's statistics). --target measures a cross-built
target under qemu-user or Rosetta: the numbers are then emulated, and say so.

A package that needs cgo (a non-standard package in its graph has cgo files) is
refused: without cgo it would be another program.

Progress goes to stderr: a bar on a terminal, elsewhere (a log, CI) one line per
step (the check, each build, each warm-up and measured run).

Exit status: 0 measured, 1 the command failed (build, run, bad flags).`

// benchCgoOptions are bench cgo's flags: bench.Options and those the command turns
// into them.
type benchCgoOptions struct {
	bench.Options
	runArgs    string
	target     string
	svgPath    string
	jsonOutput bool
}

func newBenchCgoCmd() *cobra.Command {
	var o benchCgoOptions
	cmd := &cobra.Command{
		Use:   "cgo [PACKAGE]",
		Short: "Build a program with CGO_ENABLED=0 and =1 and compare size, start-up, memory and a workload",
		Long:  benchCgoLong,
		Example: `  gonative bench cgo ./cmd/tool --run "--version"
  gonative bench cgo ./cmd/server --http 127.0.0.1:8080/healthz --svg cgo.svg
  gonative bench cgo ./internal/parse --bench . --count 6
  gonative bench cgo ./cmd/tool --target linux/arm64 --count 3`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd, args); err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			bar := startProgressLines(cmd.Context(), stderr)
			o.Progress = benchProgress(bar)
			res, err := bench.Run(cmd.Context(), o.Options)
			bar.wait()
			var nc *bench.NeedsCgoError
			switch {
			case errors.As(err, &nc):
				return &ExitError{Code: ExitFailed, Err: fmt.Errorf("refusing to compare: %w", err)}
			case err != nil:
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if err := o.writeSVG(res); err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if o.jsonOutput {
				enc := newJSONEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			renderBench(stdout, paletteFor(stdout), res)
			if o.svgPath != "" {
				fmt.Fprintf(stdout, "\nchart: %s\n", safe(o.svgPath))
			}
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// flags defines bench cgo's flags on cmd.
func (o *benchCgoOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.runArgs, "run", "", "run the program with ARGS (split at spaces), start to exit; with --http, the server's arguments")
	f.StringVar(&o.HTTP, "http", "", "the program serves HTTP at ADDR/PATH (loopback), e.g. 127.0.0.1:8080/healthz")
	f.StringVar(&o.Bench, "bench", "", "run the package's benchmarks matching REGEX (go test -bench)")
	f.StringVar(&o.BenchTime, "benchtime", bench.DefaultBenchDur, "-test.benchtime of each --bench run")
	f.IntVar(&o.Count, "count", bench.DefaultCount, "samples per build (6 or more give 95% confidence intervals)")
	f.IntVar(&o.Warmup, "warmup", bench.DefaultWarmup, "discarded rounds before the samples (-1 for none)")
	f.DurationVar(&o.Load, "load", bench.DefaultLoad, "HTTP load per sample")
	f.IntVar(&o.Conns, "conns", bench.DefaultConns, "concurrent HTTP clients")
	f.BoolVar(&o.DNS, "dns", true, "also run the DNS workload (Linux: in a network namespace)")
	f.IntVar(&o.Lookups, "lookups", bench.DefaultLookups, "name lookups per DNS sample")
	f.DurationVar(&o.Timeout, "timeout", bench.RunTimeout, "bound on one run of the program or its test binary (a server never exits: measure it with --http)")
	f.StringVar(&o.target, "target", "", "measure this OS/ARCH, cross-built, under qemu-user or Rosetta (emulated)")
	f.StringVar(&o.svgPath, "svg", "", "write a chart to FILE (SVG)")
	f.BoolVar(&o.jsonOutput, "json", false, "print the result as JSON")
	cmd.RegisterFlagCompletionFunc("target", completeTargets)
}

// complete fills bench.Options from the arguments, the workload flags given, the
// host and --target.
func (o *benchCgoOptions) complete(cmd *cobra.Command, args []string) error {
	if len(args) == 1 {
		o.Package = args[0]
	}
	w, err := benchWorkload(cmd.Flags().Changed)
	if err != nil {
		return err
	}
	o.Workload, o.Args = w, strings.Fields(o.runArgs)
	if o.Host, err = thisHost(cmd.Context()); err != nil {
		return err
	}
	if o.target != "" {
		ts, err := build.ParseTargets([]string{o.target})
		if err != nil || len(ts) != 1 {
			return fmt.Errorf("--target %q: want one OS/ARCH such as linux/arm64", o.target)
		}
		o.Target = ts[0]
	}
	return nil
}

// benchWorkload is the workload the flags given (changed) ask for: --run by default;
// --http (with --run's arguments for the server); --bench alone.
func benchWorkload(changed func(string) bool) (bench.Workload, error) {
	modes := 0
	for _, n := range []string{"run", "http", "bench"} {
		if changed(n) {
			modes++
		}
	}
	switch {
	case changed("bench") && modes > 1:
		return "", errors.New("--bench runs the package's benchmarks: it cannot be combined with --run or --http")
	case changed("http"):
		return bench.WorkloadHTTP, nil
	case changed("bench"):
		return bench.WorkloadBench, nil
	}
	return bench.WorkloadRun, nil
}

// writeSVG writes the chart to --svg, replacing only a regular file.
func (o *benchCgoOptions) writeSVG(res *bench.Result) error {
	if o.svgPath == "" {
		return nil
	}
	if st, err := os.Lstat(o.svgPath); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("--svg %s: not a regular file; refusing to replace it", o.svgPath)
	}
	return atomicfile.WriteFile(o.svgPath, res.SVG(), 0o644)
}

// benchProgress shows bench's events on p: one line of steps, whose status is the
// step under way ("build CGO_ENABLED=1", "run 3/10 CGO_ENABLED=0").
func benchProgress(p *progress) func(bench.Event) {
	return func(e bench.Event) {
		p.event(progressEvent{Key: "bench", Kind: progressSteps, Label: "bench cgo",
			Status: fixedWidth(safe(e.Step), 34), Done: int64(e.Done), Total: int64(e.Total)})
	}
}

// renderBench prints the comparison: a header, the table, the size by package, the
// DNS resolvers and the notes.
func renderBench(w io.Writer, p palette, r *bench.Result) {
	renderBenchHeader(w, p, r)
	renderBenchTable(w, r)
	if s := r.Size; s != nil && s.Known && len(s.Packages) > 0 {
		var ps []string
		for _, pk := range s.Packages {
			ps = append(ps, fmt.Sprintf("%s %s", pk.Name, benchSigned(pk.Delta)))
		}
		fmt.Fprintf(w, "\nsize by package (symbols, cgo on - off): %s\n", strings.Join(ps, ", "))
	} else if s != nil && !s.Known {
		fmt.Fprintf(w, "\nsize parts unknown: %s\n", safe(s.Reason))
	}
	if r.DNS != nil {
		renderBenchDNS(w, r.DNS)
	}
	if notes := benchNotes(r); len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "note: %s\n", safe(n))
		}
	}
}

// renderBenchHeader prints what was measured, where, and how.
func renderBenchHeader(w io.Writer, p palette, r *bench.Result) {
	fmt.Fprintf(w, "%s %s: %s workload, %s", p.bold("bench cgo"), safe(r.Package), r.Workload, r.Target)
	if r.Emulated {
		fmt.Fprintf(w, " %s", p.warn("EMULATED under "+r.Runner))
	} else {
		fmt.Fprint(w, " native")
	}
	fmt.Fprintf(w, ", %s\n", r.Machine.GoVersion)
	fmt.Fprintf(w, "%d samples per build after %d warm-up, alternating; %d CPUs", r.Count, r.Warmup, r.Machine.CPUs)
	if l := r.Machine.LoadBefore; l.Known {
		fmt.Fprintf(w, ", load %.2f %.2f %.2f before", l.Load1, l.Load5, l.Load15)
		if a := r.Machine.LoadAfter; a.Known {
			fmt.Fprintf(w, ", %.2f after", a.Load1)
		}
	} else {
		fmt.Fprint(w, ", load unknown (no /proc/loadavg)")
	}
	fmt.Fprintf(w, "; %.1fs\n\n", r.Elapsed)
}

// renderBenchTable prints the table: size and its parts, linkage, then each metric.
func renderBenchTable(w io.Writer, r *bench.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tCGO_ENABLED=0\tCGO_ENABLED=1\tdelta\n")
	fmt.Fprintf(tw, "binary (%s)\t%s\t%s\t%s\n", safe(r.Off.Binary), benchBytes(r.Off.Size), benchBytes(r.On.Size), benchPct(float64(r.Off.Size), float64(r.On.Size)))
	if s := r.Size; s != nil && s.Known {
		for _, part := range s.Parts {
			if part.Off == 0 && part.On == 0 {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", part.Name, benchBytes(part.Off), benchBytes(part.On), benchSigned(part.Delta))
		}
	}
	fmt.Fprintf(tw, "runtime/cgo linked\t%s\t%s\t\n", benchCgoLinked(r.Off), benchCgoLinked(r.On))
	fmt.Fprintf(tw, "linkage\t%s\t%s\t\n", benchLinkage(r.Off), benchLinkage(r.On))
	for _, m := range r.Metrics {
		delta := m.Delta
		if m.Delta != "~" && m.Delta != "?" {
			delta = fmt.Sprintf("%s (p=%.3f n=%d+%d)", m.Delta, m.P, m.Off.N, m.On.N)
		} else if m.Delta == "~" {
			delta = fmt.Sprintf("~ (p=%.3f n=%d+%d)", m.P, m.Off.N, m.On.N)
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\n", safe(m.Name), m.Unit, benchStat(m.Off), benchStat(m.On), delta)
	}
	tw.Flush()
}

// renderBenchDNS prints which resolver each build used, or why DNS was not measured.
func renderBenchDNS(w io.Writer, d *bench.DNS) {
	fmt.Fprintln(w)
	if !d.Ran {
		fmt.Fprintf(w, "DNS: not measured: %s\n", safe(d.Reason))
		return
	}
	fmt.Fprintf(w, "DNS: %s\n", safe(d.How))
	if d.Reason != "" {
		fmt.Fprintf(w, "  %s\n", safe(d.Reason))
	}
	for _, x := range []struct {
		label string
		r     *bench.Resolver
	}{{"CGO_ENABLED=0", d.Off}, {"CGO_ENABLED=1", d.On}, {"CGO_ENABLED=1, left to choose", d.Default}} {
		if x.r == nil {
			continue
		}
		fmt.Fprintf(w, "  %-29s resolver %-4s (GODEBUG=%s: %s)\n", x.label, x.r.Resolver, x.r.GODEBUG, safe(strings.Join(x.r.Evidence, "; ")))
	}
}

// benchNotes are the result's notes, each build's, and one about samples too few for
// a confidence interval.
func benchNotes(r *bench.Result) []string {
	var notes []string
	notes = append(notes, r.Notes...)
	for _, b := range []bench.Build{r.Off, r.On} {
		for _, n := range b.Notes {
			notes = append(notes, fmt.Sprintf("CGO_ENABLED=%d: %s", map[bool]int{false: 0, true: 1}[b.Cgo], n))
		}
	}
	for _, m := range r.Metrics {
		if !m.Off.CI || !m.On.CI {
			notes = append(notes, fmt.Sprintf("%s: %s", m.Name, "fewer than 6 samples: [lo, hi] is the range, not a 95% confidence interval"))
			break
		}
	}
	return notes
}

func benchStat(s bench.Stat) string {
	if s.N == 0 {
		return "-"
	}
	v := benchNum(s.Median)
	if s.Median != 0 {
		r := math.Max(s.Hi/s.Median-1, 1-s.Lo/s.Median)
		v += fmt.Sprintf(" ±%.0f%%", 100*r)
	}
	return v
}

func benchNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func benchPct(old, new float64) string {
	if old == 0 {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", (new/old-1)*100)
}

func benchBytes(n int64) string {
	switch a := math.Abs(float64(n)); {
	case a >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func benchSigned(n int64) string {
	if n > 0 {
		return "+" + benchBytes(n)
	}
	return benchBytes(n)
}

func benchCgoLinked(b bench.Build) string {
	switch {
	case !b.CgoLinkedKnown:
		return "unknown"
	case b.CgoLinked:
		return "yes"
	}
	return "no"
}

func benchLinkage(b bench.Build) string {
	if b.Static {
		return "static"
	}
	s := "dynamic"
	if b.Interpreter != "" {
		s += " " + b.Interpreter
	}
	if len(b.Libraries) > 0 {
		s += " (" + strings.Join(b.Libraries, ", ") + ")"
	}
	return safe(s)
}
