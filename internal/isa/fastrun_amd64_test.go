//go:build !purego

package isa

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestFastRun4Assembly checks that on amd64 the scan's four streams run in the
// assembly loop, whose step is 20 machine instructions (the compiler's fastRun4Go
// takes about 40, with bounds checks and spills; callgrind of inspect --isa on five
// large files: 883 million instructions with it, 610 million with the assembly),
// and that fastRunN, fastRun2 and fastRun1 call the assembly.
func TestFastRun4Assembly(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the assembly is amd64's")
	}
	if testing.Short() {
		t.Skip("-short: runs go tool asm")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	out, err := exec.Command("go", "tool", "asm", "-S", "-p", "isa", "-I", filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include"),
		"-o", filepath.Join(t.TempDir(), "fastrun.o"), "fastrun_amd64.s").CombinedOutput()
	if err != nil {
		t.Fatalf("go tool asm: %v\n%s", err, out)
	}
	_, fn4, _ := strings.Cut(string(out), "fastRun8Asm STEXT")
	fn4, _, _ = strings.Cut(fn4, " STEXT ")
	n := len(regexp.MustCompile(`(?m)^\s+0x[0-9a-f]+ \d+ \(.*fastrun_amd64\.s:\d+\)\s+[A-Z]`).FindAllString(fn4, -1))
	n -= strings.Count(fn4, "FUNCDATA") + strings.Count(fn4, "\tTEXT\t")
	// 15 to load the arguments, 8 steps, the loop's test of the active streams and count (4), 12 to store the results and return.
	if want := 15 + 8*20 + 4 + 12; n == 0 || n > want {
		t.Errorf("fastRun8Asm has %d machine instructions, want at most %d\n%s", n, want, out)
	}
	if x86Streams != 8 {
		t.Errorf("x86Streams is %d, want 8", x86Streams)
	}
	if fn := runtime.FuncForPC(reflect.ValueOf(fastRun8Asm).Pointer()); fn == nil || !strings.HasSuffix(fn.Name(), "fastRun8Asm") {
		t.Errorf("fastRun8Asm is not in the binary")
	}
	src, err := os.ReadFile("fastrun_amd64.go")
	for _, call := range []string{"return fastRun8Asm(", "return fastRun2Asm(", "return fastRun1Asm("} {
		if err != nil || !strings.Contains(string(src), call) {
			t.Errorf("fastrun_amd64.go does not %s...) (%v)", call, err)
		}
	}
}

// TestFastRun4Range checks that fastRunN refuses steps that could read outside b
// (a bounds check's panic) before the assembly reads anything.
func TestFastRun4Range(t *testing.T) {
	x86Tables()
	b := make([]byte, 64)
	for _, c := range []struct{ i0, i3, k int }{{0, 48, 2}, {-1, 0, 1}, {0, 0, 5}, {0, 49, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("fastRunN from %d and %d, %d steps, in 64 bytes: no panic", c.i0, c.i3, c.k)
				}
			}()
			fastRunN(b, &[x86Streams]int{c.i0, 0, 0, c.i3}, c.k, 0xff)
		}()
	}
	pos := [x86Streams]int{3: 32}
	if fastRunN(b, &pos, 2, 0xff); pos[3] != 36 { // 00 00: add [rax], al, 2 bytes
		t.Errorf("fastRunN in zeros: stream 3 at %d, want 36", pos[3])
	}
}
