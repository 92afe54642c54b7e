package isa

import (
	"encoding/binary"
	"math/bits"
)

// x86Variant matches the names of functions that are one CPU-specific variant among
// several, picked at run time by CPUID (glibc's ifunc variants such as
// __memmove_avx_unaligned_erms or __strlen_evex, OpenSSL's *_avx2 ...).
func x86Variant[S string | []byte](name S) bool {
	// It runs for every function symbol of every C library scanned (libLLVM has
	// 100,000 of some 70 bytes): eight bytes at a time, it finds the words'
	// starts (after a separator) and looks up their first three letters, without
	// allocating. A variant word cannot run past the end of its word: none
	// holds a separator.
	start := uint64(0x80) // the high bit of each byte of the block that starts a word
	for i := 0; i < len(name); i += 8 {
		var x uint64
		if i+8 <= len(name) {
			x = binary.LittleEndian.Uint64([]byte(name[i : i+8]))
		} else {
			for j := len(name) - 1; j >= i; j-- { // the last bytes, zeros above them (no separator)
				x = x<<8 | uint64(name[j])
			}
		}
		sep := separators(x)
		w := start | sep<<8
		start = sep >> 56 // the next block's first byte follows this one's last
		for ; w != 0; w &= w - 1 {
			p := i + bits.TrailingZeros64(w)>>3
			if p+2 >= len(name) {
				break
			}
			// The words whose first three letters are the word's: rarely any.
			for m := variantAt[0][name[p]] & variantAt[1][name[p+1]] & variantAt[2][name[p+2]]; m != 0; m &= m - 1 {
				if hasLowerPrefix(name[p:], variantWords[bits.TrailingZeros32(m)]) {
					return true
				}
			}
		}
	}
	return false
}

// separators returns the high bit of each byte of x that separates x86Variant's
// words ('_', '.', '$', '@'), and no other bit.
func separators(x uint64) uint64 {
	const ones, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	var m uint64
	for _, c := range [...]uint64{'_', '.', '$', '@'} {
		v := x ^ c*ones // zero bytes where x has c
		// A byte's high bit is set after the addition unless its low seven bits
		// are zero; the byte's own high bit is ORed in: what is left clear is a
		// zero byte. No carry crosses a byte.
		m |= ^(v&low7 + low7 | v | low7)
	}
	return m
}

// variantWords are the words that begin the words of x86Variant's names.
var variantWords = [...]string{"avx", "evex", "sse3", "ssse3", "sse4", "popcnt", "bmi", "fma", "f16c",
	"lzcnt", "movbe", "aesni", "shaext", "pclmul", "rdrand", "rdseed", "amx"}

// variantAt[p][c] has bit w set when variantWords[w] has the letter c (either
// case) at p: a word that starts with the first three letters of none is not
// compared with each.
var variantAt = func() (t [3][256]uint32) {
	for w, k := range variantWords {
		for p := range t {
			c := k[p]
			t[p][c] |= 1 << w
			if 'a' <= c && c <= 'z' {
				t[p][c-'a'+'A'] |= 1 << w
			}
		}
	}
	return
}()

// hasLowerPrefix reports whether w starts with k (lower-case ASCII) in any case.
func hasLowerPrefix[S string | []byte](w S, k string) bool {
	if len(w) < len(k) {
		return false
	}
	for i := range len(k) {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != k[i] {
			return false
		}
	}
	return true
}

// arm64Helper matches the outline-atomics helpers (__aarch64_cas4_acq,
// __aarch64_ldadd8_relax ...) that GCC's libgcc (GCC 10's -moutline-atomics) and
// compiler-rt link in: they test __aarch64_have_lse_atomics at run time before using
// LSE.
func arm64Helper[S string | []byte](name S) bool {
	return len(name) >= 10 && string(name[:10]) == "__aarch64_"
}

// guard tells whether addresses, visited in increasing order, lie in a guarded span.
// It keeps a cursor, so a linear scan costs O(spans + lookups).
type guard struct {
	spans []Span // sorted by Lo
	i     int
}

// in reports whether a lies in a span. Addresses must not decrease between calls,
// except at the start of a new range, after reset.
func (g *guard) in(a uint64) bool {
	for g.i < len(g.spans) && g.spans[g.i].Hi <= a {
		g.i++
	}
	return g.i < len(g.spans) && g.spans[g.i].Lo <= a
}

func (g *guard) reset() { g.i = 0 }
