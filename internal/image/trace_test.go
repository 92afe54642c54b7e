package image

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// TestTraceBuildSteps: build's own steps (the ones build --trace shows) become image
// steps with their kind as name, target, output, up-to-date mark and error, their
// start counted from when build began; a nil tracer sets no build trace.
func TestTraceBuildSteps(t *testing.T) {
	var got []Step
	tr := newTracer(func(s Step) { got = append(got, s) })
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := tr.buildTrace(start)
	for _, s := range []build.Step{
		{Kind: build.StepList, Target: "linux/amd64", Duration: 300 * time.Millisecond},
		{Kind: build.StepBuild, Target: "linux/arm64", Output: "hello_linux_arm64", Start: time.Second, Duration: 2 * time.Second, UpToDate: true},
		{Kind: build.StepBuild, Target: "linux/amd64", Output: "hello_linux_amd64", Start: time.Second, Duration: time.Second, Err: errors.New("go build: exit status 1")},
	} {
		f(s)
	}
	want := []Step{
		{Name: "go list -deps", Platform: "linux/amd64", Start: start, Elapsed: 300 * time.Millisecond},
		{Name: "go build", Platform: "linux/arm64", Detail: "hello_linux_arm64", UpToDate: true, Start: start.Add(time.Second), Elapsed: 2 * time.Second},
		{Name: "go build", Platform: "linux/amd64", Detail: "hello_linux_amd64", Error: "go build: exit status 1", Start: start.Add(time.Second), Elapsed: time.Second},
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps\n%+v\nwant\n%+v", got, want)
	}
	var none *tracer
	if none.buildTrace(start) != nil {
		t.Errorf("a nil tracer made a build trace")
	}
	none.step(StepIndex, "", "", time.Now())
}
