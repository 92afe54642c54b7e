package cli

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/gonative/gonative/internal/bench"
	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/image"
)

// lockedBuffer is a bytes.Buffer that mpb's render goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// drawing is the mpb set-up of a test: a display drawn on a buffer, often.
func drawing() []mpb.ContainerOption {
	return []mpb.ContainerOption{mpb.WithAutoRefresh(), mpb.WithRefreshRate(time.Millisecond), mpb.WithWidth(200)}
}

// bounded runs f and fails the test, with every goroutine's stack, when f has not
// returned in limit: a deadlock fails instead of hanging the test binary.
func bounded(t *testing.T, limit time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not finish in %v (deadlock?); goroutines:\n%s", what, limit, buf)
	}
}

// TestProgressNoDeadlock adds lines and updates them from several goroutines while
// mpb draws every millisecond. The display of `build --universal` used to hold its
// mutex while adding a line, and its decorators took the same mutex inside mpb's
// render: adding a line during a render hung forever (issue 24).
func TestProgressNoDeadlock(t *testing.T) {
	for run := range 5 {
		var out lockedBuffer
		p := newProgress(context.Background(), &out, drawing()...)
		show := buildProgress(p)
		const goroutines, outputs = 4, 30
		bounded(t, time.Minute, fmt.Sprintf("run %d: %d goroutines adding %d lines each", run, goroutines, outputs), func() {
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range outputs {
						name := fmt.Sprintf("prog%d_%d", g, i)
						for _, st := range []build.Stage{build.StageQueued, build.StageBuilding, build.StageVerify, build.StageDone} {
							show(build.Event{Output: name, Target: "darwin/arm64", Stage: st})
						}
						time.Sleep(100 * time.Microsecond)
					}
				})
			}
			wg.Wait()
			p.wait()
		})
		got := out.String()
		for _, name := range []string{"prog0_0", fmt.Sprintf("prog%d_%d", goroutines-1, outputs-1)} {
			if !strings.Contains(got, name) {
				t.Fatalf("run %d: the display never drew %s:\n%s", run, name, got)
			}
		}
	}
}

// TestProgressShapes checks what each kind of line draws.
func TestProgressShapes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		events func(p *progress)
		want   []string
	}{
		{"build", func(p *progress) {
			show := buildProgress(p)
			show(build.Event{Output: "tool_linux_arm64", Target: "linux/arm64", Stage: build.StageBuilding})
			show(build.Event{Output: "tool_linux_arm64", Target: "linux/arm64", Stage: build.StageFailed, Err: fmt.Errorf("exit status 1\nmore")})
		}, []string{"linux/arm64", "tool_linux_arm64", "failed: exit status 1"}},
		{"build quotes", func(p *progress) {
			buildProgress(p)(build.Event{Output: "a\x1b[2Jb", Target: "linux/arm64", Stage: build.StageFailed, Err: fmt.Errorf("x\x1b]0;t\x07")})
		}, []string{`a\x1b[2Jb`, `failed: x\x1b]0;t\x07`}},
		{"bench", func(p *progress) {
			benchProgress(p)(bench.Event{Phase: bench.PhaseMeasure, Step: "run 1/5 CGO_ENABLED=0\x1b[2J", Done: 3, Total: 12})
		}, []string{"bench cgo", "run 1/5 CGO_ENABLED=0", "3/12"}},
		{"download", func(p *progress) {
			b := &tcBar{ctx: context.Background(), w: nil}
			b.p = p
			b.label, b.total = "go1.26.0.linux-arm64.tar.gz", 2000
			b.done.Store(500)
			b.show(false)
			b.Add(1500)
			b.show(true)
		}, []string{"go1.26.0.linux-arm64.tar.gz", "2.0 KB / 2.0 KB", "100 %"}},
		{"registry", func(p *progress) {
			var o image.ReadOptions
			registryProgress(p, &o)
			o.Progress(1536)
			o.Progress(2048)
		}, []string{"registry", "fetched 3.5 KiB"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out lockedBuffer
			p := newProgress(context.Background(), &out, drawing()...)
			bounded(t, time.Minute, tt.name, func() { tt.events(p); p.wait() })
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("display lacks %q:\n%q", w, got)
				}
			}
			if strings.Contains(got, "\x1b[2J") || strings.Contains(got, "\x1b]0") {
				t.Errorf("display draws an escape from its input raw:\n%q", got)
			}
		})
	}
}

// TestProgressCancelled: events after the context is cancelled (mpb has stopped) are
// ignored, not a panic or a hang.
func TestProgressCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	p := newProgress(ctx, &out, drawing()...)
	show := buildProgress(p)
	show(build.Event{Output: "a", Target: "linux/arm64", Stage: build.StageBuilding})
	cancel()
	bounded(t, time.Minute, "events after cancel", func() {
		for i := range 20 {
			show(build.Event{Output: fmt.Sprint("late", i), Target: "linux/arm64", Stage: build.StageBuilding})
			show(build.Event{Output: "a", Target: "linux/arm64", Stage: build.StageDone})
		}
		p.wait()
	})
}
