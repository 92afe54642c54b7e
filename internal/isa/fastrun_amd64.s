//go:build !purego

#include "textflag.h"

// STEP advances the stream at offset I of SI's bytes by one fast-path instruction
// (fastStep): AX and BX are scratch; when the instruction is for the slow path, I
// stays and BIT is set in DX. R12, R13 and DI hold preT, opT and modrmT.
#define STEP(I, BIT) \
	MOVWLZX (SI)(I*1), AX \
	ROLW    $8, AX \
	MOVBLZX (R12)(AX*1), AX \
	MOVL    AX, BX \
	ANDL    $3, BX \
	ADDQ    I, BX \
	MOVL    (SI)(BX*1), BX \
	SHLL    $8, AX \
	MOVB    BX, AX \
	MOVWLZX (R13)(AX*2), AX \
	SHRL    $8, BX \
	ANDL    $0x7ff, BX \
	MOVBLZX (DI)(BX*1), BX \
	ANDB    AH, BX \
	ADDB    AX, BX \
	MOVBLZX BX, BX \
	ADDQ    BX, I \
	TESTL   BX, BX \
	JNE     2(PC) \
	ORL     BIT, DX

// func fastRun4Asm(b []byte, i0, i1, i2, i3, k int) (r0, r1, r2, r3, left int, slow uint)
TEXT ·fastRun4Asm(SB), NOSPLIT, $0-112
	MOVQ b_base+0(FP), SI
	MOVQ i0+24(FP), R8
	MOVQ i1+32(FP), R9
	MOVQ i2+40(FP), R10
	MOVQ i3+48(FP), R11
	MOVQ k+56(FP), CX
	LEAQ ·preT(SB), R12
	LEAQ ·opT(SB), R13
	LEAQ ·modrmT(SB), DI
	XORL DX, DX
	TESTQ CX, CX
	JLE done

loop:
	STEP(R8, $1)
	STEP(R9, $2)
	STEP(R10, $4)
	STEP(R11, $8)
	TESTL DX, DX
	JNE done
	DECQ CX
	JNE loop

done:
	MOVQ R8, r0+64(FP)
	MOVQ R9, r1+72(FP)
	MOVQ R10, r2+80(FP)
	MOVQ R11, r3+88(FP)
	MOVQ CX, left+96(FP)
	MOVQ DX, slow+104(FP)
	RET

// func fastRun2Asm(b []byte, i0, i1, k int) (r0, r1, left int, slow uint)
TEXT ·fastRun2Asm(SB), NOSPLIT, $0-80
	MOVQ b_base+0(FP), SI
	MOVQ i0+24(FP), R8
	MOVQ i1+32(FP), R9
	MOVQ k+40(FP), CX
	LEAQ ·preT(SB), R12
	LEAQ ·opT(SB), R13
	LEAQ ·modrmT(SB), DI
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
	MOVQ R8, r0+48(FP)
	MOVQ R9, r1+56(FP)
	MOVQ CX, left+64(FP)
	MOVQ DX, slow+72(FP)
	RET

// func fastRun1Asm(b []byte, i0, k int) (r0, left int)
TEXT ·fastRun1Asm(SB), NOSPLIT, $0-56
	MOVQ b_base+0(FP), SI
	MOVQ i0+24(FP), R8
	MOVQ k+32(FP), CX
	LEAQ ·preT(SB), R12
	LEAQ ·opT(SB), R13
	LEAQ ·modrmT(SB), DI
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
	MOVQ R8, r0+40(FP)
	MOVQ CX, left+48(FP)
	RET
