//go:build !amd64 || purego

package isa

// fastRun4, fastRun2 and fastRun1 are the Go versions where no assembly exists.
func fastRun4(b []byte, i0, i1, i2, i3, k int) (r0, r1, r2, r3, left int, slow uint) {
	return fastRun4Go(b, i0, i1, i2, i3, k)
}

func fastRun2(b []byte, i0, i1, k int) (r0, r1, left int, slow uint) {
	return fastRun2Go(b, i0, i1, k)
}

func fastRun1(b []byte, i0, k int) (r0, left int) { return fastRun1Go(b, i0, k) }
