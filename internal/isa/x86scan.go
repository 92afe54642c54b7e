package isa

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
)

// The x86-64 linear sweep decodes one instruction after another: each length depends
// on the bytes at the position the previous one ended, so a single sweep is a chain of
// dependent loads that keeps the CPU waiting. scanX86 runs two sweeps through a chunk
// at once, interleaved in one loop so that the CPU overlaps their chains: stream A
// from the start of the chunk, stream B from its middle. x86 decoding
// resynchronises within a few instructions, so when A reaches the middle it
// continues until it stands on an instruction start that B decoded (B records them
// in its first window bytes); from there on, B's instructions are A's. What B found
// before that point is dropped: it counts its events (extension uses, CPUID,
// undecodable bytes) in a list and its starts in the window, and only those at or
// after the meeting point are committed. When A does not meet B within the window
// (data in the code), A decodes the rest of the chunk alone and B's work is dropped.
// The result is the serial sweep's, exactly: the tests compare the two on real
// executables and fuzzed bytes.

const (
	// splitSize is the least code in a chunk for which the two streams pay off.
	splitSize = 16 << 10
	// syncWindow is how far past the middle A may run before it gives up meeting B.
	syncWindow = 2 << 10
)

// x86Event is an event of stream B: an extension use, CPUID or an undecodable byte
// at an offset in the chunk.
type x86Event struct {
	pos  int32
	mask uint32 // extension bits, evCPUID, evUndecodable
}

const (
	evCPUID       = 1 << 31
	evUndecodable = 1 << 30
)

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
		limit := len(b) - 15 // every instruction starting before limit is complete
		if eof {
			limit = len(b)
		}
		i := sc.chunkX86(b, limit, addr, st)
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

// chunkX86 decodes the instructions of b that start before limit and returns the
// offset where the sweep ended; addr is the address of b[0].
func (sc *scanner) chunkX86(b []byte, limit int, addr uint64, st *stats) int {
	// The fast path decodes the common instructions (no legacy prefix, one-byte or
	// plain 0F map, no extension) by table; everything else, and the last 16 bytes,
	// go through decodeX86.
	fastEnd := len(b) - 16
	mid := limit / 2
	if limit < sc.split || sc.window <= 0 || mid > fastEnd {
		return sc.streamA(b, 0, limit, fastEnd, addr, st)
	}
	win := min(sc.window, fastEnd-mid)
	winEnd := mid + win
	if cap(sc.starts) < win {
		sc.starts = make([]byte, win)
	}
	starts := sc.starts[:win]
	clear(starts)
	sc.evB = sc.evB[:0]
	sc.undecB = 0
	// B decodes its window alone, recording where its instructions start.
	iB := mid
	var sB int64 // B's steps: instructions and undecodable bytes
	for iB < winEnd {
		starts[iB-mid] = 1
		sB++
		n := fastLen(binary.LittleEndian.Uint64(b[iB : iB+8 : iB+8]))
		if n == 0 {
			n = sc.slowB(b, iB, winEnd)
		}
		iB += n
	}
	// A from the start and B from the end of its window, interleaved. The inner loop
	// has the fast path of both, inlined by hand (fastLen is too costly for the
	// compiler to inline) and no call, so that the compiler keeps the streams in
	// registers; it leaves to let either stream take the slow path.
	iA := 0
	var steps int64 // steps of each stream
	for iA < mid && iB < fastEnd {
		// k steps of at most 16 bytes keep both streams in bounds: the inner loop
		// needs no other test.
		k := min(mid-iA, fastEnd-iB)>>4 + 1
		k0 := k
		iA, iB, k = fastRun2(b, iA, iB, k)
		steps += int64(k0 - k)
		if k > 0 { // one stream or both take the slow path
			n := fastLen(binary.LittleEndian.Uint64(b[iA : iA+8 : iA+8]))
			if n == 0 {
				n = sc.slowA(b, iA, addr, st)
			}
			iA += n
			n = fastLen(binary.LittleEndian.Uint64(b[iB : iB+8 : iB+8]))
			if n == 0 {
				n = sc.slowB(b, iB, winEnd)
			}
			iB += n
			steps++
		}
	}
	st.instructions += steps
	sB += steps
	iA = sc.streamA(b, iA, mid, fastEnd, addr, st)
	// A looks for an instruction start of B.
	for iA < winEnd && starts[iA-mid] == 0 {
		iA = sc.streamA(b, iA, iA+1, fastEnd, addr, st)
	}
	if iA >= winEnd { // A did not meet B: it decodes the rest alone
		return sc.streamA(b, iA, limit, fastEnd, addr, st)
	}
	for iB < limit {
		sB++
		n := 0
		if iB < fastEnd {
			n = fastLen(binary.LittleEndian.Uint64(b[iB : iB+8 : iB+8]))
		}
		if n == 0 {
			n = sc.slowB(b, iB, winEnd)
		}
		iB += n
	}
	// Commit what B found from the meeting point p on.
	p := iA
	var before, undecBefore int64
	for _, s := range starts[:p-mid] {
		before += int64(s)
	}
	for _, e := range sc.evB {
		if int(e.pos) < p {
			if e.mask&evUndecodable != 0 {
				undecBefore++
			}
			continue
		}
		if ext := e.mask &^ (evCPUID | evUndecodable); ext != 0 {
			a := addr + uint64(e.pos)
			st.add(ext, a, sc.guard.in(a))
		}
		if e.mask&evCPUID != 0 {
			if st.cpuid == 0 {
				st.firstCPUID = addr + uint64(e.pos)
			}
			st.cpuid++
		}
	}
	undec := sc.undecB - undecBefore
	st.undecodable += undec
	st.instructions += sB - before - undec
	return iB
}

// streamA decodes alone from offset i while i < end and returns the offset where it
// stopped, committing what it finds to st.
func (sc *scanner) streamA(b []byte, i, end, fastEnd int, addr uint64, st *stats) int {
	var steps int64
	for i < end {
		steps++
		n := 0
		if i < fastEnd {
			n = fastLen(binary.LittleEndian.Uint64(b[i : i+8 : i+8]))
		}
		if n == 0 {
			n = sc.slowA(b, i, addr, st)
		}
		i += n
	}
	st.instructions += steps
	return i
}

// slowA decodes the instruction at b[i:] with the full decoder for stream A,
// committing it to st, and returns how far to advance. The caller counts every step
// as an instruction: an undecodable byte takes its count back.
func (sc *scanner) slowA(b []byte, i int, addr uint64, st *stats) int {
	in := decodeX86(b[i:])
	if in.n == 0 || in.invalid { // truncated at the end of the code, or invalid
		st.undecodable++
		st.instructions--
		return 1
	}
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
	return in.n
}

// slowB decodes the instruction at b[i:] with the full decoder for stream B,
// recording its events, and returns how far to advance. Undecodable bytes are
// recorded only in the window (before it, A and B meet or B is dropped).
func (sc *scanner) slowB(b []byte, i, winEnd int) int {
	in := decodeX86(b[i:])
	if in.n == 0 || in.invalid {
		sc.undecB++
		if i < winEnd {
			sc.evB = append(sc.evB, x86Event{pos: int32(i), mask: evUndecodable})
		}
		return 1
	}
	if in.ext != 0 || in.cpuid {
		m := in.ext
		if in.cpuid {
			m |= evCPUID
		}
		sc.evB = append(sc.evB, x86Event{pos: int32(i), mask: m})
	}
	return in.n
}

// fastRun2 advances streams A and B from iA and iB by at most k steps of one
// fast-path instruction each, and returns where they stand and the steps left (more
// than 0 when one of them meets an instruction for the slow path). The caller
// guarantees that k steps stay in b. It makes no call, so that the compiler keeps
// both streams in registers; fastLen is inlined by hand (too costly for the compiler).
func fastRun2(b []byte, iA, iB, k int) (int, int, int) {
	for ; k > 0; k-- {
		var nA, nB uint
		{
			x := uint(binary.LittleEndian.Uint64(b[iA : iA+8 : iA+8]))
			var rex, esc uint
			if x&0xf0 == 0x40 {
				rex = 1
			}
			r := rex + rex&(x>>3) // 0, 1 with REX, 2 with REX.W
			x >>= rex << 3
			if x&0xff == 0x0f {
				esc = 1
			}
			x >>= esc << 3
			f := uint(fastX[(r<<9|esc<<8|x&0xff)&2047])
			nA = f&fxLen + uint(modrmT[x>>8&0x7ff])*(f>>5)
		}
		{
			x := uint(binary.LittleEndian.Uint64(b[iB : iB+8 : iB+8]))
			var rex, esc uint
			if x&0xf0 == 0x40 {
				rex = 1
			}
			r := rex + rex&(x>>3)
			x >>= rex << 3
			if x&0xff == 0x0f {
				esc = 1
			}
			x >>= esc << 3
			f := uint(fastX[(r<<9|esc<<8|x&0xff)&2047])
			nB = f&fxLen + uint(modrmT[x>>8&0x7ff])*(f>>5)
		}
		if min(nA, nB) == 0 {
			break
		}
		iA += int(nA)
		iB += int(nB)
	}
	return iA, iB, k
}
