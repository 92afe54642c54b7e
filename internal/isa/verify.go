package isa

import (
	"fmt"
	"io"
	"slices"
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

// Confidences of an extension (Extension.Confidence).
const (
	// ConfidenceConfirmed: a use decodes as code from the start of a function the
	// file names, away from undecodable bytes (Extension.ConfirmedAt).
	ConfidenceConfirmed = "confirmed"
	// ConfidenceDoubtful: every use checked lies outside the functions, in data the
	// file marks, off the instruction boundaries of its function or among
	// undecodable bytes (Extension.Doubt says which): most likely data decoded as
	// code. No verdict rests on it.
	ConfidenceDoubtful = "doubtful"
	// ConfidenceSweep: the file names no functions, so the use is the linear sweep's
	// reading alone.
	ConfidenceSweep = "sweep"
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
}

// verifier checks uses against the functions and data the file names.
type verifier struct {
	ra   io.ReaderAt
	code *Code
	buf  []byte
}

// verifyX86 checks the kept uses of every x86-64 class found; nil when the file names
// no functions.
func verifyX86(ra io.ReaderAt, code *Code, st *stats) *[32]check {
	if len(code.Funcs) == 0 {
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
			}
			if u == useConfirmed {
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
	i, _ := slices.BinarySearchFunc(c.Funcs, a, func(s Span, a uint64) int {
		switch {
		case s.Lo > a:
			return 1
		case s.Lo < a:
			return -1
		}
		return 0
	})
	if i == len(c.Funcs) || c.Funcs[i].Lo != a {
		i-- // the function starting before a
	}
	if i < 0 {
		return useUnchecked, "it lies before the first function the file names"
	}
	f := c.Funcs[i]
	*fn = f.Lo
	end := f.Hi
	if end == 0 || end <= f.Lo {
		end = ^uint64(0)
		if i+1 < len(c.Funcs) {
			end = c.Funcs[i+1].Lo
		}
	}
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
	stop := min(end, rg.Addr+uint64(rg.Size), a+nearCode+15)
	n := int(stop - f.Lo)
	if cap(v.buf) < n {
		v.buf = make([]byte, n)
	}
	b := v.buf[:n]
	if m, err := v.ra.ReadAt(b, rg.Off+int64(f.Lo-rg.Addr)); m < n {
		return useUnchecked, fmt.Sprintf("its function cannot be read: %v", err)
	}
	target := int(a - f.Lo)
	lastBad := -1 << 30
	landed := false
	for p := 0; p < n; {
		if d := spanAt(c.Data, f.Lo+uint64(p)); d != nil {
			p = int(min(d.Hi, stop) - f.Lo)
			continue
		}
		if p > target && !landed {
			return useDoubtful, fmt.Sprintf("decoding from the start of its function (%#x) does not reach it: it lies inside another instruction", f.Lo)
		}
		if p == target {
			landed = true
			if target-lastBad <= nearCode {
				return useDoubtful, fmt.Sprintf("decoding from its function's start (%#x) meets undecodable bytes just before it", f.Lo)
			}
		}
		in := decodeX86(b[p:])
		if in.n == 0 { // the window ends
			break
		}
		if in.invalid || implausibleX86(b[p:p+in.n]) {
			if landed {
				return useDoubtful, fmt.Sprintf("decoding from its function's start (%#x) meets undecodable bytes just after it", f.Lo)
			}
			lastBad = p
			p++
			continue
		}
		if p == target && in.ext&ext == 0 {
			return useDoubtful, "it decodes as another instruction from its function's start"
		}
		if landed && p-target >= nearCode {
			break
		}
		p += in.n
	}
	if !landed {
		return useDoubtful, fmt.Sprintf("decoding from the start of its function (%#x) does not reach it", f.Lo)
	}
	return useConfirmed, ""
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
