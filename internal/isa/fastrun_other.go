//go:build !amd64 || purego

package isa

// fastRun4 is fastRun4Go where no assembly version exists.
func fastRun4(b []byte, i0, i1, i2, i3, k int) (r0, r1, r2, r3, left int, slow uint) {
	return fastRun4Go(b, i0, i1, i2, i3, k)
}
