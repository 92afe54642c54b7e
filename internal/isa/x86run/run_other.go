//go:build !amd64 || purego

package x86run

// Streams is the number of interleaved sweeps: four, which the compiler keeps
// in registers (Run4Go).
const Streams = 4

// MinActive is the least number of streams RunN runs: all of them, since Run4Go
// stops at a slow instruction of any stream.
const MinActive = Streams

// RunN advances the streams at pos by at most k steps of one fast-path
// instruction each (Step's, else Prefixed's): Run4Go (see there); every stream is
// active.
func RunN(b []byte, pos *[Streams]int, k int, active uint) (left int, slow uint) {
	pos[0], pos[1], pos[2], pos[3], left, slow = Run4Go(b, pos[0], pos[1], pos[2], pos[3], k)
	return left, slow
}

// Run2 advances two streams as Run2Go does, where no assembly exists.
func Run2(b []byte, i0, i1, k int) (r0, r1, left int, slow uint) {
	return Run2Go(b, i0, i1, k)
}

// Run1 advances one stream as Run1Go does, where no assembly exists.
func Run1(b []byte, i0, k int) (r0, left int) { return Run1Go(b, i0, k) }
