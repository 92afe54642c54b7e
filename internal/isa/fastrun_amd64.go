//go:build !purego

package isa

// fastRun4 is fastRun4Go in assembly (fastRun4Asm): the four streams, the tables
// and the step's two scratch registers fit amd64's registers, without the bounds
// checks that keep the compiler's version from it (they need the buffer's length in
// a register, and the streams then spill). A step moves a stream by at most 15
// bytes (the longest instruction; TestFastLenX86Exhaustive) and reads at most 6
// bytes at it, so k steps from offsets whose 16k bytes lie in b read only b; it
// checks that here, as a bounds check would, before the assembly reads anything.
func fastRun4(b []byte, i0, i1, i2, i3, k int) (r0, r1, r2, r3, left int, slow uint) {
	if min(i0, i1, i2, i3) < 0 || k > len(b)>>4 || max(i0, i1, i2, i3) > len(b)-k<<4 {
		panic("isa: fastRun4 out of range")
	}
	return fastRun4Asm(b, i0, i1, i2, i3, k)
}

// fastRun2 is fastRun2Go in assembly (fastRun2Asm), checked as fastRun4 is.
func fastRun2(b []byte, i0, i1, k int) (r0, r1, left int, slow uint) {
	if min(i0, i1) < 0 || k > len(b)>>4 || max(i0, i1) > len(b)-k<<4 {
		panic("isa: fastRun2 out of range")
	}
	return fastRun2Asm(b, i0, i1, k)
}

// fastRun1 is fastRun1Go in assembly (fastRun1Asm), checked as fastRun4 is.
func fastRun1(b []byte, i0, k int) (r0, left int) {
	if i0 < 0 || k > len(b)>>4 || i0 > len(b)-k<<4 {
		panic("isa: fastRun1 out of range")
	}
	return fastRun1Asm(b, i0, k)
}

//go:noescape
func fastRun4Asm(b []byte, i0, i1, i2, i3, k int) (r0, r1, r2, r3, left int, slow uint)

//go:noescape
func fastRun2Asm(b []byte, i0, i1, k int) (r0, r1, left int, slow uint)

//go:noescape
func fastRun1Asm(b []byte, i0, k int) (r0, left int)
