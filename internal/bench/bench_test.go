package bench

import (
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	few := summarize([]float64{3, 1, 2})
	if few.CI || few.Lo != 1 || few.Hi != 3 || few.Median != 2 || few.CINote == "" {
		t.Errorf("3 samples: %+v; want no CI, the range and a note", few)
	}
	many := summarize([]float64{10, 11, 9, 10, 12, 10, 11, 9, 10, 10})
	if !many.CI || many.Lo > many.Median || many.Hi < many.Median || many.Median != 10 {
		t.Errorf("10 samples: %+v; want a CI around the median 10", many)
	}
	if v := summarize(nil); v.N != 0 || v.CINote == "" {
		t.Errorf("no samples: %+v", v)
	}
}

func TestNewMetric(t *testing.T) {
	same := newMetric("x", "x", "ms", "lower", []float64{1, 2, 3, 4, 5, 6}, []float64{1.5, 2.5, 3.5, 4.5, 5.5, 6.5})
	if same.Delta != "~" || same.Significant {
		t.Errorf("overlapping samples: delta %q significant %v, want ~", same.Delta, same.Significant)
	}
	apart := newMetric("x", "x", "ms", "lower", []float64{1, 1.1, 1.2, 0.9, 1, 1}, []float64{2, 2.1, 2.2, 1.9, 2, 2})
	if !apart.Significant || !strings.HasPrefix(apart.Delta, "+") {
		t.Errorf("separated samples: delta %q p %v, want a significant +", apart.Delta, apart.P)
	}
	if m := newMetric("x", "x", "ms", "lower", nil, []float64{1}); m.Delta != "?" || math.IsNaN(m.P) {
		t.Errorf("missing samples: %+v", m)
	}
}

func TestParseBenchOutput(t *testing.T) {
	out := []byte(`goos: linux
goarch: amd64
pkg: example.com/sample/lib
BenchmarkSum-2            	 1000000	       120.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkLookup/sub-16   	   50000	      1900 ns/op	      66 B/op	       2 allocs/op
BenchmarkBroken-2 FAIL
BenchmarkCopy
BenchmarkCopy/size=4k-8  	   20000	      5000 ns/op	 819.20 MB/s
PASS
`)
	got, err := parseBenchOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"BenchmarkSum\x00ns/op": 120.5, "BenchmarkSum\x00B/op": 0, "BenchmarkSum\x00allocs/op": 0,
		"BenchmarkLookup/sub\x00ns/op": 1900, "BenchmarkLookup/sub\x00B/op": 66, "BenchmarkLookup/sub\x00allocs/op": 2,
		// Units as printed: benchfmt's tidied sec/op and B/s are not what the table shows.
		"BenchmarkCopy/size=4k\x00ns/op": 5000, "BenchmarkCopy/size=4k\x00MB/s": 819.2,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d values %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %v, want %v", k, got[k], v)
		}
	}
}

// A line too long for the reader is an error, not a silently shorter result.
func TestParseBenchOutputLongLine(t *testing.T) {
	out := []byte("BenchmarkA-2 10 1 ns/op\n    " + strings.Repeat("x", 1<<20) + "\nBenchmarkB-2 10 2 ns/op\n")
	if _, err := parseBenchOutput(out); err == nil {
		t.Fatal("no error for a 1 MiB line")
	}
}

func TestSymbolParts(t *testing.T) {
	for _, tt := range []struct{ name, part, pkg string }{
		{"runtime/cgo.setg_gcc", partCgo, "runtime/cgo"},
		{"x_cgo_init", partCgo, "runtime/cgo"},
		{"_cgo_sys_thread_start", partCgo, "runtime/cgo"},
		{"runtime/cgo(.text)", partCgo, "runtime/cgo"},
		{"net._C2func_getaddrinfo", partNet, "net"},
		{"net.cgoLookupHost", partNet, "net"},
		{"net.(*Resolver).lookupHost", "", "net"},
		{"os/user._Cfunc_mygetpwuid_r", partUser, "os/user"},
		{"os/user.Current", "", "os/user"},
		{"__libc_csu_init", partC, ""},
		{"go:buildinfo", "", ""},
		{"type:*net.Resolver", "", ""},
		{"golang.org/x/sys/unix.Syscall", "", "golang.org/x/sys/unix"},
	} {
		if got := symbolPart(tt.name); got != tt.part {
			t.Errorf("symbolPart(%q) = %q, want %q", tt.name, got, tt.part)
		}
		if got := goPackage(tt.name); got != tt.pkg {
			t.Errorf("goPackage(%q) = %q, want %q", tt.name, got, tt.pkg)
		}
	}
}

func TestSplitHTTP(t *testing.T) {
	for _, tt := range []struct{ in, addr, path string }{
		{"127.0.0.1:8080/", "127.0.0.1:8080", "/"},
		{":8080/healthz", "127.0.0.1:8080", "/healthz"},
		{"localhost:1", "localhost:1", "/"},
		{"[::1]:80/a/b", "[::1]:80", "/a/b"},
	} {
		addr, path, err := splitHTTP(tt.in)
		if err != nil || addr != tt.addr || path != tt.path {
			t.Errorf("splitHTTP(%q) = %q, %q, %v; want %q, %q", tt.in, addr, path, err, tt.addr, tt.path)
		}
	}
	for _, bad := range []string{"", "example.com:80/", "10.0.0.1:80/", "127.0.0.1/"} {
		if _, _, err := splitHTTP(bad); err == nil {
			t.Errorf("splitHTTP(%q): no error", bad)
		}
	}
}

func TestResolverFrom(t *testing.T) {
	for _, tt := range []struct {
		lines []string
		want  string
	}{
		{[]string{"go package net: dynamic selection of DNS resolver", "go package net: hostLookupOrder(h0.bench.test.) = files,dns"}, "go"},
		{[]string{"go package net: GODEBUG setting forcing use of the cgo resolver", "go package net: hostLookupOrder(h0.bench.test.) = cgo"}, "cgo"},
		{[]string{"go package net: using the Go DNS resolver"}, "go"},
		{nil, "unknown"},
	} {
		if got := resolverFrom(tt.lines); got != tt.want {
			t.Errorf("resolverFrom(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestNiceAxis(t *testing.T) {
	for _, tt := range []struct{ top, max, step float64 }{
		{8.34, 10, 2.5}, {100, 100, 25}, {0.7, 0.8, 0.2}, {23478, 30000, 10000}, {0, 1, 0.25},
	} {
		m, s := niceAxis(tt.top)
		if math.Abs(m-tt.max) > 1e-9 || math.Abs(s-tt.step) > 1e-9 || m < tt.top {
			t.Errorf("niceAxis(%v) = %v, %v; want %v, %v", tt.top, m, s, tt.max, tt.step)
		}
	}
}

// sampleResult is a result as Run returns it, for the chart's tests.
func sampleResult() *Result {
	return &Result{
		Package: "./server", Workload: WorkloadHTTP, Target: "linux/amd64", Runner: "native", Count: 6, Warmup: 1,
		Machine: Machine{GoVersion: "go1.26.8", CPUs: 2, LoadBefore: LoadAvg{Load1: 1.5, Known: true}},
		Size:    &Sizes{Off: 8_670_000, On: 8_750_000, Delta: 80_000},
		Metrics: []Metric{
			newMetric("startup", "start-up <to first byte> & more", "ms", "lower", []float64{2, 2.1, 2.2, 1.9, 2, 2.3}, []float64{3, 3.1, 2.9, 3.3, 3, 3.2}),
			newMetric("http_rps", "HTTP throughput", "req/s", "higher", []float64{23000, 23500, 24000}, []float64{20000, 21000, 20500}),
		},
	}
}

// svgDoc is the part of the chart the tests read.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Groups  []struct {
		Metric    string `xml:"data-metric,attr"`
		AxisMin   string `xml:"data-axis-min,attr"`
		AxisMax   string `xml:"data-axis-max,attr"`
		PlotX     string `xml:"data-plot-x,attr"`
		PlotWidth string `xml:"data-plot-width,attr"`
		Rects     []struct {
			Class string `xml:"class,attr"`
			Build string `xml:"data-build,attr"`
			Value string `xml:"data-value,attr"`
			X     string `xml:"x,attr"`
			Width string `xml:"width,attr"`
		} `xml:"rect"`
		Ticks []struct {
			Class string `xml:"class,attr"`
			X     string `xml:"x,attr"`
			Text  string `xml:",chardata"`
		} `xml:"text"`
	} `xml:"g"`
}

func f64(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestSVG: the chart parses as XML, every axis starts at zero, and every bar's width
// is its value on that axis.
func TestSVG(t *testing.T) {
	r := sampleResult()
	var doc svgDoc
	if err := xml.Unmarshal(r.SVG(), &doc); err != nil {
		t.Fatalf("the SVG is not XML: %v", err)
	}
	want := map[string][2]float64{
		"size":     {float64(r.Size.Off) / (1 << 20), float64(r.Size.On) / (1 << 20)},
		"startup":  {r.Metrics[0].Off.Median, r.Metrics[0].On.Median},
		"http_rps": {r.Metrics[1].Off.Median, r.Metrics[1].On.Median},
	}
	if len(doc.Groups) != len(want) {
		t.Fatalf("%d panels, want %d", len(doc.Groups), len(want))
	}
	for _, g := range doc.Groups {
		w, ok := want[g.Metric]
		if !ok {
			t.Fatalf("unexpected panel %q", g.Metric)
		}
		if g.AxisMin != "0" {
			t.Errorf("%s: axis starts at %q", g.Metric, g.AxisMin)
		}
		x0, pw, axisMax := f64(t, g.PlotX), f64(t, g.PlotWidth), f64(t, g.AxisMax)
		if g.Ticks[1].Class != "tick" || g.Ticks[1].Text != "0" || f64(t, g.Ticks[1].X) != x0 {
			t.Errorf("%s: first tick %+v, want 0 at x=%v", g.Metric, g.Ticks[1], x0)
		}
		bars := 0
		for _, rect := range g.Rects {
			if rect.Class != "bar" {
				continue
			}
			i := map[string]int{"cgo_off": 0, "cgo_on": 1}[rect.Build]
			if f64(t, rect.X) != x0 {
				t.Errorf("%s %s: bar starts at %s, not at the axis' zero %v", g.Metric, rect.Build, rect.X, x0)
			}
			got := f64(t, rect.Width) / pw * axisMax
			if math.Abs(got-w[i]) > 1e-3*w[i] {
				t.Errorf("%s %s: bar stands for %v, want %v", g.Metric, rect.Build, got, w[i])
			}
			bars++
		}
		if bars != 2 {
			t.Errorf("%s: %d bars", g.Metric, bars)
		}
	}
	if s := string(r.SVG()); !strings.Contains(s, "start-up &lt;to first byte&gt; &amp; more") {
		t.Error("metric names are not escaped")
	}
}

func BenchmarkSVG(b *testing.B) {
	r := sampleResult()
	for b.Loop() {
		io.Discard.Write(r.SVG())
	}
}

func BenchmarkSummarize(b *testing.B) {
	v := []float64{10, 11, 9, 10, 12, 10, 11, 9, 10, 10}
	for b.Loop() {
		summarize(v)
	}
}

// FuzzParseBenchOutput: every figure read comes from a "Benchmark" line of the input,
// under a unit that follows it there, and is a finite number.
func FuzzParseBenchOutput(f *testing.F) {
	f.Add([]byte("BenchmarkSum-2 \t 1000 \t 120.5 ns/op \t 0 B/op\nPASS\n"))
	f.Add([]byte("BenchmarkX 1 NaN ns/op\nBenchmarkY-8 10 1e400 MB/s 3 allocs/op\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		fields := strings.Fields(string(out))
		got, _ := parseBenchOutput(out)
		for k, v := range got {
			name, unit, ok := strings.Cut(k, "\x00")
			if !ok || !strings.HasPrefix(name, "Benchmark") || !strings.Contains(string(out), name) || !slices.Contains(fields, unit) {
				t.Fatalf("%q: not from the input %q", k, out)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%q = %v: not a finite number", k, v)
			}
		}
	})
}

// TestSVGSaysWhatRan: the DNS panel's bars are labelled with the resolver that ran
// (not "CGO_ENABLED=1", which left to choose uses Go's), "~" is explained, every bar
// gives its n, and a busy machine is said on the chart.
func TestSVGSaysWhatRan(t *testing.T) {
	r := sampleResult()
	dns := newMetric("dns", "name lookup (net.LookupHost)", "µs", "lower", []float64{40, 41, 42, 40, 43, 41}, []float64{90, 91, 92, 93, 90, 95})
	dns.OffLabel, dns.OnLabel, dns.Note = "Go resolver", "glibc resolver (netdns=cgo)", "cgo left to choose: Go resolver"
	r.Metrics = append(r.Metrics, dns)
	r.Machine.LoadBefore = LoadAvg{Load1: 9.38, Known: true}
	r.Machine.LoadAfter = LoadAvg{Load1: 7.5, Known: true}
	var doc struct {
		Texts  []svgText `xml:"text"`
		Groups []struct {
			Metric string    `xml:"data-metric,attr"`
			Texts  []svgText `xml:"text"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal(r.SVG(), &doc); err != nil {
		t.Fatal(err)
	}
	header := ""
	for _, x := range doc.Texts {
		header += x.Text + "\n"
	}
	for _, want := range []string{"~: no significant difference", "busy machine: load 9.38 on 2 CPUs before the runs (7.50 after)"} {
		if !strings.Contains(header, want) {
			t.Errorf("the chart's header lacks %q:\n%s", want, header)
		}
	}
	for _, g := range doc.Groups {
		var texts []string
		for _, x := range g.Texts {
			texts = append(texts, x.Text)
		}
		all := strings.Join(texts, "\n")
		if g.Metric != "size" && !strings.Contains(all, " n=6") && !strings.Contains(all, " n=3") {
			t.Errorf("%s: no n on the bars:\n%s", g.Metric, all)
		}
		if g.Metric != "dns" {
			continue
		}
		for _, want := range []string{"Go resolver", "glibc resolver (netdns=cgo)", "cgo left to choose: Go resolver"} {
			if !slices.Contains(texts, want) {
				t.Errorf("dns panel lacks the text %q:\n%s", want, all)
			}
		}
		if slices.Contains(texts, "CGO_ENABLED=1") {
			t.Errorf("dns panel labels a bar CGO_ENABLED=1:\n%s", all)
		}
	}
	r.Machine.LoadBefore.Load1 = 1.5
	if s := string(r.SVG()); strings.Contains(s, "busy") {
		t.Error("a machine with load 1.5 on 2 CPUs is called busy")
	}
}

type svgText struct {
	Text string `xml:",chardata"`
}
