package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/testrun"
)

// testLong is the long help of test.
const testLong = `test runs go test for each target (default: this machine's platform), the way
the target runs here: natively; emulated by qemu-user, through its binfmt_misc
handler or, without one, qemu-ARCH on PATH as go test -exec (with the target's
sysroot, QEMU_LD_PREFIX=/usr/TRIPLET, for dynamically linked tests, and a qemu CPU
model proven by a probe to have the level GOARM64/GOAMD64 asks for); translated by
Rosetta 2 on an Apple Silicon Mac (go test -exec "arch -x86_64"); or refused, with
the reason (another OS, a CPU level the host or emulator lacks, no C compiler).
How a target runs is decided by the rules inspect judges executables with.

cgo is on with --cgo (or CGO_ENABLED=1 and no --cgo=off), each target with the C compiler build
chooses (native, Debian cross gcc, zig, --cc). The go command is found on PATH as
for build, so the module's toolchain selection applies. Targets run at once, up to
the CPU count, sharing the build cache.

Everything after -- goes to go test as it is: -run, -count, -short, -v, -timeout,
-p, -args ... With -v every output line is printed as it comes.

Output: per package "ok" or "FAIL" as it ends (with the output of a failed one),
then a table per target and package: passed, failed, skipped, time, and how it ran,
and every skipped test with its reason. --json prints go test's test2json events,
each with a "Target" field added ("Target":"linux/arm64"), and first a "plan"
event per target (Mode, How, Reason); the table goes to stderr.

Exit status: 0 every test passed, 1 a test failed (or go test did),
3 a target could not run here and no test failed.`

// testOptions are test's flags.
type testOptions struct {
	targets    []string
	cgo        string
	cc         []string
	jsonOutput bool
}

func newTestCmd() *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test [PACKAGES] [-- GO TEST FLAGS]",
		Short: "Run the package tests for every target: natively, emulated (qemu-user) or translated (Rosetta 2)",
		Long:  testLong,
		Example: `  gonative test --target linux/amd64,linux/arm64 ./...
  gonative test --target linux/arm64 --cgo ./internal/... -- -run TestParse -count=1
  GOARM64=v8.1 gonative test --target linux/arm64 --json ./... > events.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := o.options(cmd, args)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			plans := testrun.PlanAll(cmd.Context(), opts)
			table := stdout
			if o.jsonOutput {
				table = stderr
				enc := newJSONEncoder(stdout)
				for _, p := range plans {
					if err := enc.Encode(p.Event(time.Now())); err != nil {
						return err
					}
				}
				opts.Events = func(e testrun.Event) {
					stdout.Write(append(e.JSON, '\n'))
				}
			} else {
				renderPlans(stdout, plans)
				opts.Events = testTextEvents(stdout, len(plans) > 1, slices.Contains(opts.GoTestFlags, "-v") || slices.Contains(opts.GoTestFlags, "-test.v"))
			}
			res := testrun.Run(cmd.Context(), opts, plans)
			renderTestTable(table, res)
			switch {
			case res.Failed():
				return &ExitError{Code: ExitFailed}
			case res.Refused():
				return problems()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.targets, "target", nil, "targets as os/arch, comma-separated or repeated (default this machine's platform)")
	f.StringVar(&o.cgo, "cgo", "", "--cgo or --cgo=on builds the tests with cgo, each target with its C compiler; --cgo=off without (default: on when CGO_ENABLED=1)")
	f.Lookup("cgo").NoOptDefVal = "on"
	f.StringArrayVar(&o.cc, "cc", nil, "C compiler for cgo targets, as OS/ARCH=CC or CC for all (repeatable)")
	f.BoolVar(&o.jsonOutput, "json", false, "print go test's test2json events, each tagged with its \"Target\"")
	return cmd
}

// options turns the flags and arguments into testrun.Options: the packages before
// --, go test's flags after it.
func (o *testOptions) options(cmd *cobra.Command, args []string) (testrun.Options, error) {
	pkgs, flags := args, []string(nil)
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		pkgs, flags = args[:i], args[i:]
	}
	var ts []build.Target
	if len(o.targets) > 0 {
		var err error
		if ts, err = build.ParseTargets(o.targets); err != nil {
			return testrun.Options{}, err
		}
	}
	mode := build.CgoMode(o.cgo)
	if mode != "" && mode != build.CgoOn && mode != build.CgoOff {
		return testrun.Options{}, fmt.Errorf("--cgo=%s: want on or off", o.cgo)
	}
	ccs, err := buildPerTarget("--cc", o.cc)
	if err != nil {
		return testrun.Options{}, err
	}
	m, err := thisMachine()
	if err != nil {
		return testrun.Options{}, err
	}
	h, err := thisHost(cmd.Context())
	if err != nil {
		return testrun.Options{}, err
	}
	return testrun.Options{Packages: pkgs, Targets: ts, Cgo: mode, CC: ccs, GoTestFlags: flags, Machine: m, Host: h}, nil
}

// renderPlans prints how each target runs.
func renderPlans(w io.Writer, plans []testrun.Plan) {
	for _, p := range plans {
		if p.Mode == testrun.Refused {
			fmt.Fprintf(w, "%s: refused: %s\n", p.Target, Quote(p.Reason))
			continue
		}
		line := fmt.Sprintf("%s: %s", p.Target, p.Mode)
		if p.Mode != testrun.Native {
			line += ", " + Quote(p.How)
		}
		if p.Level != "" {
			line += ", " + p.Level
		}
		if p.Cgo {
			line += ", cgo"
			if p.CToolchain != nil && p.CToolchain.CC != "" {
				line += " (" + Quote(p.CToolchain.CC) + ")"
			}
		}
		fmt.Fprintln(w, line)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  note: %s\n", Quote(n))
		}
	}
}

// testTextEvents prints each package as it ends, as go test does ("ok", "FAIL" with
// its output), and with verbose every output line as it comes.
func testTextEvents(w io.Writer, several, verbose bool) func(testrun.Event) {
	return func(e testrun.Event) {
		prefix := ""
		if several {
			prefix = "[" + e.Target + "] "
		}
		if verbose && e.Action == "output" && e.Output != "" {
			fmt.Fprintf(w, "%s%s\n", prefix, QuoteKeeping(strings.TrimRight(e.Output, "\n"), "\t"))
			return
		}
		p := e.Done
		if p == nil {
			return
		}
		switch p.Action {
		case "fail":
			if !verbose {
				for _, l := range p.Output {
					if t := strings.TrimSpace(l); strings.HasPrefix(t, "=== ") || t == "" {
						continue
					}
					fmt.Fprintf(w, "%s%s\n", prefix, QuoteKeeping(strings.TrimRight(l, "\n"), "\t"))
				}
			}
			fmt.Fprintf(w, "FAIL\t%s\t%s\t%s\n", e.Target, Quote(p.Package), testrun.Seconds(p.Elapsed))
		case "pass":
			fmt.Fprintf(w, "ok\t%s\t%s\t%s\n", e.Target, Quote(p.Package), testrun.Seconds(p.Elapsed))
		case "skip":
			fmt.Fprintf(w, "?\t%s\t%s\t[no test files]\n", e.Target, Quote(p.Package))
		}
	}
}

// renderTestTable prints the results per target and package, then every skipped
// test with its reason.
func renderTestTable(w io.Writer, res *testrun.Result) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tRAN\tPACKAGE\tPASSED\tFAILED\tSKIPPED\tTIME")
	for _, t := range res.Targets {
		p := t.Plan
		switch {
		case p.Mode == testrun.Refused:
			fmt.Fprintf(tw, "%s\trefused\t-\t\t\t\t\n", p.Target)
			continue
		case t.Error != "":
			fmt.Fprintf(tw, "%s\t%s\t(go test failed)\t\t\t\t%s\n", p.Target, p.Mode, testrun.Seconds(t.Elapsed))
		}
		for _, pk := range t.Packages {
			status := ""
			if pk.Action == "fail" {
				status = " FAIL"
				if pk.FailedBuild != "" {
					status = " (build failed)"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s%s\t%d\t%d\t%d\t%s\n", p.Target, p.Mode, Quote(pk.Package), status, pk.Passed, pk.Failed, pk.Skipped, testrun.Seconds(pk.Elapsed))
		}
	}
	tw.Flush()
	for _, t := range res.Targets {
		if t.Plan.Mode == testrun.Refused {
			fmt.Fprintf(w, "%s: refused: %s\n", t.Plan.Target, Quote(t.Plan.Reason))
		}
		if t.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", t.Plan.Target, Quote(t.Error))
		}
		if t.Error != "" && t.Stderr != "" {
			fmt.Fprintf(w, "\n%s: go test wrote:\n", t.Plan.Target)
			for _, l := range strings.Split(t.Stderr, "\n") {
				fmt.Fprintf(w, "  %s\n", QuoteKeeping(l, "\t"))
			}
		}
	}
	var skips []string
	for _, t := range res.Targets {
		for _, pk := range t.Packages {
			for _, s := range pk.Skips {
				skips = append(skips, fmt.Sprintf("  %s %s %s: %s", t.Plan.Target, Quote(pk.Package), Quote(s.Test), Quote(s.Reason)))
			}
		}
	}
	if len(skips) > 0 {
		fmt.Fprintf(w, "\nskipped (%d):\n%s\n", len(skips), strings.Join(skips, "\n"))
	}
}
