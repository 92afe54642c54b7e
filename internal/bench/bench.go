package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// Workload is what is measured besides start-up and memory.
type Workload string

// Workloads.
const (
	WorkloadRun   Workload = "run"   // the program's own run, start to exit
	WorkloadHTTP  Workload = "http"  // HTTP load against the program's own server
	WorkloadBench Workload = "bench" // go test -bench of the package's own benchmarks
)

// Defaults.
const (
	DefaultCount    = 10
	DefaultWarmup   = 1
	DefaultLoad     = 500 * time.Millisecond
	DefaultConns    = 4
	DefaultLookups  = 200
	DefaultBenchDur = "100ms"
	// StartTimeout bounds how long a server may take to answer its first request (or
	// Options.Timeout, when shorter), and
	// RunTimeout (the default of Options.Timeout) one run of the program or of its test
	// binary.
	StartTimeout = 15 * time.Second
	RunTimeout   = 2 * time.Minute
)

// Options says what to build and measure.
type Options struct {
	Dir      string // the directory go runs in (the module); default "."
	Package  string // default "."
	Workload Workload
	Args     []string // the program's arguments (run and http)
	// HTTP is ADDR/PATH: the address the program's server listens on and the path the
	// load generator asks for ("127.0.0.1:8080/").
	HTTP  string
	Bench string // the -test.bench regular expression
	// BenchTime is -test.benchtime for each run (default 100ms).
	BenchTime string
	Count     int           // samples per build (default 10)
	Warmup    int           // discarded rounds first (default 1; negative for none)
	Load      time.Duration // HTTP load per sample (default 500ms)
	Conns     int           // concurrent HTTP clients (default 4)
	// DNS runs the DNS workload (Linux: in a network namespace; elsewhere it is
	// explained, not run).
	DNS     bool
	Lookups int // name lookups per DNS sample (default 200)

	Target build.Target // default the host
	Host   host.Host
	Go     string // default "go"
	// Machine is where programs (go, qemu, unshare) are looked up and run, with its
	// environment; default machine.Real().
	Machine machine.Machine
	// Timeout bounds one run of the program or of its test binary (default
	// RunTimeout); a run that takes longer fails with a *TimeoutError.
	Timeout time.Duration
	// Progress, when set, is called (from one goroutine) as the work moves on: once
	// when a step starts, and once when the last step ends.
	Progress func(Event)
}

// Phase is the part of a bench run a step belongs to.
type Phase string

// Phases, in the order they come.
const (
	PhaseBuild   Phase = "build"   // checking the package, the builds, the launcher
	PhaseWarmup  Phase = "warm-up" // discarded rounds
	PhaseMeasure Phase = "measure" // the samples
	PhaseDNS     Phase = "dns"     // the DNS probe's builds and rounds
)

// Event reports progress: Step is under way and Done of Total steps are over. Every
// step that takes time is counted: the package check, each build (both builds, the
// launcher, the DNS probes), each warm-up run and each measured run.
type Event struct {
	Phase Phase
	Step  string // "build CGO_ENABLED=1", "run 3/10 CGO_ENABLED=0", ...
	Done  int
	Total int
}

// TimeoutError is returned when one run did not end within Options.Timeout. For the
// run workload it says that a server is measured with --http: --run waits for the
// program to exit, which a server never does.
type TimeoutError struct {
	Binary   string
	After    time.Duration
	Workload Workload
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("%s did not finish in %s", e.Binary, e.After)
	switch e.Workload {
	case WorkloadRun:
		msg += ": --run (the default) times the program from start to exit; if it is a server, it never exits: " +
			"measure it with --http ADDR/PATH (where it serves; it is started, loaded for --load and stopped), " +
			"or give --run the arguments that make it exit, or a longer --timeout"
	case WorkloadBench:
		msg += ": give a shorter --benchtime, a narrower --bench or a longer --timeout"
	}
	return msg
}

// Build is what one of the two builds produced.
type Build struct {
	Cgo bool `json:"cgo"` // CGO_ENABLED
	// Binary names what was measured: the program, or the package's test binary.
	Binary string `json:"binary"`
	Size   int64  `json:"size"`
	// CgoLinked says whether runtime/cgo is in the binary, from its pclntab;
	// CgoLinkedKnown is false when the binary did not settle it.
	CgoLinked      bool     `json:"cgo_linked"`
	CgoLinkedKnown bool     `json:"cgo_linked_known"`
	Static         bool     `json:"static"`
	Interpreter    string   `json:"interpreter,omitempty"`
	Libraries      []string `json:"libraries,omitempty"`
	GLIBC          string   `json:"glibc,omitempty"`
	Env            []string `json:"env"`   // the environment that differs: CGO_ENABLED, CC
	Flags          []string `json:"flags"` // the go command's flags, identical for both
	Notes          []string `json:"notes,omitempty"`

	path string
}

// LoadAvg is /proc/loadavg's first three fields.
type LoadAvg struct {
	Load1, Load5, Load15 float64
	Known                bool
}

// MarshalJSON writes null when the load is unknown.
func (l LoadAvg) MarshalJSON() ([]byte, error) {
	if !l.Known {
		return []byte("null"), nil
	}
	return json.Marshal([3]float64{l.Load1, l.Load5, l.Load15})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *LoadAvg) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*l = LoadAvg{}
		return nil
	}
	var v [3]float64
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*l = LoadAvg{Load1: v[0], Load5: v[1], Load15: v[2], Known: true}
	return nil
}

// Machine is the machine the numbers were measured on.
type Machine struct {
	Host       string  `json:"host"`
	CPUs       int     `json:"cpus"`
	LoadBefore LoadAvg `json:"load_before"`
	LoadAfter  LoadAvg `json:"load_after"`
	GoVersion  string  `json:"go_version"`
}

// Result is what Run measured.
type Result struct {
	Package  string   `json:"package"`
	Workload Workload `json:"workload"`
	Target   string   `json:"target"`
	// Emulated is true when the target's binaries ran under qemu-user or Rosetta:
	// every time and memory figure is the emulator's, not the target hardware's.
	Emulated bool     `json:"emulated"`
	Runner   string   `json:"runner"` // "native", "qemu-aarch64-static", "Rosetta"
	Count    int      `json:"count"`
	Warmup   int      `json:"warmup"`
	Machine  Machine  `json:"machine"`
	Off      Build    `json:"cgo_off"`
	On       Build    `json:"cgo_on"`
	Size     *Sizes   `json:"size"`
	Metrics  []Metric `json:"metrics"`
	DNS      *DNS     `json:"dns"`
	// RSSFloorMiB is the peak RSS the launcher reports for true(1): every program starts
	// with its launcher's high-water mark, so a peak RSS at this floor is an upper bound.
	RSSFloorMiB float64  `json:"rss_floor_mib,omitempty"`
	Notes       []string `json:"notes,omitempty"`
	Elapsed     float64  `json:"elapsed_seconds"`
}

// NeedsCgoError is returned when the package needs cgo: with CGO_ENABLED=0 its cgo
// files are left out, so the two builds would not be the same program.
type NeedsCgoError struct {
	Package  string
	Packages []string // the non-standard packages with cgo files
}

func (e *NeedsCgoError) Error() string {
	return fmt.Sprintf("%s needs cgo: %s %s cgo files (import \"C\"); with CGO_ENABLED=0 they are left out, "+
		"so the two builds would not be the same program and a comparison would measure that difference, not cgo's. "+
		"Benchmark a package whose own code is pure Go (the standard library's net and os/user are fine: they have pure-Go fallbacks)",
		e.Package, strings.Join(e.Packages, ", "), map[bool]string{true: "has", false: "have"}[len(e.Packages) == 1])
}

// ErrNotRunnable is wrapped when this machine cannot run the target's binaries.
var ErrNotRunnable = errors.New("cannot run the target's binaries on this machine")

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Package == "" {
		o.Package = "."
	}
	if o.Workload == "" {
		o.Workload = WorkloadRun
	}
	if o.Count <= 0 {
		o.Count = DefaultCount
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	} else if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Load <= 0 {
		o.Load = DefaultLoad
	}
	if o.Conns <= 0 {
		o.Conns = DefaultConns
	}
	if o.Lookups <= 0 {
		o.Lookups = DefaultLookups
	}
	if o.Timeout <= 0 {
		o.Timeout = RunTimeout
	}
	if o.BenchTime == "" {
		o.BenchTime = DefaultBenchDur
	}
	if o.Go == "" {
		o.Go = "go"
	}
	o.Machine, o.Host = build.OnMachine(o.Machine, o.Host)
	if o.Target.OS == "" {
		o.Target = build.Target{OS: o.Host.OS, Arch: o.Host.Arch}
	}
	return o
}

// Run builds the package with cgo off and on and measures both.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	o = o.withDefaults()
	if o.Host.OS == "windows" {
		return nil, errors.New("bench cgo measures runs with wait4's rusage: it runs on Unix hosts (Linux, macOS), not on Windows")
	}
	switch o.Workload {
	case WorkloadRun, WorkloadBench:
	case WorkloadHTTP:
		if _, _, err := splitHTTP(o.HTTP); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown workload %q (want run, http or bench)", o.Workload)
	}
	r := &Result{
		Package: o.Package, Workload: o.Workload, Target: o.Target.String(),
		Count: o.Count, Warmup: o.Warmup,
		Machine: Machine{Host: o.Host.String(), CPUs: runtime.NumCPU(), LoadBefore: readLoad(o.Machine)},
	}
	prefix, how, err := runner(o)
	if err != nil {
		return nil, err
	}
	r.Runner = how
	if how != "native" {
		r.Emulated = true
		r.Notes = append(r.Notes, fmt.Sprintf("emulated: %s binaries ran under %s on this %s machine; times and memory are the emulator's, not %s hardware's (peak RSS includes the emulator's own memory)",
			o.Target, how, o.Host, o.Target.Arch))
	}
	if v, err := goOutput(ctx, o, nil, "env", "GOVERSION"); err == nil {
		r.Machine.GoVersion = strings.TrimSpace(string(v))
	}
	dnsPlan := planDNS(o, r)
	pr := newProgress(o, dnsPlan)
	pr.begin(PhaseBuild, "check "+o.Package+" for cgo")
	if err := checkPureGo(ctx, o); err != nil {
		return nil, err
	}
	pr.end()

	tmp, err := os.MkdirTemp("", "gonative-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	for _, cgo := range []bool{false, true} {
		pr.begin(PhaseBuild, fmt.Sprintf("build CGO_ENABLED=%d", b2i(cgo)))
		var b Build
		if o.Workload == WorkloadBench {
			b, err = buildTest(ctx, o, tmp, cgo)
		} else {
			b, err = buildProgram(ctx, o, tmp, cgo)
		}
		if err != nil {
			return nil, err
		}
		if err := inspectBuild(ctx, &b); err != nil {
			return nil, err
		}
		if cgo {
			r.On = b
		} else {
			r.Off = b
		}
		pr.end()
	}
	r.Size = compareSizes(ctx, o.Machine, &r.Off, &r.On)
	if r.On.CgoLinkedKnown && !r.On.CgoLinked {
		r.Notes = append(r.Notes, "the CGO_ENABLED=1 build does not link runtime/cgo (nothing in its graph imports it), so the two builds are nearly the same program")
	}

	m := &measurer{o: o, prefix: prefix, pr: pr, tmp: tmp}
	pr.begin(PhaseBuild, "build the launcher")
	if m.launcher, err = buildLauncher(ctx, o, filepath.Join(tmp, "launcher")); err != nil {
		return nil, fmt.Errorf("build the launcher: %w", err)
	}
	pr.end()
	if floor, err := m.rssFloor(ctx); err == nil {
		r.RSSFloorMiB = floor
	}
	switch o.Workload {
	case WorkloadRun:
		r.Metrics, err = m.runProgram(ctx, &r.Off, &r.On)
	case WorkloadHTTP:
		r.Metrics, err = m.runHTTP(ctx, &r.Off, &r.On)
	case WorkloadBench:
		r.Metrics, err = m.runBench(ctx, &r.Off, &r.On)
	}
	if err != nil {
		return nil, err
	}
	if dnsPlan {
		if err := m.runDNS(ctx, tmp, r); err != nil {
			return nil, err
		}
	}
	pr.finish()
	r.Machine.LoadAfter = readLoad(o.Machine)
	if w := r.Machine.BusyWarning(); w != "" {
		r.Notes = append(r.Notes, w)
	}
	if ctx.Err() != nil {
		// Cancelled (Ctrl-C): what was measured is not a result.
		return nil, context.Cause(ctx)
	}
	r.Elapsed = time.Since(start).Seconds()
	return r, nil
}

// Busy reports whether the machine was busy before the runs: a 1-minute load above
// its CPU count. Unknown load is not busy.
func (m Machine) Busy() bool { return m.LoadBefore.Known && m.LoadBefore.Load1 > float64(m.CPUs) }

// BusyWarning says that the machine was busy, with its load; "" when it was not.
func (m Machine) BusyWarning() string {
	if !m.Busy() {
		return ""
	}
	after := "unknown"
	if m.LoadAfter.Known {
		after = fmt.Sprintf("%.2f", m.LoadAfter.Load1)
	}
	return fmt.Sprintf("the machine was busy: load %.2f on %d CPUs before the runs (%s after); expect wide intervals, and compare only what is significant",
		m.LoadBefore.Load1, m.CPUs, after)
}

// progress counts the steps that take time and reports them.
type progress struct {
	fn          func(Event)
	phase       Phase
	step        string
	done, total int
}

// newProgress counts o's steps: the check, the two builds and the launcher's, each
// round's two runs, and with the DNS workload the probe's two builds, its three
// evidence runs and its rounds.
func newProgress(o Options, dns bool) *progress {
	rounds := o.Warmup + o.Count
	p := &progress{fn: o.Progress, total: 1 + 3 + 2*rounds}
	if dns {
		p.total += 2 + 3 + 2*rounds
	}
	return p
}

func (p *progress) emit() {
	if p.fn != nil {
		p.fn(Event{Phase: p.phase, Step: p.step, Done: p.done, Total: p.total})
	}
}

// begin reports that a step starts.
func (p *progress) begin(phase Phase, step string) {
	p.phase, p.step = phase, step
	p.emit()
}

// end counts the step under way as done; the next begin (or finish) reports it.
func (p *progress) end() { p.done++ }

// finish reports the last step's end.
func (p *progress) finish() { p.emit() }

// goOutput runs the go command in o.Dir.
func goOutput(ctx context.Context, o Options, env []string, args ...string) ([]byte, error) {
	cmd := o.Machine.Command(ctx, o.Go, args...)
	cmd.Dir = o.Dir
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, fmt.Errorf("go %s: %s", args[0], msg)
	}
	return out, nil
}

// checkPureGo refuses a package whose graph (for the target, with cgo on; with its
// tests for the bench workload) has non-standard packages with cgo files: build's
// analysis (build.CgoPackages).
func checkPureGo(ctx context.Context, o Options) error {
	bo := build.Options{Dir: o.Dir, Go: o.Go, Machine: o.Machine}
	cgo, err := build.CgoPackages(ctx, bo, o.Package, o.Target, o.Workload == WorkloadBench)
	if err != nil {
		return err
	}
	if len(cgo) > 0 {
		return &NeedsCgoError{Package: o.Package, Packages: cgo}
	}
	return nil
}

// buildProgram builds the main package through package build.
func buildProgram(ctx context.Context, o Options, tmp string, cgo bool) (Build, error) {
	mode, name := build.CgoOff, "cgo-off"
	if cgo {
		mode, name = build.CgoOn, "cgo-on"
	}
	res, err := build.Build(ctx, build.Options{
		Dir: o.Dir, Packages: []string{o.Package}, Targets: []build.Target{o.Target},
		OutDir: filepath.Join(tmp, name), TrimPath: true, Jobs: 1, Cgo: mode,
		Go: o.Go, Machine: o.Machine, Host: o.Host,
	})
	if err != nil {
		return Build{}, fmt.Errorf("build with CGO_ENABLED=%d: %w", b2i(cgo), err)
	}
	if len(res.Outputs) != 1 {
		return Build{}, fmt.Errorf("%s: want one main package, found %d", o.Package, len(res.Outputs))
	}
	out := res.Outputs[0]
	if out.Error != "" {
		return Build{}, fmt.Errorf("build with CGO_ENABLED=%d: %s", b2i(cgo), out.Error)
	}
	b := Build{Cgo: cgo, Binary: filepath.Base(out.Path), path: out.Path,
		Env: []string{"CGO_ENABLED=" + strconv.Itoa(b2i(cgo))}, Flags: []string{"build", "-trimpath"}}
	if out.CToolchain != nil && out.CToolchain.CC != "" {
		b.Env = append(b.Env, "CC="+out.CToolchain.CC)
	}
	b.Notes = append(b.Notes, out.Notes...)
	for _, p := range out.Problems {
		b.Notes = append(b.Notes, "verification: "+p)
	}
	return b, nil
}

// buildTest builds the package's test binary with go test -c (package build builds
// main packages only); both builds get the same flags.
func buildTest(ctx context.Context, o Options, tmp string, cgo bool) (Build, error) {
	name := "cgo-off"
	if cgo {
		name = "cgo-on"
	}
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Build{}, err
	}
	path := filepath.Join(dir, "pkg.test")
	env := []string{"GOOS=" + o.Target.OS, "GOARCH=" + o.Target.Arch, "CGO_ENABLED=" + strconv.Itoa(b2i(cgo))}
	b := Build{Cgo: cgo, Binary: "test binary (go test -c)", path: path, Env: env[2:], Flags: []string{"test", "-c", "-trimpath"}}
	if cgo && (o.Target.OS != o.Host.OS || o.Target.Arch != o.Host.Arch) {
		r := build.Resolver{HostOS: o.Host.OS, HostArch: o.Host.Arch, Machine: o.Machine}
		tc, err := r.Resolve(o.Target)
		if err != nil {
			return Build{}, fmt.Errorf("build the test binary with CGO_ENABLED=1 for %s: %w", o.Target, err)
		}
		env = append(env, tc.Env...)
		if tc.CC != "" {
			env = append(env, "CC="+tc.CC)
			b.Env = append(b.Env, "CC="+tc.CC)
		}
	}
	// go's work directory goes into dir, which Run removes: go dies of Ctrl-C's SIGINT
	// without removing it.
	if _, err := goOutput(ctx, o, append(slices.Clip(env), "GOTMPDIR="+dir), "test", "-c", "-trimpath", "-o", path, o.Package); err != nil {
		return Build{}, fmt.Errorf("build the test binary with CGO_ENABLED=%d: %w", b2i(cgo), err)
	}
	if _, err := os.Stat(path); err != nil {
		return Build{}, fmt.Errorf("%s has no test files: nothing to benchmark", o.Package)
	}
	return b, nil
}

// inspectBuild reads the binary with package exe.
func inspectBuild(ctx context.Context, b *Build) error {
	f, err := exe.Inspect(ctx, b.path, exe.Options{})
	if err != nil {
		return err
	}
	b.Size = f.Size
	if f.Error != "" {
		b.Notes = append(b.Notes, "reading the binary: "+f.Error)
	}
	if len(f.Slices) == 0 {
		return nil
	}
	s := f.Slices[0]
	b.Static, b.Interpreter, b.GLIBC = s.Static, s.Interpreter, s.GLIBC
	for _, l := range s.Libraries {
		b.Libraries = append(b.Libraries, l.Name)
	}
	switch {
	case s.Go == nil:
		b.Notes = append(b.Notes, "whether runtime/cgo is linked is unknown: the binary was not recognized as Go")
	case s.Go.Cgo.Known:
		b.CgoLinked, b.CgoLinkedKnown = s.Go.Cgo.Value, true
	default:
		b.Notes = append(b.Notes, "whether runtime/cgo is linked is unknown: "+s.Go.Sources["cgo"])
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readLoad reads /proc/loadavg; Known is false elsewhere.
func readLoad(m machine.Machine) LoadAvg {
	data, err := m.ReadFile("/proc/loadavg")
	if err != nil {
		return LoadAvg{}
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return LoadAvg{}
	}
	var l LoadAvg
	var errs [3]error
	l.Load1, errs[0] = strconv.ParseFloat(f[0], 64)
	l.Load5, errs[1] = strconv.ParseFloat(f[1], 64)
	l.Load15, errs[2] = strconv.ParseFloat(f[2], 64)
	l.Known = errs[0] == nil && errs[1] == nil && errs[2] == nil
	return l
}

// splitHTTP splits ADDR/PATH ("127.0.0.1:8080/healthz", ":8080") into a loopback
// address to dial and a path.
func splitHTTP(s string) (addr, path string, err error) {
	addr, rest, _ := strings.Cut(s, "/")
	path = "/" + rest
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil || p == "" {
		return "", "", fmt.Errorf("--http %q: want ADDR/PATH such as 127.0.0.1:8080/ or :8080/healthz", s)
	}
	if h != "127.0.0.1" && h != "localhost" && h != "::1" && h != "[::1]" {
		return "", "", fmt.Errorf("--http %q: the load generator only talks to loopback (127.0.0.1, ::1, localhost)", s)
	}
	return addr, path, nil
}
