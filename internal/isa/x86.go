package isa

// A fast x86-64 (64-bit mode) instruction length decoder and extension classifier.
//
// It walks instruction boundaries linearly the way a disassembler's linear sweep does
// and looks only at what decides the length (prefixes, opcode map, ModRM/SIB,
// displacement, immediate) and the opcode bits that name an extension. Decoding every
// operand, as golang.org/x/arch/x86/x86asm does, is several times slower; x86asm (and
// GNU objdump where present) serve as the oracle in the differential tests.
//
// Sources for the encodings: Intel SDM Vol. 2 (opcode maps A-2..A-5, VEX/EVEX
// prefixes), AMD APM Vol. 3 (XOP), binutils' include/elf/common.h for the ISA note bits.

// x86 extension identifiers, bits of an instruction's class mask.
const (
	xSSE3 = iota
	xSSSE3
	xSSE41
	xSSE42
	xPOPCNT
	xCX16
	xLAHF
	xAVX
	xAVX2
	xFMA
	xBMI1
	xBMI2
	xF16C
	xLZCNT
	xMOVBE
	xAES
	xPCLMUL
	xSHA
	xRDRAND
	xRDSEED
	xAVX512
	xAMX
	xAPX
	xNumExt
)

// x86Names are the report names of the x86 extensions, indexed by identifier.
var x86Names = [xNumExt]string{
	xSSE3: "SSE3", xSSSE3: "SSSE3", xSSE41: "SSE4.1", xSSE42: "SSE4.2", xPOPCNT: "POPCNT",
	xCX16: "CMPXCHG16B", xLAHF: "LAHF-SAHF",
	xAVX: "AVX", xAVX2: "AVX2", xFMA: "FMA", xBMI1: "BMI1", xBMI2: "BMI2", xF16C: "F16C",
	xLZCNT: "LZCNT", xMOVBE: "MOVBE",
	xAES: "AES-NI", xPCLMUL: "PCLMULQDQ", xSHA: "SHA", xRDRAND: "RDRAND", xRDSEED: "RDSEED",
	xAVX512: "AVX-512", xAMX: "AMX", xAPX: "APX",
}

// x86Level is the x86-64 microarchitecture level (1..4) that includes each extension;
// 0 for extensions that belong to no level (AES-NI, SHA, AMX ...). From the x86-64
// psABI levels, as binutils' GNU_PROPERTY_X86_ISA_1_V2..V4 comments list them.
var x86Level = [xNumExt]int{
	xSSE3: 2, xSSSE3: 2, xSSE41: 2, xSSE42: 2, xPOPCNT: 2, xCX16: 2, xLAHF: 2,
	xAVX: 3, xAVX2: 3, xFMA: 3, xBMI1: 3, xBMI2: 3, xF16C: 3, xLZCNT: 3, xMOVBE: 3,
	xAVX512: 4,
}

// Immediate kinds in the opcode tables.
const (
	immNone  = iota
	immB     // 1 byte
	immW     // 2 bytes
	immZ     // 4 bytes, 2 with an operand-size prefix
	immV     // MOV r, imm: 8 with REX.W, 2 with 66, else 4
	immMoffs // 8 bytes, 4 with an address-size prefix
	immWB    // ENTER: 3 bytes
	immGrp3  // F6/F7: imm (B or Z) only for /0 and /1
)

// Opcode table entry flags.
const (
	opModRM   = 1 << 4
	opInvalid = 1 << 5
	opPrefix  = 1 << 6
	immMask   = 0xf
)

// map0 and map1 describe the one-byte and the 0F two-byte opcode maps.
var map0, map1 = buildMaps()

func buildMaps() (m0, m1 [256]uint8) {
	// One-byte map, 64-bit mode.
	for op := 0; op < 0x40; op++ {
		switch op & 7 {
		case 0, 1, 2, 3:
			m0[op] = opModRM
		case 4:
			m0[op] = immB
		case 5:
			m0[op] = immZ
		default: // 6, 7: push/pop segment, segment prefixes, DAA..AAS
			m0[op] = opInvalid
		}
	}
	for _, op := range []int{0x26, 0x2e, 0x36, 0x3e} {
		m0[op] = opPrefix
	}
	m0[0x0f] = 0 // escape, handled by the decoder
	for op := 0x40; op < 0x50; op++ {
		m0[op] = opPrefix // REX
	}
	// 50-5F push/pop: no operands.
	m0[0x60], m0[0x61] = opInvalid, opInvalid
	m0[0x63] = opModRM
	m0[0x64], m0[0x65], m0[0x66], m0[0x67] = opPrefix, opPrefix, opPrefix, opPrefix
	m0[0x68] = immZ
	m0[0x69] = opModRM | immZ
	m0[0x6a] = immB
	m0[0x6b] = opModRM | immB
	for op := 0x70; op < 0x80; op++ {
		m0[op] = immB
	}
	m0[0x80] = opModRM | immB
	m0[0x81] = opModRM | immZ
	m0[0x82] = opInvalid
	m0[0x83] = opModRM | immB
	for op := 0x84; op < 0x90; op++ {
		m0[op] = opModRM
	}
	m0[0x9a] = opInvalid
	for op := 0xa0; op < 0xa4; op++ {
		m0[op] = immMoffs
	}
	m0[0xa8] = immB
	m0[0xa9] = immZ
	for op := 0xb0; op < 0xb8; op++ {
		m0[op] = immB
	}
	for op := 0xb8; op < 0xc0; op++ {
		m0[op] = immV
	}
	m0[0xc0], m0[0xc1] = opModRM|immB, opModRM|immB
	m0[0xc2] = immW
	m0[0xc6] = opModRM | immB
	m0[0xc7] = opModRM | immZ
	m0[0xc8] = immWB
	m0[0xca] = immW
	m0[0xcd] = immB
	m0[0xce] = opInvalid
	for op := 0xd0; op < 0xd4; op++ {
		m0[op] = opModRM
	}
	m0[0xd4], m0[0xd5], m0[0xd6] = opInvalid, opInvalid, opInvalid
	for op := 0xd8; op < 0xe0; op++ {
		m0[op] = opModRM
	}
	for op := 0xe0; op < 0xe8; op++ {
		m0[op] = immB
	}
	m0[0xe8], m0[0xe9] = immZ, immZ
	m0[0xea] = opInvalid
	m0[0xeb] = immB
	m0[0xf0], m0[0xf2], m0[0xf3] = opPrefix, opPrefix, opPrefix
	m0[0xf6], m0[0xf7] = opModRM|immGrp3, opModRM|immGrp3
	m0[0xfe], m0[0xff] = opModRM, opModRM

	// Two-byte map 0F xx: ModRM unless listed.
	for op := range m1 {
		m1[op] = opModRM
	}
	for _, op := range []int{0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37,
		0x77, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa} {
		m1[op] = 0
	}
	for op := 0xc8; op < 0xd0; op++ {
		m1[op] = 0 // BSWAP
	}
	for op := 0x80; op < 0x90; op++ {
		m1[op] = immZ // Jcc rel32
	}
	for _, op := range []int{0x04, 0x0a, 0x0c, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x7a, 0x7b} {
		m1[op] = opInvalid
	}
	for _, op := range []int{0x0f, 0x3a, 0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6} {
		m1[op] = opModRM | immB
	}
	return m0, m1
}

// x86Inst is the result of decoding one instruction.
type x86Inst struct {
	n       int    // length in bytes; 0 if b was too short to tell
	ext     uint32 // extension class mask (1 << x...)
	invalid bool   // not a valid 64-bit instruction: the sweep advances one byte
	cpuid   bool   // the CPUID instruction
}

// modrmLen returns the bytes taken by the ModRM byte at b[0] with its SIB and
// displacement, or 0 if b is too short: the fast path's table (modrmT, by ModRM
// and the SIB's base), inlined into the decoders (their calls of a computation
// from the ModRM byte were a sixth of what decoding VEX and EVEX took).
func modrmLen(b []byte) int {
	var sib byte
	switch {
	case len(b) >= 2:
		sib = b[1]
	case len(b) == 0 || b[0]&7 == 4 && b[0]>>6 != 3: // the SIB byte is missing
		return 0
	}
	return int(modrmT[(uint(sib)<<8|uint(b[0]))&0x7ff])
}

// decodeX86 decodes the instruction at the start of b. An instruction that would run
// past 15 bytes, the architectural limit, is invalid.
func decodeX86(b []byte) x86Inst {
	if len(b) < 15 {
		return decodeX86Upto15(b)
	}
	b = b[:15]
	var in x86Inst
	switch b[0] {
	// VEX and EVEX without a prefix, as decodeX86Upto15 would reach them, without
	// its prefix loop and opcode switch: they are half of what the scan's fast
	// path leaves to this decoder (AVX, AVX-512).
	case 0xc4, 0xc5:
		in = decodeVEX(b, 1, b[0])
	case 0x62:
		in = decodeEVEX(b, 1, false)
	default:
		in = decodeX86Upto15(b)
	}
	if in.n == 0 {
		return x86Inst{n: 1, invalid: true}
	}
	return in
}

// decodeX86Upto15 decodes the instruction at the start of b, returning length 0 when
// b is too short.
func decodeX86Upto15(b []byte) x86Inst {
	var (
		i                int
		opsize, addrsize bool
		rep              byte // last of F2/F3, 0 if none
		rexW             bool
		rex              bool
	)
	// Prefixes.
	for {
		if i >= len(b) {
			return x86Inst{}
		}
		if i >= 14 {
			return x86Inst{n: 1, invalid: true}
		}
		c := b[i]
		if map0[c]&opPrefix == 0 {
			break
		}
		switch {
		case c >= 0x40 && c <= 0x4f:
			rex, rexW = true, c&8 != 0
			i++
			continue
		case c == 0x66:
			opsize = true
		case c == 0x67:
			addrsize = true
		case c == 0xf2 || c == 0xf3:
			rep = c
		}
		rex, rexW = false, false // a legacy prefix after REX cancels it
		i++
	}
	c := b[i]
	i++
	var in x86Inst
	switch c {
	case 0x0f:
		return decodeX86Escape(b, i, opsize, rep, rexW)
	case 0xc4, 0xc5:
		if rex || opsize || rep != 0 {
			return x86Inst{n: 1, invalid: true}
		}
		return decodeVEX(b, i, c)
	case 0x62:
		if rex || opsize || rep != 0 {
			return x86Inst{n: 1, invalid: true}
		}
		return decodeEVEX(b, i, addrsize)
	case 0x8f:
		if i >= len(b) {
			return x86Inst{}
		}
		if b[i]&0x1f >= 8 {
			return decodeXOP(b, i)
		}
	case 0x9e, 0x9f:
		in.ext = 1 << xLAHF
	}
	e := map0[c]
	if e&opInvalid != 0 {
		return x86Inst{n: 1, invalid: true}
	}
	var reg byte
	if e&opModRM != 0 {
		if i >= len(b) {
			return x86Inst{}
		}
		m := b[i]
		reg = m >> 3 & 7
		// FISTTP (DB /1, DD /1, DF /1, memory forms) is SSE3.
		if (c == 0xdb || c == 0xdd || c == 0xdf) && reg == 1 && m>>6 != 3 {
			in.ext = 1 << xSSE3
		}
		n := modrmLen(b[i:])
		if n == 0 {
			return x86Inst{}
		}
		i += n
	}
	i += immLen(e&immMask, reg, opsize, addrsize, rexW)
	if e&immMask == immGrp3 && reg < 2 { // TEST r/m, imm
		if c == 0xf6 {
			i++
		} else {
			i += immLen(immZ, 0, opsize, false, false)
		}
	}
	if i > 15 {
		return x86Inst{n: 1, invalid: true}
	}
	if i > len(b) {
		return x86Inst{}
	}
	in.n = i
	return in
}

func immLen(kind uint8, reg byte, opsize, addrsize, rexW bool) int {
	switch kind {
	case immB:
		return 1
	case immW:
		return 2
	case immZ:
		if opsize {
			return 2
		}
		return 4
	case immV:
		switch {
		case rexW:
			return 8
		case opsize:
			return 2
		}
		return 4
	case immMoffs:
		if addrsize {
			return 4
		}
		return 8
	case immWB:
		return 3
	}
	return 0
}

// decodeX86Escape decodes the 0F maps; i indexes the byte after 0F.
func decodeX86Escape(b []byte, i int, opsize bool, rep byte, rexW bool) x86Inst {
	if i >= len(b) {
		return x86Inst{}
	}
	op := b[i]
	i++
	// Mandatory prefix: F2/F3 win over 66.
	var mp byte
	switch {
	case rep != 0:
		mp = rep
	case opsize:
		mp = 0x66
	}
	var in x86Inst
	switch op {
	case 0x38, 0x3a:
		if i >= len(b) {
			return x86Inst{}
		}
		op2 := b[i]
		i++
		n := modrmLen(b[i:])
		if n == 0 {
			return x86Inst{}
		}
		i += n
		if op == 0x3a {
			i++
			in.ext = class0F3A(op2, mp)
		} else {
			in.ext = class0F38(op2, mp)
		}
		if i > 15 {
			return x86Inst{n: 1, invalid: true}
		}
		if i > len(b) {
			return x86Inst{}
		}
		in.n = i
		return in
	case 0xa2:
		in.cpuid = true
	}
	e := map1[op]
	if e&opInvalid != 0 {
		return x86Inst{n: 1, invalid: true}
	}
	if e&opModRM != 0 {
		if i >= len(b) {
			return x86Inst{}
		}
		m := b[i]
		in.ext = class0F(op, m, mp, rexW)
		n := modrmLen(b[i:])
		if n == 0 {
			return x86Inst{}
		}
		i += n
	}
	i += immLen(e&immMask, 0, opsize, false, rexW)
	if i > 15 {
		return x86Inst{n: 1, invalid: true}
	}
	if i > len(b) {
		return x86Inst{}
	}
	in.n = i
	return in
}

// class0F classifies the two-byte-map instructions that belong to an extension.
func class0F(op, modrm, mp byte, rexW bool) uint32 {
	switch op {
	case 0xb8:
		if mp == 0xf3 {
			return 1 << xPOPCNT
		}
	case 0xbd:
		if mp == 0xf3 {
			return 1 << xLZCNT
		}
	// TZCNT (F3 0F BC) is not counted: without BMI1 it runs as BSF, which gives the
	// same result for a non-zero input, so compilers emit it ("rep bsf") for any
	// x86-64 CPU.
	case 0xc7:
		reg, mod := modrm>>3&7, modrm>>6
		switch {
		case reg == 1 && mod != 3 && rexW:
			return 1 << xCX16
		case reg == 6 && mod == 3 && mp != 0xf3 && mp != 0xf2:
			return 1 << xRDRAND
		case reg == 7 && mod == 3 && mp != 0xf3 && mp != 0xf2:
			return 1 << xRDSEED
		}
	case 0x7c, 0x7d: // HADDPD/HADDPS/HSUBPD/HSUBPS
		if mp == 0x66 || mp == 0xf2 {
			return 1 << xSSE3
		}
	case 0xd0: // ADDSUBPD/PS
		if mp == 0x66 || mp == 0xf2 {
			return 1 << xSSE3
		}
	case 0x12: // MOVSLDUP, MOVDDUP
		if mp == 0xf3 || mp == 0xf2 {
			return 1 << xSSE3
		}
	case 0x16: // MOVSHDUP
		if mp == 0xf3 {
			return 1 << xSSE3
		}
	case 0xf0: // LDDQU
		if mp == 0xf2 {
			return 1 << xSSE3
		}
	}
	return 0
}

// class0F38 classifies the legacy 0F 38 map.
func class0F38(op, mp byte) uint32 {
	switch {
	case op <= 0x0b || (op >= 0x1c && op <= 0x1e):
		if mp == 0 || mp == 0x66 {
			return 1 << xSSSE3
		}
	case op == 0xf0 || op == 0xf1:
		if mp == 0xf2 {
			return 1 << xSSE42 // CRC32
		}
		if mp == 0 || mp == 0x66 {
			return 1 << xMOVBE
		}
	case op >= 0xc8 && op <= 0xcd:
		if mp == 0 {
			return 1 << xSHA
		}
	case mp != 0x66:
	case op == 0x37:
		return 1 << xSSE42
	case op >= 0xdb && op <= 0xdf:
		return 1 << xAES
	case op == 0x10, op == 0x14, op == 0x15, op == 0x17,
		op >= 0x20 && op <= 0x25, op >= 0x28 && op <= 0x2b,
		op >= 0x30 && op <= 0x35, op >= 0x38 && op <= 0x41:
		return 1 << xSSE41
	}
	return 0
}

// class0F3A classifies the legacy 0F 3A map.
func class0F3A(op, mp byte) uint32 {
	switch {
	case op == 0x0f:
		if mp == 0 || mp == 0x66 {
			return 1 << xSSSE3
		}
	case op == 0xcc:
		if mp == 0 {
			return 1 << xSHA
		}
	case mp != 0x66:
	case op == 0x44:
		return 1 << xPCLMUL
	case op == 0xdf:
		return 1 << xAES
	case op >= 0x60 && op <= 0x63:
		return 1 << xSSE42
	case op >= 0x08 && op <= 0x0e, op >= 0x14 && op <= 0x17, op >= 0x20 && op <= 0x22, op >= 0x40 && op <= 0x42:
		return 1 << xSSE41
	}
	return 0
}

// decodeVEX decodes a VEX instruction; i indexes the byte after C4/C5.
func decodeVEX(b []byte, i int, c byte) x86Inst {
	var mmmmm, pp, l byte
	if c == 0xc5 {
		if i >= len(b) {
			return x86Inst{}
		}
		p := b[i]
		i++
		mmmmm, pp, l = 1, p&3, p>>2&1
	} else {
		if i+1 >= len(b) {
			return x86Inst{}
		}
		mmmmm = b[i] & 0x1f
		p := b[i+1]
		i += 2
		pp, l = p&3, p>>2&1
	}
	if mmmmm < 1 || mmmmm > 3 {
		return x86Inst{n: 1, invalid: true}
	}
	if i >= len(b) {
		return x86Inst{}
	}
	op := b[i]
	i++
	var modrm byte
	if !(mmmmm == 1 && op == 0x77) { // VZEROUPPER/VZEROALL have no ModRM
		if i >= len(b) {
			return x86Inst{}
		}
		modrm = b[i]
		n := modrmLen(b[i:])
		if n == 0 {
			return x86Inst{}
		}
		i += n
	}
	switch mmmmm {
	case 1:
		switch op {
		case 0x70, 0x71, 0x72, 0x73, 0xc2, 0xc4, 0xc5, 0xc6:
			i++
		}
	case 3:
		i++
	}
	if i > 15 {
		return x86Inst{n: 1, invalid: true}
	}
	if i > len(b) {
		return x86Inst{}
	}
	return x86Inst{n: i, ext: classVEX(mmmmm, pp, l, op, modrm)}
}

// VEX pp values.
const (
	ppNone = 0
	pp66   = 1
	ppF3   = 2
	ppF2   = 3
)

// classVEX classifies a VEX instruction by map, pp, L and opcode.
func classVEX(mmmmm, pp, l, op, modrm byte) uint32 {
	switch mmmmm {
	case 2:
		switch op {
		case 0xf2, 0xf3:
			if pp == ppNone {
				return 1 << xBMI1 // ANDN, BLSR/BLSMSK/BLSI
			}
		case 0xf5:
			if pp != pp66 {
				return 1 << xBMI2 // BZHI, PEXT, PDEP
			}
		case 0xf6:
			if pp == ppF2 {
				return 1 << xBMI2 // MULX
			}
		case 0xf7:
			if pp == ppNone {
				return 1 << xBMI1 // BEXTR
			}
			return 1 << xBMI2 // SHLX/SARX/SHRX
		case 0x49, 0x4b, 0x5c, 0x5e, 0x6c:
			if pp != pp66 || op == 0x49 || op == 0x4b || op == 0x5e || op == 0x6c {
				return 1 << xAMX
			}
		}
		if pp != pp66 {
			return 1 << xAVX
		}
		switch {
		case op == 0x13:
			return 1 << xF16C
		case op >= 0x96 && op <= 0x9f, op >= 0xa6 && op <= 0xaf, op >= 0xb6 && op <= 0xbf:
			return 1 << xFMA
		case op >= 0xdc && op <= 0xdf, op == 0xdb:
			return 1<<xAES | 1<<xAVX
		case op == 0x16, op == 0x36, op >= 0x45 && op <= 0x47, op == 0x58, op == 0x59, op == 0x5a,
			op == 0x78, op == 0x79, op == 0x8c, op == 0x8e, op >= 0x90 && op <= 0x93:
			return 1 << xAVX2
		case (op == 0x18 || op == 0x19) && modrm>>6 == 3:
			return 1 << xAVX2 // VBROADCASTSS/SD from a register
		case l == 1 && (op <= 0x0b || op >= 0x1c && op <= 0x1e || op >= 0x20 && op <= 0x25 ||
			op >= 0x28 && op <= 0x2b || op >= 0x30 && op <= 0x35 || op >= 0x37 && op <= 0x40):
			return 1 << xAVX2
		}
	case 3:
		if op == 0xf0 && pp == ppF2 {
			return 1 << xBMI2 // RORX
		}
		if pp != pp66 {
			return 1 << xAVX
		}
		switch {
		case op >= 0x30 && op <= 0x33:
			return 1 << xAVX512 // KSHIFTR, KSHIFTL
		case op == 0x1d:
			return 1 << xF16C
		case op == 0x44:
			return 1<<xPCLMUL | 1<<xAVX
		case op == 0xdf:
			return 1<<xAES | 1<<xAVX
		case op <= 0x02, op == 0x38, op == 0x39, op == 0x46:
			return 1 << xAVX2
		case l == 1 && (op == 0x0e || op == 0x0f || op == 0x42 || op == 0x4c):
			return 1 << xAVX2
		}
	case 1:
		switch op {
		case 0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x4a, 0x4b, 0x90, 0x91, 0x92, 0x93, 0x98, 0x99:
			return 1 << xAVX512 // opmask instructions (KAND ... KMOV, KORTEST, KTEST)
		}
		if l == 1 && vexIntOp(pp, op) {
			return 1 << xAVX2
		}
	}
	return 1 << xAVX
}

// vexIntOp reports whether VEX map 0F opcode op with pp is an integer SIMD operation,
// which needs AVX2 at 256 bits.
func vexIntOp(pp, op byte) bool {
	if op == 0x70 {
		return pp != ppNone // PSHUFD/PSHUFHW/PSHUFLW
	}
	if pp != pp66 {
		return false
	}
	switch {
	case op >= 0x60 && op <= 0x6d, op >= 0x71 && op <= 0x76,
		op >= 0xd1 && op <= 0xd5, op >= 0xd7 && op <= 0xdf,
		op >= 0xe0 && op <= 0xe5, op >= 0xe8 && op <= 0xef,
		op >= 0xf1 && op <= 0xf6, op >= 0xf8 && op <= 0xfe:
		return true
	}
	return false
}

// decodeEVEX decodes an EVEX instruction; i indexes the byte after 62.
func decodeEVEX(b []byte, i int, addrsize bool) x86Inst {
	if i+3 >= len(b) {
		return x86Inst{}
	}
	p0, p1 := b[i], b[i+1]
	mmm := p0 & 7
	if p1&4 == 0 && mmm != 4 { // the fixed bit of P1 must be 1 outside map 4
		return x86Inst{n: 1, invalid: true}
	}
	i += 3
	op := b[i]
	i++
	if i >= len(b) {
		return x86Inst{}
	}
	modrm := b[i]
	n := modrmLen(b[i:])
	if n == 0 {
		return x86Inst{}
	}
	i += n
	ext := uint32(1 << xAVX512)
	switch mmm {
	case 0:
		return x86Inst{n: 1, invalid: true}
	case 1:
		switch op {
		case 0x70, 0x71, 0x72, 0x73, 0xc2, 0xc4, 0xc5, 0xc6:
			i++
		}
	case 3:
		i++
	case 4: // APX promoted legacy instructions: immediates as in the one-byte map
		ext = 1 << xAPX
		e := map0[op]
		i += immLen(e&immMask, modrm>>3&7, p1&3 == pp66, addrsize, p1&0x80 != 0)
		if e&immMask == immGrp3 && modrm>>3&7 < 2 {
			if op == 0xf6 {
				i++
			} else if p1&3 == pp66 {
				i += 2
			} else {
				i += 4
			}
		}
	}
	if i > 15 {
		return x86Inst{n: 1, invalid: true}
	}
	if i > len(b) {
		return x86Inst{}
	}
	return x86Inst{n: i, ext: ext}
}

// decodeXOP decodes an AMD XOP instruction; i indexes the byte after 8F. XOP is
// reported as no extension of its own (no Intel CPU or translator implements it).
func decodeXOP(b []byte, i int) x86Inst {
	if i+2 >= len(b) {
		return x86Inst{}
	}
	mmmmm := b[i] & 0x1f
	i += 3 // 2 payload bytes and the opcode
	n := modrmLen(b[i:])
	if n == 0 {
		return x86Inst{}
	}
	i += n
	switch mmmmm {
	case 8:
		i++
	case 9:
	case 10:
		i += 4
	default:
		return x86Inst{n: 1, invalid: true}
	}
	if i > 15 {
		return x86Inst{n: 1, invalid: true}
	}
	if i > len(b) {
		return x86Inst{}
	}
	return x86Inst{n: i}
}
