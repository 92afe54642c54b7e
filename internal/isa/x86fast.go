package isa

import (
	"sync"

	"github.com/gonative/gonative/internal/isa/x86run"
)

// The fast path of the x86-64 scan: most instructions of real code (98% of the Go
// compiler's, 94% of libc's and libcrypto's) have at most one legacy prefix, no
// VEX/EVEX, and belong to no extension. Their length follows from table lookups
// (prefix, REX, opcode, ModRM with SIB), without a call into the full decoder. The
// tables are derived from map0, map1 and class0F, so the two paths cannot disagree;
// TestFastLenX86Exhaustive and FuzzFastLenX86 check that they do not.

// fast-table entry bits: 0 sends the instruction to decodeX86.
const (
	fxFast  = 0x10 // the fast path decodes it
	fxModRM = 0x20 // a ModRM byte follows the opcode
	fxImmV  = 0x40 // MOV r64, imm: 8 bytes with REX.W, else 4
	fxImm   = 0x0f // immediate bytes
)

// fast0 and fast1 are the fast tables of the one-byte and the 0F maps; modrmLen0
// the length of ModRM, SIB and displacement by ModRM byte (bit 0x80: SIB with mod 0,
// add 4 when its base is 5).
var fast0, fast1, modrmLen0 = buildFast()

func buildFast() (f0, f1, ml [256]uint8) {
	conv := func(e uint8) uint8 {
		if e&(opInvalid|opPrefix) != 0 {
			return 0
		}
		var f uint8 = fxFast
		if e&opModRM != 0 {
			f |= fxModRM
		}
		switch e & immMask {
		case immNone:
		case immB:
			f |= 1
		case immW:
			f |= 2
		case immZ: // no operand-size prefix on the fast path
			f |= 4
		case immV:
			f |= fxImmV
		case immWB:
			f |= 3
		default: // immMoffs, immGrp3: the slow path
			return 0
		}
		return f
	}
	for c := range 256 {
		f0[c] = conv(map0[c])
		f1[c] = conv(map1[c])
	}
	// One-byte opcodes the full decoder treats specially.
	for _, c := range []int{0x0f, 0x62, 0x8f, 0xc4, 0xc5, 0x9e, 0x9f, 0xdb, 0xdd, 0xdf} {
		f0[c] = 0
	}
	// 0F opcodes with an extension or a mandatory-prefix class without a prefix:
	// CMPXCHG16B/RDRAND/RDSEED (C7), CPUID (A2), the 0F 38 and 0F 3A maps.
	for _, c := range []int{0x38, 0x3a, 0xa2, 0xc7} {
		f1[c] = 0
	}
	for m := range 256 {
		mod, rm := m>>6, m&7
		n := 1
		switch {
		case mod == 3:
		case rm == 4 && mod == 0:
			n = 0x80 | 2
		case rm == 4:
			n = 2
		case mod == 0 && rm == 5:
			n = 5
		}
		switch mod {
		case 1:
			n++
		case 2:
			n += 4
		}
		ml[m] = uint8(n)
	}
	return
}

// x86Streams is the number of interleaved sweeps of the scan (x86run.Streams: eight
// in assembly on amd64, four in Go elsewhere), and minActive the least number of
// them x86run.RunN runs (x86run.MinActive).
const (
	x86Streams = x86run.Streams
	minActive  = x86run.MinActive
)

// fastX-table entry bits; a zero entry sends the instruction to decodeX86.
const (
	fxLen = 0x1f // prefix, opcode and immediate bytes; fxModRM is the only bit above
)

// pfxT classifies the first byte of an instruction by the prefixes the fast path
// takes: the fastX index bits of its class (1<<11 for 66, 2<<11 for F3, 3<<11 for
// F2, 4<<11 for a segment, LOCK or address-size prefix, which change neither the
// length nor the class of what follows) and 8, the bits to skip; 0 for other
// bytes. rexT does the same for REX (1<<9, 2<<9 with REX.W). The 8 is not part of
// the index. buildPre combines them into preT.
var pfxT = [256]uint16{0x66: 1<<11 | 8, 0xf3: 2<<11 | 8, 0xf2: 3<<11 | 8,
	0x26: 4<<11 | 8, 0x2e: 4<<11 | 8, 0x36: 4<<11 | 8, 0x3e: 4<<11 | 8, 0x64: 4<<11 | 8, 0x65: 4<<11 | 8,
	0x67: 4<<11 | 8, 0xf0: 4<<11 | 8}

var rexT = func() (t [256]uint16) {
	for c := 0x40; c < 0x50; c++ {
		t[c] = uint16(1+c>>3&1)<<9 | 8
	}
	return
}()

// Group 3 (F6 and F7: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV) has an immediate
// only for TEST, ModRM.reg 0 and 1, so its length depends on a byte after the
// opcode, which fastX's index does not hold. preT sees that byte when F6 or F7 is
// the first (ModRM is the second) and classes the instruction by it: g3Test or
// g3Reg2, whose fastX rows give F6 and F7 their length with or without the
// immediate. After one prefix or REX, preT sees the opcode but not ModRM; it skips
// to ModRM itself (skip 2) in class g3After (F6), g3After7 (F7) or g3After7W (66
// F7, a 2-byte immediate), whose fastX rows are indexed by the ModRM byte and hold
// the whole length, ModRM, displacement and immediate included, without fxModRM.
// Those rows cannot see a SIB byte's base, so a ModRM with SIB and mod 0 (whose
// displacement the base decides) stays with the slow path, as group 3 after two or
// more bytes of prefix and REX does. On the executables tree of bench/inspect.sh,
// group 3 was a sixth of the 4.0 million instructions the fast path sent to
// decodeX86; 4,800 of them are left. The classes are values of fastX's index bits
// 11..13 (prefix class) that no prefix takes.
const (
	g3Test    = 5 << 3   // F6 or F7 first, ModRM.reg 0 or 1: an immediate follows
	g3Reg2    = 5<<3 | 1 // F6 or F7 first, ModRM.reg 2..7: no immediate
	g3After   = 6 << 3   // a prefix or REX, F6: fastX row by ModRM
	g3After7  = 6<<3 | 1 // a prefix other than 66, or REX, F7: a 4-byte immediate
	g3After7W = 6<<3 | 2 // 66 F7: a 2-byte immediate
)

// preT classifies the first two bytes of an instruction (index: the first byte << 8
// | the second) by what the fast path takes before the opcode: a prefix, REX, a
// prefix and REX, 0F after either or alone. Bits 0..1 are the bytes to skip to the
// opcode, bits 2..7 the fastX class of what was skipped (fastX index bits 8..13:
// prefix class, REX class, 0F). After a prefix and REX, the opcode is the third
// byte, which the table does not see: a 0F there finds a zero fastX entry, and the
// instruction goes to decodeX86 (0.5% of real code's instructions). The first byte
// selects the row, so that the few hundred bytes real code starts its instructions
// with keep the table's hot lines few.
//
// opT is fastX by preT's entry (index bits 8..15, the skip bits included) and
// opcode (bits 0..7), ready for the step: the bytes the instruction takes apart
// from ModRM, SIB and displacement in bits 0..7, and 0xff in bits 8..15 when ModRM
// follows (a mask on modrmT's entry); 0 when fastX's entry is. Its index has 16
// bits, so the step needs no bounds check on it.
//
// Both are built on first use (x86Tables) from pfxT, rexT and the generated fastX,
// not at every start of the program, and handed with a copy of modrmT to the loops
// of package x86run (x86run.Tables: Pre, Op, ModRM, filled in place), which read them; read before
// that, their zeros send every instruction to decodeX86.

var preOnce sync.Once

// x86Tables builds the tables of the fast path that are not generated; every path
// into the x86-64 scan calls it first.
func x86Tables() { preOnce.Do(buildPre) }

// buildPre fills preT from pfxT and rexT, and opT from fastX, in x86run's tables,
// with modrmT and the prefixes' classes of the second step (x86run.Tables.Pfx).
func buildPre() { x86run.Fill(fillPre) }

// fillPre fills t (preT, opT and modrmT) as buildPre says.
func fillPre(t *x86run.Tables) {
	t.ModRM = modrmT
	// Pfx: a byte's class in preT's form (fastX's index bits 8..13 in bits 2..7).
	for c := range t.Pfx {
		t.Pfx[c] = uint8((pfxT[c] | rexT[c]) &^ 8 >> 6)
	}
	t.Pfx[0x0f] = 1 << 8 >> 6
	for i := range t.Pre {
		b0, b1 := uint(i>>8), uint(i&0xff)
		p, r := uint(pfxT[b0]), uint(rexT[b0])
		if p != 0 {
			r = uint(rexT[b1])
		}
		skip := (p&8 + r&8) >> 3
		var esc uint
		if skip < 2 && [2]uint{b0, b1}[skip] == 0x0f {
			esc = 1
			skip++
		}
		class := ((p|r)&^8 | esc<<8) >> 8
		switch {
		case b0 == 0xf6 || b0 == 0xf7: // group 3 first: ModRM is b1
			class = g3Reg2
			if b1>>3&7 < 2 {
				class = g3Test
			}
		case skip == 1 && esc == 0 && (b1 == 0xf6 || b1 == 0xf7): // one prefix or REX, then group 3
			class, skip = g3After, 2
			switch {
			case b1 == 0xf6:
			case b0 == 0x66:
				class = g3After7W
			default:
				class = g3After7
			}
		}
		t.Pre[i] = uint8(class<<2 | skip)
	}
	for i := range t.Op {
		e, op := uint(i>>8), uint(i&0xff)
		f := uint(fastX[(e&^3)<<6|op])
		t.Op[i] = uint16(f & fxLen)
		if f&fxModRM != 0 {
			t.Op[i] |= 0xff00
		}
	}
}

// fastX is the fast table by prefix (index bits 11..13: none, 66, F3, F2, other), REX
// (bits 9..10: none, REX, REX.W), 0F escape (bit 8) and opcode (bits 0..7): the
// bytes an instruction takes apart from its ModRM, SIB and displacement in fxLen,
// with fxModRM; 0 when it is not for the fast path. modrmT is the length of a ModRM
// byte (index bits 0..7) with its SIB and displacement, given the low three bits of
// the byte after it (bits 8..10, the SIB's base).
//
// They are generated (x86tables.go) from the opcode maps by buildFastX: built at
// start-up they cost 3 ms of every gonative run. TestFastTablesGenerated checks them
// against buildFastX; `go test ./internal/isa -run TestFastTablesGenerated -update`
// writes them again.
