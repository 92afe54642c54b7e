package isa

import "encoding/binary"

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

// fastLenX86 returns the length of the instruction at the start of b (16 bytes) when
// it is a common one that belongs to no extension, else 0.
func fastLenX86(b []byte) int {
	_ = b[15]
	return fastLen(binary.LittleEndian.Uint64(b))
}

// fastLen is fastLenX86 of the instruction whose first 8 bytes are d (little-endian):
// the bytes that decide the length of a fast-path instruction (prefix, REX, 0F,
// opcode, ModRM, SIB) are among them. It has no branch: the Go compiler turns the
// conditions into SETcc and CMOV, so that a scan running several sweeps at once
// (scanX86) overlaps their work instead of flushing it at every mispredicted prefix,
// REX, 0F or ModRM. fastRun4 and fastRun2 inline it by hand: keep the copies the
// same.
func fastLen(d uint64) int {
	x := uint(d)
	p := uint(pfxT[x&0xff]) // prefix class << 11, and 8 when x starts with a prefix
	r := uint(rexT[x&0xff]) // REX, REX.W << 9, and 8 for a REX prefix
	if r1 := uint(rexT[x>>8&0xff]); p != 0 {
		r = r1 // REX after the prefix
	}
	x >>= p&8 + r&8
	var esc uint
	if x&0xff == 0x0f {
		esc = 1
	}
	x >>= esc << 3
	f := uint(fastX[((p|r)&^8|esc<<8|x&0xff)&16383])
	return int(f&fxLen + uint(modrmT[x>>8&0x7ff])*(f>>5))
}

// fastX-table entry bits; a zero entry sends the instruction to decodeX86.
const (
	fxLen = 0x1f // prefix, opcode and immediate bytes; fxModRM is the only bit above
)

// pfxT classifies the first byte of an instruction by the prefixes the fast path
// takes: the fastX index bits of its class (1<<11 for 66, 2<<11 for F3, 3<<11 for
// F2, 4<<11 for a segment, LOCK or address-size prefix, which change neither the
// length nor the class of what follows) and 8, the bits to skip; 0 for other
// bytes. rexT does the same for REX (1<<9, 2<<9 with REX.W). The 8 is not part of
// the index: fastLen clears it.
var pfxT = [256]uint16{0x66: 1<<11 | 8, 0xf3: 2<<11 | 8, 0xf2: 3<<11 | 8,
	0x26: 4<<11 | 8, 0x2e: 4<<11 | 8, 0x36: 4<<11 | 8, 0x3e: 4<<11 | 8, 0x64: 4<<11 | 8, 0x65: 4<<11 | 8,
	0x67: 4<<11 | 8, 0xf0: 4<<11 | 8}

var rexT = func() (t [256]uint16) {
	for c := 0x40; c < 0x50; c++ {
		t[c] = uint16(1+c>>3&1)<<9 | 8
	}
	return
}()

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
