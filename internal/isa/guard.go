package isa

// x86Variant matches the names of functions that are one CPU-specific variant among
// several, picked at run time by CPUID (glibc's ifunc variants such as
// __memmove_avx_unaligned_erms or __strlen_evex, OpenSSL's *_avx2 ...).
func x86Variant[S string | []byte](name S) bool {
	// It runs for every function symbol of every C library scanned: no allocation.
	sep := func(c byte) bool { return c == '_' || c == '.' || c == '$' || c == '@' }
	for i := 0; i < len(name); {
		if sep(name[i]) {
			i++
			continue
		}
		j := i
		for j < len(name) && !sep(name[j]) {
			j++
		}
		w := name[i:j]
		if !variantFirst[w[0]] {
			i = j
			continue
		}
		for _, k := range variantWords {
			if hasLowerPrefix(w, k) {
				return true
			}
		}
		i = j
	}
	return false
}

// variantWords are the words that begin the words of x86Variant's names.
var variantWords = [...]string{"avx", "evex", "sse3", "ssse3", "sse4", "popcnt", "bmi", "fma", "f16c",
	"lzcnt", "movbe", "aesni", "shaext", "pclmul", "rdrand", "rdseed", "amx"}

// variantFirst holds the first letters (either case) of variantWords: a word that
// starts with none of them is no variant's, without comparing it to each.
var variantFirst = func() (t [256]bool) {
	for _, k := range variantWords {
		t[k[0]], t[k[0]-'a'+'A'] = true, true
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
