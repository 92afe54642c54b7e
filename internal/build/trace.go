package build

import (
	"sync"
	"time"
)

// StepKind is what one step of a build ran.
type StepKind string

// Step kinds, in the order a build runs them.
const (
	StepDistList  StepKind = "go tool dist list" // the targets go supports
	StepList      StepKind = "go list -deps"     // the packages and their graph, once
	StepListCgo   StepKind = "go list -deps cgo" // one target's cgo analysis, when the graph cannot answer
	StepPkgConfig StepKind = "pkg-config"        // one target's #cgo pkg-config flags
	StepBuild     StepKind = "go build"          // one output
	StepVerify    StepKind = "verify"            // one output read back
	StepUniversal StepKind = "universal"         // the darwin universal merge and its verification
	StepSmoke     StepKind = "smoke"             // one output run
	StepSums      StepKind = "sums"              // SHA256SUMS and manifest.json
)

// Step is one thing a build ran, and when: Start is the offset from the start of
// Build, so the steps of one build line up.
type Step struct {
	Kind     StepKind
	Target   string // "" for a step of the whole build
	Output   string // the output's file name, for the steps of one output
	Start    time.Duration
	Duration time.Duration
	Err      error
	// UpToDate is set on a go build step that found its earlier output up to date
	// and linked nothing (see Options.ReuseDir).
	UpToDate bool
}

// tracer hands each finished step to Options.Trace, one call at a time.
type tracer struct {
	start time.Time
	mu    sync.Mutex
	emit  func(Step)
}

func newTracer(emit func(Step)) *tracer {
	return &tracer{start: time.Now(), emit: emit}
}

// begin starts a step; the function it returns ends it.
func (t *tracer) begin(kind StepKind, target, output string) func(error) {
	return t.open(kind, target, output).end
}

// pending is a step that has started.
type pending struct {
	t *tracer
	s Step
}

// open starts a step; its end ends it.
func (t *tracer) open(kind StepKind, target, output string) *pending {
	return &pending{t: t, s: Step{Kind: kind, Target: target, Output: output, Start: time.Since(t.start)}}
}

// end ends the step with err.
func (p *pending) end(err error) { p.endAt(err, time.Now()) }

// endAt ends the step with err, as of when.
func (p *pending) endAt(err error, when time.Time) {
	if p.t.emit == nil {
		return
	}
	s := p.s
	s.Duration, s.Err = when.Sub(p.t.start)-s.Start, err
	p.t.mu.Lock()
	defer p.t.mu.Unlock()
	p.t.emit(s)
}
