package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const pkg = "github.com/gonative/gonative/internal/exe"

// events renders go test -json lines: each item is action, test, output (for output).
func events(t *testing.T, pkgPath string, items ...[3]string) string {
	t.Helper()
	var b strings.Builder
	for _, it := range items {
		e := Event{Action: it[0], Package: pkgPath, Test: it[1], Output: it[2]}
		if it[0] == "build-output" {
			e.Package, e.ImportPath = "", pkgPath+" [test]"
		}
		if it[0] == "fail" && it[1] == "" && it[2] != "" {
			e.FailedBuild = it[2]
		}
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func stream(t *testing.T, stage, in string) (*Run, string) {
	t.Helper()
	var out, saved bytes.Buffer
	r := Stream(stage, strings.NewReader(in), &out, &saved, nil, time.Now)
	if saved.String() != in {
		t.Errorf("saved events differ from the input:\n%s\nwant\n%s", saved.String(), in)
	}
	return r, out.String()
}

func TestStreamCounts(t *testing.T) {
	in := events(t, pkg,
		[3]string{"start", "", ""},
		[3]string{"run", "TestA", ""},
		[3]string{"pass", "TestA", ""},
		[3]string{"run", "TestB", ""},
		[3]string{"run", "TestB/one", ""},
		[3]string{"output", "TestB/one", "    b_test.go:12: got 1, want 2\n"},
		[3]string{"fail", "TestB/one", ""},
		[3]string{"fail", "TestB", ""},
		[3]string{"run", "TestC", ""},
		[3]string{"output", "TestC", "=== RUN   TestC\n"},
		[3]string{"output", "TestC", "    c_test.go:40: llvm-lipo not found: install the Debian package llvm\n"},
		[3]string{"output", "TestC", "--- SKIP: TestC (0.00s)\n"},
		[3]string{"skip", "TestC", ""},
		[3]string{"fail", "", ""},
	)
	r, out := stream(t, "native", in)
	if got, want := r.Counts(), (Counts{Passed: 1, Failed: 2, Skipped: 1}); got != want {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if !strings.Contains(out, "FAIL internal/exe") && !strings.Contains(out, "FAIL "+pkg) {
		t.Errorf("no FAIL line for the package:\n%s", out)
	}
	if !strings.Contains(out, "got 1, want 2") {
		t.Errorf("the failed test's output is not printed:\n%s", out)
	}
	if strings.Contains(out, "llvm-lipo") {
		t.Errorf("a skipped test's output is printed while streaming:\n%s", out)
	}
	if got, want := r.Tests[3].SkipReason(), "llvm-lipo not found: install the Debian package llvm"; got != want {
		t.Errorf("SkipReason = %q, want %q", got, want)
	}
}

// A package whose test binary never ran (build failure) or crashed mid-test counts
// as failed even though no test reported "fail".
func TestStreamBuildFailureAndCrash(t *testing.T) {
	in := events(t, pkg,
		[3]string{"build-output", "", "internal/exe/x_test.go:3:1: syntax error\n"},
		[3]string{"fail", "", pkg + " [test]"},
	) + events(t, pkg+"/crash",
		[3]string{"start", "", ""},
		[3]string{"run", "TestHang", ""},
		[3]string{"output", "TestHang", "panic: test timed out after 1m0s\n"},
		[3]string{"output", "", "FAIL\t" + pkg + "/crash 60.0s\n"},
		[3]string{"fail", "", ""},
	)
	r, out := stream(t, "native", in)
	if got, want := r.Counts(), (Counts{Failed: 2}); got != want {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if !strings.Contains(out, "syntax error") {
		t.Errorf("the build failure is not printed:\n%s", out)
	}
	if !strings.Contains(out, "test timed out") {
		t.Errorf("the unfinished test's output is not printed:\n%s", out)
	}
	var rep bytes.Buffer
	Summarize([]*Run{r}, nil, false, nil).Write(&rep)
	for _, want := range []string{
		"failed (2):\n",
		"internal/exe (package: build failure or test binary exit)",
		"internal/exe/crash TestHang (did not finish: crash or time-out)",
		"0 passed, 2 failed, 0 skipped\n",
	} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for one writer and one reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStreamNonJSONAndTicks(t *testing.T) {
	pr, pw := io.Pipe()
	tick := make(chan time.Time)
	var out lockedBuffer
	done := make(chan *Run)
	go func() { done <- Stream("s", pr, &out, io.Discard, tick, time.Now) }()
	pw.Write([]byte(events(t, pkg, [3]string{"start", "", ""})))
	pw.Write([]byte("go: downloading example.com/m v1.0.0\n"))
	// The lines reach Stream through a goroutine: tick until it reports progress.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "still running: "+pkg); {
		if time.Now().After(deadline) {
			t.Fatalf("no progress line for the running package:\n%s", out.String())
		}
		tick <- time.Now()
		time.Sleep(time.Millisecond)
	}
	pw.Close()
	<-done
	if !strings.Contains(out.String(), "go: downloading example.com/m v1.0.0") {
		t.Errorf("a line that is not an event is dropped:\n%s", out.String())
	}
}

// TestStreamLongLine: a line longer than bufio's 64 KiB default (go's stderr is
// merged into the stream: a linker's or a crash's output) ends neither the stream nor
// the report; the results after it count. gotestsum's testjson stops its scan there
// and reports the test that was running as never finished (docs/development.md).
func TestStreamLongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	in := events(t, pkg, [3]string{"start", "", ""}, [3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""}) +
		long + "\n" +
		events(t, pkg, [3]string{"run", "TestB", ""}, [3]string{"fail", "TestB", ""}, [3]string{"fail", "", ""})
	r, out := stream(t, "native", in)
	if got, want := r.Counts(), (Counts{Passed: 1, Failed: 1}); got != want {
		t.Errorf("stream counts %v, want %v", got, want)
	}
	if !strings.Contains(out, long) {
		t.Error("the long line was not printed")
	}
	f := filepath.Join(t.TempDir(), "native.json")
	if err := os.WriteFile(f, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	rf, err := readRunFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rf.Counts(), (Counts{Passed: 1, Failed: 1}); got != want {
		t.Errorf("report counts %v, want %v", got, want)
	}
}

// TestStreamTooLong: a line past even testsum's bound is said, the rest of the input
// is drained (go test is not killed by a broken pipe), and the package whose end was
// not read counts as failed.
func TestStreamTooLong(t *testing.T) {
	in := events(t, pkg, [3]string{"start", "", ""}, [3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""}) +
		strings.Repeat("x", 17<<20) + "\n" + events(t, pkg, [3]string{"pass", "", ""})
	var out bytes.Buffer
	rd := strings.NewReader(in)
	r := Stream("native", rd, &out, io.Discard, nil, time.Now)
	if !strings.Contains(out.String(), "testsum: reading go test output: bufio.Scanner: token too long") {
		t.Errorf("the error was not said:\n%.300s", out.String())
	}
	if rd.Len() != 0 {
		t.Errorf("%d bytes of input left unread", rd.Len())
	}
	if got, want := r.Counts(), (Counts{Passed: 1, Failed: 1}); got != want {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestSkipReason(t *testing.T) {
	for _, tt := range []struct {
		name   string
		output []string
		want   string
	}{
		{"plain", []string{"=== RUN   TestX\n", "    x_test.go:9: no network\n", "--- SKIP: TestX (0.00s)\n"}, "no network"},
		{"multi-line", []string{"    x_test.go:9: first\n", "        second\n"}, "first second"},
		{"last entry wins", []string{"    x_test.go:5: log line\n", "    fixture.go:41: gcc not found\n"}, "gcc not found"},
		{"testscript log after the skip", []string{
			"=== CONT  TestScript/build\n",
			"    cmd.go:380: no qemu-aarch64-static (Debian: qemu-user-static)\n",
			"    testscript.go:609: WORK=$WORK\n",
			"        PATH=/bin\n",
			"        > [!exec:qemu-aarch64-static] skip 'no qemu-aarch64-static (Debian: qemu-user-static)'\n",
		}, "no qemu-aarch64-static (Debian: qemu-user-static)"},
		{"none", []string{"=== RUN   TestX\n", "--- SKIP: TestX (0.00s)\n"}, "(no reason given)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Result{Output: tt.output}
			if got := r.SkipReason(); got != tt.want {
				t.Errorf("SkipReason = %q, want %q", got, tt.want)
			}
		})
	}
}

func skipRun(t *testing.T, stage string, reasons ...string) *Run {
	t.Helper()
	items := [][3]string{{"start", "", ""}}
	for i, r := range reasons {
		name := "Test" + string(rune('A'+i))
		items = append(items, [3]string{"run", name, ""},
			[3]string{"output", name, "    x_test.go:1: " + r + "\n"},
			[3]string{"skip", name, ""})
	}
	items = append(items, [3]string{"run", "TestOK", ""}, [3]string{"pass", "TestOK", ""}, [3]string{"pass", "", ""})
	r, _ := stream(t, stage, events(t, pkg, items...))
	return r
}

func TestSummarizeCI(t *testing.T) {
	allow, err := ParseAllow(`
# comment
*      ^offline:
arm64  ^set GONATIVE_INTEGRATION=1
`)
	if err != nil {
		t.Fatal(err)
	}
	runs := []*Run{
		skipRun(t, "native", "offline: dial tcp: no route", "gcc not found: install the Debian package gcc"),
		skipRun(t, "arm64", "set GONATIVE_INTEGRATION=1 to build more", "offline: x"),
	}

	s := Summarize(runs, allow, false, nil)
	if s.Failed != 0 || s.Counts != (Counts{Passed: 2, Skipped: 4}) {
		t.Errorf("without CI: Failed=%d Counts=%v, want 0 and 2 passed, 4 skipped", s.Failed, s.Counts)
	}

	s = Summarize(runs, allow, true, nil)
	if len(s.Forbidden) != 1 || s.Forbidden[0].SkipReason() != "gcc not found: install the Debian package gcc" {
		t.Fatalf("Forbidden = %v, want only the gcc skip", s.Forbidden)
	}
	if s.Failed != 1 || s.Counts != (Counts{Passed: 2, Failed: 1, Skipped: 3}) {
		t.Errorf("CI: Failed=%d Counts=%v, want 1 and 2 passed, 1 failed, 3 skipped", s.Failed, s.Counts)
	}
	var out bytes.Buffer
	s.Write(&out)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "2 passed, 1 failed, 3 skipped" {
		t.Errorf("last line = %q, want the plain counts", last)
	}
	for _, want := range []string{"gcc not found: install the Debian package gcc  [not allowed in CI]", "arm64    internal/exe TestA: set GONATIVE_INTEGRATION=1 to build more\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// A stage-specific rule does not allow the same skip in another stage.
	if s := Summarize([]*Run{skipRun(t, "native", "set GONATIVE_INTEGRATION=1 to build more")}, allow, true, nil); s.Failed != 1 {
		t.Errorf("an arm64-only rule allowed a native skip")
	}
	// A failed stage fails the run even when every test passed, and counts once.
	if s := Summarize([]*Run{skipRun(t, "native")}, nil, true, []string{"vet"}); s.Failed != 1 || s.Counts.Failed != 1 {
		t.Errorf("a failed stage: Failed=%d Counts=%v, want 1 failure", s.Failed, s.Counts)
	}
	// A test stage whose failed tests are counted already does not count again.
	failing, _ := stream(t, "native", events(t, pkg, [3]string{"run", "TestA", ""}, [3]string{"fail", "TestA", ""}, [3]string{"fail", "", ""}))
	if s := Summarize([]*Run{failing}, nil, true, []string{"native"}); s.Counts.Failed != 1 {
		t.Errorf("a failed test stage counted twice: %v", s.Counts)
	}
}

func TestParseAllowErrors(t *testing.T) {
	for _, text := range []string{"onlystage", "* [unclosed"} {
		if _, err := ParseAllow(text); err == nil {
			t.Errorf("ParseAllow(%q) succeeded", text)
		}
	}
}

// The repository's allow-list parses, and every rule says why (a comment above it).
func TestRepositoryAllowList(t *testing.T) {
	name := filepath.Join("..", "ci-skips.txt")
	rules, err := ReadAllowFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	lines := strings.Split(string(b), "\n")
	for _, r := range rules {
		if r.Line < 2 || !strings.HasPrefix(strings.TrimSpace(lines[r.Line-2]), "#") {
			t.Errorf("%s:%d: rule %q has no comment above it saying why the skip is unavoidable", name, r.Line, r.Reason)
		}
	}
}

func TestRunReport(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "native.json")
	in := events(t, pkg, [3]string{"start", "", ""}, [3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""}, [3]string{"pass", "", ""})
	var out, errb bytes.Buffer
	if code := run([]string{"-stage", "native", "-o", f}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("stream exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"-report", "-ci", f}, nil, &out, &errb); code != 0 {
		t.Fatalf("report exit %d: %s\n%s", code, errb.String(), out.String())
	}
	if !strings.HasSuffix(out.String(), "\n1 passed, 0 failed, 0 skipped\n") || !strings.Contains(out.String(), "native   1 ok, 0 failed") {
		t.Errorf("report:\n%s", out.String())
	}
	if code := run([]string{"-report", "-failed-stage", "vet", f}, nil, &out, &errb); code != 1 {
		t.Errorf("a failed stage: exit %d, want 1", code)
	}
	if code := run(nil, nil, &out, &errb); code != 2 {
		t.Errorf("no mode: exit %d, want 2", code)
	}
}

// A stage run as lanes (STAGE.LANE.json) reports under its stage name, where the
// allow-list's rules for that stage apply.
func TestRunReportLanes(t *testing.T) {
	dir := t.TempDir()
	in := events(t, pkg, [3]string{"start", "", ""}, [3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""}, [3]string{"pass", "", ""})
	var out, errb bytes.Buffer
	for _, f := range []string{"native.gonative.json", "native.rest.json"} {
		if code := run([]string{"-stage", "native", "-o", filepath.Join(dir, f)}, strings.NewReader(in), &out, &errb); code != 0 {
			t.Fatalf("stream exit %d: %s", code, errb.String())
		}
	}
	out.Reset()
	if code := run([]string{"-report", "-ci", filepath.Join(dir, "native.gonative.json"), filepath.Join(dir, "native.rest.json")}, nil, &out, &errb); code != 0 {
		t.Fatalf("report exit %d: %s\n%s", code, errb.String(), out.String())
	}
	if strings.Contains(out.String(), "native.gonative") || !strings.Contains(out.String(), "native   1 ok, 0 failed") {
		t.Errorf("report:\n%s", out.String())
	}
}
