package image

import (
	"sync"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// StepName names a step of image build, for a trace.
type StepName string

// The steps of image build, in the order they start. Between base and check come
// build's own steps, named by their build.StepKind (go list -deps, go build, verify,
// sums: see build.Step).
const (
	StepBase     StepName = "base"     // open the base and match its platforms
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
	Reused bool `json:"reused,omitempty"`
	// UpToDate is true for a go build that found its earlier output up to date
	// and linked nothing (build.Step.UpToDate).
	UpToDate bool `json:"up_to_date,omitempty"`
	// Error is how a step of build failed.
	Error   string        `json:"error,omitempty"`
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

// buildTrace returns the build.Options.Trace that reports build's steps as image
// steps (nil for a nil tracer): the same steps build --trace shows, with Start
// counted from start, when build.Build was called.
func (t *tracer) buildTrace(start time.Time) func(build.Step) {
	if t == nil {
		return nil
	}
	return func(b build.Step) {
		s := Step{Name: StepName(b.Kind), Platform: b.Target, Detail: b.Output, UpToDate: b.UpToDate,
			Start: start.Add(b.Start), Elapsed: b.Duration}
		if b.Err != nil {
			s.Error = b.Err.Error()
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		t.f(s)
	}
}
