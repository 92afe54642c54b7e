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

// What the top byte of a word (bits 31:24) says about it, for the scan's fast path.
const (
	topNone   = iota // no extension can be encoded with this top byte
	topLSE           // load/store group: LSE when bit 21 is set and classARM64 agrees
	topCrypto        // 0x0e, 0x4e, 0x5e, 0xce: AES, PMULL, SHA1/2/512/3 candidates
	topSVE           // op0 = 0010: SVE
	topSME           // op0 = 0000 with bit 31 set: SME
)

// armTop classifies top bytes; classARM64 stays the reference (TestARMTop checks that
// they agree on every top byte).
var armTop = func() (t [256]uint8) {
	for b := range 256 {
		op0 := b >> 1 & 0xf // bits 28:25
		switch {
		case op0 == 0x2:
			t[b] = topSVE
		case op0 == 0x0 && b>>7 == 1:
			t[b] = topSME
		case op0&0x5 == 0x4: // x1x0: loads and stores
			t[b] = topLSE
		case b == 0x0e || b == 0x4e || b == 0x5e || b == 0xce:
			t[b] = topCrypto
		}
	}
	return
}()

// armCand is armTop indexed by the top byte and bit 21 (armIndex): every LSE
// encoding has bit 21 set, so loads and stores without it are no candidates.
var armCand = func() (t [512]uint8) {
	for i := range 512 {
		t[i] = armTop[i>>1]
		if t[i] == topLSE && i&1 == 0 {
			t[i] = topNone
		}
	}
	return
}()

// armIndex is a word's index in armCand.
func armIndex(w uint32) uint32 { return w>>23&^1 | w>>21&1 }

// classARM64Fast is classARM64 with a table lookup first: most words (data
// processing, branches, most loads, stores and SIMD) are rejected with one load.
func classARM64Fast(w uint32) uint32 {
	switch armCand[armIndex(w)] {
	case topNone:
		return 0
	case topSVE:
		return 1 << aSVE
	case topSME:
		return 1 << aSME
	}
	return classARM64(w)
}
