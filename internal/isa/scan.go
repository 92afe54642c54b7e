package isa

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
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
}

func (s *stats) add(ext uint32, addr uint64, guarded bool) {
	for ext != 0 {
		b := bits.TrailingZeros32(ext)
		ext &^= 1 << b
		if s.count[b] == 0 {
			s.first[b] = addr
		}
		s.count[b]++
		if guarded {
			s.guarded[b]++
		}
	}
}

// scanner reads ranges in chunks through one reusable buffer.
type scanner struct {
	ra    io.ReaderAt
	buf   []byte
	guard guard
}

// newScanner returns a scanner whose buffer holds a chunk, or the largest range when
// that is smaller: most files are small, and a worker pool inspecting a tree should
// not allocate a whole chunk per file.
func newScanner(ra io.ReaderAt, guarded []Span, largest int64) *scanner {
	n := int64(chunkSize)
	if largest < n {
		n = max(largest, 0)
	}
	return &scanner{ra: ra, buf: make([]byte, n+16), guard: guard{spans: guarded}}
}

// scanX86 decodes a range of x86-64 code linearly and counts extensions.
func (sc *scanner) scanX86(ctx context.Context, rg Range, st *stats) error {
	sc.guard.reset()
	carry := 0 // bytes kept at the start of buf from the previous chunk
	pos := int64(0)
	addr := rg.Addr // address of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(int64(chunkSize), rg.Size-pos)
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
		// The fast path decodes the common instructions (no legacy prefix, one-byte or
		// plain 0F map, no extension) by table; everything else, and the last 15
		// bytes, go through decodeX86.
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

// scanARM64 classifies every 4-byte word of a range of arm64 code.
func (sc *scanner) scanARM64(ctx context.Context, rg Range, st *stats) error {
	sc.guard.reset()
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
