//go:build !(amd64 || arm64 || 386 || ppc64le)

package x86run

// Step is Len of the instruction at b[i:] (see step_unaligned.go), byte by byte
// where an unaligned load may fault or the byte order is big-endian: correct, but
// too large to be inlined into the loops. The caller guarantees 16 bytes at i.
func Step(b []byte, i int) uint {
	p := b[i : i+16 : i+16]
	e := uint(tables.Pre[uint16(p[0])<<8|uint16(p[1])])
	q := p[e&3 : e&3+4]
	y := uint(q[0]) | uint(q[1])<<8 | uint(q[2])<<16 | uint(q[3])<<24
	f := uint(tables.Op[e<<8|y&0xff])
	return f&0xff + uint(tables.ModRM[y>>8&0x7ff])&(f>>8)
}
