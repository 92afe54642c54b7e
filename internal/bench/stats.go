package bench

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// confidence is the level of every interval reported.
const confidence = 0.95

// Stat summarizes one build's samples of one metric.
type Stat struct {
	N      int       `json:"n"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
	// CI says whether Lo and Hi are a 95% confidence interval of the median. With too
	// few samples no interval at that level exists (benchmath says ±∞): CI is false,
	// CINote says why and Lo, Hi are the smallest and largest values.
	CI     bool    `json:"ci"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	CINote string  `json:"ci_note,omitempty"`
}

// Metric is one measured quantity for both builds.
type Metric struct {
	ID     string `json:"id"`   // "startup", "rss", "http_rps" ...
	Name   string `json:"name"` // "start-up (to exit)"
	Unit   string `json:"unit"` // "ms", "MiB", "req/s" ...
	Better string `json:"better"`
	Off    Stat   `json:"cgo_off"`
	On     Stat   `json:"cgo_on"`
	// Delta is On's median relative to Off's ("+12.30%"), or "~" when the samples do
	// not differ significantly (Mann-Whitney U, alpha 0.05), as benchstat prints it.
	Delta       string  `json:"delta"`
	P           float64 `json:"p"`
	Significant bool    `json:"significant"`
	Note        string  `json:"note,omitempty"`
	// OffLabel and OnLabel name what ran in each build when that is not the build
	// itself (the DNS workload: the resolver that answered, "Go resolver", "glibc
	// resolver (netdns=cgo)"); "" otherwise.
	OffLabel string `json:"cgo_off_label,omitempty"`
	OnLabel  string `json:"cgo_on_label,omitempty"`
}

// summarize computes a Stat the way benchstat does (median, distribution-free
// confidence interval).
func summarize(values []float64) Stat {
	v := slices.Clone(values)
	s := Stat{N: len(v), Values: slices.Clone(values)}
	if len(v) == 0 {
		s.CINote = "no samples"
		return s
	}
	sample := benchmath.NewSample(v, &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(sample, confidence)
	s.Median = sum.Center
	s.Min, s.Max = sample.Values[0], sample.Values[len(sample.Values)-1]
	if math.IsInf(sum.Lo, 0) || math.IsInf(sum.Hi, 0) || math.IsNaN(sum.Lo) || math.IsNaN(sum.Hi) {
		s.Lo, s.Hi = s.Min, s.Max
		s.CINote = "too few samples for a 95% interval (benchmath needs 6); lo..hi is the full range"
	} else {
		s.CI, s.Lo, s.Hi = true, sum.Lo, sum.Hi
	}
	return s
}

// newMetric summarizes both builds' samples and compares them.
func newMetric(id, name, unit, better string, off, on []float64) Metric {
	m := Metric{ID: id, Name: name, Unit: unit, Better: better, Off: summarize(off), On: summarize(on)}
	if len(off) == 0 || len(on) == 0 {
		m.Delta, m.P = "?", 1
		return m
	}
	c := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(slices.Clone(off), &benchmath.DefaultThresholds),
		benchmath.NewSample(slices.Clone(on), &benchmath.DefaultThresholds))
	m.P = c.P
	m.Significant = c.P <= c.Alpha
	m.Delta = c.FormatDelta(m.Off.Median, m.On.Median)
	return m
}
