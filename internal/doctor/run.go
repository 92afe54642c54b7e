package doctor

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// DefaultTimeout bounds each check.
const DefaultTimeout = 10 * time.Second

// Options tune a run.
type Options struct {
	// Timeout bounds each check (DefaultTimeout when zero).
	Timeout time.Duration
	// Network runs the checks that use the network too (Check.Network); without it
	// they are skipped and the run is offline.
	Network bool
}

// CheckResult is how one check went.
type CheckResult struct {
	ID       string   `json:"id"`
	Area     Area     `json:"area"`
	Title    string   `json:"title"`
	Status   Severity `json:"status"`
	Summary  string   `json:"summary,omitempty"`
	Duration float64  `json:"duration_ms"`
	// Error is set when the check panicked or timed out (its findings say so too).
	Error string `json:"error,omitempty"`
}

// AreaResult is one line of the summary.
type AreaResult struct {
	Area    Area     `json:"area"`
	Title   string   `json:"title"`
	Status  Severity `json:"status"`
	Summary string   `json:"summary,omitempty"`
}

// Report is a doctor run's result, the same for text and JSON.
type Report struct {
	SchemaVersion int           `json:"schema_version"`
	Host          host.Host     `json:"host"`
	Areas         []AreaResult  `json:"areas"`
	Checks        []CheckResult `json:"checks"`
	Findings      []Finding     `json:"findings"`
	Duration      float64       `json:"duration_ms"`
}

// AreaOf returns the area that groups f in the report: its check's ("" when no check
// of the report has f's Check).
func (r Report) AreaOf(f Finding) Area {
	for _, c := range r.Checks {
		if c.ID == f.Check {
			return c.Area
		}
	}
	return ""
}

// Worst returns the most severe finding's severity (OK when there is none).
func (r Report) Worst() Severity { return finding.Worst(r.Findings) }

// Run runs checks against m concurrently, each bounded by opts.Timeout, and returns
// the report with checks and findings in registry order. A check that panics or times
// out becomes a warning finding; the others still run.
func Run(ctx context.Context, m machine.Machine, checks []Check, opts Options) Report {
	start := time.Now()
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	s := NewSession(m)
	s.Online = opts.Network
	h := s.Host(ctx)
	var run []Check
	for _, c := range checks {
		if (c.OS == "" || c.OS == h.OS) && (!c.Network || opts.Network) {
			run = append(run, c)
		}
	}
	results := make([]CheckResult, len(run))
	findings := make([][]Finding, len(run))
	var wg sync.WaitGroup
	for i, c := range run {
		wg.Go(func() {
			results[i], findings[i] = runOne(ctx, s, c, opts.Timeout)
		})
	}
	wg.Wait()
	r := Report{SchemaVersion: SchemaVersion, Host: h, Checks: results, Findings: []Finding{}}
	for _, fs := range findings {
		r.Findings = append(r.Findings, fs...)
	}
	r.Areas = areas(results)
	// The doctor runs go with GOTOOLCHAIN=local: a switch that makes every go command
	// fail (StopsGo) leaves areas judged with a go the user never gets.
	if s.goRunDone.Load() && s.goRun.CannotRun() || slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.StopsGo }) {
		markUnjudged(r.Areas)
	}
	r.Duration = ms(time.Since(start))
	return r
}

// runOne runs c in its own goroutine so that a check stuck in I/O cannot hold up the
// report past its time-out.
func runOne(ctx context.Context, s *Session, c Check, timeout time.Duration) (CheckResult, []Finding) {
	res := CheckResult{ID: c.ID, Area: c.Area, Title: c.Title, Status: OK}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	type outcome struct {
		fs    []Finding
		panic string
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if p := recover(); p != nil {
				o.panic = fmt.Sprintf("%v\n%s", p, debug.Stack())
			}
			done <- o
		}()
		o.fs = c.Run(ctx, s)
	}()
	var fs []Finding
	select {
	case o := <-done:
		if o.panic != "" {
			first, _, _ := strings.Cut(o.panic, "\n")
			res.Error = "panic: " + first
			fs = []Finding{{
				ID: c.ID + ".crashed", Severity: Warning,
				Title:    fmt.Sprintf("the check %s crashed; the other checks still ran (a gonative bug, please report it)", c.ID),
				Evidence: []string{"panic: " + o.panic},
				Links:    []string{"https://github.com/gonative/gonative/issues"},
			}}
		} else {
			fs = o.fs
		}
	case <-ctx.Done():
		res.Error = "timed out after " + timeout.String()
		fs = []Finding{{
			ID: c.ID + ".timeout", Severity: Warning,
			Title: fmt.Sprintf("the check %s did not finish within %s; the other checks still ran", c.ID, timeout),
		}}
	}
	res.Duration = ms(time.Since(start))
	for i := range fs {
		if fs[i].Check == "" {
			fs[i].Check = c.ID
		}
		if fs[i].ID == "" {
			fs[i].ID = c.ID
		}
		if fs[i].Severity == "" {
			fs[i].Severity = Info
		}
		fs[i].Fix = fs[i].Fix.Settle()
		if fs[i].Severity.Worse(res.Status) {
			res.Status = fs[i].Severity
		}
		if res.Summary == "" && !fs[i].Severity.Worse(Info) {
			res.Summary = fs[i].Title
		}
	}
	if res.Status == Info {
		res.Status = OK
	}
	return res, fs
}

// areas folds check results into one line per area, in the order areas first appear;
// an area's summary is its first check's (empty when that check found a problem).
func areas(results []CheckResult) []AreaResult {
	var out []AreaResult
	for _, r := range results {
		i := slices.IndexFunc(out, func(a AreaResult) bool { return a.Area == r.Area })
		if i < 0 {
			out = append(out, AreaResult{Area: r.Area, Title: r.Area.Title(), Status: OK, Summary: r.Summary})
			i = len(out) - 1
		}
		if r.Status.Worse(out[i].Status) {
			out[i].Status = r.Status
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
