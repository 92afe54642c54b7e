package isa

// The fast path of the x86-64 scan: most instructions of real code (about nine in
// ten) have no legacy prefix, no VEX/EVEX, and belong to no extension. Their length
// follows from three table lookups (opcode, ModRM, SIB), without a call into the full
// decoder. The tables are derived from map0 and map1, so the two paths cannot
// disagree on a length; FuzzFastLenX86 checks that they do not.

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
	i := 0
	c := b[0]
	var w uint8         // 4 extra immediate bytes for MOV r64, imm64
	if c&0xf0 == 0x40 { // REX
		if c&8 != 0 {
			w = 4
		}
		i, c = 1, b[1]
	}
	f := fast0[c]
	if c == 0x0f {
		i++
		f = fast1[b[i&15]]
	}
	if f == 0 {
		return 0
	}
	i++
	if f&fxModRM != 0 {
		m := modrmLen0[b[i&15]]
		if m&0x80 != 0 {
			m &= 0x7f
			if b[(i+1)&15]&7 == 5 {
				m += 4
			}
		}
		i += int(m)
	}
	i += int(f & fxImm)
	if f&fxImmV != 0 {
		i += 4 + int(w)
	}
	return i
}
