package isa

import (
	"math/rand/v2"
	"os"
	"testing"
)

// runFast4 runs fastRun4 and fastRun4Go from the same streams over b the way
// chunkX86 does (k steps of 16 bytes stay before fastEnd), until a stream reaches
// its end, and fails at the first call whose results differ; at every call it
// compares fastRun2 and fastRun1 with their Go versions the same way.
func runFast4(t *testing.T, b []byte, i [4]int, ends [4]int) {
	t.Helper()
	x86Tables()
	fastEnd := len(b) - 16
	for j := range ends {
		ends[j] = min(ends[j], fastEnd)
	}
	for calls := 0; i[0] < ends[0] && i[1] < ends[1] && i[2] < ends[2] && i[3] < ends[3]; calls++ {
		k := min(ends[0]-i[0], ends[1]-i[1], ends[2]-i[2], ends[3]-i[3])>>4 + 1
		a0, a1, a2, a3, al, as := fastRun4(b, i[0], i[1], i[2], i[3], k)
		g0, g1, g2, g3, gl, gs := fastRun4Go(b, i[0], i[1], i[2], i[3], k)
		if [6]int{a0, a1, a2, a3, al, int(as)} != [6]int{g0, g1, g2, g3, gl, int(gs)} {
			t.Fatalf("call %d from %v, k %d: fastRun4 %v, fastRun4Go %v", calls, i, k,
				[6]int{a0, a1, a2, a3, al, int(as)}, [6]int{g0, g1, g2, g3, gl, int(gs)})
		}
		// fastRun2 on streams 0 and 1, then 2 and 3, and fastRun1 on each, for at
		// most 64 steps (a stream in zeros would run all k of them at every call).
		k = min(k, 64)
		for _, p := range [][2]int{{0, 1}, {2, 3}} {
			x0, x1, xl, xs := fastRun2(b, i[p[0]], i[p[1]], k)
			y0, y1, yl, ys := fastRun2Go(b, i[p[0]], i[p[1]], k)
			if [4]int{x0, x1, xl, int(xs)} != [4]int{y0, y1, yl, int(ys)} {
				t.Fatalf("from %d and %d, k %d: fastRun2 %v, fastRun2Go %v", i[p[0]], i[p[1]], k,
					[4]int{x0, x1, xl, int(xs)}, [4]int{y0, y1, yl, int(ys)})
			}
		}
		for _, at := range i {
			x0, xl := fastRun1(b, at, k)
			y0, yl := fastRun1Go(b, at, k)
			if x0 != y0 || xl != yl {
				t.Fatalf("from %d, k %d: fastRun1 %d %d, fastRun1Go %d %d", at, k, x0, xl, y0, yl)
			}
		}
		i = [4]int{a0, a1, a2, a3}
		for j := range i { // step over an instruction for the slow path, as chunkX86 does
			if gs>>j&1 != 0 {
				i[j]++
			}
		}
	}
}

// TestFastRun4 checks fastRun4, fastRun2 and fastRun1 (assembly on amd64) against
// their Go versions on the Go
// compiler's code (whole, from four quarters) and on random bytes mixed with
// real instructions, from random starts.
func TestFastRun4(t *testing.T) {
	var code []byte
	if data, err := os.ReadFile(compilePath(t)); err == nil {
		code = data
	}
	rng := rand.New(rand.NewPCG(33, 4))
	if len(code) > 1<<20 {
		b := code[:len(code)&^15]
		q := len(b) / 4
		runFast4(t, b, [4]int{0, q, 2 * q, 3 * q}, [4]int{q, 2 * q, 3 * q, len(b)})
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
		var i, ends [4]int
		for j := range i {
			i[j] = rng.IntN(n)
			ends[j] = i[j] + rng.IntN(n-i[j]+1)
		}
		if round%2 == 0 { // chunkX86's layout: quarters
			q := (n - 16) / 4
			i, ends = [4]int{0, q, 2 * q, 3 * q}, [4]int{q, 2 * q, 3 * q, n - 16}
		}
		runFast4(t, b, i, ends)
	}
}

// FuzzFastRun4 checks fastRun4, fastRun2 and fastRun1 against their Go versions on arbitrary bytes from four
// starts the input's first bytes choose.
func FuzzFastRun4(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x66, 0x0f, 0x1f, 0x44, 0, 0, 0xc3})
	f.Add(append([]byte{0, 5, 9, 13}, avx512Code...))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 4 {
			return
		}
		b := append(in[4:len(in):len(in)], make([]byte, 16)...)
		var i, ends [4]int
		for j := range i {
			i[j] = int(in[j]) % len(b)
			ends[j] = len(b)
		}
		runFast4(t, b, i, ends)
	})
}
