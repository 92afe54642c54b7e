package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// isTerminal is the one test of whether a stream is a terminal, behind every
// decision that depends on it: live progress (progressTTY), colour (paletteFor), a
// question (use), the line break after ^C.
func isTerminal(s any) (fd int, ok bool) {
	f, isFile := s.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return -1, false
	}
	return int(f.Fd()), true
}

// progressTTY is the one decision of whether a long command draws live progress on w:
// w is a terminal with a size, and not a CI log (CI set). Elsewhere a command prints
// plain lines, or nothing.
func progressTTY(w io.Writer) bool {
	fd, ok := isTerminal(w)
	if !ok || os.Getenv("CI") != "" {
		return false
	}
	width, _, err := term.GetSize(fd)
	return err == nil && width > 0
}

// startProgress starts a display on w when it is a terminal (progressTTY); nil
// otherwise, on which every method is a no-op, so a command calls wait either way.
func startProgress(ctx context.Context, w io.Writer) *progress {
	if !progressTTY(w) {
		return nil
	}
	return newProgress(ctx, w)
}

// startProgressLines is startProgress for a command that also reports off a terminal
// (a log, a CI run, a pipe): there the display prints one plain line each time a
// task's status changes (no bar, no redraw), so the log shows where a long run is.
func startProgressLines(ctx context.Context, w io.Writer) *progress {
	if p := startProgress(ctx, w); p != nil {
		return p
	}
	return &progress{plain: w, lines: map[string]*progressLine{}}
}

// progressKind is the shape of one progress line.
type progressKind int

const (
	progressSpinner progressKind = iota // a task without counts: a spinner and its status
	progressSteps                       // done/total steps, and the time so far
	progressBytes                       // done/total bytes, and the percentage
)

// progressEvent is what every long command reports to its progress display: where
// one task (a build output, a download, a push) is.
type progressEvent struct {
	Key         string       // the task; its line is made at its first event
	Kind        progressKind // the line's shape, fixed by the first event
	Label       string       // shown first, fixed by the first event
	Status      string       // shown after the label; changes freely
	Done, Total int64        // counts of a steps or bytes line; Total < 0 is unknown
	End         bool         // the task is over
}

// progress is the live progress display of every long command (build, image build,
// install, bench cgo, image push): one line per task, drawn by mpb on a terminal.
//
// Events come from any goroutine. No lock is held across a call into mpb: mpb calls
// the decorators from its render goroutines, and they read only atomics and values
// fixed when the line was made, so a call into mpb never waits for a renderer that
// waits for a lock we hold (the deadlock of `build --universal`, issue 24).
type progress struct {
	p     *mpb.Progress
	mu    sync.Mutex // guards lines (and in plain mode, the writes), and nothing else
	lines map[string]*progressLine
	// plain, when set, is where the display prints plain lines instead of drawing
	// (startProgressLines off a terminal); p is nil then.
	plain io.Writer
}

// progressLine is one task's line.
type progressLine struct {
	once   sync.Once
	bar    *mpb.Bar // nil when mpb had already stopped (the context was cancelled)
	status atomic.Pointer[string]
}

// newProgress starts a display on w that stops drawing when ctx is done. Tests add
// mpb options (a refresh rate, drawing on a buffer).
func newProgress(ctx context.Context, w io.Writer, opts ...mpb.ContainerOption) *progress {
	return &progress{
		p:     mpb.NewWithContext(ctx, append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40)}, opts...)...),
		lines: map[string]*progressLine{},
	}
}

// event shows e.
func (v *progress) event(e progressEvent) {
	if v == nil {
		return
	}
	if v.plain != nil {
		v.plainEvent(e)
		return
	}
	l := v.line(e)
	l.status.Store(&e.Status)
	if l.bar == nil {
		return
	}
	if e.Kind != progressSpinner {
		l.bar.SetTotal(max(e.Total, 0), false)
		l.bar.SetCurrent(e.Done)
	}
	if e.End {
		l.bar.SetTotal(-1, true)
	}
}

// line returns e's line, making it (outside v.mu) at the first event of its task.
func (v *progress) line(e progressEvent) *progressLine {
	v.mu.Lock()
	l, ok := v.lines[e.Key]
	if !ok {
		l = &progressLine{}
		l.status.Store(&e.Status)
		v.lines[e.Key] = l
	}
	v.mu.Unlock()
	l.once.Do(func() { l.bar = v.add(e, l) })
	return l
}

// add asks mpb for a new line; it returns nil when mpb has stopped.
func (v *progress) add(e progressEvent, l *progressLine) *mpb.Bar {
	status := decor.Any(func(decor.Statistics) string { return *l.status.Load() })
	var (
		style  mpb.BarFillerBuilder = mpb.BarStyle()
		prefix                      = []decor.Decorator{decor.Name(e.Label + " ")}
		suffix []decor.Decorator
	)
	switch e.Kind {
	case progressSpinner:
		style = mpb.SpinnerStyle()
		suffix = []decor.Decorator{status}
	case progressSteps:
		prefix = append(prefix, status)
		suffix = []decor.Decorator{decor.CountersNoUnit("%d/%d "), decor.Elapsed(decor.ET_STYLE_GO)}
	case progressBytes:
		prefix = append(prefix, status, decor.CountersKiloByte(" % .1f / % .1f"))
		suffix = []decor.Decorator{decor.Percentage()}
	}
	total := max(e.Total, 0)
	if e.Kind == progressSpinner {
		total = 1
	}
	opts := []mpb.BarOption{mpb.PrependDecorators(prefix...), mpb.AppendDecorators(suffix...)}
	if e.Kind == progressSpinner {
		opts = append(opts, mpb.BarWidth(1))
	}
	b, err := v.p.Add(total, style.Build(), opts...)
	if err != nil {
		return nil
	}
	return b
}

// wait ends every line still running and waits until the display has drawn its last.
func (v *progress) wait() {
	if v == nil || v.plain != nil {
		return
	}
	v.mu.Lock()
	var lines []*progressLine
	for _, l := range v.lines {
		lines = append(lines, l)
	}
	v.mu.Unlock()
	for _, l := range lines {
		l.once.Do(func() {}) // waits for a line being made; l.bar is set after
		if l.bar != nil && !l.bar.Completed() {
			l.bar.Abort(false)
		}
	}
	v.p.Wait()
}

// fixedWidth pads s to n columns, so that the lines of one display align.
func fixedWidth(s string, n int) string { return fmt.Sprintf("%-*s", n, s) }

// plainEvent prints e as one line when its task's status changed ("bench cgo: build
// CGO_ENABLED=1 (2/10 done)"), or when the task ends.
func (v *progress) plainEvent(e progressEvent) {
	v.mu.Lock()
	defer v.mu.Unlock()
	l, ok := v.lines[e.Key]
	if !ok {
		l = &progressLine{}
		v.lines[e.Key] = l
	}
	status := strings.TrimSpace(e.Status)
	if last := l.status.Load(); ok && last != nil && *last == status && !e.End {
		return
	}
	l.status.Store(&status)
	line := e.Label + ": " + status
	switch {
	case e.Kind == progressSteps && e.Total > 0:
		line += fmt.Sprintf(" (%d/%d done)", e.Done, e.Total)
	case e.Kind == progressBytes && e.Total > 0:
		line += fmt.Sprintf(" (%d of %d bytes)", e.Done, e.Total)
	}
	fmt.Fprintln(v.plain, Quote(line))
}
