// Command testsum summarises the output of `go test -json` for scripts/test.sh.
//
// It has two modes. Streaming, one per go test stage:
//
//	go test -json ./... | go run ./scripts/testsum -stage native -o RUN/native.json
//
// prints a line per package as it finishes (with the output of every failed test),
// a line every minute naming the packages still running, and keeps the events in
// the -o file. Reporting, once at the end of the run:
//
//	go run ./scripts/testsum -report -allow scripts/ci-skips.txt RUN/native.json RUN/arm64.json
//
// A file's stage is its name up to the first dot: a stage that runs several go test
// commands at once (lanes) writes STAGE.LANE.json for each.
//
// prints the packages, the failed tests and every skipped test with its reason, and
// ends with the line "N passed, N failed, N skipped". With -ci (scripts/test.sh sets it
// when CI is set) a skip whose reason no line of the allow-list matches counts as a
// failure: in CI only the documented, unavoidable skips may remain.
//
// The exit status is 0 when nothing failed, 1 otherwise, 2 for bad usage.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/testrun"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testsum", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "", "streaming mode: the stage name")
	out := fs.String("o", "", "streaming mode: write the go test -json events to this file")
	report := fs.Bool("report", false, "report mode: summarise the event files given as arguments")
	allowFile := fs.String("allow", "", "report mode: allow-list of skip reasons (see scripts/ci-skips.txt)")
	ci := fs.Bool("ci", false, "report mode: a skip the allow-list does not match fails the run")
	var failedStages multiFlag
	fs.Var(&failedStages, "failed-stage", "report mode: a stage whose command failed (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *report {
		var allow []AllowRule
		if *allowFile != "" {
			var err error
			if allow, err = ReadAllowFile(*allowFile); err != nil {
				fmt.Fprintln(stderr, "testsum:", err)
				return 2
			}
		}
		var runs []*Run
		for _, f := range fs.Args() {
			r, err := readRunFile(f)
			if err != nil {
				fmt.Fprintln(stderr, "testsum:", err)
				return 2
			}
			runs = append(runs, r)
		}
		s := Summarize(runs, allow, *ci, failedStages)
		s.Write(stdout)
		if s.Failed > 0 {
			return 1
		}
		return 0
	}
	if *stage == "" {
		fmt.Fprintln(stderr, "testsum: -stage NAME (streaming) or -report FILE... is required")
		return 2
	}
	var save io.Writer = io.Discard
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "testsum:", err)
			return 2
		}
		defer f.Close()
		save = f
	}
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	r := Stream(*stage, stdin, stdout, save, ticker.C, time.Now)
	fmt.Fprintf(stdout, "%s: %s\n", *stage, r.Counts())
	if r.Counts().Failed > 0 {
		return 1
	}
	return 0
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Event is one line of `go test -json` (cmd/test2json's TestEvent, plus the build
// events of Go 1.24 and later).
type Event struct {
	Time        time.Time
	Action      string
	Package     string
	ImportPath  string // build-output, build-fail
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// Result is the outcome of one test (or subtest) or of one package's test binary.
type Result struct {
	Stage, Package, Test string
	Action               string // pass, fail, skip; "" while running
	Elapsed              float64
	Output               []string // lines, as printed
}

// SkipReason is the message the test gave to Skip, read as gonative test reads it
// (testrun.SkipReason: the last "file.go:NN: message" entry, testscript's own log
// passed over).
func (r *Result) SkipReason() string { return testrun.SkipReason(r.Output) }

// Run is every result of one stage.
type Run struct {
	Stage    string
	Tests    []*Result // in the order they started
	Packages []*Result
	Other    []string // lines that were not JSON events
	tests    map[[2]string]*Result
	pkgs     map[string]*Result
	build    map[string][]string // build output by import path
}

func newRun(stage string) *Run {
	return &Run{Stage: stage, tests: map[[2]string]*Result{}, pkgs: map[string]*Result{}, build: map[string][]string{}}
}

// add records one line of go test -json output; it returns the package result when
// the line finished a package.
func (r *Run) add(line []byte) (*Result, bool) {
	var e Event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
		r.Other = append(r.Other, string(line))
		return nil, false
	}
	switch e.Action {
	case "build-output":
		r.build[e.ImportPath] = append(r.build[e.ImportPath], e.Output)
		return nil, false
	case "build-fail":
		return nil, false
	}
	if e.Package == "" {
		return nil, false
	}
	if e.Test == "" {
		p := r.pkgs[e.Package]
		if p == nil {
			p = &Result{Stage: r.Stage, Package: e.Package}
			r.pkgs[e.Package] = p
			r.Packages = append(r.Packages, p)
		}
		switch e.Action {
		case "output":
			p.Output = append(p.Output, e.Output)
		case "pass", "fail", "skip":
			p.Action, p.Elapsed = e.Action, e.Elapsed
			if e.FailedBuild != "" {
				p.Output = append(p.Output, r.build[e.FailedBuild]...)
			}
			return p, true
		}
		return nil, false
	}
	k := [2]string{e.Package, e.Test}
	t := r.tests[k]
	if t == nil {
		t = &Result{Stage: r.Stage, Package: e.Package, Test: e.Test}
		r.tests[k] = t
		r.Tests = append(r.Tests, t)
	}
	switch e.Action {
	case "output":
		t.Output = append(t.Output, e.Output)
	case "pass", "fail", "skip":
		t.Action, t.Elapsed = e.Action, e.Elapsed
	}
	return nil, false
}

// Counts are the numbers of passed, failed and skipped tests.
type Counts struct{ Passed, Failed, Skipped int }

func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
}

// Counts counts every test and subtest. A test that started and never ended (its
// binary crashed or timed out) is failed; so is a package that failed with no test
// failing (a build failure, a TestMain exit).
func (r *Run) Counts() Counts {
	o := r.outcomes("")
	o.Counts.Failed += len(o.exits)
	return o.Counts
}

// outcomes sorts a run's results by how they ended.
type outcomes struct {
	Counts                    // of tests only
	failed, skipped []*Result // tests: failed or never ended; skipped
	exits           []*Result // packages that failed with no test failing
}

// outcomes sorts the tests of package pkg ("" for every package), in the order they
// started, and the packages that failed with no failed test.
func (r *Run) outcomes(pkg string) outcomes {
	var o outcomes
	testFailed := map[string]bool{}
	for _, t := range r.Tests {
		if pkg != "" && t.Package != pkg {
			continue
		}
		switch t.Action {
		case "pass":
			o.Passed++
		case "skip":
			o.Skipped++
			o.skipped = append(o.skipped, t)
		default:
			o.Failed++
			o.failed = append(o.failed, t)
			testFailed[t.Package] = true
		}
	}
	for _, p := range r.Packages {
		if (pkg == "" || p.Package == pkg) && p.Action != "pass" && p.Action != "skip" && !testFailed[p.Package] {
			o.exits = append(o.exits, p)
		}
	}
	return o
}

func readRunFile(name string) (*Run, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// STAGE.json, or STAGE.LANE.json when a stage runs several go test commands.
	stage, _, _ := strings.Cut(filepath.Base(name), ".")
	r := newRun(stage)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		r.add(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// Stream reads go test -json from in, copies every line to save and prints a line
// per finished package to w, with the output of failed tests; on every tick it names
// the packages still running.
func Stream(stage string, in io.Reader, w, save io.Writer, tick <-chan time.Time, now func() time.Time) *Run {
	r := newRun(stage)
	lines := make(chan []byte)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
		if err := sc.Err(); err != nil {
			// Said, and the rest drained so go test is not killed by a broken pipe;
			// the packages whose end was not read count as failed.
			lines <- []byte("testsum: reading go test output: " + err.Error())
			io.Copy(io.Discard, in)
		}
		close(lines)
	}()
	started := map[string]time.Time{}
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return r
			}
			save.Write(append(line, '\n'))
			var e Event
			if json.Unmarshal(line, &e) == nil && e.Test == "" && e.Action == "start" {
				started[e.Package] = now()
			}
			p, done := r.add(line)
			if len(r.Other) > 0 {
				for _, l := range r.Other {
					fmt.Fprintln(w, l)
				}
				r.Other = r.Other[:0]
			}
			if done {
				delete(started, p.Package)
				printPackage(w, r, p)
			}
		case <-tick:
			if len(started) == 0 {
				continue
			}
			var names []string
			for p, t := range started {
				names = append(names, fmt.Sprintf("%s (%s)", p, now().Sub(t).Round(time.Second)))
			}
			sort.Strings(names)
			fmt.Fprintf(w, "     still running: %s\n", strings.Join(names, ", "))
		}
	}
}

func printPackage(w io.Writer, r *Run, p *Result) {
	o := r.outcomes(p.Package)
	switch {
	case p.Action == "skip" || (p.Action == "pass" && o.Counts == Counts{}):
		fmt.Fprintf(w, "?    %s [no tests]\n", p.Package)
	case p.Action == "pass":
		fmt.Fprintf(w, "ok   %s %.1fs (%s)\n", p.Package, p.Elapsed, o.Counts)
	default:
		fmt.Fprintf(w, "FAIL %s %.1fs (%s)\n", p.Package, p.Elapsed, o.Counts)
		for _, t := range append(o.failed, o.exits...) {
			for _, l := range t.Output {
				io.WriteString(w, l)
			}
		}
	}
}

// AllowRule lets skips of one stage ("*" for every stage) whose reason matches Reason
// pass in CI.
type AllowRule struct {
	Stage  string
	Reason *regexp.Regexp
	Line   int
}

// ReadAllowFile reads an allow-list: one rule a line, "STAGE REGEXP", where STAGE is
// a stage name or "*"; blank lines and lines starting with # are comments.
func ReadAllowFile(name string) ([]AllowRule, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	rules, err := ParseAllow(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rules, nil
}

// ParseAllow parses the text of an allow-list (see ReadAllowFile).
func ParseAllow(text string) ([]AllowRule, error) {
	var rules []AllowRule
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		stage, pattern, ok := strings.Cut(line, " ")
		pattern = strings.TrimSpace(pattern)
		if !ok || pattern == "" {
			return nil, fmt.Errorf("line %d: want \"STAGE REGEXP\", got %q", i+1, line)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		rules = append(rules, AllowRule{Stage: stage, Reason: re, Line: i + 1})
	}
	return rules, nil
}

func allowed(rules []AllowRule, stage, reason string) bool {
	for _, r := range rules {
		if (r.Stage == "*" || r.Stage == stage) && r.Reason.MatchString(reason) {
			return true
		}
	}
	return false
}

// Summary is the report over every stage of a run.
type Summary struct {
	Runs         []*Run
	Counts       Counts // forbidden skips and failed stages count as failed
	Failed       int    // Counts.Failed plus failed stages
	Forbidden    []*Result
	FailedStages []string
	ci           bool
	allow        []AllowRule
}

// Summarize totals runs. With ci set, a skip no rule allows is forbidden and counts
// as a failure of the run (not of the test).
func Summarize(runs []*Run, allow []AllowRule, ci bool, failedStages []string) *Summary {
	s := &Summary{Runs: runs, ci: ci, allow: allow, FailedStages: failedStages}
	for _, r := range runs {
		c := r.Counts()
		s.Counts.Passed += c.Passed
		s.Counts.Failed += c.Failed
		s.Counts.Skipped += c.Skipped
		for _, t := range r.Tests {
			if t.Action == "skip" && ci && !allowed(allow, r.Stage, t.SkipReason()) {
				s.Forbidden = append(s.Forbidden, t)
			}
		}
	}
	// A forbidden skip fails the run: the last line counts it as failed, not skipped.
	s.Counts.Skipped -= len(s.Forbidden)
	s.Counts.Failed += len(s.Forbidden)
	// A failed stage whose tests did not already count a failure (gofmt, vet, a go
	// test that could not start) counts as one failure.
	for _, st := range failedStages {
		counted := false
		for _, r := range runs {
			if r.Stage == st && r.Counts().Failed > 0 {
				counted = true
			}
		}
		if !counted {
			s.Counts.Failed++
		}
	}
	s.Failed = s.Counts.Failed
	return s
}

// Write prints the summary; its last line is Counts.
func (s *Summary) Write(w io.Writer) {
	fmt.Fprintln(w, "packages:")
	for _, r := range s.Runs {
		var ok, fail, none int
		for _, p := range r.Packages {
			switch {
			case p.Action == "skip":
				none++
			case p.Action == "pass":
				ok++
			default:
				fail++
			}
		}
		fmt.Fprintf(w, "  %-8s %d ok, %d failed, %d without tests; %s\n", r.Stage, ok, fail, none, r.Counts())
	}
	var skipped, failed []*Result
	for _, r := range s.Runs {
		o := r.outcomes("")
		skipped = append(skipped, o.skipped...)
		failed = append(append(failed, o.failed...), o.exits...)
	}
	forbidden := map[*Result]bool{}
	for _, t := range s.Forbidden {
		forbidden[t] = true
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "skipped (%d):\n", len(skipped))
		for _, t := range skipped {
			mark := ""
			if forbidden[t] {
				mark = "  [not allowed in CI]"
			}
			fmt.Fprintf(w, "  %-8s %s %s: %s%s\n", t.Stage, short(t.Package), t.Test, t.SkipReason(), mark)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "failed (%d):\n", len(failed))
		for _, t := range failed {
			name := t.Test
			if name == "" {
				name = "(package: build failure or test binary exit)"
			} else if t.Action == "" {
				name += " (did not finish: crash or time-out)"
			}
			fmt.Fprintf(w, "  %-8s %s %s\n", t.Stage, short(t.Package), name)
		}
	}
	for _, st := range s.FailedStages {
		fmt.Fprintf(w, "stage %s failed (see its output above)\n", st)
	}
	if len(s.Forbidden) > 0 {
		fmt.Fprintf(w, "CI: %d skips the test command should have prevented (install the package, register binfmt, fetch the corpus; "+
			"or, when unavoidable, document it in the allow-list)\n", len(s.Forbidden))
	}
	fmt.Fprintln(w, s.Counts)
}

func short(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/gonative/gonative/")
}
