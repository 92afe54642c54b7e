package isa

// arm64 instructions are fixed 4-byte little-endian words, so they are classified by
// bit masks without decoding operands. Encodings from the Arm A64 ISA (Arm ARM
// DDI 0487, "A64 Instruction Set Encoding"); golang.org/x/arch/arm64/arm64asm is the
// oracle in the differential test.

// arm64 extension identifiers, bits of a word's class mask.
const (
	aLSE = iota
	aAES
	aPMULL
	aSHA1
	aSHA256
	aSHA512
	aSHA3
	aSVE
	aSME
	aNumExt
)

// arm64Names are the report names of the arm64 extensions.
var arm64Names = [aNumExt]string{
	aLSE: "LSE", aAES: "AES", aPMULL: "PMULL", aSHA1: "SHA1", aSHA256: "SHA256",
	aSHA512: "SHA512", aSHA3: "SHA3", aSVE: "SVE", aSME: "SME",
}

// classARM64 returns the extension class mask of one instruction word.
func classARM64(w uint32) uint32 {
	switch {
	// Load/store exclusive class with o2=1, o1=1, Rt2=11111: CAS, CASA, CASL, CASAL
	// in all sizes (B, H, W, X).
	case w&0x3fa07c00 == 0x08a07c00:
		return 1 << aLSE
	// CASP, CASPA, CASPL, CASPAL: sz in bit 30, bit 31 zero, o2=0, o1=1.
	case w&0xbfa07c00 == 0x08207c00:
		return 1 << aLSE
	// Atomic memory operations: size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt.
	// o3=0: LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN (and their
	// ST* aliases); o3=1 opc=000: SWP. Other o3=1 encodings are LDAPR (FEAT_LRCPC),
	// LD64B/ST64B and others that are not LSE.
	case w&0x3f200c00 == 0x38200000:
		if w&0x8000 == 0 || w&0x7000 == 0 {
			return 1 << aLSE
		}
	// AESE, AESD, AESMC, AESIMC.
	case w&0xffffcc00 == 0x4e284800:
		return 1 << aAES
	// PMULL/PMULL2 with size=11 (64x64->128, FEAT_PMULL). size=00 is base Advanced SIMD.
	case w&0xbfe0fc00 == 0x0ee0e000:
		return 1 << aPMULL
	// SHA1C, SHA1P, SHA1M, SHA1SU0 (opcode 0..3), SHA256H, SHA256H2, SHA256SU1 (4..6).
	case w&0xffe08c00 == 0x5e000000:
		switch op := w >> 12 & 7; {
		case op <= 3:
			return 1 << aSHA1
		case op <= 6:
			return 1 << aSHA256
		}
	// SHA1H, SHA1SU1 (opcode 0, 1), SHA256SU0 (2).
	case w&0xfffe0c00 == 0x5e280800:
		switch op := w >> 12 & 0x1f; {
		case op <= 1:
			return 1 << aSHA1
		case op == 2:
			return 1 << aSHA256
		}
	// SHA512H, SHA512H2, SHA512SU1 (opcode 0..2), RAX1 (3, FEAT_SHA3).
	case w&0xffe0f000 == 0xce608000:
		if w>>10&3 == 3 {
			return 1 << aSHA3
		}
		return 1 << aSHA512
	// SHA512SU0.
	case w&0xfffffc00 == 0xcec08000:
		return 1 << aSHA512
	// EOR3, BCAX (FEAT_SHA3).
	case w&0xffe08000 == 0xce000000, w&0xffe08000 == 0xce200000:
		return 1 << aSHA3
	// XAR (FEAT_SHA3).
	case w&0xffe00000 == 0xce800000:
		return 1 << aSHA3
	}
	// Top-level encoding groups: op0 = bits 28:25.
	switch w >> 25 & 0xf {
	case 0x2: // SVE encodings
		return 1 << aSVE
	case 0x0:
		if w>>31 == 1 { // SME encodings
			return 1 << aSME
		}
	}
	return 0
}

// armGroup marks the top-level encoding groups (op0, bits 28:25) that hold an
// instruction classARM64 can name: loads and stores (LSE), scalar and vector
// floating point and SIMD (crypto, SHA-3), SVE, and the op0=0 space (SME with bit 31
// set). Data processing and branches (op0 = 100x, 101x, x101) never do, and are
// skipped with one lookup.
var armGroup = [16]uint8{0x0: 1, 0x2: 1, 0x4: 1, 0x6: 1, 0x7: 1, 0xc: 1, 0xe: 1, 0xf: 1}
