//go:build !purego

#include "textflag.h"

// The fast path's tables (tables, a Tables): Pre, then Op, then ModRM.
#define PRE 0
#define OP 65536
#define MODRM 196608
#define PFXT 198656

// Pfx's bits (PfxLegacy, PfxF, PfxREX, PfxEsc).
#define PFXLEGACY 0xe0
#define PFXF 0x40
#define PFXREX 0x18
#define PFXESC 0x04

// STEP advances the stream at I, a pointer into b (the loops turn the streams'
// offsets into pointers on entry and back on return: a load from I then needs
// no addition of b's base, on the chain of dependent loads), by one fast-path
// instruction (Step), with DI at tables: AX and BX are scratch. The opcode and
// the ModRM word are loaded apart at the opcode (Step takes them from one 32-bit
// load), which spares the shift of the word; the length's byte add sets the
// flags the slow test reads, and LEAQ, which sets none, moves I. When Step does
// not take the instruction, the stream goes to its out-of-line second step at
// label P (SECOND), which returns to label R.
#define STEP(I, P, R) \
	MOVWLZX (I), AX \
	ROLW    $8, AX \
	MOVBLZX PRE(DI)(AX*1), AX \
	MOVL    AX, BX \
	ANDL    $3, BX \
	SHLL    $8, AX \
	MOVB    (I)(BX*1), AX \
	MOVWLZX 1(I)(BX*1), BX \
	MOVWLZX OP(DI)(AX*2), AX \
	ANDL    $0x7ff, BX \
	MOVBLZX MODRM(DI)(BX*1), BX \
	ANDB    AH, BX \
	ADDB    AX, BX \
	LEAQ    (I)(BX*1), I \
	JEQ     P \
R:

// SECOND is the second step of the stream at I (Prefixed), out of the loop at
// label P: when a legacy prefix comes first, pfxStep moves I past the
// instruction if it takes it; else I stays and BIT is set in DX (the stream
// stands on an instruction for the slow path, at label S for the others: VEX,
// EVEX, extensions). It returns to the loop at label R. It uses SI, which holds
// b's base only outside the loop.
#define SECOND(I, BIT, P, R, S) \
P: \
	MOVBLZX (I), AX \
	TESTB   $PFXLEGACY, PFXT(DI)(AX*1) \
	JEQ     S \
	MOVQ    I, SI \
	CALL    pfxStep<>(SB) \
	TESTQ   BX, BX \
	CMOVQEQ SI, I \
	ANDL    BIT, BX \
	ORL     BX, DX \
	JMP     R \
S: \
	ORL     BIT, DX \
	JMP     R

// PFX is Prefixed's Pfx entry of the byte at OFF(SI) in AX.
#define PFX(OFF) \
	MOVBLZX OFF(SI), AX \
	MOVBLZX PFXT(DI)(AX*1), AX

// PTAIL ends pfxStep for the opcode at OP(SI), whose Pfx entry is in AX, with the
// class in BX, CX at the number of legacy prefixes less one, and SI at the byte
// after them: Prefixed's last lines.
#define PTAIL(OFF, OFF1) \
	TESTL   $(PFXLEGACY|PFXREX), AX \
	JNE     pslow \
	MOVBLZX OFF(SI), AX \
	SHLL    $8, BX \
	ORL     BX, AX \
	MOVWLZX OP(DI)(AX*2), AX \
	TESTL   AX, AX \
	JEQ     pslow \
	MOVWLZX OFF1(SI), BX \
	ANDL    $0x7ff, BX \
	MOVBLZX MODRM(DI)(BX*1), BX \
	ANDB    AH, BX \
	ADDB    AX, BX \
	ADDQ    BX, CX \
	CMPQ    CX, $15 \
	JHI     pslow \
	LEAQ    -1(SI)(BX*1), SI \
	XORL    BX, BX \
	JMP     pret

// pfxStep is Prefixed for the instruction at SI, which starts with a legacy
// prefix (SECOND checks it), with DI at tables: it returns SI past the
// instruction and BX 0 when it takes it, else BX -1 (and SI anywhere in it). It
// uses AX and, saved on the stack, CX.
TEXT pfxStep<>(SB), NOSPLIT|NOFRAME, $0-0
	PUSHQ   CX
	MOVQ    SI, CX // the instruction's start, while the prefixes are counted
	PFX(0)
	MOVL    AX, BX // the class: the least of the prefixes'
	TESTL   $PFXF, BX
	JNE     pfxF
prun:
	INCQ    SI
	PFX(0)
	TESTL   $PFXLEGACY, AX
	JEQ     pdone
	TESTL   $PFXF, AX
	JNE     pslow // F3 or F2 after another prefix
	CMPL    AX, BX
	CMOVLCS AX, BX
	LEAQ    10(CX), AX
	CMPQ    SI, AX
	JCS     prun
	JMP     pslow // an eleventh prefix
pfxF: // F3, F2: alone only, which the opcode's test below sees to
	INCQ    SI
	PFX(0)
pdone:
	// SI at the byte after the prefixes, AX its entry; CX, the start, becomes
	// the number of prefixes less one (NOT(start-SI) = SI-start-1).
	SUBQ    SI, CX
	NOTQ    CX
	TESTL   $PFXREX, AX
	JNE     prex
	CMPL    AX, $PFXESC
	JEQ     pesc
	PTAIL(0, 1)
prex:
	ORL     AX, BX
	PFX(1)
	CMPL    AX, $PFXESC
	JEQ     prexesc
	PTAIL(1, 2)
pesc:
	ORL     AX, BX
	PFX(1)
	PTAIL(1, 2)
prexesc:
	ORL     AX, BX
	PFX(2)
	PTAIL(2, 3)
pslow:
	MOVQ    $-1, BX
pret: // the one return: the assembler counts PUSHQ and POPQ in the text's order
	POPQ    CX
	RET

// func fastRun8Asm(b []byte, pos *[8]int, k int, active uint) (left int, slow uint)
//
// It checks RunN's range itself, before it reads b: one comparison a stream, where
// the check in Go (a maximum of eight, then the call) was a sixth of the cost of a
// return from the loop.
TEXT ·fastRun8Asm(SB), NOSPLIT, $0-64
	MOVQ b_base+0(FP), SI
	MOVQ pos+24(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), R11
	MOVQ 32(DI), R12
	MOVQ 40(DI), R13
	MOVQ 48(DI), R14
	MOVQ 56(DI), R15
	// The range check (RunN's): k <= len(b)>>4 and every stream at or before
	// len(b)-k<<4, as unsigned numbers (a negative one is too large); out of
	// range, it reads nothing and returns left -1.
	MOVQ k+32(FP), CX
	MOVQ b_len+8(FP), AX
	MOVQ AX, BX
	SHRQ $4, BX
	CMPQ CX, BX
	JHI  range8
	MOVQ CX, BX
	SHLQ $4, BX
	SUBQ BX, AX
	CMPQ R8, AX
	JHI  range8
	CMPQ R9, AX
	JHI  range8
	CMPQ R10, AX
	JHI  range8
	CMPQ R11, AX
	JHI  range8
	CMPQ R12, AX
	JHI  range8
	CMPQ R13, AX
	JHI  range8
	CMPQ R14, AX
	JHI  range8
	CMPQ R15, AX
	JHI  range8
	ADDQ SI, R8
	ADDQ SI, R9
	ADDQ SI, R10
	ADDQ SI, R11
	ADDQ SI, R12
	ADDQ SI, R13
	ADDQ SI, R14
	ADDQ SI, R15
	LEAQ ·tables(SB), DI
	XORL DX, DX
	TESTQ CX, CX
	JLE done8

loop8:
	STEP(R8, p8s0, r8s0)
	STEP(R9, p8s1, r8s1)
	STEP(R10, p8s2, r8s2)
	STEP(R11, p8s3, r8s3)
	STEP(R12, p8s4, r8s4)
	STEP(R13, p8s5, r8s5)
	STEP(R14, p8s6, r8s6)
	STEP(R15, p8s7, r8s7)
	TESTQ active+40(FP), DX
	JNE done8
	DECQ CX
	JNE loop8

done8:
	MOVQ b_base+0(FP), SI
	SUBQ SI, R8
	SUBQ SI, R9
	SUBQ SI, R10
	SUBQ SI, R11
	SUBQ SI, R12
	SUBQ SI, R13
	SUBQ SI, R14
	SUBQ SI, R15
	MOVQ pos+24(FP), DI
	MOVQ R8, 0(DI)
	MOVQ R9, 8(DI)
	MOVQ R10, 16(DI)
	MOVQ R11, 24(DI)
	MOVQ R12, 32(DI)
	MOVQ R13, 40(DI)
	MOVQ R14, 48(DI)
	MOVQ R15, 56(DI)
	MOVQ CX, left+48(FP)
	MOVQ DX, slow+56(FP)
	RET

range8:
	MOVQ $-1, left+48(FP)
	MOVQ $0, slow+56(FP)
	RET

	SECOND(R8, $1, p8s0, r8s0, s8s0)
	SECOND(R9, $2, p8s1, r8s1, s8s1)
	SECOND(R10, $4, p8s2, r8s2, s8s2)
	SECOND(R11, $8, p8s3, r8s3, s8s3)
	SECOND(R12, $16, p8s4, r8s4, s8s4)
	SECOND(R13, $32, p8s5, r8s5, s8s5)
	SECOND(R14, $64, p8s6, r8s6, s8s6)
	SECOND(R15, $128, p8s7, r8s7, s8s7)

// func fastRun2Asm(b []byte, i0, i1, k int) (r0, r1, left int, slow uint)
TEXT ·fastRun2Asm(SB), NOSPLIT, $0-80
	MOVQ b_base+0(FP), SI
	MOVQ i0+24(FP), R8
	MOVQ i1+32(FP), R9
	ADDQ SI, R8
	ADDQ SI, R9
	MOVQ k+40(FP), CX
	LEAQ ·tables(SB), DI
	XORL DX, DX
	TESTQ CX, CX
	JLE done2

loop2:
	STEP(R8, p2s0, r2s0)
	STEP(R9, p2s1, r2s1)
	TESTL DX, DX
	JNE done2
	DECQ CX
	JNE loop2

done2:
	MOVQ b_base+0(FP), SI
	SUBQ SI, R8
	SUBQ SI, R9
	MOVQ R8, r0+48(FP)
	MOVQ R9, r1+56(FP)
	MOVQ CX, left+64(FP)
	MOVQ DX, slow+72(FP)
	RET

	SECOND(R8, $1, p2s0, r2s0, s2s0)
	SECOND(R9, $2, p2s1, r2s1, s2s1)

// func fastRun1Asm(b []byte, i0, k int) (r0, left int)
TEXT ·fastRun1Asm(SB), NOSPLIT, $0-56
	MOVQ b_base+0(FP), SI
	MOVQ i0+24(FP), R8
	ADDQ SI, R8
	MOVQ k+32(FP), CX
	LEAQ ·tables(SB), DI
	XORL DX, DX
	TESTQ CX, CX
	JLE done1

loop1:
	STEP(R8, p1s0, r1s0)
	TESTL DX, DX
	JNE done1
	DECQ CX
	JNE loop1

done1:
	MOVQ b_base+0(FP), SI
	SUBQ SI, R8
	MOVQ R8, r0+40(FP)
	MOVQ CX, left+48(FP)
	RET

	SECOND(R8, $1, p1s0, r1s0, s1s0)
