package isa

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/isa/x86run"
)

// TestDecodeX86 checks hand-encoded instructions of each extension (encodings from
// the Intel SDM; lengths agree with GNU objdump).
func TestDecodeX86(t *testing.T) {
	tests := []struct {
		name  string
		code  []byte
		n     int
		ext   int // -1: none
		inval bool
	}{
		{"pshufb", []byte{0x66, 0x0f, 0x38, 0x00, 0xc1}, 5, xSSSE3, false},
		{"haddps", []byte{0xf2, 0x0f, 0x7c, 0xc1}, 4, xSSE3, false},
		{"ptest", []byte{0x66, 0x0f, 0x38, 0x17, 0xc1}, 5, xSSE41, false},
		{"pcmpistri", []byte{0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x0c}, 6, xSSE42, false},
		{"crc32", []byte{0xf2, 0x0f, 0x38, 0xf1, 0xc1}, 5, xSSE42, false},
		{"popcnt", []byte{0xf3, 0x0f, 0xb8, 0xc1}, 4, xPOPCNT, false},
		{"lzcnt", []byte{0xf3, 0x48, 0x0f, 0xbd, 0xc1}, 5, xLZCNT, false},
		{"tzcnt (runs as bsf)", []byte{0xf3, 0x0f, 0xbc, 0xc1}, 4, -1, false},
		{"bsf", []byte{0x0f, 0xbc, 0xc1}, 3, -1, false},
		{"movbe", []byte{0x0f, 0x38, 0xf0, 0x07}, 4, xMOVBE, false},
		{"aesenc", []byte{0x66, 0x0f, 0x38, 0xdc, 0xc1}, 5, xAES, false},
		{"pclmulqdq", []byte{0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x00}, 6, xPCLMUL, false},
		{"sha1msg1", []byte{0x0f, 0x38, 0xc9, 0xc1}, 4, xSHA, false},
		{"rdrand", []byte{0x0f, 0xc7, 0xf0}, 3, xRDRAND, false},
		{"rdseed", []byte{0x0f, 0xc7, 0xf8}, 3, xRDSEED, false},
		{"cmpxchg16b", []byte{0x48, 0x0f, 0xc7, 0x0f}, 4, xCX16, false},
		{"lahf", []byte{0x9f}, 1, xLAHF, false},
		{"vaddps ymm", []byte{0xc5, 0xfc, 0x58, 0xc1}, 4, xAVX, false},
		{"vpaddd xmm", []byte{0xc5, 0xf9, 0xfe, 0xc1}, 4, xAVX, false},
		{"vpaddd ymm", []byte{0xc5, 0xfd, 0xfe, 0xc1}, 4, xAVX2, false},
		{"vpbroadcastd", []byte{0xc4, 0xe2, 0x7d, 0x58, 0xc1}, 5, xAVX2, false},
		{"vzeroupper", []byte{0xc5, 0xf8, 0x77}, 3, xAVX, false},
		{"vfmadd213pd", []byte{0xc4, 0xe2, 0xf1, 0xa8, 0xc2}, 5, xFMA, false},
		{"andn", []byte{0xc4, 0xe2, 0x70, 0xf2, 0xc2}, 5, xBMI1, false},
		{"mulx", []byte{0xc4, 0xe2, 0x6b, 0xf6, 0xc1}, 5, xBMI2, false},
		{"rorx", []byte{0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x05}, 6, xBMI2, false},
		{"vcvtph2ps", []byte{0xc4, 0xe2, 0x79, 0x13, 0xc1}, 5, xF16C, false},
		{"vpaddd zmm", []byte{0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc1}, 6, xAVX512, false},
		{"vpternlogd zmm disp8", []byte{0x62, 0xf3, 0x7d, 0x48, 0x25, 0x40, 0x01, 0xff}, 8, xAVX512, false},
		{"kmovq", []byte{0xc4, 0xe1, 0xfb, 0x92, 0xc8}, 5, xAVX512, false},
		{"tilezero", []byte{0xc4, 0xe2, 0x7b, 0x49, 0xc0}, 5, xAMX, false},
		{"ldtilecfg", []byte{0xc4, 0xe2, 0x78, 0x49, 0x00}, 5, xAMX, false},
		{"mov rax, imm64", []byte{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}, 10, -1, false},
		{"mov ax, imm16", []byte{0x66, 0xb8, 0x34, 0x12}, 4, -1, false},
		{"mov eax, moffs64", []byte{0xa1, 1, 2, 3, 4, 5, 6, 7, 8}, 9, -1, false},
		{"mov eax, moffs32", []byte{0x67, 0xa1, 1, 2, 3, 4}, 6, -1, false},
		{"test cl, imm8", []byte{0xf6, 0xc1, 0x01}, 3, -1, false},
		{"test ecx, imm32", []byte{0xf7, 0xc1, 1, 2, 3, 4}, 6, -1, false},
		{"test cx, imm16", []byte{0x66, 0xf7, 0xc1, 1, 2}, 5, -1, false},
		{"not ecx", []byte{0xf7, 0xd1}, 2, -1, false},
		{"enter", []byte{0xc8, 0x10, 0x00, 0x00}, 4, -1, false},
		{"lea rip", []byte{0x48, 0x8d, 0x05, 1, 2, 3, 4}, 7, -1, false},
		{"mov sib disp32", []byte{0x8b, 0x04, 0x25, 1, 2, 3, 4}, 7, -1, false},
		{"jcc rel32", []byte{0x0f, 0x84, 1, 2, 3, 4}, 6, -1, false},
		{"cpuid", []byte{0x0f, 0xa2}, 2, -1, false},
		{"ud2", []byte{0x0f, 0x0b}, 2, -1, false},
		{"push es (invalid)", []byte{0x06}, 1, -1, true},
		{"16 bytes of prefixes", []byte{0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90}, 1, -1, true},
	}
	for _, tt := range tests {
		in := decodeX86(tt.code)
		var want uint32
		if tt.ext >= 0 {
			want = 1 << tt.ext
		}
		if in.n != tt.n || in.invalid != tt.inval || in.ext&^(1<<xAVX) != want&^(1<<xAVX) || (tt.ext == xAVX) != (in.ext == 1<<xAVX) {
			t.Errorf("%s % x: length %d, class %#x, invalid %v; want %d, %#x, %v", tt.name, tt.code, in.n, in.ext, in.invalid, tt.n, want, tt.inval)
		}
		if tt.n > 1 && len(tt.code) > 1 {
			if short := decodeX86(tt.code[:tt.n-1]); short.n != 0 {
				t.Errorf("%s truncated: length %d, want 0", tt.name, short.n)
			}
		}
	}
}

func TestClassARM64(t *testing.T) {
	for _, tt := range []struct {
		name string
		w    uint32
		ext  int
	}{
		{"casal x0, x1, [x2]", 0xc8e0fc41, aLSE},
		{"casb w0, w1, [x2]", 0x08a07c41, aLSE},
		{"caspal x0, x1, x2, x3, [x4]", 0x4860fc82, aLSE},
		{"ldaddal x1, x0, [x2]", 0xf8e10040, aLSE},
		{"swpal x1, x0, [x2]", 0xf8e18040, aLSE},
		{"stadd w1, [x2]", 0xb821005f, aLSE},
		{"ldapr x0, [x1]", 0xf8bfc020, -1},
		{"ldaxr x0, [x1]", 0xc85ffc20, -1},
		{"stlr x0, [x1]", 0xc89ffc20, -1},
		{"aese v0.16b, v1.16b", 0x4e284820, aAES},
		{"aesmc v0.16b, v0.16b", 0x4e286800, aAES},
		{"pmull v0.1q, v1.1d, v2.1d", 0x0ee2e020, aPMULL},
		{"pmull v0.8h, v1.8b, v2.8b", 0x0e22e020, -1},
		{"sha1c q0, s1, v2.4s", 0x5e020020, aSHA1},
		{"sha256h q0, q1, v2.4s", 0x5e024020, aSHA256},
		{"sha256su0 v0.4s, v1.4s", 0x5e282820, aSHA256},
		{"sha512h q0, q1, v2.2d", 0xce628020, aSHA512},
		{"sha512su0 v0.2d, v1.2d", 0xcec08020, aSHA512},
		{"eor3 v0.16b, v1.16b, v2.16b, v3.16b", 0xce020c20, aSHA3},
		{"rax1 v0.2d, v1.2d, v2.2d", 0xce628c20, aSHA3},
		{"add z0.b, p0/m, z0.b, z1.b", 0x04000020, aSVE},
		{"add x0, x1, x2", 0x8b020020, -1},
		{"nop", 0xd503201f, -1},
	} {
		var want uint32
		if tt.ext >= 0 {
			want = 1 << tt.ext
		}
		if got := classARM64(tt.w); got != want {
			t.Errorf("%s (%08x): class %#x, want %#x", tt.name, tt.w, got, want)
		}
	}
}

// TestARMTop checks the arm64 fast path against classARM64 on every top byte with
// many low bits, and on the encodings classARM64 names.
func TestARMTop(t *testing.T) {
	x := uint32(2463534242)
	for top := range uint32(256) {
		for range 4096 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			for _, w := range []uint32{top<<24 | x&0xffffff, top<<24 | x&0xffffff | 1<<21} {
				if got, want := classARM64Fast(w), classARM64(w); got != want {
					t.Fatalf("%#08x: fast %#x, reference %#x", w, got, want)
				}
			}
		}
	}
}

// FuzzFastLenX86 checks the x86-64 fast path, and the slow path's first try
// (prefixedLenX86), against the full decoder: when they decode an instruction, the
// full decoder finds the same length and no extension; and the loops' second step
// (x86run.Prefixed) against prefixedLenX86.
func FuzzFastLenX86(f *testing.F) {
	f.Add([]byte{0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x0f, 0x84, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x41, 0x0f, 0xb6, 0x44, 0x24, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	// Prefixes the fast path takes, and instructions behind them that it must leave
	// to the decoder (POPCNT, HADDPS: extensions).
	f.Add([]byte{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0})
	f.Add([]byte{0x66, 0xb8, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xf3, 0x0f, 0xb8, 0xc1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xf2, 0x0f, 0x7c, 0xc1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x66, 0x0f, 0x84, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x66, 0x48, 0x0f, 0x6e, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 16 {
			b = append(b, make([]byte, 16-len(b))...)
		}
		b = b[:16]
		in := decodeX86(b)
		if n := fastLenX86(b); n != 0 && !in.plain(n) {
			t.Fatalf("% x: fast length %d, decoder %+v", b, n, in)
		}
		if n := prefixedLenX86(b); n != 0 && !in.plain(n) {
			t.Fatalf("% x: prefixed length %d, decoder %+v", b, n, in)
		}
		if n := int(x86run.Prefixed(b, 0)); n != prefixedLenX86(b) {
			t.Fatalf("% x: x86run.Prefixed %d, prefixedLenX86 %d", b, n, prefixedLenX86(b))
		}
	})
}

// TestFastLenX86Exhaustive checks the fast path against the full decoder for every
// prefix it takes (and none), REX, 0F escape, opcode and ModRM byte, with a SIB base
// of 5 and not: FuzzFastLenX86's invariant over the whole of the fast tables; and
// x86run.Step, the step of the scan's loops, against the fast path.
func TestFastLenX86Exhaustive(t *testing.T) {
	var fast int
	prefixes := [][]byte{nil, {0x66}, {0xf3}, {0xf2}, {0x26}, {0x2e}, {0x36}, {0x3e}, {0x64}, {0x65}, {0x67}, {0xf0}}
	eachEncoding(prefixes, func(b []byte) {
		l := fastLenX86(b)
		if s := int(x86run.Step(b, 0)); s != l { // the step on a buffer, as the scan's loops take it
			t.Fatalf("% x: fast length %d, x86run.Step %d", b, l, s)
		}
		if l == 0 {
			return
		}
		fast++
		if in := decodeX86(b); !in.plain(l) {
			t.Fatalf("% x: fast length %d, decoder %+v", b, l, in)
		}
	})
	if fast == 0 {
		t.Fatal("the fast path decoded nothing")
	}
}

// fastLenX86 returns the length of the instruction at the start of b (16 bytes) when
// the fast tables take it (a common one that belongs to no extension), else 0: the
// tests' view of the tables (the scan steps through them in x86run).
func fastLenX86(b []byte) int {
	x86Tables()
	_ = b[15]
	return x86run.Len(binary.LittleEndian.Uint64(b))
}

// plain reports whether the decoder read one instruction of n bytes with no
// extension and no CPUID: what the fast paths, which count no extension, may take.
func (in x86Inst) plain(n int) bool {
	return in.n == n && in.ext == 0 && !in.invalid && !in.cpuid
}

// eachEncoding calls f with 16 bytes for every prefix run of prefixes, REX (none,
// 40, 41, 48, 4C), 0F escape or none, opcode and ModRM byte, with a SIB base of 5
// and not; the bytes after them are filler.
func eachEncoding(prefixes [][]byte, f func(b []byte)) {
	var b [16]byte
	for _, pfx := range prefixes {
		for _, rex := range []int{-1, 0x40, 0x41, 0x48, 0x4c} {
			for _, esc := range []bool{false, true} {
				for op := range 256 {
					for modrm := range 256 {
						for _, sib := range []byte{0x24, 0x25} {
							n := copy(b[:], pfx)
							if rex >= 0 {
								b[n] = byte(rex)
								n++
							}
							if esc {
								b[n] = 0x0f
								n++
							}
							b[n], b[n+1] = byte(op), byte(modrm)
							if n+2 < len(b) {
								b[n+2] = sib
							}
							for k := n + 3; k < len(b); k++ {
								b[k] = byte(k)
							}
							f(b[:])
						}
					}
				}
			}
		}
	}
}

// TestFastStepInlined checks that the compiler inlines x86run.Step into the scan's
// loops (x86run's Run4Go, Run2Go and Run1Go, and the scan's own step here): a call
// there spills the four streams at every step, and the scan of the Go compiler's
// code took a third more CPU time before the step was small enough (docs/isa.md).
// It holds where Step loads unaligned words (x86run/step_unaligned.go: amd64,
// arm64, 386, ppc64le). The inliner's budget is independent of the machine's load.
func TestFastStepInlined(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the package with -gcflags=-m")
	}
	switch runtime.GOARCH {
	case "amd64", "arm64", "386", "ppc64le":
	default:
		t.Skipf("x86run.Step is not inlined on %s (x86run/step_other.go)", runtime.GOARCH)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, "build", "-gcflags=-m", "-o", os.DevNull, ".", "./x86run").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, want := range []string{"can inline Step", "can inline Len"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go build -gcflags=-m does not say %q: the fast path is a call in the scan's loops", want)
		}
	}
	// Run4Go, Run2Go and Run1Go make seven steps between them.
	if n := len(regexp.MustCompile(`x86run/run\.go:\d+:\d+: inlining call to Step`).FindAllString(string(out), -1)); n < 7 {
		t.Errorf("Step is inlined at %d places of x86run/run.go, want 7 or more (Run4Go, Run2Go, Run1Go)", n)
	}
	if !regexp.MustCompile(`x86scan\.go:\d+:\d+: inlining call to x86run\.Step`).MatchString(string(out)) {
		t.Errorf("x86run.Step is not inlined into x86scan.go's step")
	}
}

// prefixedLenX86 returns the length of the instruction at the start of b (16 bytes
// or more) when it is one the fast tables describe but preT cannot see, else 0:
// two or more legacy prefixes (NOP padding: 66 2e 0f 1f 84 00 00 00 00 00, 66 66
// 2e 0f 1f ...), or a prefix and REX before 0F (SSE with a high register: 66 48 0f
// 6e c0), from fastX's row of the prefixes' class. It was the slow path's first
// try; now it is the reference that TestPrefixedLenX86Exhaustive holds to the
// decoder and the scan's second step (x86run.Prefixed, and the assembly's) to it
// (TestPrefixedStepExhaustive), computed from isa's own tables (pfxT, rexT, fastX
// and modrmT) rather than x86run's. The prefixes are 66, segments, LOCK and 67,
// which the fast path takes as one of their class (66 if any, else the class that
// changes nothing), or a single F2 or F3; then REX or not, 0F or not, and the
// opcode.
func prefixedLenX86(b []byte) int {
	a := (*[16]byte)(b[:16])
	// The prefixes' class (fastX's index bits 8..13, and pfxT's 8) is the least
	// of their pfxT entries: 66 if any, else the class that changes nothing.
	class := pfxT[a[0]]
	if class == 0 {
		return 0 // no prefix: preT's
	}
	k := 1 // legacy prefixes
	if c := class >> 11; c == 2 || c == 3 {
		if pfxT[a[1]] != 0 { // F3, F2: alone only
			return 0
		}
	} else {
		// Ten leave room for REX, 0F, opcode, ModRM and SIB in b.
		for ; k < 10; k++ {
			c := pfxT[a[k]]
			if c == 0 {
				break
			}
			if c>>11-2 < 2 { // F3, F2 after another prefix
				return 0
			}
			class = min(class, c)
		}
		if k == 10 && pfxT[a[10]] != 0 {
			return 0
		}
	}
	class &^= 8
	i := k
	if r := rexT[a[i]]; r != 0 {
		class |= r &^ 8
		i++
	}
	if a[i] == 0x0f {
		class |= 1 << 8
		i++
	}
	op := a[i]
	f := fastX[class|uint16(op)]
	if f == 0 || pfxT[op] != 0 || rexT[op] != 0 {
		// Not for the fast path, or a prefix or REX after REX (which a legacy
		// prefix cancels): decodeX86's.
		return 0
	}
	n := int(f&fxLen) + k - 1 // fastX counts one prefix
	if f&fxModRM != 0 {
		n += int(modrmT[uint16(a[i+1])|uint16(a[i+2]&7)<<8])
	}
	if n > 15 {
		return 0
	}
	return n
}

// TestPrefixedLenX86Exhaustive checks prefixedLenX86, the slow path's first try,
// against the full decoder for runs of prefixes (two or more, or one before REX
// and 0F: what preT does not see), REX, 0F escape, opcode and ModRM byte, with a
// SIB base of 5 and not.
func TestPrefixedLenX86Exhaustive(t *testing.T) {
	var found int
	prefixes := [][]byte{{0x66}, {0xf3}, {0xf2}, {0x2e}, {0x67}, {0xf0}, {0x66, 0x2e}, {0x2e, 0x66}, {0x66, 0x66},
		{0x66, 0x66, 0x2e}, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e}, {0x64, 0x67}, {0xf0, 0x66}, {0xf3, 0x66},
		{0x66, 0xf2}, {0xf3, 0xf2}, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66}, bytes.Repeat([]byte{0x66}, 11)}
	eachEncoding(prefixes, func(b []byte) {
		l := prefixedLenX86(b)
		if l == 0 {
			return
		}
		found++
		if in := decodeX86(b); !in.plain(l) {
			t.Fatalf("% x: prefixed length %d, decoder %+v", b, l, in)
		}
	})
	if found == 0 {
		t.Fatal("prefixedLenX86 decoded nothing")
	}
	for _, c := range [][]byte{ // padding, SSE with a high register: theirs
		{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0},
		{0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0},
		{0x66, 0x48, 0x0f, 0x6e, 0xc0},
		{0xf3, 0x41, 0x0f, 0x6f, 0x04, 0x24},
	} {
		b := append(c, make([]byte, 16)...)
		if l := prefixedLenX86(b); l != len(c) {
			t.Errorf("% x: prefixed length %d, want %d", c, l, len(c))
		}
	}
}

// TestPrefixedStepExhaustive checks the second step of the scan's loops
// (x86run.Prefixed, and its copy in the assembly, pfxStep) against prefixedLenX86,
// which TestPrefixedLenX86Exhaustive holds to the full decoder, and against the
// decoder itself, for the runs of prefixes there and more (up to the eleven no
// step takes, the lengths over 15 bytes), REX, 0F escape, opcode and ModRM byte,
// with a SIB base of 5 and not: x86run.Prefixed must give prefixedLenX86's length
// for every one; RunN (eight streams in the assembly, each with its own copy of
// the call, taking every eighth encoding), Run2 and Run1 must take each
// instruction by one step of Step's or Prefixed's length, or stand on it for the
// slow path when both give 0.
func TestPrefixedStepExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 30 million encodings")
	}
	x86Tables()
	prefixes := [][]byte{nil, {0x66}, {0xf3}, {0xf2}, {0x26}, {0x2e}, {0x36}, {0x3e}, {0x64}, {0x65}, {0x67}, {0xf0},
		{0x66, 0x2e}, {0x2e, 0x66}, {0x66, 0x66}, {0x66, 0x66, 0x2e}, {0x2e, 0x64}, {0xf0, 0x67}, {0x64, 0x67},
		{0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e}, {0xf0, 0x66}, {0xf3, 0x66}, {0x66, 0xf2}, {0x66, 0x66, 0xf3}, {0xf3, 0xf2}, {0xf2, 0xf2},
		bytes.Repeat([]byte{0x66}, 9), bytes.Repeat([]byte{0x66}, 10), bytes.Repeat([]byte{0x2e}, 10), bytes.Repeat([]byte{0x66}, 11)}
	// Each stream of RunN takes its own encoding, 16 bytes apart, and the loops
	// run once the streams hold one each; Run2 and Run1 take them as well.
	var (
		buf          [x86Streams*16 + 16]byte
		enc          [x86Streams][16]byte
		pos, wantPos [x86Streams]int
		wantSlow     uint
		found        int
	)
	run := func() {
		wantLeft := min(int(wantSlow), 1)
		got := pos
		if left, slow := x86run.RunN(buf[:], &got, 1, 1<<x86Streams-1); got != wantPos || left != wantLeft || slow != wantSlow {
			t.Fatalf("%x: RunN's streams at %v, %d left, slow %#x; want %v, %d, %#x", enc, got, left, slow, wantPos, wantLeft, wantSlow)
		}
		for j := 0; j < x86Streams; j += 2 {
			ws := wantSlow >> j & 3
			if r0, r1, left, slow := x86run.Run2(buf[:], pos[j], pos[j+1], 1); r0 != wantPos[j] || r1 != wantPos[j+1] || left != min(int(ws), 1) || slow != ws {
				t.Fatalf("% x, % x: Run2 %d %d %d %#x; want %d %d %d %#x", enc[j], enc[j+1], r0, r1, left, slow, wantPos[j], wantPos[j+1], min(int(ws), 1), ws)
			}
		}
		for j := range pos {
			if r0, left := x86run.Run1(buf[:], pos[j], 1); r0 != wantPos[j] || left != int(wantSlow>>j&1) {
				t.Fatalf("% x: Run1 %d %d; want %d %d", enc[j], r0, left, wantPos[j], wantSlow>>j&1)
			}
		}
	}
	var count int
	eachEncoding(prefixes, func(b []byte) {
		want := prefixedLenX86(b)
		if got := int(x86run.Prefixed(b, 0)); got != want {
			t.Fatalf("% x: x86run.Prefixed %d, prefixedLenX86 %d", b, got, want)
		}
		n := int(x86run.Step(b, 0))
		if n == 0 {
			n = want
			if n != 0 {
				found++
				if in := decodeX86(b); !in.plain(n) {
					t.Fatalf("% x: second step's length %d, decoder %+v", b, n, in)
				}
			}
		}
		j := count % x86Streams
		count++
		copy(buf[j*16:], b)
		copy(enc[j][:], b)
		pos[j], wantPos[j] = j*16, j*16+n
		wantSlow &^= 1 << j
		if n == 0 {
			wantSlow |= 1 << j
		}
		if j == x86Streams-1 {
			run()
		}
	})
	if count%x86Streams != 0 {
		t.Fatalf("%d encodings, not a multiple of %d: the last ones ran in no loop", count, x86Streams)
	}
	if found == 0 {
		t.Fatal("the second step took nothing")
	}
}

// TestModRMLen checks modrmLen, which reads the fast path's modrmT, against the
// length computed from the ModRM byte (modrmLenRef) for every ModRM byte and SIB
// base, with the SIB byte and without, and the lengths of known forms.
func TestModRMLen(t *testing.T) {
	for m := range 256 {
		for sib := range 8 {
			for _, b := range [][]byte{{byte(m), byte(sib), 0, 0, 0, 0}, {byte(m), byte(sib)}, {byte(m)}} {
				if got, want := modrmLen(b), modrmLenRef(b); got != want {
					t.Errorf("% x: modrmLen %d, modrmLenRef %d", b, got, want)
				}
			}
		}
	}
	if n := modrmLen(nil); n != 0 {
		t.Errorf("modrmLen(nil) = %d", n)
	}
	for _, c := range []struct {
		b    []byte
		want int
	}{
		{[]byte{0xc0}, 1},                      // register
		{[]byte{0x04}, 0},                      // SIB missing
		{[]byte{0x04, 0x24}, 2},                // [rsp]
		{[]byte{0x04, 0x25}, 6},                // [disp32] through SIB
		{[]byte{0x05, 0}, 5},                   // [rip+disp32]
		{[]byte{0x44, 0x24, 8}, 3},             // [rsp+disp8]
		{[]byte{0x84, 0x00, 0, 0, 0, 0, 0}, 6}, // [rax+rax+disp32]
		{[]byte{0x80, 0}, 5},                   // [rax+disp32]
	} {
		if got := modrmLen(c.b); got != c.want {
			t.Errorf("% x: modrmLen %d, want %d", c.b, got, c.want)
		}
	}
}

// modrmLenRef is modrmLen computed from the ModRM byte (Intel SDM Vol. 2, tables
// 2-2 and 2-3), as the decoder did before it read modrmT.
func modrmLenRef(b []byte) int {
	if len(b) < 1 {
		return 0
	}
	m := b[0]
	mod, rm := m>>6, m&7
	if mod == 3 {
		return 1
	}
	n := 1
	if rm == 4 {
		if len(b) < 2 {
			return 0
		}
		n = 2
		if mod == 0 && b[1]&7 == 5 {
			n += 4
		}
	} else if mod == 0 && rm == 5 {
		n += 4 // RIP-relative disp32
	}
	switch mod {
	case 1:
		n++
	case 2:
		n += 4
	}
	return n
}
