package isa

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/x86/x86asm"

	"github.com/gonative/gonative/internal/fixture"
)

// cryptoSrc pulls in Go's assembly for AES, SHA-1/2/3, GHASH and CRC32, which carries
// most of the extensions Go binaries contain (behind internal/cpu checks).
const cryptoSrc = `package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
)

func main() {
	b := []byte(strings.Repeat(os.Args[0], 10))
	c, _ := aes.NewCipher(make([]byte, 16))
	g, _ := cipher.NewGCM(c)
	fmt.Println(sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b), sha3.Sum256(b), crc32.ChecksumIEEE(b),
		len(g.Seal(nil, make([]byte, 12), b, nil)), strings.Index(string(b), "zz"))
}
`

// textOf returns the contents and address of the .text section of an ELF file.
func textOf(t *testing.T, path string) ([]byte, uint64) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(".text")
	if s == nil {
		t.Fatalf("%s: no .text", path)
	}
	b, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	return b, s.Addr
}

// x86asmExt maps x86asm's names of legacy-encoded instructions to the extension
// the scanner must report for them.
var x86asmExt = map[string]int{}

func init() {
	for ext, ops := range map[int]string{
		xSSE3:   "ADDSUBPD ADDSUBPS HADDPD HADDPS HSUBPD HSUBPS LDDQU MOVDDUP MOVSHDUP MOVSLDUP FISTTP",
		xSSSE3:  "PABSB PABSD PABSW PALIGNR PHADDD PHADDSW PHADDW PHSUBD PHSUBSW PHSUBW PMADDUBSW PMULHRSW PSHUFB PSIGNB PSIGND PSIGNW",
		xSSE41:  "BLENDPD BLENDPS BLENDVPD BLENDVPS DPPD DPPS EXTRACTPS INSERTPS MOVNTDQA MPSADBW PACKUSDW PBLENDVB PBLENDW PCMPEQQ PEXTRB PEXTRD PEXTRQ PHMINPOSUW PINSRB PINSRD PINSRQ PMAXSB PMAXSD PMAXUD PMAXUW PMINSB PMINSD PMINUD PMINUW PMOVSXBD PMOVSXBQ PMOVSXBW PMOVSXDQ PMOVSXWD PMOVSXWQ PMOVZXBD PMOVZXBQ PMOVZXBW PMOVZXDQ PMOVZXWD PMOVZXWQ PMULDQ PMULLD PTEST ROUNDPD ROUNDPS ROUNDSD ROUNDSS",
		xSSE42:  "CRC32 PCMPESTRI PCMPESTRM PCMPGTQ PCMPISTRI PCMPISTRM",
		xPOPCNT: "POPCNT",
		xLZCNT:  "LZCNT",
		xBMI1:   "ANDN BEXTR BLSI BLSMSK BLSR", // not TZCNT: it runs as BSF without BMI1
		xBMI2:   "BZHI MULX PDEP PEXT RORX SARX SHLX SHRX",
		xMOVBE:  "MOVBE",
		xAES:    "AESDEC AESDECLAST AESENC AESENCLAST AESIMC AESKEYGENASSIST",
		xPCLMUL: "PCLMULQDQ",
		xSHA:    "SHA1MSG1 SHA1MSG2 SHA1NEXTE SHA1RNDS4 SHA256MSG1 SHA256MSG2 SHA256RNDS2",
		xRDRAND: "RDRAND",
		xRDSEED: "RDSEED",
		xCX16:   "CMPXCHG16B",
		xLAHF:   "LAHF SAHF",
	} {
		for _, op := range strings.Fields(ops) {
			x86asmExt[op] = ext
		}
	}
}

// diffX86asm walks code with the scanner and checks every instruction x86asm also
// decodes: same length, and the extension x86asm's mnemonic implies.
func diffX86asm(t *testing.T, code []byte, addr uint64) {
	t.Helper()
	var checked, bad int
	for i := 0; i < len(code); {
		in := decodeX86(code[i:])
		if in.n == 0 {
			break
		}
		xi, err := x86asm.Decode(code[i:], 64)
		// x86asm reports VZEROUPPER (C5 F8 77) as 5 bytes long and does not know
		// ADCX/ADOX (Op 0); objdump agrees with the scanner on both.
		if err == nil && xi.Op != 0 && xi.Op != x86asm.VZEROUPPER {
			checked++
			op := xi.Op.String()
			want, known := x86asmExt[op]
			switch {
			case in.invalid || xi.Len != in.n:
				bad++
				if bad <= 10 {
					t.Errorf("%#x: % x: scanner length %d (invalid %v), x86asm %d (%v)", addr+uint64(i), code[i:i+xi.Len], in.n, in.invalid, xi.Len, xi)
				}
			case known && in.ext != 1<<want:
				bad++
				if bad <= 10 {
					t.Errorf("%#x: %v: scanner class %#x, want %s", addr+uint64(i), xi, in.ext, x86Names[want])
				}
			case !known && op[0] == 'K' && in.ext != 1<<xAVX512:
				bad++
				if bad <= 10 {
					t.Errorf("%#x: %v: scanner class %#x, want AVX-512 (opmask)", addr+uint64(i), xi, in.ext)
				}
			case !known && strings.HasPrefix(op, "V") && in.ext&(1<<xAVX|1<<xAVX2|1<<xFMA|1<<xF16C|1<<xAVX512) == 0:
				bad++
				if bad <= 10 {
					t.Errorf("%#x: %v: scanner class %#x, want an AVX class", addr+uint64(i), xi, in.ext)
				}
			case !known && op[0] != 'K' && !strings.HasPrefix(op, "V") && in.ext != 0:
				bad++
				if bad <= 10 {
					t.Errorf("%#x: %v: scanner class %#x, want none", addr+uint64(i), xi, in.ext)
				}
			}
		}
		i += in.n
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
	t.Logf("%d instructions checked against x86asm, %d differ", checked, bad)
}

func TestDiffX86asm(t *testing.T) {
	t.Parallel()
	code, addr := textOf(t, fixture.Go(t, cryptoSrc, []string{"GOOS=linux", "GOARCH=amd64"}, "-trimpath"))
	diffX86asm(t, code, addr)
}

// objdumpInsn is one instruction of objdump's disassembly, as TestDiffObjdumpX86
// compares it: its address, its length and what its text says.
type objdumpInsn struct {
	addr   uint64
	n      int
	bad    bool // "(bad)": objdump could not decode it
	vector bool // a mnemonic starting with "v" (VEX/EVEX) or "k" (opmask)
	avx512 bool // an operand only AVX-512 has (avx512Operand)
	text   string
}

// objdumpX86 returns, in address order, every instruction GNU objdump decodes in the
// .text section of path. Lines are read by hand, not by a regular expression: the
// compiler's 2.9 million lines took most of the test's 18 s that way.
func objdumpX86(t *testing.T, objdump, path string) []objdumpInsn {
	t.Helper()
	out, err := exec.Command(objdump, "-d", "-w", "-j", ".text", path).Output()
	if err != nil {
		t.Fatalf("%s: %v", objdump, err)
	}
	var ins []objdumpInsn
	for len(out) > 0 {
		line := out
		if k := bytes.IndexByte(out, '\n'); k >= 0 {
			line, out = out[:k], out[k+1:]
		} else {
			out = nil
		}
		if in, ok := parseObjdumpLine(line); ok {
			ins = append(ins, in)
		}
	}
	return ins
}

// parseObjdumpLine reads "  ADDR:\tXX XX XX \tTEXT" (objdump -d -w): the address in
// hex, the instruction's bytes as two hex digits and a space each, then its text.
func parseObjdumpLine(line []byte) (objdumpInsn, bool) {
	line = bytes.TrimLeft(line, " \t")
	colon := bytes.Index(line, []byte(":\t"))
	if colon <= 0 {
		return objdumpInsn{}, false
	}
	var in objdumpInsn
	for _, c := range line[:colon] {
		d, ok := hexDigit(c)
		if !ok {
			return objdumpInsn{}, false
		}
		in.addr = in.addr<<4 | uint64(d)
	}
	rest := line[colon+2:]
	for len(rest) >= 3 && rest[2] == ' ' {
		_, ok1 := hexDigit(rest[0])
		_, ok2 := hexDigit(rest[1])
		if !ok1 || !ok2 {
			break
		}
		in.n++
		rest = rest[3:]
	}
	if in.n == 0 {
		return objdumpInsn{}, false
	}
	in.text = string(bytes.TrimSpace(rest))
	in.bad = strings.HasPrefix(in.text, "(bad)")
	in.vector = strings.HasPrefix(in.text, "v") || strings.HasPrefix(in.text, "k")
	in.avx512 = avx512Operand.MatchString(in.text)
	return in, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// TestDiffObjdumpX86 checks lengths and the VEX/EVEX classes against GNU objdump,
// which knows AVX-512 (x86asm does not), on C programs built for AVX2 and AVX-512.
func TestDiffObjdumpX86(t *testing.T) {
	objdump := fixture.Need(t, "objdump", "binutils")
	cases := [][]string{{"go"}, {"-O3", "-mavx2", "-mfma"}, {"-O3", "-mavx512f", "-mavx512bw", "-mavx512vl"}, {"-O3", "-march=x86-64-v3", "-mbmi2", "-mlzcnt"}}
	if os.Getenv("GONATIVE_INTEGRATION") != "" && runtime.GOARCH == "amd64" {
		cases = append(cases, []string{"compile"}) // the toolchain's 25 MB compiler
	}
	for _, flags := range cases {
		t.Run(strings.Join(flags, ""), func(t *testing.T) {
			t.Parallel()
			var path string
			if flags[0] == "compile" {
				path = compilePath(t)
			} else if flags[0] == "go" {
				path = fixture.Go(t, cryptoSrc, []string{"GOOS=linux", "GOARCH=amd64"}, "-trimpath")
			} else {
				path = fixture.C(t, "gcc", "gcc", cLoop+cBits, flags...)
			}
			code, addr := textOf(t, path)
			want := objdumpX86(t, objdump, path)
			var evex, resync, n, j int
			for i := 0; i < len(code); {
				in := decodeX86(code[i:])
				if in.n == 0 {
					break
				}
				a := addr + uint64(i)
				for j < len(want) && want[j].addr < a {
					j++
				}
				ok := j < len(want) && want[j].addr == a
				n++
				if !ok {
					// Data in .text (Go puts some tables there) where objdump's
					// "(bad)" took another length: step to objdump's next boundary.
					resync++
					i++
					continue
				}
				w := want[j]
				switch {
				case w.bad:
				case w.n != in.n:
					t.Errorf("%#x: %s: scanner length %d, objdump %d", a, w.text, in.n, w.n)
				case in.ext&(1<<xAVX512) != 0:
					evex++
					if !w.vector {
						t.Errorf("%#x: %s classed AVX-512", a, w.text)
					}
				case w.avx512:
					t.Errorf("%#x: %s not classed AVX-512 (%#x)", a, w.text, in.ext)
				case strings.HasPrefix(w.text, "v") && in.ext == 0:
					t.Errorf("%#x: %s classed as no extension", a, w.text)
				}
				i += in.n
			}
			if resync > n/1000 {
				t.Errorf("out of step with objdump %d times in %d instructions", resync, n)
			}
			if (flags[0] == "go" || flags[0] == "compile" || strings.Contains(flags[1], "512")) && evex == 0 {
				t.Errorf("no EVEX instruction found")
			}
		})
	}
}

// avx512Operand matches AT&T operands only AVX-512 has: zmm and opmask registers.
var avx512Operand = regexp.MustCompile(`%zmm|%k[0-7]\b|\{%k`)

// cBits uses bit-manipulation builtins that -mbmi2/-mlzcnt turn into instructions.
const cBits = `
unsigned bits(unsigned long x, unsigned n) {
	return __builtin_clzl(x | 1) + __builtin_ctzl(x | 2) + __builtin_popcountl(x) + (unsigned)(x >> n) + (unsigned)(x << (n & 7));
}
`

// arm64asmExt maps arm64asm's mnemonics to the extension the scanner must report.
var arm64asmExt = map[string]int{
	"AESE": aAES, "AESD": aAES, "AESMC": aAES, "AESIMC": aAES,
	"SHA1C": aSHA1, "SHA1P": aSHA1, "SHA1M": aSHA1, "SHA1SU0": aSHA1, "SHA1H": aSHA1, "SHA1SU1": aSHA1,
	"SHA256H": aSHA256, "SHA256H2": aSHA256, "SHA256SU0": aSHA256, "SHA256SU1": aSHA256,
}

// TestDiffARM64asm checks the scanner's classes against arm64asm (which decodes
// ARMv8.0 with the crypto extension, but no LSE, SHA512, SHA3 or SVE) on every word
// of a Go program's code.
func TestDiffARM64asm(t *testing.T) {
	t.Parallel()
	code, addr := textOf(t, fixture.Go(t, cryptoSrc, []string{"GOOS=linux", "GOARCH=arm64"}, "-trimpath"))
	var found [aNumExt]int
	for i := 0; i+4 <= len(code); i += 4 {
		w := binary.LittleEndian.Uint32(code[i:])
		got := classARM64(w)
		for b := range aNumExt {
			if got&(1<<b) != 0 {
				found[b]++
			}
		}
		in, err := arm64asm.Decode(code[i:])
		if err != nil {
			continue
		}
		op := in.Op.String()
		want := uint32(0)
		if e, ok := arm64asmExt[op]; ok {
			want = 1 << e
		}
		if (op == "PMULL" || op == "PMULL2") && strings.Contains(in.String(), ".1Q") {
			want = 1 << aPMULL
		}
		if got != want {
			t.Errorf("%#x: %08x %v: scanner class %#x, want %#x", addr+uint64(i), w, in, got, want)
		}
	}
	for _, b := range []int{aLSE, aAES, aPMULL, aSHA1, aSHA256, aSHA512, aSHA3} {
		if found[b] == 0 {
			t.Errorf("no %s instruction found in Go's crypto code", arm64Names[b])
		}
	}
}

// objdumpARM64Ext classifies GNU objdump's arm64 mnemonics.
func objdumpARM64Ext(mnem, ops string) uint32 {
	switch {
	case lseMnemonic.MatchString(mnem):
		return 1 << aLSE
	case mnem == "aese" || mnem == "aesd" || mnem == "aesmc" || mnem == "aesimc":
		return 1 << aAES
	case (mnem == "pmull" || mnem == "pmull2") && strings.Contains(ops, ".1q"):
		return 1 << aPMULL
	case strings.HasPrefix(mnem, "sha1"):
		return 1 << aSHA1
	case strings.HasPrefix(mnem, "sha256"):
		return 1 << aSHA256
	case strings.HasPrefix(mnem, "sha512"):
		return 1 << aSHA512
	case mnem == "eor3" || mnem == "rax1" || mnem == "xar" || mnem == "bcax":
		return 1 << aSHA3
	case svePattern.MatchString(ops), sveScalar.MatchString(mnem):
		return 1 << aSVE
	}
	return 0
}

var (
	lseMnemonic = regexp.MustCompile(`^(casp?|ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|swp)(a|al|l)?(b|h)?$`)
	sveScalar   = regexp.MustCompile(`^((cnt|inc|dec|sqinc|sqdec|uqinc|uqdec)[bhwd]|addvl|addpl|rdvl|setffr)$`)
	svePattern  = regexp.MustCompile(`\b[zp]([0-9]|[12][0-9]|3[01])(\.[bhsdq])?\b|\bp[0-9]+/[zm]\b`)
)

// TestDiffObjdumpARM64 checks every word of Go and C arm64 code (with LSE, SHA3,
// SHA512 and SVE) against GNU objdump.
func TestDiffObjdumpARM64(t *testing.T) {
	objdump := fixture.Need(t, "aarch64-linux-gnu-objdump", "binutils-aarch64-linux-gnu")
	bins := map[string]func(t *testing.T) string{
		"go": func(t *testing.T) string {
			return fixture.Go(t, cryptoSrc, []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=v8.1"}, "-trimpath")
		},
		"c-sve": func(t *testing.T) string {
			return fixture.C(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", cLoop+cAtomicFn,
				"-O3", "-march=armv8.2-a+sve+sha3+crypto", "-mno-outline-atomics")
		},
	}
	for name, build := range bins {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := build(t)
			code, addr := textOf(t, path)
			out, err := exec.Command(objdump, "-d", "-w", "-j", ".text", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			line := regexp.MustCompile(`^\s*([0-9a-f]+):\t([0-9a-f]{8}) \t(\S+)\s*(.*)$`)
			var n int
			var found uint32
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				g := line.FindStringSubmatch(sc.Text())
				if g == nil {
					continue
				}
				a, _ := strconv.ParseUint(g[1], 16, 64)
				off := int(a - addr)
				if off < 0 || off+4 > len(code) {
					continue
				}
				w := binary.LittleEndian.Uint32(code[off:])
				got, want := classARM64(w), objdumpARM64Ext(g[3], g[4])
				found |= got
				n++
				if got != want && !strings.HasPrefix(g[3], ".inst") && !strings.HasPrefix(g[3], "udf") {
					t.Errorf("%#x: %08x %s %s: scanner class %#x, objdump's %#x", a, w, g[3], g[4], got, want)
				}
			}
			if n < len(code)/4/2 {
				t.Fatalf("only %d of %d words matched objdump's output", n, len(code)/4)
			}
			if found&(1<<aLSE) == 0 {
				t.Errorf("no LSE found")
			}
			if name == "c-sve" && found&(1<<aSVE) == 0 {
				t.Errorf("no SVE found")
			}
		})
	}
}

// cAtomicFn adds an atomic and SHA3 instructions to a C program.
const cAtomicFn = `
#include <arm_neon.h>
long ctr;
long bump(long n) { return __atomic_fetch_add(&ctr, n, __ATOMIC_SEQ_CST); }
uint64x2_t eor3(uint64x2_t a, uint64x2_t b, uint64x2_t c) { return veor3q_u64(a, b, c); }
`

func TestParseObjdumpLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		ok   bool
		want objdumpInsn
	}{
		{"  401000:\t48 89 e5             \tmov    %rsp,%rbp", true, objdumpInsn{addr: 0x401000, n: 3, text: "mov    %rsp,%rbp"}},
		{"  4a2f10:\t62 f1 7d 48 6f 06    \tvmovdqa32 (%rsi),%zmm0", true, objdumpInsn{addr: 0x4a2f10, n: 6, vector: true, avx512: true, text: "vmovdqa32 (%rsi),%zmm0"}},
		{"   10:\t06                   \t(bad)", true, objdumpInsn{addr: 0x10, n: 1, bad: true, text: "(bad)"}},
		{"0000000000401000 <main>:", false, objdumpInsn{}},
		{"Disassembly of section .text:", false, objdumpInsn{}},
		{"", false, objdumpInsn{}},
	} {
		got, ok := parseObjdumpLine([]byte(tt.line))
		if ok != tt.ok || got != tt.want {
			t.Errorf("%q: %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
