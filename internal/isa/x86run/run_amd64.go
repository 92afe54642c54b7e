//go:build !purego

package x86run

// Streams is the number of interleaved sweeps: on amd64 the assembly loop
// (fastRun8Asm) keeps eight in registers, enough to overlap the chains of
// dependent loads of their steps (a step's chain of four dependent loads is
// about 27 cycles of latency, in 16 instructions; four streams left the CPU
// waiting).
const Streams = 8

// MinActive is the least number of streams RunN runs: below it the streams left
// go on in pairs (Run2), since every stream in the loop costs its step.
const MinActive = 3

// RunN advances the streams at pos by at most k steps of one fast-path
// instruction each (Step's, else the second step's, Prefixed), and returns the
// steps left and which streams stand on an instruction for the slow path (bit j
// for stream j); when that is one or more of the active ones (bits of active),
// the others made one more step, not counted in the steps done (k-left). The
// inactive ones step too, from where they are, and never stop it: the caller
// drops their work. It is Run4Go's loop for eight streams, in assembly
// (fastRun8Asm): the streams, the tables' address and the step's two scratch
// registers fit amd64's registers, without the bounds checks that keep the
// compiler's version from it; the second step is out of the loop (pfxStep), so
// that prefixed instructions do not return from it. A step moves a stream by at
// most 15 bytes (the longest instruction; internal/isa's TestFastLenX86Exhaustive
// and TestPrefixedStepExhaustive) and reads at most 15 bytes at it (Step 5), so k
// steps from offsets whose 16k bytes lie in b read only b. fastRun8Asm checks
// that first, as a bounds check would, and reads nothing when it does not hold:
// RunN then panics. The check in the assembly lets RunN inline into its caller,
// which returns from the loop at each instruction for the slow path.
func RunN(b []byte, pos *[Streams]int, k int, active uint) (left int, slow uint) {
	if left, slow = fastRun8Asm(b, pos, k, active); left < 0 {
		panic("x86run: RunN out of range")
	}
	return left, slow
}

// Run2 is Run2Go in assembly (fastRun2Asm), with RunN's range check in Go (it
// runs at the uneven ends of chunks, rarely).
func Run2(b []byte, i0, i1, k int) (r0, r1, left int, slow uint) {
	if min(i0, i1) < 0 || k > len(b)>>4 || max(i0, i1) > len(b)-k<<4 {
		panic("x86run: Run2 out of range")
	}
	return fastRun2Asm(b, i0, i1, k)
}

// Run1 is Run1Go in assembly (fastRun1Asm), checked as RunN is.
func Run1(b []byte, i0, k int) (r0, left int) {
	if i0 < 0 || k > len(b)>>4 || i0 > len(b)-k<<4 {
		panic("x86run: Run1 out of range")
	}
	return fastRun1Asm(b, i0, k)
}

//go:noescape
func fastRun8Asm(b []byte, pos *[8]int, k int, active uint) (left int, slow uint)

//go:noescape
func fastRun2Asm(b []byte, i0, i1, k int) (r0, r1, left int, slow uint)

//go:noescape
func fastRun1Asm(b []byte, i0, k int) (r0, left int)
