package isa

import (
	"testing"
)

// Instruction bytes used by the synthetic images.
var (
	avx2Code   = []byte{0xc5, 0xfd, 0xfe, 0xc1, 0xc3}                   // vpaddd ymm0, ymm0, ymm1; ret
	avx512Code = []byte{0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc1, 0xc3}       // vpaddd zmm0, zmm0, zmm1; ret
	lseCode    = []byte{0x40, 0x00, 0xe1, 0xf8, 0xc0, 0x03, 0x5f, 0xd6} // ldaddal x1, x0, [x2]; ret
)

// FuzzDecodeX86 checks the x86 decoder's invariants on arbitrary bytes.
func FuzzDecodeX86(f *testing.F) {
	f.Add(avx2Code)
	f.Add(avx512Code)
	f.Add([]byte{0x66, 0x0f, 0x38, 0xdc, 0xc1})
	f.Add([]byte{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(append(append([]byte{}, avx2Code...), make([]byte, 12)...))
	f.Add(append(append([]byte{}, avx512Code...), make([]byte, 10)...))
	f.Add([]byte{0xc4, 0xe2, 0x7d, 0x18, 0x04, 0x25, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := decodeX86(b)
		if len(b) >= 15 { // decodeX86's way to VEX and EVEX is decodeX86Upto15's
			want := decodeX86Upto15(b[:15])
			if want.n == 0 {
				want = x86Inst{n: 1, invalid: true}
			}
			if in != want {
				t.Fatalf("% x: %+v, decodeX86Upto15 %+v", b, in, want)
			}
		}
		if in.n > len(b) || in.n > 15 || in.n < 0 {
			t.Fatalf("% x: length %d", b, in.n)
		}
		if in.n == 0 && len(b) >= 15 {
			t.Fatalf("% x: no length with 15 bytes available", b)
		}
		if in.invalid && in.n != 1 {
			t.Fatalf("% x: invalid with length %d", b, in.n)
		}
	})
}

// FuzzClassARM64 checks that every word gets at most one extension.
func FuzzClassARM64(f *testing.F) {
	f.Add(uint32(0xf8e10040))
	f.Add(uint32(0x4e284800))
	f.Fuzz(func(t *testing.T, w uint32) {
		if c := classARM64(w); c&(c-1) != 0 {
			t.Fatalf("%08x: several classes %#x", w, c)
		}
	})
}
