package testrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// Options describes a test run.
type Options struct {
	Dir      string   // the directory go runs in (the module)
	Packages []string // package patterns; default "."
	// Targets default to the host's own platform.
	Targets []build.Target
	// Cgo is build.CgoOn to build the tests with cgo, each target with its C
	// compiler (build's choice), build.CgoOff without; otherwise cgo is on when the
	// environment says CGO_ENABLED=1.
	Cgo build.CgoMode
	// CC overrides the C compiler, keyed by "os/arch" or "" (build.Resolver's CC).
	CC map[string]string
	// GoTestFlags are passed to go test as they are (-run, -count, -short, -v,
	// -timeout ...; after -args, to the test binaries).
	GoTestFlags []string
	// Go is the go command (default "go", found on PATH as build finds it: the
	// module's toolchain selection applies).
	Go string
	// Machine is where programs are looked up and run (default machine.Real()),
	// Host its hardware (default the machine's platform).
	Machine machine.Machine
	Host    host.Host
	// Jobs is how many targets run at once (default the CPU count).
	Jobs int
	// Events, when set, is called (one call at a time) with every test2json event
	// of every target.
	Events func(Event)
	// Probe and CPUModels ask an emulator (default: run it); a test hands fakes.
	Probe     Prober
	CPUModels func(ctx context.Context, qemu string) ([]string, error)
}

func (o Options) withDefaults() Options {
	if len(o.Packages) == 0 {
		o.Packages = []string{"."}
	}
	if o.Go == "" {
		o.Go = "go"
	}
	o.Machine, o.Host = build.OnMachine(o.Machine, o.Host)
	if len(o.Targets) == 0 {
		o.Targets = []build.Target{{OS: o.Host.OS, Arch: o.Host.Arch}}
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Probe == nil {
		o.Probe = realProbe(o.Machine)
	}
	if o.CPUModels == nil {
		o.CPUModels = realCPUModels(o.Machine)
	}
	return o
}

// cgoOn reports whether the tests build with cgo.
func (o Options) cgoOn() bool {
	switch o.Cgo {
	case build.CgoOn:
		return true
	case build.CgoOff:
		return false
	}
	return machine.Getenv(o.Machine, "CGO_ENABLED") == "1"
}

// Event is one test2json event of one target.
type Event struct {
	Target string
	// JSON is the event as go test -json wrote it with a "Target" field added
	// first: every standard field is kept, so test2json's readers read it.
	JSON []byte
	// The event's standard fields.
	Action, Package, Test, Output string
	Elapsed                       float64
	// Done is the package's result on the event that ends it.
	Done *PackageResult
}

// Result is what Run did.
type Result struct {
	Targets []*TargetResult `json:"targets"`
	Elapsed float64         `json:"elapsed_seconds"`
}

// Failed reports whether a test failed, or go test failed for a target that could
// run.
func (r *Result) Failed() bool {
	return slices.ContainsFunc(r.Targets, func(t *TargetResult) bool { return t.Failed() })
}

// Refused reports whether a target could not run here.
func (r *Result) Refused() bool {
	return slices.ContainsFunc(r.Targets, func(t *TargetResult) bool { return t.Plan.Mode == Refused })
}

// TargetResult is one target's plan and results.
type TargetResult struct {
	Plan     Plan             `json:"plan"`
	Packages []*PackageResult `json:"packages"`
	// Error says how go test failed without a failed test (a build error, a bad
	// flag); Stderr holds the end of what it wrote there.
	Error   string  `json:"error,omitempty"`
	Stderr  string  `json:"stderr,omitempty"`
	Elapsed float64 `json:"elapsed_seconds"`
}

// Failed reports whether a test of the target failed or go test did.
func (t *TargetResult) Failed() bool {
	return t.Error != "" || slices.ContainsFunc(t.Packages, func(p *PackageResult) bool { return p.Action == "fail" })
}

// Counts sums the packages' counts.
func (t *TargetResult) Counts() (passed, failed, skipped int) {
	for _, p := range t.Packages {
		passed, failed, skipped = passed+p.Passed, failed+p.Failed, skipped+p.Skipped
	}
	return
}

// PackageResult is one package's tests on one target.
type PackageResult struct {
	Package string `json:"package"`
	// Action is test2json's last word on the package: pass, fail, or skip (no test
	// files); "" when it never ended (go test was stopped).
	Action                  string  `json:"action"`
	Passed, Failed, Skipped int     `json:"-"`
	Skips                   []Skip  `json:"skips,omitempty"`
	Elapsed                 float64 `json:"elapsed_seconds"`
	// Output is everything the package's tests printed, as lines.
	Output []string `json:"-"`
	// FailedBuild names the package whose build failed, when that is why.
	FailedBuild string `json:"failed_build,omitempty"`
}

// Skip is one skipped test and the reason it gave.
type Skip struct {
	Test   string `json:"test"`
	Reason string `json:"reason"`
}

// PlanAll decides how every target of o runs here, in o.Targets' order.
func PlanAll(ctx context.Context, o Options) []Plan {
	o = o.withDefaults()
	plans := make([]Plan, len(o.Targets))
	for i, t := range o.Targets {
		plans[i] = PlanTarget(ctx, o, t)
	}
	return plans
}

// maxStderr bounds the standard error kept per target.
const maxStderr = 64 << 10

// Run runs go test for every plan that is not refused, o.Jobs targets at once (one
// build cache: go's own), and returns every target's results in plans' order. It
// returns when every go test has ended; a cancelled ctx stops them all.
func Run(ctx context.Context, o Options, plans []Plan) *Result {
	o = o.withDefaults()
	start := time.Now()
	res := &Result{Targets: make([]*TargetResult, len(plans))}
	var mu sync.Mutex // serialises o.Events
	emit := func(e Event) {
		if o.Events != nil {
			mu.Lock()
			defer mu.Unlock()
			o.Events(e)
		}
	}
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for i, p := range plans {
		tr := &TargetResult{Plan: p}
		res.Targets[i] = tr
		if p.Mode == Refused {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				tr.Error = ctx.Err().Error()
				return
			}
			defer func() { <-sem }()
			goTest(ctx, o, tr, emit)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start).Seconds()
	return res
}

// GoTestArgs is the go test command line (after "go") that runs p's tests.
func GoTestArgs(o Options, p Plan) []string {
	o = o.withDefaults()
	args := []string{"test", "-json"}
	if len(p.Exec) > 0 {
		args = append(args, "-exec", quoteExec(p.Exec))
	}
	flags, after := o.GoTestFlags, []string(nil)
	if i := slices.Index(flags, "-args"); i >= 0 {
		flags, after = flags[:i], flags[i:]
	}
	args = append(args, flags...)
	args = append(args, o.Packages...)
	return append(args, after...)
}

// quoteExec joins -exec's words as go test splits them (cmd/internal/quoted): a word
// with a space is quoted.
func quoteExec(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = w
		if strings.ContainsAny(w, " \t'\"") {
			if strings.Contains(w, "'") {
				q[i] = `"` + w + `"`
			} else {
				q[i] = "'" + w + "'"
			}
		}
	}
	return strings.Join(q, " ")
}

// goTest runs go test -json for one target and collects its events into tr.
func goTest(ctx context.Context, o Options, tr *TargetResult, emit func(Event)) {
	start := time.Now()
	defer func() { tr.Elapsed = time.Since(start).Seconds() }()
	p := tr.Plan
	cmd := o.Machine.Command(ctx, o.Go, GoTestArgs(o, p)...)
	cmd.Dir = o.Dir
	cmd.Env = RunEnv(cmd.Env, p)
	c := newCollector(p.Target.String())
	// go test's output goes through a writer, not a pipe read here: cmd.Wait closes
	// it after proctree.WaitDelay even when a process outside the tree holds it.
	lines := &lineWriter{line: func(l []byte) {
		if e, ok := c.add(l); ok {
			emit(e)
		}
	}}
	cmd.Stdout = lines
	stderr := &headBuffer{max: maxStderr}
	cmd.Stderr = stderr
	err := cmd.Run()
	lines.flush()
	tr.Packages = c.packages
	tr.Stderr = strings.TrimSpace(stderr.String())
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		tr.Error = fmt.Sprintf("stopped: %v", context.Cause(ctx))
		return
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) && ee.ExitCode() == 1 && slices.ContainsFunc(tr.Packages, func(p *PackageResult) bool { return p.Action == "fail" }) {
		return // a test failed: the packages say which
	}
	msg := err.Error()
	if l := firstLine(tr.Stderr); l != "" {
		msg += ": " + l
	}
	tr.Error = fmt.Sprintf("go test: %s", msg)
}

// RunEnv is the environment go test runs with for p: environ and p.Env, without the
// qemu-user variables set empty (QEMU_CPU= makes qemu-user exit with "-cpu option
// cannot be empty"; an empty QEMU_LD_PREFIX means none), which gonative treats as
// unset.
func RunEnv(environ []string, p Plan) []string {
	env := make([]string, 0, len(environ)+len(p.Env))
	for _, kv := range append(slices.Clone(environ), p.Env...) {
		if k, v, _ := strings.Cut(kv, "="); v == "" && strings.HasPrefix(k, "QEMU_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// maxLine bounds a line held while its end has not come.
const maxLine = 4 << 20

// lineWriter calls line with every line written to it, without its newline.
type lineWriter struct {
	line func([]byte)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.flush() // test2json splits long output; anything else is no event
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}

// flush ends the last line.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.line(w.buf)
		w.buf = nil
	}
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	max int
	buf bytes.Buffer
}

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *headBuffer) String() string { return b.buf.String() }

var _ io.Writer = (*headBuffer)(nil)
