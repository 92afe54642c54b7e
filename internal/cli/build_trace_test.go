package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
)

// TestTraceRender: --trace prints the steps in the order they started, one line
// each, a failure quoted on its line; off, nothing.
func TestTraceRender(t *testing.T) {
	var opts build.Options
	if l := traceSteps(&opts, false); l != nil || opts.Trace != nil {
		t.Fatal("trace on although not asked")
	}
	var off *stepLog
	var buf bytes.Buffer
	off.render(&buf)
	if buf.Len() != 0 {
		t.Fatalf("off printed %q", buf.String())
	}
	l := traceSteps(&opts, true)
	opts.Trace(build.Step{Kind: build.StepBuild, Target: "linux/arm64", Output: "x_linux_arm64", Start: 70 * time.Millisecond, Duration: 1500 * time.Millisecond, Err: errors.New("go build: bad\nsecond line")})
	opts.Trace(build.Step{Kind: build.StepList, Target: "linux/arm64", Duration: 69 * time.Millisecond})
	opts.Trace(build.Step{Kind: build.StepSums, Start: 1600 * time.Millisecond, Duration: time.Millisecond})
	l.render(&buf)
	want := []string{
		"trace    start     took  step               target         output",
		"trace   0.000s   0.069s  go list -deps      linux/arm64",
		`trace   0.070s   1.500s  go build           linux/arm64    x_linux_arm64  error: go build: bad`,
		"trace   1.600s   0.001s  sums",
	}
	if got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
