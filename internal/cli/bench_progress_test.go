package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/bench"
)

// TestBenchProgressOffTerminal: off a terminal (a buffer, as a log or CI), bench
// cgo prints one plain line per step as it starts, with the count done, and nothing
// more for an event that changes nothing.
func TestBenchProgressOffTerminal(t *testing.T) {
	var out bytes.Buffer
	p := startProgressLines(context.Background(), &out)
	if p == nil {
		t.Fatal("no display off a terminal")
	}
	fn := benchProgress(p)
	for _, e := range []bench.Event{
		{Phase: bench.PhaseBuild, Step: "check ./server for cgo", Done: 0, Total: 8},
		{Phase: bench.PhaseBuild, Step: "build CGO_ENABLED=0", Done: 1, Total: 8},
		{Phase: bench.PhaseBuild, Step: "build CGO_ENABLED=0", Done: 1, Total: 8},
		{Phase: bench.PhaseMeasure, Step: "run 1/2 CGO_ENABLED=1\x1b[2J", Done: 4, Total: 8},
		{Phase: bench.PhaseMeasure, Step: "run 1/2 CGO_ENABLED=1\x1b[2J", Done: 8, Total: 8},
	} {
		fn(e)
	}
	p.wait()
	want := "bench cgo: check ./server for cgo (0/8 done)\n" +
		"bench cgo: build CGO_ENABLED=0 (1/8 done)\n" +
		"bench cgo: run 1/2 CGO_ENABLED=1\\x1b[2J (4/8 done)\n"
	if got := out.String(); got != want {
		t.Errorf("off a terminal:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("an escape reached the log")
	}
}
