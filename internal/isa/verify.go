package isa

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/gonative/gonative/internal/isa/x86run"
)

// The linear sweep decodes whatever lies in the code sections, and data there (jump
// tables, constant pools, padding after a call that does not return) decodes as
// instructions too: the bytes 62 fd ff ff of a table of negative offsets read as an
// EVEX (AVX-512) prefix. Where the file names its functions (Mach-O
// LC_FUNCTION_STARTS and LC_DATA_IN_CODE, ELF function symbols and .eh_frame, PE
// .pdata: Code.Funcs and Code.Data), each class the sweep found is checked as a
// disassembler reads a function: decoding from the start of the function that holds
// a use must land on it, outside the data the file marks, with no undecodable byte
// near it. One such use confirms the class; when every use kept (stats.samples) lies
// in a function and none passes, the class is doubtful and no verdict rests on it. A
// use outside every function the file names proves nothing either way (a Go program's
// .eh_frame covers only its C code): the class then keeps the sweep's word.

// Confidence says how sure the scan is that an instruction class is in the code
// (Extension.Confidence).
type Confidence string

// Confidences of an extension.
const (
	// ConfidenceConfirmed: a use decodes as code from the start of a function the
	// file names, away from undecodable bytes (Extension.ConfirmedAt).
	ConfidenceConfirmed Confidence = "confirmed"
	// ConfidenceDoubtful: every use checked lies outside the functions, in data the
	// file marks, off the instruction boundaries of its function or among
	// undecodable bytes (Extension.Doubt says which): most likely data decoded as
	// code. No verdict rests on it.
	ConfidenceDoubtful Confidence = "doubtful"
	// ConfidenceSweep: the file names no functions, so the use is the linear sweep's
	// reading alone.
	ConfidenceSweep Confidence = "sweep"
)

// nearCode is how far before and after a use the decoding from the function start
// must meet no undecodable byte for the use to count as code.
const nearCode = 32

// maxVerifyFunc bounds the bytes decoded from a function's start to reach one use.
const maxVerifyFunc = 4 << 20

// check is the outcome of checking one class's uses.
type check struct {
	confirmed bool
	at        uint64 // the confirmed use
	fn        uint64 // the start of its function
	doubt     string // why the last use checked was doubtful
	checked   int
	unchecked int // uses outside the functions the file names (a map that misses some code)
	doubtful  int // uses inside a function that are not code there
}

// maxDoubtful is how many uses in a row that are not code end the check of a class:
// real code has few such neighbours, data (a jump table) many.
const maxDoubtful = 64

// verifier checks uses against the functions and data the file names.
type verifier struct {
	ra     io.ReaderAt
	code   *Code
	maps   map[uint64]*funcMap // decoded functions, by start
	cached int                 // their bytes
}

// verifyX86 checks the kept uses of every x86-64 class found; nil when the file names
// no functions.
func verifyX86(ra io.ReaderAt, code *Code, st *stats) *[32]check {
	if !code.HasFuncs() {
		return nil
	}
	v := &verifier{ra: ra, code: code}
	var out [32]check
	for id := range xNumExt {
		for _, a := range st.samples[id] {
			fn, u, why := v.use(a, 1<<id)
			out[id].checked++
			switch u {
			case useConfirmed:
				out[id].confirmed, out[id].at, out[id].fn = true, a, fn
			case useUnchecked:
				out[id].unchecked++
			default:
				out[id].doubt = why
				out[id].doubtful++
			}
			if u == useConfirmed || out[id].doubtful >= maxDoubtful {
				break
			}
		}
	}
	return &out
}

// use reports whether the instruction of class mask ext at address a decodes as code
// of its function (and where that starts), or why not.
func (v *verifier) use(a uint64, ext uint32) (fn uint64, u useCheck, why string) {
	u, why = v.check(a, ext, &fn)
	return fn, u, why
}

// useCheck is the outcome of checking one use.
type useCheck int8

const (
	useUnchecked useCheck = iota // outside the functions the file names, or unreadable: the sweep's word stands
	useConfirmed                 // decodes as code from its function's start
	useDoubtful                  // inside a function, but not code there
)

func (v *verifier) check(a uint64, ext uint32, fn *uint64) (useCheck, string) {
	c := v.code
	if d := spanAt(c.Data, a); d != nil {
		return useDoubtful, fmt.Sprintf("it lies in data the file marks inside the code (%#x-%#x)", d.Lo, d.Hi)
	}
	f, end, ok := c.FuncAt(a)
	if !ok {
		return useUnchecked, "it lies before the first function the file names"
	}
	*fn = f.Lo
	if a >= end {
		return useUnchecked, fmt.Sprintf("it lies between functions (after the end of the one at %#x)", f.Lo)
	}
	rg, ok := rangeAt(c.Ranges, f.Lo)
	if !ok || a >= rg.Addr+uint64(rg.Size) {
		return useUnchecked, "its function lies outside the code sections"
	}
	if a-f.Lo > maxVerifyFunc {
		return useUnchecked, fmt.Sprintf("its function is larger than %d MiB", maxVerifyFunc>>20)
	}
	stop := min(end, rg.Addr+uint64(rg.Size), f.Lo+maxVerifyFunc)
	m, err := v.funcMap(f.Lo, stop, rg)
	if err != nil {
		return useUnchecked, fmt.Sprintf("its function cannot be read: %v", err)
	}
	t := int(a - f.Lo)
	m.decode(min(t+nearCode+16, len(m.b)), f.Lo, stop, v.code.Data)
	switch m.kind[t] {
	case kindData:
		return useDoubtful, "it lies in data the file marks inside the code"
	case kindMid:
		return useDoubtful, fmt.Sprintf("decoding from the start of its function (%#x) does not reach it: it lies inside another instruction", f.Lo)
	case kindBad:
		return useDoubtful, fmt.Sprintf("decoding from the start of its function (%#x), it does not decode", f.Lo)
	}
	for p := max(0, t-nearCode); p < min(len(m.kind), t+nearCode); p++ {
		if m.kind[p] == kindBad {
			where := "after"
			if p < t {
				where = "before"
			}
			return useDoubtful, fmt.Sprintf("decoding from its function's start (%#x) meets undecodable bytes just %s it", f.Lo, where)
		}
	}
	if in := decodeX86(m.b[t:]); in.ext&ext == 0 {
		return useDoubtful, "it decodes as another instruction from its function's start"
	}
	return useConfirmed, ""
}

// What each byte of a function is, decoding from its start (funcMap.kind).
const (
	kindMid   = iota // inside an instruction
	kindStart        // an instruction starts here
	kindBad          // undecodable or implausible: the decoding steps one byte
	kindData         // data the file marks (LC_DATA_IN_CODE)
)

// funcMap is a function decoded from its start, as a disassembler reads it, as far
// as a use asked for (done).
type funcMap struct {
	b    []byte
	kind []byte
	done int // where the decoding stands: kind is final before it
}

// fast returns the length of the instruction at p when the scan's fast path decodes
// it (no extension, no prefix but REX) and it is none implausibleX86 rejects; 0 sends
// it to the full decoder.
func (m *funcMap) fast(p int) int {
	if p+16 > len(m.b) {
		return 0
	}
	c0, c1 := m.b[p], m.b[p+1]
	if c0 == 0xff || c0 == 0xfe || c0 == 0x62 || c1 == 0xff || c1 == 0xfe || c0&0xf0 == 0x40 && c1&0xf0 == 0x40 {
		return 0
	}
	return x86run.Len(binary.LittleEndian.Uint64(m.b[p : p+8]))
}

// decode goes on decoding the function at lo (ending at stop) until offset to.
func (m *funcMap) decode(to int, lo, stop uint64, data []Span) {
	p := m.done
	for p < to {
		if d := spanAt(data, lo+uint64(p)); d != nil {
			e := int(min(d.Hi, stop) - lo)
			for q := p; q < e; q++ {
				m.kind[q] = kindData
			}
			p = e
			continue
		}
		if n := m.fast(p); n > 0 {
			m.kind[p] = kindStart
			p += n
			continue
		}
		in := decodeX86(m.b[p:])
		if in.n == 0 || in.invalid || implausibleX86(m.b[p:p+max(in.n, 1)]) {
			m.kind[p] = kindBad
			p++
			continue
		}
		m.kind[p] = kindStart
		p += in.n
	}
	m.done = p
}

// maxVerifyCache bounds the bytes of decoded functions kept (twice that in memory).
const maxVerifyCache = 32 << 20

// funcMap reads the function at lo (up to stop, within the code range rg) once, and
// keeps it and its decoding for the other uses it holds.
func (v *verifier) funcMap(lo, stop uint64, rg Range) (*funcMap, error) {
	if m := v.maps[lo]; m != nil {
		return m, nil
	}
	n := int(stop - lo)
	if v.maps == nil || v.cached+n > maxVerifyCache {
		v.maps, v.cached = map[uint64]*funcMap{}, 0
	}
	m := &funcMap{b: make([]byte, n), kind: make([]byte, n)}
	if k, err := v.ra.ReadAt(m.b, rg.Off+int64(lo-rg.Addr)); k < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	v.maps[lo] = m
	v.cached += n
	return m, nil
}

// spanAt returns the span of sorted spans holding a, or nil.
func spanAt(spans []Span, a uint64) *Span {
	i, _ := slices.BinarySearchFunc(spans, a, func(s Span, a uint64) int {
		if s.Hi <= a {
			return -1
		}
		if s.Lo > a {
			return 1
		}
		return 0
	})
	if i < len(spans) && spans[i].Lo <= a && a < spans[i].Hi {
		return &spans[i]
	}
	return nil
}

// rangeAt returns the code range holding address a.
func rangeAt(rs []Range, a uint64) (Range, bool) {
	for _, r := range rs {
		if r.Addr <= a && a-r.Addr < uint64(r.Size) {
			return r, true
		}
	}
	return Range{}, false
}

// implausibleX86 reports whether an instruction the sweep's length decoder accepts
// is one that no CPU before APX executes, as a disassembler rejects it: FF /7 and
// FE /2../7 (reserved group 4 and 5 encodings), and an EVEX prefix with P0 bit 3
// set outside map 4 (the reserved bit, APX's B4). Data decodes as these often (a
// table of negative 32-bit offsets is 62 fd ff ff ...).
func implausibleX86(b []byte) bool {
	i := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == 0x66 || c == 0x67 || c == 0xf2 || c == 0xf3 || c == 0x2e || c == 0x3e ||
			c == 0x26 || c == 0x36 || c == 0x64 || c == 0x65 || c == 0xf0:
			i++
			continue
		case c&0xf0 == 0x40: // REX
			i++
			if i < len(b) && b[i]&0xf0 == 0x40 {
				return true // a REX prefix must come last
			}
			continue
		}
		break
	}
	if i+1 >= len(b) {
		return false
	}
	switch op, reg := b[i], b[i+1]>>3&7; op {
	case 0xff:
		return reg == 7
	case 0xfe:
		return reg >= 2
	case 0x62:
		if i+2 < len(b) {
			p0 := b[i+1]
			return p0&0x08 != 0 && p0&7 != 4
		}
	}
	return false
}
