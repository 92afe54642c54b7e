package isa

import (
	"context"
	"fmt"
	"io"
	"math/bits"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/isa/x86run"
)

// The x86-64 linear sweep decodes one instruction after another: each length depends
// on the bytes at the position the previous one ended, so a single sweep is a chain of
// dependent loads that keeps the CPU waiting. scanX86 runs several sweeps through a
// chunk at once (x86Streams), interleaved in one loop so that the CPU overlaps their
// chains: stream j starts at the j-th of x86Streams equal parts of the chunk. x86 decoding
// resynchronises within a few instructions, so when stream j reaches the start of
// stream j+1 it continues until it stands on an instruction start that j+1 decoded
// (j+1 records them in its first window bytes): from that meeting point on, j+1's
// instructions are j's. What a stream found before its meeting point is dropped:
// streams other than the first keep their events (extension uses, CPUID, undecodable
// bytes) in a list, and only those at or after the meeting point are committed, in
// address order. When a stream does not meet the next one within the window (data in
// the code), it decodes the rest of the chunk alone and the later streams' work is
// dropped. The result is the serial sweep's, exactly: the tests compare the two on
// real executables and on fuzzed bytes.

const (
	// splitSize is the least code in a chunk for which the streams pay off.
	splitSize = 16 << 10
	// syncWindow is how far past the start of the next stream a stream may run
	// before it gives up meeting it. On the compiler, libc, libcrypto, /usr/bin and
	// the real-world corpus (about 10,000 meetings), streams met within 3 bytes at
	// the median, 36 at the 99th percentile, 96 at most.
	syncWindow = 512
)

// x86Event is an event of a stream other than the first: an extension use, CPUID
// or an undecodable byte at an offset in the chunk.
type x86Event struct {
	pos  int32
	mask uint32 // extension bits, evCPUID, evUndecodable
}

const (
	evCPUID       = 1 << 31
	evUndecodable = 1 << 30
)

// mapMin is the least code scanX86 maps rather than reads: below it a pread's copy
// costs less than a mapping's system calls.
const mapMin = 256 << 10

// mapWindow is how much of a range scanX86 maps at a time: a mapped page counts in
// the process's resident memory until it is unmapped, and two workers mapping
// libLLVM's 50 MB of code whole took inspect --isa's peak RSS from 50 to 140 MiB.
const mapWindow = 1 << 20

// scanX86 decodes a range of x86-64 code linearly and counts extensions.
func (sc *scanner) scanX86(ctx context.Context, rg Range, st *stats) error {
	sc.guard.reset()
	if rg.Size >= mapMin {
		if m := exe.MapRange(sc.ra, rg.Off, min(rg.Size, sc.mapWindow())); m != nil {
			return sc.scanX86Mapped(ctx, m, rg, st)
		}
	}
	buf := sc.buffer()
	carry := 0 // bytes kept at the start of buf from the previous chunk
	pos := int64(0)
	addr := rg.Addr // address of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(int64(sc.chunk), rg.Size-pos)
		n, err := sc.ra.ReadAt(buf[carry:carry+int(want)], rg.Off+pos)
		if int64(n) < want {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read code at offset %#x: %w", rg.Off+pos, err)
		}
		pos += want
		eof := pos >= rg.Size
		b := buf[:carry+n]
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
		carry = copy(buf, b[i:])
		addr += uint64(i)
	}
}

// mapChunkSize is how much mapped code a chunk takes: more than a read buffer's
// chunk, since a mapping costs no copy, and the streams' fixed costs per chunk (the
// uneven ends where fewer streams run, the meetings) weigh less in a larger one.
const mapChunkSize = 1 << 20

// mapWindow returns the bytes mapped at a time: mapWindow, or more when a chunk and
// its carry need it.
func (sc *scanner) mapWindow() int64 { return max(mapWindow, 2*int64(sc.mapChunk)+16) }

// scanX86Mapped is scanX86 over the range's bytes mapped from the file, a window
// at a time (m is the first, at the range's start): the chunks are the same windows
// of the same bytes as those read into the buffer (the carry, then a chunk), without
// the copies, so the result is the same.
func (sc *scanner) scanX86Mapped(ctx context.Context, m *exe.Mapping, rg Range, st *stats) error {
	defer func() { m.Close() }()
	var wOff int64       // offset in the range of the window m maps
	var start, pos int64 // offsets in the range of the chunk's first byte (the carry's) and of the bytes not yet taken
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(int64(sc.mapChunk), rg.Size-pos)
		pos += want
		eof := pos >= rg.Size
		if w := m.Bytes(); pos > wOff+int64(len(w)) { // the chunk runs past the window: map the next
			m.Close()
			wOff = start
			if m = exe.MapRange(sc.ra, rg.Off+wOff, min(rg.Size-wOff, sc.mapWindow())); m == nil {
				return fmt.Errorf("read code at offset %#x: %w", rg.Off+wOff, io.ErrUnexpectedEOF)
			}
		}
		sc.mapped += want
		sc.mapChunks++
		b := m.Bytes()[start-wOff : pos-wOff : pos-wOff]
		st.bytes += want
		limit := len(b) - 15
		if eof {
			limit = len(b)
		}
		i := sc.chunkX86(b, limit, rg.Addr+uint64(start), st)
		if eof {
			return nil
		}
		start += int64(min(i, len(b)))
	}
}

// x86Stream is the state of one sweep through a chunk.
type x86Stream struct {
	i      int        // where it stands
	end    int        // where the next stream starts (the chunk's limit for the last)
	start  int        // where it started
	winEnd int        // the end of its window: start+window
	steps  int64      // instructions and undecodable bytes it decoded
	undec  int64      // undecodable bytes among them
	starts []byte     // starts[j]: it decoded an instruction at start+j, in its window
	ev     []x86Event // its events (the first stream commits its own at once)
}

// chunkX86 decodes the instructions of b that start before limit and returns the
// offset where the sweep ended; addr is the address of b[0].
func (sc *scanner) chunkX86(b []byte, limit int, addr uint64, st *stats) int {
	// The fast path decodes the common instructions (no legacy prefix, one-byte or
	// plain 0F map, no extension) by table; everything else, and the last 16 bytes,
	// go through decodeX86.
	fastEnd := len(b) - 16
	seg := limit / x86Streams
	win := min(sc.window, seg)
	if limit < sc.split || win <= 0 || (x86Streams-1)*seg+win > fastEnd {
		return sc.streamA(b, 0, limit, fastEnd, addr, st)
	}
	ss := &sc.streams
	if sc.lists == nil {
		sc.lists = listsPool.Get().(*x86Lists)
		for j, l := range sc.lists {
			ss[j].starts, ss[j].ev = l.starts, l.ev
		}
	}
	for j := range ss {
		s := &ss[j]
		*s = x86Stream{i: j * seg, start: j * seg, end: (j + 1) * seg, winEnd: j*seg + win,
			starts: s.starts[:0], ev: s.ev[:0]}
		if j == x86Streams-1 {
			s.end = limit
		}
		if j == 0 {
			continue
		}
		// Stream j decodes its window alone, recording where its instructions
		// start. The window ends before fastEnd (above): the fast step is
		// x86run.Step inlined, without step's check and call.
		if cap(s.starts) < win {
			s.starts = make([]byte, win)
		}
		s.starts = s.starts[:win]
		clear(s.starts)
		i, fast := s.i, int64(0)
		for i < s.winEnd {
			s.starts[i-s.start] = 1
			if n := x86run.Step(b, i); n != 0 {
				i += int(n)
				fast++
				continue
			}
			i = sc.slowStep(j, b, i, addr, st)
		}
		s.i = i
		s.steps += fast
	}
	// All streams, interleaved: x86run.RunN runs the fast path of the active ones,
	// and returns when one of them meets an instruction for the slow path. A
	// stream that reaches its end leaves the active set and steps on from the
	// chunk's start, its work dropped, so that the others go on in the same loop
	// while minActive of them are left.
	var pos, ends, real [x86Streams]int
	var steps [x86Streams]int64 // a stream's steps: all done so far (done) plus its own
	for j := range ss {
		pos[j], ends[j] = ss[j].i, ss[j].end
	}
	ends[x86Streams-1] = min(ends[x86Streams-1], fastEnd)
	active := uint(1)<<x86Streams - 1
	var done int64 // steps every active stream made
	k := 0         // steps every stream may still make (the budget)
	for {
		if k <= 0 {
			k = fastEnd
			for j := range pos {
				d := ends[j] - pos[j]
				if d <= 0 { // it reached its end: it leaves, and its steps are counted
					active &^= 1 << j
					real[j], pos[j], ends[j] = pos[j], 0, fastEnd
					steps[j] += done
					continue
				}
				k = min(k, d)
			}
			if bits.OnesCount(active) < minActive {
				break
			}
			// k steps of at most 16 bytes keep every stream in bounds; and as an
			// instruction takes at most 15, a stream stands before its end at each
			// of them but the last.
			k = k>>4 + 1
		}
		left, slow := x86run.RunN(b, &pos, k, active)
		done += int64(k - left)
		if slow &= active; slow == 0 {
			k = 0
			continue
		}
		// The streams in slow stand on an instruction for the slow path; the
		// other active ones made one more fast step.
		done++
		for m := slow; m != 0; m &= m - 1 {
			j := bits.TrailingZeros(m)
			// RunN took the prefixed instructions without extension (its
			// second step, x86run.Prefixed): this is decodeX86's.
			steps[j]--
			pos[j] = sc.decodeStep(j, b, pos[j], addr, st)
		}
		// Every stream made k-left+1 steps of the budget (the slow path's step
		// takes at most 15 bytes too): the rest of it holds without looking at
		// the streams' ends again (no stream has reached its end before the
		// budget's last step, so none leaves meanwhile). Looking at all eight
		// after every slow instruction cost 3% of inspect --isa's machine
		// instructions on the Go compiler, libc and libLLVM (callgrind).
		k = left - 1
	}
	for j := range ss {
		if active>>j&1 == 0 {
			pos[j] = real[j]
		} else {
			steps[j] += done
		}
		ss[j].i = pos[j]
		sc.count(j, steps[j], st)
	}
	// The streams that have not reached their end go on two at a time, then alone.
	for {
		a, c := -1, -1
		for j := range ss {
			if ss[j].i < min(ss[j].end, fastEnd) {
				a, c = c, j
			}
		}
		if a < 0 {
			break
		}
		sa, sc2 := &ss[a], &ss[c]
		ea, ec := min(sa.end, fastEnd), min(sc2.end, fastEnd)
		for sa.i < ea && sc2.i < ec {
			k := min(ea-sa.i, ec-sc2.i)>>4 + 1
			var left int
			var slow uint
			sa.i, sc2.i, left, slow = x86run.Run2(b, sa.i, sc2.i, k)
			sc.pairSteps += int64(k - left)
			sc.count(a, int64(k-left), st)
			sc.count(c, int64(k-left), st)
			if left == 0 {
				continue
			}
			if slow&1 != 0 {
				sa.i = sc.slowStep(a, b, sa.i, addr, st)
			} else {
				sc.count(a, 1, st)
			}
			if slow&2 != 0 {
				sc2.i = sc.slowStep(c, b, sc2.i, addr, st)
			} else {
				sc.count(c, 1, st)
			}
		}
	}
	for j := range ss {
		s := &ss[j]
		s.i = sc.run(j, b, s.i, s.end, fastEnd, addr, st)
	}
	// Stream cur is valid from its meeting point p on; it looks for the next
	// stream's instruction starts.
	cur, p := 0, 0
	for j := 1; j < x86Streams; j++ {
		s, next := &ss[cur], &ss[j]
		for s.i < next.winEnd && next.starts[s.i-next.start] == 0 {
			s.i = sc.step(cur, b, s.i, fastEnd, addr, st)
		}
		if s.i >= next.winEnd { // it did not meet the next stream: it decodes the rest alone
			s.i = sc.run(cur, b, s.i, limit, fastEnd, addr, st)
			break
		}
		sc.commit(cur, p, addr, st)
		cur, p = j, s.i
	}
	sc.commit(cur, p, addr, st)
	return ss[cur].i
}

// step decodes the instruction of stream j at b[i:] and returns where the stream
// goes next. What the first stream finds counts at once, the others' later
// (commit); every step counts as an instruction unless it is an undecodable byte.
func (sc *scanner) step(j int, b []byte, i, fastEnd int, addr uint64, st *stats) int {
	if i < fastEnd {
		if n := int(x86run.Step(b, i)); n != 0 {
			if j == 0 {
				st.instructions++
			} else {
				sc.streams[j].steps++
			}
			return i + n
		}
	}
	return sc.slowStep(j, b, i, addr, st)
}

// slowStep is step for an instruction that the fast path does not decode.
func (sc *scanner) slowStep(j int, b []byte, i int, addr uint64, st *stats) int {
	if n := prefixedLenAt(b, i); n != 0 { // no extension, no CPUID
		sc.count(j, 1, st)
		return i + n
	}
	return sc.decodeStep(j, b, i, addr, st)
}

// prefixedLenAt is the loops' second step (x86run.Prefixed) at b[i:], for an
// instruction that the fast path does not decode: 0 unless a prefix comes first
// (not VEX or EVEX, half the slow path's instructions) and 16 bytes are left.
func prefixedLenAt(b []byte, i int) int {
	if len(b)-i >= 16 && pfxT[b[i]] != 0 {
		return int(x86run.Prefixed(b, i))
	}
	return 0
}

// decodeStep is slowStep with the full decoder (decodeX86).
func (sc *scanner) decodeStep(j int, b []byte, i int, addr uint64, st *stats) int {
	if j == 0 {
		st.instructions++
		return i + sc.slowA(b, i, addr, st)
	}
	s := &sc.streams[j]
	s.steps++
	in := decodeX86(b[i:])
	if in.n == 0 || in.invalid {
		s.undec++
		if i < s.winEnd {
			s.ev = append(s.ev, x86Event{pos: int32(i), mask: evUndecodable})
		}
		return i + 1
	}
	if in.ext != 0 || in.cpuid {
		m := in.ext
		if in.cpuid {
			m |= evCPUID
		}
		s.ev = append(s.ev, x86Event{pos: int32(i), mask: m})
	}
	return i + in.n
}

// count counts n steps of stream j.
func (sc *scanner) count(j int, n int64, st *stats) {
	if j == 0 {
		st.instructions += n
	} else {
		sc.streams[j].steps += n
	}
}

// commit adds to st what stream j (not the first) found from its meeting point p on.
func (sc *scanner) commit(j, p int, addr uint64, st *stats) {
	if j == 0 {
		return
	}
	s := &sc.streams[j]
	var before, undecBefore int64
	for _, v := range s.starts[:p-s.start] {
		before += int64(v)
	}
	for _, e := range s.ev {
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
	undec := s.undec - undecBefore
	st.undecodable += undec
	st.instructions += s.steps - before - undec
}

// streamA decodes alone, as the first stream, from offset i while i < end and
// returns the offset where it stopped, committing what it finds to st: the serial
// sweep, for chunks too small to split.
func (sc *scanner) streamA(b []byte, i, end, fastEnd int, addr uint64, st *stats) int {
	return sc.run(0, b, i, end, fastEnd, addr, st)
}

// run decodes alone as stream j from offset i while i < end, and returns the offset
// where it stopped.
func (sc *scanner) run(j int, b []byte, i, end, fastEnd int, addr uint64, st *stats) int {
	for e := min(end, fastEnd); i < e; {
		k := (e-i)>>4 + 1
		var left int
		i, left = x86run.Run1(b, i, k)
		sc.count(j, int64(k-left), st)
		if left > 0 {
			i = sc.slowStep(j, b, i, addr, st)
		}
	}
	for i < end {
		i = sc.step(j, b, i, fastEnd, addr, st)
	}
	return i
}

// slowA decodes the instruction at b[i:] with the full decoder for the first
// stream, committing it to st, and returns how far to advance. The caller counts
// every step as an instruction: an undecodable byte takes its count back.
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
