package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"golang.org/x/perf/benchfmt"
)

// runner returns the command prefix that runs the target's binaries here (empty for a
// direct run) and how: "native", "qemu-aarch64-static", "Rosetta" — build's rule, the
// one smoke runs use. The cgo build is dynamic, so qemu-user gets the cross libc.
func runner(o Options) (prefix []string, how string, err error) {
	prefix, how, ok := build.Runner(o.Host, o.Machine, o.Target, false)
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrNotRunnable, how)
	}
	return prefix, how, nil
}

// measurer runs the builds.
type measurer struct {
	o      Options
	prefix []string
	pr     *progress
	tmp    string
	// launcher is env(1): every run starts from it (see command).
	launcher string
}

// sample is one run of one build.
type sample struct {
	wall  time.Duration
	rss   int64
	cpu   float64
	extra map[string]float64
}

// rounds runs fn for each build, alternating the order each round (off, on; on, off;
// ...), discarding the warm-up rounds, and returns the kept samples.
func (m *measurer) rounds(ctx context.Context, off, on *Build, fn func(context.Context, *Build) (sample, error)) (offS, onS []sample, err error) {
	total := m.o.Warmup + m.o.Count
	for i := range total {
		order := []*Build{off, on}
		if i%2 == 1 {
			order = []*Build{on, off}
		}
		for _, b := range order {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			m.pr.begin(roundStep(PhaseWarmup, PhaseMeasure, i, m.o.Warmup, m.o.Count, b.Cgo))
			s, err := fn(ctx, b)
			if err != nil {
				return nil, nil, fmt.Errorf("CGO_ENABLED=%d: %w", b2i(b.Cgo), err)
			}
			if i >= m.o.Warmup {
				if b.Cgo {
					onS = append(onS, s)
				} else {
					offS = append(offS, s)
				}
			}
			m.pr.end()
		}
	}
	return offS, onS, nil
}

// roundStep names the run of round i (of warmup discarded rounds, then count kept
// ones) of the build with cgo: "warm-up 1/1 CGO_ENABLED=0", "run 3/10 CGO_ENABLED=1".
func roundStep(warmPhase, runPhase Phase, i, warmup, count int, cgo bool) (Phase, string) {
	if i < warmup {
		return warmPhase, fmt.Sprintf("warm-up %d/%d CGO_ENABLED=%d", i+1, warmup, b2i(cgo))
	}
	return runPhase, fmt.Sprintf("run %d/%d CGO_ENABLED=%d", i-warmup+1, count, b2i(cgo))
}

// launched is what the launcher reports about one run.
type launched struct {
	StartUnixNano int64  `json:"start_unix_nano"`
	WallNano      int64  `json:"wall_nano"`
	MaxRSS        int64  `json:"maxrss"`
	UserMicro     int64  `json:"user_micro"`
	SysMicro      int64  `json:"sys_micro"`
	ExitCode      int    `json:"exit_code"`
	Error         string `json:"error,omitempty"`
}

// proc is one started run of a build, through the launcher.
type proc struct {
	cmd     *exec.Cmd
	results *os.File
	errTail *tail
	start   time.Time
	done    chan error
}

// start starts b with args through the launcher (see launcher.go.txt).
func (m *measurer) start(ctx context.Context, b *Build, args []string, stdout io.Writer) (*proc, error) {
	argv := append(append(append([]string{m.launcher}, m.prefix...), b.path), args...)
	// The machine's Command gives the launcher and the program a process group of
	// their own (proctree): cancelling (Ctrl-C) and stopping a server that ignores
	// SIGTERM reach the program too.
	cmd := m.o.Machine.Command(ctx, argv[0], argv[1:]...)
	cmd.Dir = m.o.Dir
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, results: r, errTail: &tail{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = stdout, p.errTail
	cmd.ExtraFiles = []*os.File{w}
	p.start = time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// wait waits for the run to end and reads the launcher's report.
func (p *proc) wait(b *Build, args []string) (launched, error) {
	err := <-p.done
	p.done <- err
	defer p.results.Close()
	var l launched
	data, _ := io.ReadAll(p.results)
	if jerr := json.Unmarshal(bytes.TrimSpace(data), &l); jerr != nil {
		if err == nil {
			err = jerr
		}
		return l, fmt.Errorf("%s %s: %v: %s", b.Binary, strings.Join(args, " "), err, p.errTail.String())
	}
	if l.Error != "" || l.ExitCode != 0 {
		msg := l.Error
		if msg == "" {
			msg = fmt.Sprintf("exit status %d", l.ExitCode)
		}
		return l, fmt.Errorf("%s %s: %s: %s", b.Binary, strings.Join(args, " "), msg, p.errTail.String())
	}
	return l, nil
}

// stop asks the run to end: SIGTERM (the launcher forwards it to the program), then
// SIGUSR1 (the launcher kills the program and still reports), then SIGKILL to the
// whole process group.
func (p *proc) stop() {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, sigKillChild, syscall.SIGKILL} {
		if sig == syscall.SIGKILL {
			signalGroup(p.cmd, sig)
		} else {
			p.cmd.Process.Signal(sig)
		}
		select {
		case err := <-p.done:
			p.done <- err
			return
		case <-time.After(stopGrace):
		}
	}
}

// stopGrace is how long a stopped program has at each step.
const stopGrace = 3 * time.Second

// tail keeps the last bytes written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// rssBytes converts ru_maxrss: kilobytes on Linux and the BSDs, bytes on macOS
// (getrusage(2) on each).
func rssBytes(raw int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return raw
	}
	return raw * 1024
}

func (l launched) sample() sample {
	return sample{wall: time.Duration(l.WallNano), rss: rssBytes(l.MaxRSS), cpu: float64(l.UserMicro+l.SysMicro) / 1e6}
}

// runOnce runs b with args to the end and measures it.
func (m *measurer) runOnce(parent context.Context, b *Build, args []string, stdout io.Writer) (sample, error) {
	ctx, cancel := context.WithTimeout(parent, m.o.Timeout)
	defer cancel()
	p, err := m.start(ctx, b, args, stdout)
	if err != nil {
		return sample{}, err
	}
	l, err := p.wait(b, args)
	if err != nil {
		switch {
		case parent.Err() != nil: // cancelled (Ctrl-C): not this run's fault
			return sample{}, context.Cause(parent)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return sample{}, &TimeoutError{Binary: b.Binary, After: m.o.Timeout, Workload: m.o.Workload}
		}
		return sample{}, err
	}
	return l.sample(), nil
}

func (m *measurer) runProgram(ctx context.Context, off, on *Build) ([]Metric, error) {
	offS, onS, err := m.rounds(ctx, off, on, func(ctx context.Context, b *Build) (sample, error) {
		return m.runOnce(ctx, b, m.o.Args, io.Discard)
	})
	if err != nil {
		return nil, err
	}
	return []Metric{
		newMetric("startup", "start-up (process start to exit)", "ms", "lower", wallMS(offS), wallMS(onS)),
		newMetric("cpu", "CPU time (user+system)", "ms", "lower", cpuMS(offS), cpuMS(onS)),
		rssMetric(offS, onS),
	}, nil
}

func wallMS(s []sample) []float64 {
	var v []float64
	for _, x := range s {
		v = append(v, float64(x.wall.Nanoseconds())/1e6)
	}
	return v
}

func cpuMS(s []sample) []float64 {
	var v []float64
	for _, x := range s {
		v = append(v, x.cpu*1000)
	}
	return v
}

func rssMetric(off, on []sample) Metric {
	f := func(s []sample) []float64 {
		var v []float64
		for _, x := range s {
			v = append(v, float64(x.rss)/(1<<20))
		}
		return v
	}
	return newMetric("rss", "peak RSS (wait4 rusage)", "MiB", "lower", f(off), f(on))
}

func extra(s []sample, key string) []float64 {
	var v []float64
	for _, x := range s {
		if val, ok := x.extra[key]; ok {
			v = append(v, val)
		}
	}
	return v
}

// runHTTP starts the program's server for each sample, times its first answer, puts
// a bounded load on it, stops it and reads its peak RSS.
func (m *measurer) runHTTP(ctx context.Context, off, on *Build) ([]Metric, error) {
	addr, path, err := splitHTTP(m.o.HTTP)
	if err != nil {
		return nil, err
	}
	url := "http://" + addr + path
	offS, onS, err := m.rounds(ctx, off, on, func(ctx context.Context, b *Build) (sample, error) {
		return m.serveOnce(ctx, b, addr, url)
	})
	if err != nil {
		return nil, err
	}
	return []Metric{
		newMetric("startup", "start-up (to first byte served)", "ms", "lower", wallMS(offS), wallMS(onS)),
		newMetric("http_rps", fmt.Sprintf("HTTP throughput (%d clients, %s)", m.o.Conns, m.o.Load), "req/s", "higher", extra(offS, "rps"), extra(onS, "rps")),
		newMetric("http_p50", "HTTP latency p50", "µs", "lower", extra(offS, "p50"), extra(onS, "p50")),
		newMetric("http_p99", "HTTP latency p99", "µs", "lower", extra(offS, "p99"), extra(onS, "p99")),
		rssMetric(offS, onS),
	}, nil
}

func (m *measurer) serveOnce(ctx context.Context, b *Build, addr, url string) (sample, error) {
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		return sample{}, fmt.Errorf("something already listens on %s before the program started: stop it or choose another --http address", addr)
	}
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: m.o.Conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	p, err := m.start(ctx, b, m.o.Args, io.Discard)
	if err != nil {
		return sample{}, err
	}
	defer p.stop()
	// Start-up: from the program's start (the launcher's clock, just before it
	// starts the program) to the first byte of the first answer.
	var first time.Time
	// The wait for the first answer is part of the run: Options.Timeout bounds it too.
	startBound := min(StartTimeout, m.o.Timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			first = time.Now()
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			break
		}
		select {
		case err := <-p.done:
			p.done <- err
			_, lerr := p.wait(b, m.o.Args)
			return sample{}, fmt.Errorf("%s exited before serving %s: %v", b.Binary, url, lerr)
		case <-time.After(time.Millisecond):
		}
		if time.Since(p.start) > startBound {
			return sample{}, fmt.Errorf("%s did not answer %s within %s: %s", b.Binary, url, startBound, p.errTail.String())
		}
	}
	lat, n, errs := load(ctx, client, url, m.o.Conns, m.o.Load)
	tr.CloseIdleConnections()
	p.stop()
	l, err := p.wait(b, m.o.Args)
	if l.StartUnixNano == 0 {
		return sample{}, fmt.Errorf("%s: no report from the launcher: %v", b.Binary, err)
	}
	// A server stopped by SIGTERM may exit non-zero: that is not a failure here.
	if errs > 0 && n == 0 {
		return sample{}, fmt.Errorf("every request to %s failed under load", url)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s := l.sample()
	s.wall = time.Duration(first.UnixNano() - l.StartUnixNano)
	s.extra = map[string]float64{
		"rps": float64(n) / m.o.Load.Seconds(),
		"p50": float64(percentile(lat, 0.50).Nanoseconds()) / 1e3,
		"p99": float64(percentile(lat, 0.99).Nanoseconds()) / 1e3,
	}
	return s, nil
}

// load sends GET url from conns clients for d (a bounded, self-stopping load) and
// returns every successful request's latency, their count and the failures.
func load(ctx context.Context, client *http.Client, url string, conns int, d time.Duration) (lat []time.Duration, n, errs int) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				t := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if ctx.Err() != nil {
					break // cut off by the deadline: not a sample
				}
				if err != nil || resp.StatusCode >= 500 {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, len(lat), errs
}

// percentile returns the p-quantile (nearest rank) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// runBench runs the test binaries' benchmarks, alternating, one -test.count each.
func (m *measurer) runBench(ctx context.Context, off, on *Build) ([]Metric, error) {
	args := []string{"-test.run=^$", "-test.bench=" + m.o.Bench, "-test.count=1", "-test.benchtime=" + m.o.BenchTime, "-test.benchmem"}
	results := map[bool][]map[string]float64{}
	offS, onS, err := m.rounds(ctx, off, on, func(ctx context.Context, b *Build) (sample, error) {
		var out bytes.Buffer
		s, err := m.runOnce(ctx, b, args, &out)
		if err != nil {
			return s, err
		}
		res, err := parseBenchOutput(out.Bytes())
		if err != nil {
			return s, err
		}
		if len(res) == 0 {
			return s, fmt.Errorf("no benchmark matched %q in %s", m.o.Bench, m.o.Package)
		}
		results[b.Cgo] = append(results[b.Cgo], res)
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	// The warm-up rounds' results come first: keep the last Count.
	for k, v := range results {
		results[k] = v[len(v)-m.o.Count:]
	}
	var keys []string
	for k := range results[false][0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ms []Metric
	for _, k := range keys {
		var a, b []float64
		for _, r := range results[false] {
			if v, ok := r[k]; ok {
				a = append(a, v)
			}
		}
		for _, r := range results[true] {
			if v, ok := r[k]; ok {
				b = append(b, v)
			}
		}
		name, unit, _ := strings.Cut(k, "\x00")
		better := "lower"
		if strings.HasSuffix(unit, "/s") {
			better = "higher"
		}
		ms = append(ms, newMetric("bench:"+name+":"+unit, name, unit, better, a, b))
	}
	ms = append(ms, rssMetric(offS, onS))
	return ms, nil
}

// parseBenchOutput reads the benchmark results in a test binary's output with
// benchfmt (the reader benchstat uses) into name\x00unit → value, in the units
// as printed. The -N GOMAXPROCS suffix is dropped; lines that are not results
// (FAIL, logs, config) are skipped, as are values that are not finite (they would
// not survive --json). The error is the reader's: a line over bufio's limit.
func parseBenchOutput(out []byte) (map[string]float64, error) {
	res := map[string]float64{}
	r := benchfmt.NewReader(bytes.NewReader(out), "benchmark output")
	for r.Scan() {
		rec, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		name := benchName(rec.Name)
		for _, v := range rec.Values {
			val, unit := v.Value, v.Unit
			if v.OrigUnit != "" {
				val, unit = v.OrigValue, v.OrigUnit
			}
			if math.IsNaN(val) || math.IsInf(val, 0) || strings.Contains(name+unit, "\x00") {
				continue
			}
			res[name+"\x00"+unit] = val
		}
	}
	return res, r.Err()
}

// benchName is the benchmark's full name as printed, without its -N GOMAXPROCS
// suffix.
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	if len(parts) > 0 && bytes.HasPrefix(parts[len(parts)-1], []byte("-")) {
		parts = parts[:len(parts)-1]
	}
	return "Benchmark" + string(base) + string(bytes.Join(parts, nil))
}

// probeDir writes the DNS probe's module into dir.
func probeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"go.mod":    "module gonative.invalid/dnsprobe\n\ngo 1.21\n",
		"main.go":   probeMain,
		"dnsmsg.go": probeSource(probeDNS),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildProbe builds the DNS probe with cgo off or on, through package build.
func buildProbe(ctx context.Context, o Options, dir string, cgo bool) (string, error) {
	name := "probe-off"
	if cgo {
		name = "probe-on"
	}
	return buildHelper(ctx, o, dir, o.Target, cgo, name)
}

// buildHelper builds one of gonative's own helper programs (in its own module, dir).
func buildHelper(ctx context.Context, o Options, dir string, t build.Target, cgo bool, out string) (string, error) {
	mode := build.CgoOff
	if cgo {
		mode = build.CgoOn
	}
	res, err := build.Build(ctx, build.Options{
		Dir: dir, Targets: []build.Target{t}, OutDir: filepath.Join(dir, out),
		TrimPath: true, Jobs: 1, Cgo: mode, Go: o.Go, Host: o.Host,
		Machine: machine.WithEnv(o.Machine, "GOFLAGS=-mod=mod", "GOWORK=off"),
	})
	if err != nil {
		return "", err
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Error != "" {
		if len(res.Outputs) == 1 {
			return "", errors.New(res.Outputs[0].Error)
		}
		return "", errors.New("no probe was built")
	}
	return res.Outputs[0].Path, nil
}

// probeSource turns this package's dnsmsg.go into the probe's: package main.
func probeSource(src string) string {
	if strings.HasPrefix(src, "package bench\n") {
		return "package main\n" + src[len("package bench\n"):]
	}
	return strings.Replace(src, "\npackage bench\n", "\npackage main\n", 1)
}

// buildLauncher builds the launcher for this machine, through package build.
func buildLauncher(ctx context.Context, o Options, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{"go.mod": "module gonative.invalid/launcher\n\ngo 1.21\n", "main.go": launcherMain}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return buildHelper(ctx, o, dir, build.Target{OS: o.Host.OS, Arch: o.Host.Arch}, false, "bin")
}

// rssFloor runs the launcher with a program that does nothing: the peak RSS it
// reports is the floor under every figure (at exec a child starts with its parent's
// high-water mark).
func (m *measurer) rssFloor(ctx context.Context) (float64, error) {
	t, err := m.o.Machine.LookPath("true")
	if err != nil {
		return 0, err
	}
	b := &Build{path: t, Binary: "true"}
	saved := m.prefix
	m.prefix = nil
	defer func() { m.prefix = saved }()
	s, err := m.runOnce(ctx, b, nil, io.Discard)
	if err != nil {
		return 0, err
	}
	return float64(s.rss) / (1 << 20), nil
}
