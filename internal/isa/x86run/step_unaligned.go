//go:build amd64 || arm64 || 386 || ppc64le

package x86run

import "unsafe"

// Step is Len of the instruction at b[i:]: the opcode's bytes come from a second
// load at the opcode rather than from shifting the first, which keeps the four
// streams of Run4Go in registers (a variable shift needs CX on amd64 before BMI2).
// The first two bytes give what precedes the opcode (Pre); that and the opcode
// give the opcode's length and whether ModRM follows (Op), as a mask on ModRM's
// length (ModRM), which is looked up at the same time. The caller guarantees 16
// bytes at i; else it panics (an index out of range) before it reads anything.
//
// It must stay small enough to be inlined into the loops (internal/isa's
// TestFastStepInlined): a call spills the streams at every step. Here, on
// little-endian CPUs that load from any address, the two loads are unsafe ones
// within b[i:i+16] (checked first): encoding/binary's byte-order functions, which
// the inliner charges as cheap by name, would make the package import reflect
// and the runtime (a compile of each for every platform vet checks it for), and
// the same loads written as bytes shifted together (step_other.go) cost the
// inliner 126 of its budget of 80.
func Step(b []byte, i int) uint {
	p := unsafe.Pointer(unsafe.SliceData(b[i : i+16 : i+16]))
	x := *(*uint16)(p)
	e := uint(tables.Pre[x<<8|x>>8])
	y := uint(*(*uint32)(unsafe.Add(p, e&3)))
	f := uint(tables.Op[e<<8|y&0xff])
	return f&0xff + uint(tables.ModRM[y>>8&0x7ff])&(f>>8)
}
