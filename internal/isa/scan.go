package isa

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"sync"
)

// chunkSize is how much code is read at a time: memory stays constant whatever the
// size of the file.
const chunkSize = 256 << 10

// stats accumulates what a scan found.
type stats struct {
	count        [32]int64
	first        [32]uint64
	guarded      [32]int64 // uses inside dispatched variants or helpers
	instructions int64
	undecodable  int64
	bytes        int64
	cpuid        int64 // x86 CPUID instructions
	firstCPUID   uint64
	// samples are the addresses of the first maxSamples uses of each extension, for
	// the check against the functions the file names (verify.go).
	samples [32][]uint64
	// loadGuard, when not nil, returns the spans of guard, the scanner's: read at the
	// first use (add), so that code in which the scan finds none never reads them
	// (exe.Code.LoadFuncs). Until then guard has none, and its lookups said false.
	loadGuard func() []Span
	guard     *guard
}

// maxSamples is how many uses of each extension a scan keeps for the check from
// function starts: enough to find one that decodes as code when most of them lie in
// data, and a bounded cost (a use is checked by decoding its function from the start).
const maxSamples = 256

// used reports whether the scan found a use of any extension.
func (s *stats) used() bool {
	for _, n := range s.count {
		if n > 0 {
			return true
		}
	}
	return false
}

func (s *stats) add(ext uint32, addr uint64, guarded bool) {
	if s.loadGuard != nil {
		guarded = s.firstUse(addr)
	}
	for ext != 0 {
		b := bits.TrailingZeros32(ext)
		ext &^= 1 << b
		if s.count[b] == 0 {
			s.first[b] = addr
		}
		if len(s.samples[b]) < maxSamples {
			s.samples[b] = append(s.samples[b], addr)
		}
		s.count[b]++
		if guarded {
			s.guarded[b]++
		}
	}
}

// firstUse reads the guarded spans (loadGuard) at the first use, at addr, and
// reports whether it lies in one. Uses come in increasing address order, so the
// guard's cursor, which no span moved, starts here.
func (s *stats) firstUse(addr uint64) bool {
	s.guard.spans, s.loadGuard = s.loadGuard(), nil
	return s.guard.in(addr)
}

// scanner reads ranges in chunks through one reusable buffer, or, for a large range
// of a file, through a mapping of it (exe.MapRange).
type scanner struct {
	ra      io.ReaderAt
	buf     []byte // allocated on first use (bufSize)
	bufSize int
	guard   guard

	// The x86-64 scan's interleaved streams (see x86scan.go).
	chunk    int // bytes read at a time: chunkSize, smaller in tests
	mapChunk int // bytes of a mapped range taken at a time: mapChunkSize, as chunk in tests
	split    int // decode a chunk in several streams when it holds this much code
	window   int // bytes of a stream's start in which the previous one must meet it
	streams  [x86Streams]x86Stream
	lists    *x86Lists // the streams' lists, from listsPool, on the first chunk split into streams

	mapped    int64   // bytes scanned through a mapping (TestScanMapsFile)
	mapChunks int     // chunks of mapped code (TestScanMapChunks)
	pairSteps int64   // steps of two streams at a time, after the others ended (TestScanX86Tails)
	pooled    *[]byte // buf's array, from bufPool
}

// newScanner returns a scanner whose buffer holds a chunk, or the largest range when
// that is smaller: most files are small, and a worker pool inspecting a tree should
// not allocate a whole chunk per file. The buffer is allocated when a range is read
// through ra, not when every range is mapped.
func newScanner(ra io.ReaderAt, guarded []Span, largest int64) *scanner {
	x86Tables()
	n := int64(chunkSize)
	if largest < n {
		n = max(largest, 0)
	}
	return &scanner{ra: ra, bufSize: int(n) + 16, guard: guard{spans: guarded},
		chunk: chunkSize, mapChunk: mapChunkSize, split: splitSize, window: syncWindow}
}

// buffer returns the read buffer, taken on first use from bufPool when a chunk's
// buffer holds it.
func (sc *scanner) buffer() []byte {
	if len(sc.buf) < sc.bufSize {
		if sc.bufSize <= poolBufSize {
			sc.pooled = bufPool.Get().(*[]byte)
			sc.buf = (*sc.pooled)[:sc.bufSize]
		} else {
			sc.buf = make([]byte, sc.bufSize)
		}
	}
	return sc.buf
}

// release gives the buffer back to bufPool; the scanner must not be used after it.
func (sc *scanner) release() {
	if sc.pooled != nil {
		bufPool.Put(sc.pooled)
		sc.pooled, sc.buf = nil, nil
	}
	if l := sc.lists; l != nil {
		for j := range l {
			l[j].starts, l[j].ev = sc.streams[j].starts[:0], sc.streams[j].ev[:0]
		}
		listsPool.Put(l)
		sc.lists = nil
	}
}

// poolBufSize is the size of bufPool's buffers: a chunk and the 16 bytes after it.
const poolBufSize = chunkSize + 16

// bufPool holds read buffers between scans: inspect's workers scan one file after
// another, and a buffer per file cost 90 MB of allocation (and its zeroing) per
// inspect --isa of the executables tree.
var bufPool = sync.Pool{New: func() any { b := make([]byte, poolBufSize); return &b }}

// x86Lists are the x86-64 scan's streams' windows and event lists, kept between
// scans in listsPool: grown anew for every file, the event lists' growth was 0.3%
// of inspect --isa's machine instructions on the executables tree (callgrind).
type x86Lists [x86Streams]struct {
	starts []byte
	ev     []x86Event
}

var listsPool = sync.Pool{New: func() any { return new(x86Lists) }}

// scanARM64 classifies every 4-byte word of a range of arm64 code.
func (sc *scanner) scanARM64(ctx context.Context, rg Range, st *stats) error {
	sc.guard.reset()
	sc.buffer()
	pos := int64(0)
	for pos+4 <= rg.Size {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(int64(chunkSize), (rg.Size-pos)&^3)
		n, err := sc.ra.ReadAt(sc.buf[:want], rg.Off+pos)
		if int64(n) < want {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read code at offset %#x: %w", rg.Off+pos, err)
		}
		b := sc.buf[:want]
		st.bytes += want
		st.instructions += want / 4
		base := rg.Addr + uint64(pos)
		// Two words per 8-byte load: most pairs hold no candidate at all.
		i := 0
		for ; i+8 <= len(b); i += 8 {
			d := binary.LittleEndian.Uint64(b[i : i+8 : i+8])
			if armCand[armIndex(uint32(d))]|armCand[armIndex(uint32(d>>32))] == topNone {
				continue
			}
			for k, w := range [2]uint32{uint32(d), uint32(d >> 32)} {
				if ext := classARM64Fast(w); ext != 0 {
					a := base + uint64(i+4*k)
					st.add(ext, a, sc.guard.in(a))
				}
			}
		}
		if i+4 <= len(b) {
			if ext := classARM64Fast(binary.LittleEndian.Uint32(b[i:])); ext != 0 {
				a := base + uint64(i)
				st.add(ext, a, sc.guard.in(a))
			}
		}
		pos += want
	}
	return nil
}
