package main

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"os/exec"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSVGCheck runs "svgcheck CHART.svg RESULT.json": the chart must parse as XML,
// every panel's axis must start at zero (a "0" tick at the plot's left edge, every bar
// starting there), and every bar's width must stand for the median that --json
// reports for its metric and build (binary size in MiB for the "size" panel).
func cmdSVGCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: svgcheck CHART.svg RESULT.json")
	}
	var doc struct {
		Groups []struct {
			Metric    string  `xml:"data-metric,attr"`
			AxisMin   string  `xml:"data-axis-min,attr"`
			AxisMax   float64 `xml:"data-axis-max,attr"`
			PlotX     float64 `xml:"data-plot-x,attr"`
			PlotWidth float64 `xml:"data-plot-width,attr"`
			Rects     []struct {
				Class string  `xml:"class,attr"`
				Build string  `xml:"data-build,attr"`
				X     float64 `xml:"x,attr"`
				Width float64 `xml:"width,attr"`
			} `xml:"rect"`
			Texts []struct {
				Class string  `xml:"class,attr"`
				X     float64 `xml:"x,attr"`
				Text  string  `xml:",chardata"`
			} `xml:"text"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s is not XML: %v", args[0], err)
	}
	var res struct {
		Size struct {
			Off float64 `json:"cgo_off"`
			On  float64 `json:"cgo_on"`
		} `json:"size"`
		Metrics []struct {
			ID  string `json:"id"`
			Off struct {
				Median float64 `json:"median"`
			} `json:"cgo_off"`
			On struct {
				Median float64 `json:"median"`
			} `json:"cgo_on"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &res); err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	want := map[string]map[string]float64{"size": {"cgo_off": res.Size.Off / (1 << 20), "cgo_on": res.Size.On / (1 << 20)}}
	for _, m := range res.Metrics {
		want[m.ID] = map[string]float64{"cgo_off": m.Off.Median, "cgo_on": m.On.Median}
	}
	if len(doc.Groups) != len(want) {
		ts.Fatalf("%d panels in the chart, %d figures in the JSON", len(doc.Groups), len(want))
	}
	for _, g := range doc.Groups {
		w, ok := want[g.Metric]
		if !ok {
			ts.Fatalf("panel %q is not in the JSON", g.Metric)
		}
		if g.AxisMin != "0" || !(g.AxisMax > 0) {
			ts.Fatalf("%s: axis %s..%v, want it to start at 0", g.Metric, g.AxisMin, g.AxisMax)
		}
		zeroTick := false
		for _, t := range g.Texts {
			if t.Class == "tick" && t.Text == "0" && t.X == g.PlotX {
				zeroTick = true
			}
		}
		if !zeroTick {
			ts.Fatalf("%s: no 0 tick at the plot's left edge", g.Metric)
		}
		bars := 0
		for _, r := range g.Rects {
			if r.Class != "bar" {
				continue
			}
			bars++
			v, ok := w[r.Build]
			if !ok {
				ts.Fatalf("%s: bar for unknown build %q", g.Metric, r.Build)
			}
			if r.X != g.PlotX {
				ts.Fatalf("%s %s: bar starts at x=%v, not at the axis' zero %v", g.Metric, r.Build, r.X, g.PlotX)
			}
			got := r.Width / g.PlotWidth * g.AxisMax
			if math.Abs(got-v) > 1e-3*math.Max(math.Abs(v), 1e-9) {
				ts.Fatalf("%s %s: bar stands for %s, the JSON says %s", g.Metric, r.Build,
					strconv.FormatFloat(got, 'g', 6, 64), strconv.FormatFloat(v, 'g', 6, 64))
			}
		}
		if bars != 2 {
			ts.Fatalf("%s: %d bars, want 2", g.Metric, bars)
		}
	}
	ts.Logf("%s: %d panels, bars proportional to %s, axes from 0", args[0], len(doc.Groups), args[1])
}

// benchCondition answers the bench scripts' conditions: "netns" is true when this
// machine lets an unprivileged process make user, network and mount namespaces (what
// bench cgo's DNS workload needs; checked with util-linux's unshare). Under qemu-user
// (emulated) it is false: qemu-user does not emulate those clone flags for the arm64
// gonative, however the native unshare answers.
func benchCondition(cond string, emulated bool) (ok, known bool) {
	switch cond {
	case "netns":
		return !emulated && exec.Command("unshare", "-rnm", "true").Run() == nil, true
	}
	return false, false
}
