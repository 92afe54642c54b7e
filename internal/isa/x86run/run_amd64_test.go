//go:build !purego

package x86run

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestFastRun4Assembly checks that on amd64 the scan's streams run in the
// assembly loop, whose step is 15 machine instructions (16 before the second
// step moved the slow flag out of the loop) (the compiler's Run4Go
// takes about 40, with bounds checks and spills; callgrind of inspect --isa on five
// large files: 883 million instructions with it, 610 million with the assembly's
// first step of 20),
// and that RunN, Run2 and Run1 call the assembly.
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
	out, err := exec.Command("go", "tool", "asm", "-S", "-p", "x86run", "-I", filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include"),
		"-o", filepath.Join(t.TempDir(), "fastrun.o"), "run_amd64.s").CombinedOutput()
	if err != nil {
		t.Fatalf("go tool asm: %v\n%s", err, out)
	}
	_, fn4, _ := strings.Cut(string(out), "fastRun8Asm STEXT")
	fn4, _, _ = strings.Cut(fn4, " STEXT ")
	n := len(regexp.MustCompile(`(?m)^\s+0x[0-9a-f]+ \d+ \(.*run_amd64\.s:\d+\)\s+[A-Z]`).FindAllString(fn4, -1))
	n -= strings.Count(fn4, "FUNCDATA") + strings.Count(fn4, "\tTEXT\t")
	// 15 to load the arguments, 24 for the range check and 8 to turn the streams
	// into pointers, 8 steps of 15, the loop's test of the active streams and
	// count (4), 9 to turn them back and 12 to store the results and return, 3 to
	// return out of range; out of the loop, each stream's second step (SECOND: 12,
	// the call of pfxStep included), and 4 for the frame pointer the call brings.
	if want := 15 + 24 + 8 + 8*15 + 4 + 9 + 12 + 3 + 8*12 + 4; n <= 0 || n > want {
		t.Errorf("fastRun8Asm has %d machine instructions, want at most %d\n%s", n, want, out)
	}
	// pfxStep, the second step's body: 7 to enter, the prefixes' loop (14), 3 for
	// a lone F3 or F2, 6 after the prefixes, 16 for REX and 0F and a tail of 18
	// for each place of the opcode (after the prefixes, REX or 0F, REX and 0F), 4
	// to return.
	_, pfx, _ := strings.Cut(string(out), "pfxStep STEXT")
	pfx, _, _ = strings.Cut(pfx, " STEXT ")
	if n, want := len(regexp.MustCompile(`(?m)^\s+0x[0-9a-f]+ \d+ \(.*run_amd64\.s:\d+\)\s+[A-Z]`).FindAllString(pfx, -1)), 7+14+3+6+16+4*18+4; n <= 0 || n > want {
		t.Errorf("pfxStep has %d machine instructions, want at most %d\n%s", n, want, out)
	}
	if Streams != 8 {
		t.Errorf("Streams is %d, want 8", Streams)
	}
	if fn := runtime.FuncForPC(reflect.ValueOf(fastRun8Asm).Pointer()); fn == nil || !strings.HasSuffix(fn.Name(), "fastRun8Asm") {
		t.Errorf("fastRun8Asm is not in the binary")
	}
	src, err := os.ReadFile("run_amd64.go")
	for _, call := range []string{"= fastRun8Asm(", "return fastRun2Asm(", "return fastRun1Asm("} {
		if err != nil || !strings.Contains(string(src), call) {
			t.Errorf("run_amd64.go does not %s...) (%v)", call, err)
		}
	}
}

// TestFastRun4Range checks that RunN, Run2 and Run1 refuse steps that could read
// outside b (a bounds check's panic) before the assembly reads anything, and step
// where they may: with tables (oneTables) that know one instruction, 00 ModRM.
func TestFastRun4Range(t *testing.T) {
	Fill(oneTables)
	t.Cleanup(func() { Fill(func(t *Tables) { *t = Tables{} }) })
	b := make([]byte, 64)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	for _, c := range []struct{ i0, i3, k int }{{0, 48, 2}, {-1, 0, 1}, {0, 0, 5}, {0, 49, 1}} {
		mustPanic(fmt.Sprintf("RunN from %d and %d, %d steps, in 64 bytes", c.i0, c.i3, c.k), func() {
			RunN(b, &[Streams]int{c.i0, 0, 0, c.i3}, c.k, 0xff)
		})
		for j := range Streams { // each stream's comparison in the assembly
			var pos [Streams]int
			pos[j] = c.i3
			if c.i0 < 0 {
				pos[j] = c.i0
			}
			mustPanic(fmt.Sprintf("RunN with stream %d at %d, %d steps, in 64 bytes", j, pos[j], c.k), func() {
				RunN(b, &pos, c.k, 0xff)
			})
		}
		mustPanic(fmt.Sprintf("Run2 from %d and %d, %d steps, in 64 bytes", c.i0, c.i3, c.k), func() { Run2(b, c.i0, c.i3, c.k) })
		i := c.i3 // the stream out of range, or the one whose k steps are
		if c.i0 < 0 {
			i = c.i0
		}
		mustPanic(fmt.Sprintf("Run1 from %d, %d steps, in 64 bytes", i, c.k), func() { Run1(b, i, c.k) })
	}
	pos := [Streams]int{3: 32}
	if left, slow := RunN(b, &pos, 2, 0xff); pos[3] != 36 || left != 0 || slow != 0 { // 00 00: add [rax], al, 2 bytes
		t.Errorf("RunN in zeros: stream 3 at %d, %d left, slow %#x; want 36, 0, 0", pos[3], left, slow)
	}
	if r0, r1, left, slow := Run2(b, 0, 32, 2); r0 != 4 || r1 != 36 || left != 0 || slow != 0 {
		t.Errorf("Run2 in zeros: %d %d %d %#x, want 4 36 0 0", r0, r1, left, slow)
	}
	if r0, left := Run1(b, 32, 2); r0 != 36 || left != 0 {
		t.Errorf("Run1 in zeros: %d %d, want 36 0", r0, left)
	}
}

// oneTables fills t as tables that know one instruction, 00 /r (add r/m8, r8),
// with a register or [reg] operand: the opcode byte and the ModRM byte.
func oneTables(t *Tables) {
	*t = Tables{}
	t.Op[0x00] = 0xff00 | 1
	for sib := range 8 {
		for m := range 256 {
			if mod, rm := m>>6, m&7; mod == 3 || mod == 0 && rm != 4 && rm != 5 {
				t.ModRM[sib<<8|m] = 1
			}
		}
	}
}
