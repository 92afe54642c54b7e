//go:build !purego

#include "textflag.h"

// The fast path's tables (tables, a Tables): Pre, then Op, then ModRM.
#define PRE 0
#define OP 65536
#define MODRM 196608

// STEP advances the stream at I, a pointer into b (the loops turn the streams'
// offsets into pointers on entry and back on return: a load from I then needs
// no addition of b's base, on the chain of dependent loads), by one fast-path
// instruction (Step), with DI at tables: AX and BX are scratch; when the
// instruction is for the slow path, I stays and BIT is set in DX. The opcode and
// the ModRM word are loaded apart at the opcode (Step takes them from one 32-bit
// load), which spares the shift of the word; the length's byte add sets the
// flags the slow test reads, and LEAQ, which sets none, moves I.
#define STEP(I, BIT) \
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
	JNE     2(PC) \
	ORL     BIT, DX

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
	STEP(R8, $1)
	STEP(R9, $2)
	STEP(R10, $4)
	STEP(R11, $8)
	STEP(R12, $16)
	STEP(R13, $32)
	STEP(R14, $64)
	STEP(R15, $128)
	TESTQ active+40(FP), DX
	JNE done8
	DECQ CX
	JNE loop8

done8:
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
	STEP(R8, $1)
	STEP(R9, $2)
	TESTL DX, DX
	JNE done2
	DECQ CX
	JNE loop2

done2:
	SUBQ SI, R8
	SUBQ SI, R9
	MOVQ R8, r0+48(FP)
	MOVQ R9, r1+56(FP)
	MOVQ CX, left+64(FP)
	MOVQ DX, slow+72(FP)
	RET

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
	STEP(R8, $1)
	TESTL DX, DX
	JNE done1
	DECQ CX
	JNE loop1

done1:
	SUBQ SI, R8
	MOVQ R8, r0+40(FP)
	MOVQ CX, left+48(FP)
	RET
