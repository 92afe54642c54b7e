package cli

import (
	"bufio"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/inspect"
	"github.com/gonative/gonative/internal/verdict"
)

// TestInspectLineVerdict checks that the one-line summary colours the verdict alone,
// even when what the file says holds " => ", and that a damaged file's verdict points
// at the error on the line instead of repeating it: both follow the verdict's Runs and
// Cause, not the text of the line.
func TestInspectLineVerdict(t *testing.T) {
	slice := exe.Slice{Arch: "arm64", OS: "linux", Kind: exe.KindExecutable, Error: "ELF: section a => b: truncated",
		PIE: exe.KnownFact(false), Stripped: exe.KnownFact(false)}
	f := &exe.File{Path: "p", Format: exe.FormatELF, Kind: exe.KindExecutable, Slices: []exe.Slice{slice}}
	for _, tt := range []struct {
		name string
		v    verdict.Verdict
		want string
	}{
		{"damaged", verdict.Verdict{Runs: verdict.No, Cause: verdict.Damaged, Reason: "the file is damaged: ELF: section a => b: truncated", Slice: -1, Host: "linux/arm64"},
			"p: ELF executable linux/arm64, error: ELF: section a => b: truncated => \x1b[31mdoes not run on linux/arm64: the file is damaged (the error above)\x1b[0m\n"},
		{"several", verdict.Verdict{Runs: verdict.No, Cause: verdict.Several, Reason: "the file is damaged: x; built for y", Slice: -1, Host: "linux/arm64"},
			"p: ELF executable linux/arm64, error: ELF: section a => b: truncated => \x1b[31mdoes not run on linux/arm64: the file is damaged: x; built for y\x1b[0m\n"},
		{"native", verdict.Verdict{Runs: verdict.Native, Slice: 0, Host: "linux/arm64"},
			"p: ELF executable linux/arm64, error: ELF: section a => b: truncated => \x1b[32mruns natively on linux/arm64\x1b[0m\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			var b strings.Builder
			writeLine(&b, palette{on: true}, &inspect.Result{File: f, Verdict: &v})
			if b.String() != tt.want {
				t.Errorf("line\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

// TestInspectLineAllocs bounds the allocations of the one-line summary of a typical
// dynamically linked PIE: a cached run writes a line per file, and builds nothing
// else for it. It fails when the summary's parts are collected in a slice on the
// heap again, or each fact's word in a slice of its own, or the line is formatted
// with fmt (15 allocations before, 11 since).
func TestInspectLineAllocs(t *testing.T) {
	r := typicalResult(false)
	w := bufio.NewWriter(io.Discard)
	var b strings.Builder
	writeLine(&b, palette{}, r)
	if want := "/usr/bin/tool: ELF executable linux/amd64, dynamic, glibc 2.34+, PIE, stripped => runs natively on linux/amd64\n"; b.String() != want {
		t.Fatalf("line\n%q\nwant\n%q", b.String(), want)
	}
	n := testing.AllocsPerRun(100, func() { writeLine(w, palette{}, r) })
	t.Logf("%v allocations a line", n)
	if n > 12 {
		t.Errorf("%v allocations a line, want at most 12", n)
	}
}

// typicalResult is a dynamic PIE linux/amd64 executable that runs natively.
func typicalResult(named bool) *inspect.Result {
	slice := exe.Slice{Arch: "amd64", OS: "linux", Kind: exe.KindExecutable, Interpreter: "/lib64/ld-linux-x86-64.so.2", GLIBC: "2.34",
		PIE: exe.KnownFact(true), Stripped: exe.KnownFact(true),
		Libraries: []exe.Library{{Name: "libc.so.6", System: exe.KnownFact(true)}, {Name: "libz.so.1", System: exe.KnownFact(true)}}}
	f := &exe.File{Path: "/usr/bin/tool", Format: exe.FormatELF, Kind: exe.KindExecutable, Slices: []exe.Slice{slice}}
	v := verdict.Verdict{Runs: verdict.Native, Slice: 0, Host: "linux/amd64"}
	return &inspect.Result{File: f, Verdict: &v, Named: named}
}

// TestInspectJSONLineAllocs bounds the bytes allocated for a JSON line of a typical
// result: the line is encoded into the output's buffer, not marshalled into a slice
// of its own and copied (a cached run of 1,294 files allocated 2 MB more so, and made
// 230 more page faults).
func TestInspectJSONLineAllocs(t *testing.T) {
	r := typicalResult(true)
	var line strings.Builder
	p := &inspectPrinter{fl: inspectFlags{json: true}, out: bufio.NewWriterSize(&line, 1<<16)}
	if err := p.emit(r); err != nil {
		t.Fatal(err)
	}
	p.out.Flush()
	n := len(line.String())
	p.out = bufio.NewWriterSize(io.Discard, 1<<16)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const lines = 100
	for range lines {
		p.emit(r)
	}
	runtime.ReadMemStats(&after)
	perLine := (after.TotalAlloc - before.TotalAlloc) / lines
	t.Logf("a JSON line of %d bytes: %d bytes allocated", n, perLine)
	if perLine > 2*uint64(n) {
		t.Errorf("a JSON line of %d bytes allocates %d bytes, want at most %d", n, perLine, 2*n)
	}
}
