// Package x86run holds the fast path's loops of internal/isa's x86-64 scan: the
// step that gives the length of a common instruction by table lookups (Step, Len),
// the second step for the prefixes the first does not see (Prefixed), and the
// loops that advance several interleaved streams by such steps (RunN, Run2, Run1:
// eight streams in assembly on amd64, four in Go elsewhere and with -tags purego;
// Run4Go, Run2Go and Run1Go are the Go loops, which the assembly is held to).
//
// It is a leaf: it imports nothing, not even the standard library, so that vetting
// and compiling it for another platform (go vet runs once per platform whose file
// set differs, and only this package's files differ by architecture) costs only
// its own files, not internal/isa's dependencies.
//
// The tables the steps read are not facts of this package: internal/isa derives
// them from its opcode maps (one source for each fact) and fills them in place once
// through Fill, before its first scan. They live here, in one variable the loops
// reach by a static address (the assembly from one register), so that filling
// them adds no indirection to the step. Generated tables checked by a test in
// isa would have put a second copy of isa's facts here; a pointer set by isa would
// have cost a load per call and made the tables reachable for writing from
// outside. Until Fill, the tables are zero, which sends every instruction to the
// caller's slow path: a scan before Fill is slow, never wrong.
package x86run

// Tables are the fast path's tables, indexed as internal/isa builds them (its
// preT, opT and modrmT):
//   - Pre classifies the first two bytes of an instruction (index: the first
//     byte << 8 | the second): bits 0..1 are the bytes to skip to the opcode,
//     bits 2..7 the class of what was skipped.
//   - Op is indexed by Pre's entry (bits 8..15) and the opcode (bits 0..7): the
//     bytes the instruction takes apart from ModRM, SIB and displacement in bits
//     0..7, 0xff in bits 8..15 when ModRM follows; 0 sends the instruction to the
//     slow path.
//   - ModRM is the length of ModRM, SIB and displacement by ModRM byte (bits
//     0..7) and the low three bits of the byte after it (bits 8..10).
//   - Pfx classifies a byte that may come before the opcode, in the form of Pre's
//     class bits (what it adds to Op's index bits 8..15): a legacy prefix the fast
//     path takes in bits 5..7 (PfxLegacy: 1 for 66, 2 for F3, 3 for F2, 4 for
//     the others, which change neither the length nor the class), REX in bits 3..4
//     (PfxREX: 1, or 2 with REX.W), 0F in bit 2 (PfxEsc); 0 for other bytes. The
//     second step (Prefixed) reads it.
//
// The assembly (run_amd64.s) reads them at fixed offsets: Pre at 0, Op at 1<<16,
// ModRM at 3<<16, Pfx at 3<<16+2048.
type Tables struct {
	Pre   [1 << 16]uint8
	Op    [1 << 16]uint16
	ModRM [2048]uint8
	Pfx   [256]uint8
}

// Pfx's bits (Tables).
const (
	PfxLegacy = 0xe0 // a legacy prefix: its class, 1..4
	PfxF      = 0x40 // in PfxLegacy: F3 or F2 (classes 2 and 3)
	PfxREX    = 0x18 // REX: 1, or 2 with REX.W
	PfxEsc    = 0x04 // 0F
)

// tables is what Fill set; the steps read it.
var tables Tables

// Fill calls fill with the tables every step reads, for it to set them in place
// (nothing is copied or allocated). The caller calls it once, before any step, and
// orders it before every step (internal/isa: a sync.Once on every path into its
// scan); a step that runs at the same time is a data race, and fill keeps no
// pointer to the tables.
func Fill(fill func(t *Tables)) { fill(&tables) }

// Len returns the length of the instruction whose first 8 bytes are d
// (little-endian) when the fast path decodes it, else 0: the bytes that decide the
// length of a fast-path instruction (prefix, REX, 0F, opcode, ModRM, SIB) are among
// them. It has no branch on the bytes. Step is the same on a buffer.
func Len(d uint64) int {
	x := uint16(d)
	e := uint(tables.Pre[x<<8|x>>8])
	y := uint(d >> (e & 3 << 3))
	f := uint(tables.Op[e<<8|y&0xff])
	return int(f&0xff + uint(tables.ModRM[y>>8&0x7ff])&(f>>8))
}

// Prefixed is the second step, for an instruction Step does not take (0): its
// length when it is one the tables describe behind prefixes Pre does not see, else
// 0. Those are two or more legacy prefixes (NOP padding: 66 2e 0f 1f 84 00 00 00
// 00 00, 66 66 2e 0f 1f ...) and a prefix and REX before 0F (SSE with a high
// register: 66 48 0f 6e c0): on the executables tree of bench/inspect.sh, 1.3
// million instructions, a third of those Step leaves. The prefixes are 66,
// segments, LOCK and 67 (Op's row of their class is the least of their Pfx
// classes: 66 if any, else the class that changes nothing), at most ten, or a
// single F3 or F2; then REX or not, 0F or not, and an opcode that is neither
// prefix nor REX (a REX before a prefix is cancelled by it, the decoder's case).
// Op's length counts one prefix; the others add one byte each, and the whole is at
// most 15 bytes. The loops take these instructions with it (the assembly with its
// copy, pfxStep), so that they do not return for them; internal/isa holds it to
// its decoder. The caller guarantees 16 bytes at i, of which it reads at most 15.
func Prefixed(b []byte, i int) uint {
	p := (*[16]byte)(b[i : i+16 : i+16])
	c := uint(tables.Pfx[p[0]])
	if c&PfxLegacy == 0 {
		return 0
	}
	k := 1 // the legacy prefixes
	e := uint(tables.Pfx[p[1]])
	if c&PfxF == 0 { // F3, F2: alone only, which the opcode's test below sees to
		for ; e&PfxLegacy != 0; e = uint(tables.Pfx[p[k]]) {
			if e&PfxF != 0 || k == 10 { // F3 or F2 after another prefix; an eleventh
				return 0
			}
			c = min(c, e)
			k++
		}
	}
	j := k // the opcode
	if e&PfxREX != 0 {
		c |= e
		j++
		e = uint(tables.Pfx[p[j]])
	}
	if e == PfxEsc {
		c |= e
		j++
		e = uint(tables.Pfx[p[j]])
	}
	if e&(PfxLegacy|PfxREX) != 0 {
		return 0
	}
	f := uint(tables.Op[c<<8|uint(p[j])])
	if f == 0 {
		return 0
	}
	n := f&0xff + uint(tables.ModRM[uint(p[j+1])|uint(p[j+2]&7)<<8])&(f>>8) + uint(k) - 1
	if n > 15 {
		return 0
	}
	return n
}

// Run4Go advances four streams from i0..i3 by at most k steps of one fast-path
// instruction each (Step's, else the second step's, Prefixed), and returns where
// they stand, the steps left and which streams stand on an instruction for the
// slow path (bit j for stream j). When that is one or more, the others made one
// more step, not counted in the steps done (k-left). The caller guarantees that k
// steps of 16 bytes stay in b. Its fast path makes no call (Step is inlined; the
// second step is a call only when Step gives 0), so that the compiler keeps the
// streams in registers. RunN (run_amd64.go, run_other.go) is this loop for
// Streams streams: eight in assembly on amd64, else this for four.
func Run4Go(b []byte, i0, i1, i2, i3, k int) (_, _, _, _, _ int, slow uint) {
	for ; k > 0; k-- {
		n0 := Step(b, i0)
		n1 := Step(b, i1)
		n2 := Step(b, i2)
		n3 := Step(b, i3)
		if min(n0, n1, n2, n3) == 0 {
			n0, n1, n2, n3 = second(b, i0, n0), second(b, i1, n1), second(b, i2, n2), second(b, i3, n3)
		}
		i0 += int(n0)
		i1 += int(n1)
		i2 += int(n2)
		i3 += int(n3)
		if min(n0, n1, n2, n3) == 0 {
			slow = zero(n0) | zero(n1)<<1 | zero(n2)<<2 | zero(n3)<<3
			break
		}
	}
	return i0, i1, i2, i3, k, slow
}

// second is n, the length Step gave the instruction at b[i:], or when that is 0
// (not Step's), the second step's (Prefixed).
func second(b []byte, i int, n uint) uint {
	if n == 0 {
		return Prefixed(b, i)
	}
	return n
}

// zero is 1 when n is 0, else 0.
func zero(n uint) uint {
	if n == 0 {
		return 1
	}
	return 0
}

// Run2Go is Run4Go for two streams (Run2: see RunN).
func Run2Go(b []byte, i0, i1, k int) (_, _, _ int, slow uint) {
	for ; k > 0; k-- {
		n0 := Step(b, i0)
		n1 := Step(b, i1)
		if min(n0, n1) == 0 {
			n0, n1 = second(b, i0, n0), second(b, i1, n1)
		}
		i0 += int(n0)
		i1 += int(n1)
		if min(n0, n1) == 0 {
			slow = zero(n0) | zero(n1)<<1
			break
		}
	}
	return i0, i1, k, slow
}

// Run1Go is Run4Go for one stream, which stops at an instruction for the slow
// path, where it stands (Run1: see RunN).
func Run1Go(b []byte, i0, k int) (int, int) {
	for ; k > 0; k-- {
		n0 := Step(b, i0)
		if n0 == 0 {
			if n0 = Prefixed(b, i0); n0 == 0 {
				break
			}
		}
		i0 += int(n0)
	}
	return i0, k
}
