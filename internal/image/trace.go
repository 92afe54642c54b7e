package image

import (
	"sync"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// StepName names a step of image build, for a trace.
type StepName string

// The steps of image build, in the order they start.
const (
	StepBase     StepName = "base"     // open the base and match its platforms
	StepPlan     StepName = "plan"     // build's planning (go list, C toolchains) before the first compile
	StepCompile  StepName = "compile"  // go build of one platform
	StepVerify   StepName = "verify"   // build's verification of one platform's binary
	StepCheck    StepName = "check"    // the binary read and checked against its base
	StepLayer    StepName = "layer"    // the binary's layer made (or reused from the cache)
	StepAssemble StepName = "assemble" // config, manifest and digest of one platform
	StepIndex    StepName = "index"    // the index assembled
	StepUpload   StepName = "upload"   // a layer blob uploaded while the build goes on (see BuildOptions.PushTo)
	StepPush     StepName = "push"     // the index pushed to one reference
	StepLayout   StepName = "oci-layout"
	StepTarball  StepName = "tarball"
)

// Step is one timed step. Platform is empty for a step of the whole image; Detail
// names what it worked on where there is more than the platform (the base, the
// reference pushed, the file written, build's last stage).
type Step struct {
	Name     StepName `json:"name"`
	Platform string   `json:"platform,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	// Reused is true for a layer taken from the layer cache.
	Reused  bool          `json:"reused,omitempty"`
	Start   time.Time     `json:"start"`
	Elapsed time.Duration `json:"elapsed"`
}

// tracer hands steps to a Trace func one call at a time; a nil tracer does nothing.
type tracer struct {
	mu sync.Mutex
	f  func(Step)
}

func newTracer(f func(Step)) *tracer {
	if f == nil {
		return nil
	}
	return &tracer{f: f}
}

// step reports the step that started at start and ends now.
func (t *tracer) step(name StepName, platform, detail string, start time.Time) {
	t.report(Step{Name: name, Platform: platform, Detail: detail, Start: start})
}

// report reports s, which ends now.
func (t *tracer) report(s Step) {
	if t == nil {
		return
	}
	s.Elapsed = time.Since(s.Start)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.f(s)
}

// buildProgress wraps build's progress callback next (nil for none) so that build's
// events also become steps: plan until the first target is queued, then compile and
// verify per target.
func (t *tracer) buildProgress(start time.Time, next func(build.Event)) func(build.Event) {
	if t == nil {
		return next
	}
	var mu sync.Mutex
	planned := false
	type at struct {
		t         time.Time
		verifying bool
	}
	began := map[string]at{}
	return func(e build.Event) {
		mu.Lock()
		now := time.Now()
		if !planned {
			planned = true
			t.step(StepPlan, "", "", start)
		}
		b, ok := began[e.Output]
		switch e.Stage {
		case build.StageBuilding:
			began[e.Output] = at{t: now}
		case build.StageVerify:
			if ok {
				t.step(StepCompile, e.Target, "", b.t)
			}
			began[e.Output] = at{t: now, verifying: true}
		case build.StageDone, build.StageFailed, build.StageProblems:
			if ok {
				name := StepVerify
				if !b.verifying {
					name = StepCompile
				}
				detail := ""
				if e.Stage != build.StageDone {
					detail = string(e.Stage) // failed, problems
				}
				t.step(name, e.Target, detail, b.t)
				delete(began, e.Output)
			}
		}
		mu.Unlock()
		if next != nil {
			next(e)
		}
	}
}
