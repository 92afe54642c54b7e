package image

import (
	"slices"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// TestTraceBuildProgress: build's events become plan, compile and verify steps; a
// target that fails to compile ends its compile step, with the stage as detail;
// build's own callback still gets every event.
func TestTraceBuildProgress(t *testing.T) {
	var got []string
	tr := newTracer(func(s Step) {
		got = append(got, string(s.Name)+" "+s.Platform+" "+s.Detail)
		if s.Elapsed < 0 {
			t.Errorf("%s: negative elapsed %s", s.Name, s.Elapsed)
		}
	})
	var passed []build.Stage
	p := tr.buildProgress(time.Now(), func(e build.Event) { passed = append(passed, e.Stage) })
	for _, e := range []build.Event{
		{Output: "a", Target: "linux/amd64", Stage: build.StageQueued},
		{Output: "b", Target: "linux/arm64", Stage: build.StageQueued},
		{Output: "a", Target: "linux/amd64", Stage: build.StageBuilding},
		{Output: "b", Target: "linux/arm64", Stage: build.StageBuilding},
		{Output: "a", Target: "linux/amd64", Stage: build.StageVerify},
		{Output: "b", Target: "linux/arm64", Stage: build.StageFailed},
		{Output: "a", Target: "linux/amd64", Stage: build.StageProblems},
	} {
		p(e)
	}
	want := []string{
		"plan  ",
		"compile linux/amd64 ",
		"compile linux/arm64 failed",
		"verify linux/amd64 problems",
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if len(passed) != 7 {
		t.Errorf("build's callback got %d events, want 7", len(passed))
	}
	// No Trace: build's callback is left as it is, and steps cost nothing.
	var none *tracer
	if none.buildProgress(time.Now(), nil) != nil {
		t.Errorf("a nil tracer made a progress callback")
	}
	none.step(StepIndex, "", "", time.Now())
}
