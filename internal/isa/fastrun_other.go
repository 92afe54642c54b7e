//go:build !amd64 || purego

package isa

// x86Streams is the number of interleaved sweeps: four, which the compiler keeps
// in registers (fastRun4Go).
const x86Streams = 4

// minActive is the least number of streams fastRunN runs: all of them, since
// fastRun4Go stops at a slow instruction of any stream.
const minActive = x86Streams

// fastRunN advances the streams at pos by at most k steps of one fast-path
// instruction each: fastRun4Go (see there); every stream is active.
func fastRunN(b []byte, pos *[x86Streams]int, k int, active uint) (left int, slow uint) {
	pos[0], pos[1], pos[2], pos[3], left, slow = fastRun4Go(b, pos[0], pos[1], pos[2], pos[3], k)
	return left, slow
}

// fastRun2 and fastRun1 are the Go versions where no assembly exists.
func fastRun2(b []byte, i0, i1, k int) (r0, r1, left int, slow uint) {
	return fastRun2Go(b, i0, i1, k)
}

func fastRun1(b []byte, i0, k int) (r0, left int) { return fastRun1Go(b, i0, k) }
