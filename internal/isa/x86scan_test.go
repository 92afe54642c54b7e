package isa

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// scanX86Serial is the serial sweep scanX86 replaced, kept as the reference the
// two-stream scan must match exactly: one instruction after another, the fast path
// for the common ones, decodeX86 for the rest, chunk by chunk (sc.chunk bytes).
func (sc *scanner) scanX86Serial(ctx context.Context, rg Range, st *stats) error {
	sc.guard.reset()
	sc.buffer()
	carry := 0 // bytes kept at the start of buf from the previous chunk
	pos := int64(0)
	addr := rg.Addr // address of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(int64(sc.chunk), rg.Size-pos)
		n, err := sc.ra.ReadAt(sc.buf[carry:carry+int(want)], rg.Off+pos)
		if int64(n) < want {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read code at offset %#x: %w", rg.Off+pos, err)
		}
		pos += want
		eof := pos >= rg.Size
		b := sc.buf[:carry+n]
		st.bytes += int64(n)
		i := 0
		limit := len(b) - 15 // every instruction starting before limit is complete
		if eof {
			limit = len(b)
		}
		fastEnd := len(b) - 16
		var ninst int64
		for i < limit {
			if i < fastEnd {
				if n := fastLenX86(b[i : i+16 : i+16]); n != 0 {
					i += n
					ninst++
					continue
				}
			}
			in := decodeX86(b[i:])
			switch {
			case in.n == 0: // truncated at the end of the code
				st.undecodable++
				i++
				continue
			case in.invalid:
				st.undecodable++
			default:
				ninst++
				if in.ext != 0 {
					a := addr + uint64(i)
					st.add(in.ext, a, sc.guard.in(a))
				}
				if in.cpuid {
					if st.cpuid == 0 {
						st.firstCPUID = addr + uint64(i)
					}
					st.cpuid++
				}
			}
			i += in.n
		}
		st.instructions += ninst
		if eof {
			return nil
		}
		if i > len(b) { // the last instruction ran past the end of the chunk
			i = len(b)
		}
		carry = copy(sc.buf, b[i:])
		addr += uint64(i)
	}
}

// scanConfig sets the chunking of a scanner: chunk size, split threshold, window,
// and the chunk size of mapped ranges (chunk's when 0).
type scanConfig struct{ chunk, split, window, mapChunk int }

// set configures sc, whose ranges are at most largest bytes long.
func (cfg scanConfig) set(sc *scanner, largest int64) {
	sc.chunk, sc.mapChunk, sc.split, sc.window = cfg.chunk, cmp.Or(cfg.mapChunk, cfg.chunk), cfg.split, cfg.window
	sc.bufSize = int(min(int64(cfg.chunk), largest)) + 16
}

var defaultScan = scanConfig{chunkSize, splitSize, syncWindow, mapChunkSize}

// compareScan scans the ranges with the two-stream scan under each configuration and
// with the serial reference, and fails unless every field of the stats is equal.
func compareScan(t *testing.T, name string, ra io.ReaderAt, ranges []Range, guarded []Span, cfgs ...scanConfig) {
	t.Helper()
	var want stats
	ref := newScanner(ra, guarded, largest(ranges))
	for _, rg := range ranges {
		if err := ref.scanX86Serial(context.Background(), rg, &want); err != nil {
			t.Fatalf("%s: reference: %v", name, err)
		}
	}
	for _, cfg := range cfgs {
		var got stats
		sc := newScanner(ra, guarded, largest(ranges))
		cfg.set(sc, largest(ranges))
		for _, rg := range ranges {
			if err := sc.scanX86(context.Background(), rg, &got); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s with %+v: two-stream scan differs from the serial one:\n got %s\nwant %s", name, cfg, statsString(&got), statsString(&want))
		}
	}
}

func statsString(s *stats) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "bytes %d instructions %d undecodable %d cpuid %d first %#x", s.bytes, s.instructions, s.undecodable, s.cpuid, s.firstCPUID)
	for i := range s.count {
		if s.count[i] != 0 {
			fmt.Fprintf(&b, " [%d: %d first %#x guarded %d]", i, s.count[i], s.first[i], s.guarded[i])
		}
	}
	return b.String()
}

// FuzzScanX86 checks the two-stream scan against the serial one on arbitrary bytes,
// cut into ranges, with small chunks, split thresholds and windows so that the chunk
// boundaries, the meeting of the streams and the fallback all happen.
func FuzzScanX86(f *testing.F) {
	f.Add([]byte{0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0xc5, 0xfd, 0xfe, 0xc1, 0x0f, 0xa2, 0xc3}, uint16(40), uint16(64), uint8(16), uint8(3), uint64(1))
	f.Add(bytes.Repeat(avx512Code, 300), uint16(100), uint16(50), uint8(7), uint8(0), uint64(2))
	f.Add(bytes.Repeat([]byte{0x66, 0x0f, 0x38, 0xdc, 0xc1, 0x06, 0x0f, 0xc7, 0xf0}, 200), uint16(1000), uint16(30), uint8(200), uint8(1), uint64(3))
	f.Fuzz(fuzzScanX86)
}

// fuzzScanX86 is the body of FuzzScanX86.
func fuzzScanX86(t *testing.T, code []byte, chunk, split uint16, window, cuts uint8, seed uint64) {
	if len(code) == 0 {
		return
	}
	// Grow the input into kilobytes of code mixing its bytes with real-looking
	// instructions, so that streams have room to meet.
	r := rand.New(rand.NewPCG(seed, uint64(len(code))))
	var buf []byte
	for len(buf) < 4<<10 {
		if r.IntN(4) == 0 {
			buf = append(buf, x86Samples[r.IntN(len(x86Samples))]...)
		} else {
			k := r.IntN(len(code))
			buf = append(buf, code[k:min(len(code), k+1+r.IntN(16))]...)
		}
	}
	var ranges []Range
	var guarded []Span
	off := 0
	for c := range int(cuts%4) + 1 {
		n := (len(buf) - off) / (int(cuts%4) + 1 - c)
		if c == int(cuts%4) {
			n = len(buf) - off
		}
		ranges = append(ranges, Range{Off: int64(off), Size: int64(n), Addr: 0x1000 + uint64(off)*2})
		if n > 0 {
			lo := 0x1000 + uint64(off)*2 + uint64(r.IntN(n))
			guarded = append(guarded, Span{Lo: lo, Hi: lo + uint64(r.IntN(n))})
		}
		off += n
	}
	slices.SortFunc(guarded, func(a, b Span) int { return int(a.Lo) - int(b.Lo) })
	cfg := scanConfig{chunk: int(chunk)%8192 + 1, split: int(split) % 4096, window: int(window)}
	compareScan(t, "fuzz", bytes.NewReader(buf), ranges, guarded, cfg, defaultScan)
}

// x86Samples are instructions of every kind the scan tells apart.
var x86Samples = [][]byte{
	{0x48, 0x8b, 0x04, 0x25, 1, 2, 3, 4}, // mov rax, [abs]
	{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}, // mov rax, imm64
	{0x0f, 0x84, 1, 2, 3, 4},             // je rel32
	{0x41, 0x0f, 0xb6, 0x44, 0x24, 0x08}, // movzx eax, byte [r12+8]
	{0xc5, 0xfd, 0xfe, 0xc1},             // vpaddd (AVX2)
	{0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc1}, // vpaddd zmm (AVX-512)
	{0x66, 0x0f, 0x38, 0xdc, 0xc1},       // aesenc
	{0x0f, 0xa2},                         // cpuid
	{0xf3, 0x0f, 0xb8, 0xc1},             // popcnt
	{0x06},                               // invalid in 64-bit mode
	{0xc3},                               // ret
	{0xe8, 1, 2, 3, 4},                   // call
	{0x48, 0x89, 0x44, 0x24, 0x08},       // mov [rsp+8], rax
	{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, // nop
	{0x48, 0x0f, 0xc7, 0x0e},             // cmpxchg16b
	{0x8b, 0x04, 0x05, 1, 2, 3, 4},       // SIB with base 5
	{0xc4, 0xe2, 0x79, 0x18, 0xc0},       // vbroadcastss xmm0, xmm0 (AVX2)
}

// TestScanX86Synthetic checks that a use B finds before the streams meet is not
// counted twice and a use after is counted once: the same instruction repeated.
func TestScanX86Synthetic(t *testing.T) {
	code := bytes.Repeat([]byte{0xc5, 0xfd, 0xfe, 0xc1, 0x48, 0x89, 0x44, 0x24, 0x08}, 10000)
	var want int64 = 10000
	for _, cfg := range []scanConfig{defaultScan, {chunk: 4096, split: 512, window: 64}, {chunk: 100000, split: 1, window: 1}} {
		sc := newScanner(bytes.NewReader(code), nil, int64(len(code)))
		cfg.set(sc, int64(len(code)))
		var st stats
		if err := sc.scanX86(context.Background(), Range{Size: int64(len(code)), Addr: 0x1000}, &st); err != nil {
			t.Fatal(err)
		}
		if st.count[xAVX2] != want || st.instructions != 2*want || st.first[xAVX2] != 0x1000 || st.undecodable != 0 {
			t.Errorf("%+v: %s", cfg, statsString(&st))
		}
	}
}

// TestScanX86Random runs the fuzz test's invariant on pseudo-random inputs, many more
// than the seeds, on every go test.
func TestScanX86Random(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		code := make([]byte, 1+r.IntN(300))
		for i := range code {
			code[i] = byte(r.Uint32())
		}
		fuzzScanX86(t, code, uint16(r.Uint32()), uint16(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), r.Uint64())
		if t.Failed() {
			break
		}
	}
}

// TestScanBufferReused scans 100 KiB of code read through a reader (not a file that
// could be mapped) 20 times and measures the bytes allocated: the read buffer comes
// from a pool, where each scan once allocated (and zeroed) its own.
func TestScanBufferReused(t *testing.T) {
	const n, runs = 100 << 10, 20
	code := bytes.Repeat([]byte{0x48, 0x89, 0xc8, 0x90}, n/4)
	c := &Code{Arch: "amd64", Format: "elf", Ranges: []Range{{Off: 0, Size: n, Addr: 0x1000}}}
	ra := bytes.NewReader(code)
	if _, err := Analyze(context.Background(), ra, c, Input{Scan: true}); err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range runs {
		Analyze(context.Background(), ra, c, Input{Scan: true})
	}
	runtime.ReadMemStats(&m1)
	if per := (m1.TotalAlloc - m0.TotalAlloc) / runs; per > n/2 {
		t.Errorf("a scan of %d bytes of code allocates %d bytes: its read buffer is not reused", n, per)
	}
}

// TestScanX86Tails checks that on amd64 the streams that have not reached their end
// go on in the eight-stream loop while three or more are left, not two at a time
// as soon as one ends: on the first 8 MiB of the Go compiler, read in 32 chunks of
// 256 KiB, pairs decoded 11.5% of the instructions that way, 1.6% now, at a cost
// per instruction about three times the eight streams'. It counts steps, not time.
func TestScanX86Tails(t *testing.T) {
	if minActive >= x86Streams {
		t.Skip("the Go loop stops at every stream's end")
	}
	data, err := os.ReadFile(compilePath(t))
	if err != nil {
		t.Skip(err)
	}
	data = data[:min(len(data), 8<<20)]
	sc := newScanner(bytes.NewReader(data), nil, int64(len(data)))
	var st stats
	if err := sc.scanX86(context.Background(), Range{Size: int64(len(data)), Addr: 0x400000}, &st); err != nil {
		t.Fatal(err)
	}
	if share := float64(2*sc.pairSteps) / float64(st.instructions); share > 0.02 {
		t.Errorf("%d of %d instructions decoded two streams at a time (%.1f%%), want at most 2%%", 2*sc.pairSteps, st.instructions, 100*share)
	}
	t.Logf("%d of %d instructions decoded two streams at a time", 2*sc.pairSteps, st.instructions)
}
