package isa

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gonative/gonative/internal/isa/x86run"
)

// fastRunRef is x86run.RunN's contract, plainly: every stream steps, by the
// fast path (x86run.Step) or the second step (here prefixedLenX86, which the loops
// take from x86run.Prefixed); when one or more of the active ones stand on an
// instruction for the slow path, they stay, the others keep their step, and it
// returns the steps left (this one included) and every stream that stood on one.
func fastRunRef(b []byte, pos []int, k int, active uint) (left int, slow uint) {
	for ; k > 0; k-- {
		for j := range pos {
			n := x86run.Step(b, pos[j])
			if n == 0 {
				n = uint(prefixedLenX86(b[pos[j]:]))
			}
			pos[j] += int(n)
			if n == 0 {
				slow |= 1 << j
			}
		}
		if slow&active != 0 {
			break
		}
	}
	return k, slow
}

// runFast runs x86run.RunN and fastRunRef from the same streams over b the way
// chunkX86 does (k steps of 16 bytes stay before fastEnd), until a stream reaches
// its end, and fails at the first call whose results differ; at every call it
// compares x86run.Run4Go, Run2, Run2Go, Run1 and Run1Go with the reference the same way.
func runFast(t *testing.T, b []byte, i, ends [x86Streams]int) {
	t.Helper()
	x86Tables()
	fastEnd := len(b) - 16
	for j := range ends {
		ends[j] = min(ends[j], fastEnd)
	}
	for calls := 0; ; calls++ {
		k := ends[0] - i[0]
		for j := range i {
			k = min(k, ends[j]-i[j])
		}
		if k <= 0 {
			return
		}
		k = k>>4 + 1
		got, want := i, i
		active := uint(1)<<x86Streams - 1
		if minActive < x86Streams && calls%3 == 1 { // some streams inactive
			active = uint(uint32(calls)*0x9e3779b9>>7) & active
		}
		gl, gs := x86run.RunN(b, &got, k, active)
		wl, ws := fastRunRef(b, want[:], k, active)
		if got != want || gl != wl || gs != ws {
			t.Fatalf("call %d from %v, k %d, active %#x: RunN %v %d %#x, reference %v %d %#x", calls, i, k, active, got, gl, gs, want, wl, ws)
		}
		// The others for at most 64 steps (a stream in zeros would run all k of
		// them at every call).
		k = min(k, 64)
		r := [4]int{i[0], i[1], i[2], i[3]}
		rl, rs := fastRunRef(b, r[:], k, 15)
		if a0, a1, a2, a3, al, as := x86run.Run4Go(b, i[0], i[1], i[2], i[3], k); [4]int{a0, a1, a2, a3} != r || al != rl || as != rs {
			t.Fatalf("from %v, k %d: Run4Go %v %d %#x, reference %v %d %#x", i[:4], k, [4]int{a0, a1, a2, a3}, al, as, r, rl, rs)
		}
		for _, p := range [][2]int{{0, 1}, {2, 3}} {
			r := []int{i[p[0]], i[p[1]]}
			rl, rs := fastRunRef(b, r, k, 3)
			for name, f := range map[string]func(b []byte, i0, i1, k int) (int, int, int, uint){"Run2": x86run.Run2, "Run2Go": x86run.Run2Go} {
				if x0, x1, xl, xs := f(b, i[p[0]], i[p[1]], k); x0 != r[0] || x1 != r[1] || xl != rl || xs != rs {
					t.Fatalf("from %d and %d, k %d: %s %d %d %d %#x, reference %v %d %#x", i[p[0]], i[p[1]], k, name, x0, x1, xl, xs, r, rl, rs)
				}
			}
		}
		for _, at := range i {
			r := []int{at}
			rl, _ := fastRunRef(b, r, k, 1)
			for name, f := range map[string]func(b []byte, i0, k int) (int, int){"Run1": x86run.Run1, "Run1Go": x86run.Run1Go} {
				if x0, xl := f(b, at, k); x0 != r[0] || xl != rl {
					t.Fatalf("from %d, k %d: %s %d %d, reference %d %d", at, k, name, x0, xl, r[0], rl)
				}
			}
		}
		i = got
		for j := range i { // step over an instruction for the slow path, as chunkX86 does
			if gs&active>>j&1 != 0 {
				i[j]++
			}
		}
	}
}

// TestFastRun4 checks x86run.RunN, Run2 and Run1 (assembly on amd64) and Run4Go,
// Run2Go and Run1Go against the reference on the Go
// compiler's code (whole, from four quarters) and on random bytes mixed with
// real instructions, from random starts.
func TestFastRun4(t *testing.T) {
	var code []byte
	if data, err := os.ReadFile(compilePath(t)); err == nil {
		code = data
	}
	rng := rand.New(rand.NewPCG(33, 4))
	if len(code) > 1<<20 {
		b := code[:min(len(code), 8<<20)]
		var i, ends [x86Streams]int
		for j := range i {
			i[j], ends[j] = j*len(b)/x86Streams, (j+1)*len(b)/x86Streams
		}
		runFast(t, b, i, ends)
	}
	for round := range 2000 {
		n := 64 + rng.IntN(4096)
		b := make([]byte, n)
		for p := 0; p < n; {
			if len(code) > 4096 && rng.IntN(4) != 0 { // a run of real code
				m := min(n-p, 1+rng.IntN(256))
				o := rng.IntN(len(code) - m)
				p += copy(b[p:], code[o:o+m])
				continue
			}
			b[p] = byte(rng.Uint32())
			if rng.IntN(3) == 0 { // prefixes, REX and 0F more often than chance
				b[p] = []byte{0x66, 0xf3, 0xf2, 0x48, 0x41, 0x0f, 0x64, 0xf0, 0x67}[rng.IntN(9)]
			}
			p++
		}
		var i, ends [x86Streams]int
		for j := range i {
			i[j] = rng.IntN(n)
			ends[j] = i[j] + rng.IntN(n-i[j]+1)
			if round%2 == 0 { // chunkX86's layout: equal parts
				i[j], ends[j] = j*(n-16)/x86Streams, (j+1)*(n-16)/x86Streams
			}
		}
		runFast(t, b, i, ends)
	}
}

// FuzzFastRun4 checks x86run.RunN and the others (runFast) on arbitrary bytes from four
// starts the input's first bytes choose.
func FuzzFastRun4(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x66, 0x0f, 0x1f, 0x44, 0, 0, 0xc3})
	f.Add(append([]byte{0, 5, 9, 13}, avx512Code...))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 4 {
			return
		}
		b := append(in[4:len(in):len(in)], make([]byte, 16)...)
		var i, ends [x86Streams]int
		for j := range i {
			i[j] = int(in[j%4]) * (j + 1) % len(b)
			ends[j] = len(b)
		}
		runFast(t, b, i, ends)
	})
}
