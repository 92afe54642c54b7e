package isa_test

// Tests of the analysis of real executables and synthetic images, read with
// internal/exe (Slice.Code) as the product reads them.

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/isa"
)

// analyzeImage reads the image in ra with internal/exe and analyzes the code of its
// one slice as internal/inspect does with a scan: guard spans for code that is not Go.
func analyzeImage(ctx context.Context, ra io.ReaderAt, size int64, in isa.Input) (*isa.Report, error) {
	f := exe.Read(ctx, ra, size, exe.Options{})
	if len(f.Slices) != 1 {
		return nil, fmt.Errorf("%s image with %d slices: %s", f.Format, len(f.Slices), f.Error)
	}
	s := &f.Slices[0]
	var guard func([]byte) bool
	if !(in.Go || in.GoSettings != nil) {
		guard = isa.Guard(s.Arch)
	}
	code, err := s.Code(guard)
	if err != nil {
		return nil, fmt.Errorf("analyze machine code: %w", err)
	}
	in.Scan = true
	return isa.Analyze(ctx, s.Reader(), code, in)
}

// readSlice reads the one slice of the file f with internal/exe.
func readSlice(tb testing.TB, f io.ReaderAt, size int64) *exe.Slice {
	tb.Helper()
	x := exe.Read(context.Background(), f, size, exe.Options{})
	if len(x.Slices) != 1 || x.Slices[0].Error != "" {
		tb.Fatalf("%s image with %d slices: %s", x.Format, len(x.Slices), x.Error)
	}
	return &x.Slices[0]
}

// analyze runs isa.Analyze on the file at path, filling isa.Input from its Go build info.
func analyze(t *testing.T, path string) *isa.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var in isa.Input
	if bi, err := buildinfo.ReadFile(path); err == nil {
		in.GoSettings = map[string]string{}
		for _, s := range bi.Settings {
			in.GoSettings[s.Key] = s.Value
		}
	}
	r, err := analyzeImage(context.Background(), f, fi.Size(), in)
	if err != nil {
		t.Fatalf("isa.Analyze(%s): %v", path, err)
	}
	if b, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	} else if testing.Verbose() {
		t.Logf("%s", b)
	}
	return r
}

// Feature lists of real CPUs, as Linux prints them in /proc/cpuinfo.
var (
	// Cortex-A72 (Raspberry Pi 4): ARMv8.0, no LSE, no crypto.
	cortexA72 = strings.Fields("fp asimd evtstrm crc32 cpuid")
	// Neoverse N1 (Graviton 2): ARMv8.2 with LSE and crypto.
	neoverseN1 = strings.Fields("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs")
	// Apple M1 under macOS: hw.optional.arm.FEAT_* sysctl names.
	appleM1 = strings.Fields("FEAT_LSE FEAT_AES FEAT_PMULL FEAT_SHA1 FEAT_SHA256 FEAT_SHA512 FEAT_SHA3 FEAT_CRC32")
	// An x86-64-v2 CPU (Nehalem-class) and a Haswell (v3).
	nehalem = strings.Fields("fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm")
	haswell = strings.Fields("fpu sse sse2 pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm abm bmi1 avx2 bmi2")
)

// goBuild builds fixture.Hello once per environment, in parallel subtests.
func goBuild(t *testing.T, env ...string) *isa.Report {
	t.Helper()
	return analyze(t, fixture.Go(t, fixture.Hello, append([]string{"CGO_ENABLED=0"}, env...), "-trimpath"))
}

func TestGoAMD64(t *testing.T) {
	tests := []struct {
		env      []string
		level    string
		rosetta  string
		runsOnV2 bool
		slow     bool // a standard library build of its own: GONATIVE_INTEGRATION only
	}{
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v1"}, "x86-64-v1", isa.RunsYes, true, false},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v2"}, "x86-64-v2", isa.RunsYes, true, true},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"}, "x86-64-v3", isa.RunsNever, false, false},
		{[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v4"}, "x86-64-v4", isa.RunsNever, false, true},
		{[]string{"GOOS=darwin", "GOARCH=amd64", "GOAMD64=v3"}, "x86-64-v3", isa.RunsNever, false, true},
		{[]string{"GOOS=windows", "GOARCH=amd64", "GOAMD64=v1"}, "x86-64-v1", isa.RunsYes, true, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, ","), func(t *testing.T) {
			if tt.slow {
				needIntegration(t)
			}
			t.Parallel()
			r := goBuild(t, tt.env...)
			if r.Arch != "amd64" || r.RequiredLevel != tt.level || r.RequiredSource != "GOAMD64" {
				t.Errorf("arch %s, required %s from %s; want amd64, %s from GOAMD64", r.Arch, r.RequiredLevel, r.RequiredSource, tt.level)
			}
			if r.Rosetta == nil || r.Rosetta.Runs != tt.rosetta {
				t.Fatalf("rosetta = %+v, want %s", r.Rosetta, tt.rosetta)
			}
			if tt.rosetta == isa.RunsNever && !strings.Contains(r.Rosetta.Reason, "microarchitecture support") {
				t.Errorf("reason %q does not quote the runtime's message", r.Rosetta.Reason)
			}
			if runs, why := r.RosettaOn("15.1"); runs != (tt.rosetta == isa.RunsYes) {
				t.Errorf("RosettaOn(15.1) = %v, %s", runs, why)
			}
			if ok, why := r.RunsOn(nehalem); ok != tt.runsOnV2 {
				t.Errorf("RunsOn(nehalem) = %v, %q", ok, why)
			} else if !ok && !strings.Contains(why, "refuses to start") {
				t.Errorf("RunsOn reason %q", why)
			}
			if ok, why := r.RunsOn(haswell); ok != (tt.level != "x86-64-v4") {
				t.Errorf("RunsOn(haswell) = %v, %q", ok, why)
			}
			// The runtime's memmove/indexbyte carry AVX2 paths behind internal/cpu.
			if e, ok := r.Extension("AVX2"); !ok || e.Count == 0 || e.FirstAddr == 0 {
				t.Errorf("no AVX2 found in a Go binary: %+v", r.Extensions)
			} else if e.Guarded != (tt.level < "x86-64-v3") {
				t.Errorf("AVX2 guarded = %v at %s", e.Guarded, tt.level)
			}
			if r.Undecodable > r.Instructions/10000 {
				t.Errorf("%d undecodable bytes in %d instructions", r.Undecodable, r.Instructions)
			}
		})
	}
}

func TestGoARM64(t *testing.T) {
	tests := []struct {
		goarm64           string
		level             string
		lseGuarded        bool
		onA72, onN1, onM1 bool
		a72Reason         string
		slow              bool
	}{
		{"v8.0", "v8.0", true, true, true, true, "", false},
		{"v8.1", "v8.1", false, false, true, true, "will die with SIGILL", false},
		{"v8.0,lse", "v8.0,lse", false, false, true, true, "LSE", true},
		{"v8.0,crypto", "v8.0,crypto", true, false, true, true, "crypto", true},
		{"v9.0", "v9.0", false, false, true, true, "SIGILL", true},
	}
	for _, tt := range tests {
		t.Run(tt.goarm64, func(t *testing.T) {
			if tt.slow {
				needIntegration(t)
			}
			t.Parallel()
			r := goBuild(t, "GOOS=linux", "GOARCH=arm64", "GOARM64="+tt.goarm64)
			if r.RequiredLevel != tt.level || r.RequiredSource != "GOARM64" || r.Rosetta != nil {
				t.Errorf("required %s from %s, rosetta %v; want %s from GOARM64, none", r.RequiredLevel, r.RequiredSource, r.Rosetta, tt.level)
			}
			e, ok := r.Extension("LSE")
			if !ok || e.Guarded != tt.lseGuarded {
				t.Errorf("LSE %+v (found %v), want guarded=%v", e, ok, tt.lseGuarded)
			}
			for _, c := range []struct {
				name  string
				feats []string
				want  bool
			}{{"Cortex-A72", cortexA72, tt.onA72}, {"Neoverse-N1", neoverseN1, tt.onN1}, {"M1", appleM1, tt.onM1}} {
				ok, why := r.RunsOn(c.feats)
				if ok != c.want {
					t.Errorf("RunsOn(%s) = %v, %q; want %v", c.name, ok, why, c.want)
				}
				if c.name == "Cortex-A72" && !ok && !strings.Contains(why, tt.a72Reason) {
					t.Errorf("RunsOn(%s) reason %q lacks %q", c.name, why, tt.a72Reason)
				}
			}
		})
	}
}

func TestCx86(t *testing.T) {
	if !strings.Contains(os.Getenv("PATH"), "/") {
		t.Skip("no PATH")
	}
	tests := []struct {
		name    string
		flags   []string
		uses    []string
		rosetta string
		on14    bool
		note    string
	}{
		{"plain", []string{"-O2"}, nil, isa.RunsYes, true, "x86-64-v1"},
		{"avx2", []string{"-O3", "-mavx2"}, []string{"AVX", "AVX2"}, isa.RunsMacOS15, false, "x86-64-v1"},
		// -mavx512f also emits VEX-encoded (AVX) instructions, executed by Rosetta only from macOS 15.
		{"avx512f", []string{"-O3", "-mavx512f"}, []string{"AVX-512", "AVX"}, isa.RunsMayCrash, false, "x86-64-v1"},
		// GCC 12 emits no ISA note of its own: the linked crt objects say baseline.
		{"x86-64-v3", []string{"-O3", "-march=x86-64-v3"}, []string{"AVX", "FMA"}, isa.RunsMacOS15, false, "x86-64-v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := analyze(t, fixture.C(t, "gcc", "gcc", isa.CLoop, tt.flags...))
			if r.Arch != "amd64" || r.Go {
				t.Fatalf("arch %s go %v", r.Arch, r.Go)
			}
			for _, u := range tt.uses {
				if !r.Uses(u) {
					t.Errorf("does not report %s: %+v", u, r.Extensions)
				}
			}
			if r.ISANote != "" && r.ISANote != tt.note {
				t.Errorf("ISA note %s, want %s", r.ISANote, tt.note)
			}
			if r.Rosetta.Runs != tt.rosetta {
				t.Errorf("rosetta %+v, want %s", r.Rosetta, tt.rosetta)
			}
			if runs, why := r.RosettaOn("14.5"); runs != tt.on14 {
				t.Errorf("RosettaOn(14.5) = %v, %s", runs, why)
			}
			if runs, _ := r.RosettaOn("15.0"); !runs && tt.rosetta != isa.RunsNever {
				t.Errorf("RosettaOn(15.0) = false")
			}
			if runs, _ := r.RosettaOn("28"); runs {
				t.Errorf("RosettaOn(28) = true")
			}
			// A code scan never makes a level required (issue 10): the uses may sit
			// behind a CPUID check the scanner cannot see.
			if r.RequiredSource != isa.SourceBaseline && r.RequiredSource != isa.SourceISANote {
				t.Errorf("required %s from %s", r.RequiredLevel, r.RequiredSource)
			}
			if ok, why := r.RunsOn(nehalem); !ok {
				t.Errorf("RunsOn(nehalem) = %v %q", ok, why)
			}
			if len(tt.uses) > 0 && r.MaxLevelUsed == "x86-64-v1" {
				t.Errorf("max level used %s with %v", r.MaxLevelUsed, tt.uses)
			}
		})
	}
}

const cAtomic = `
#include <stdio.h>
long counter;
int main(int argc, char **argv) {
	__atomic_fetch_add(&counter, argc, __ATOMIC_SEQ_CST);
	long old = argc;
	__atomic_compare_exchange_n(&counter, &old, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	printf("%ld\n", counter);
	return 0;
}
`

func TestCARM64(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		level   string
		guarded bool
		onA72   bool
	}{
		{"armv8.1-a", []string{"-O2", "-march=armv8.1-a", "-mno-outline-atomics"}, "v8.1", false, false},
		{"outline-atomics", []string{"-O2", "-march=armv8-a", "-moutline-atomics"}, "v8.0", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := analyze(t, fixture.C(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", cAtomic, tt.flags...))
			e, ok := r.Extension("LSE")
			if !ok || e.Guarded != tt.guarded {
				t.Fatalf("LSE %+v (found %v), want guarded=%v", e, ok, tt.guarded)
			}
			if r.RequiredLevel != "v8.0" || r.RequiredSource != isa.SourceBaseline || r.MaxLevelUsed != "v8.1" {
				t.Errorf("required %s from %s, max used %s; want v8.0 from baseline, v8.1", r.RequiredLevel, r.RequiredSource, r.MaxLevelUsed)
			}
			// Used is not required: the verdict does not rest on the scan, the
			// reason says what the CPU lacks.
			ok, why := r.RunsOn(cortexA72)
			if !ok || (!tt.onA72 && !strings.Contains(why, "LSE")) {
				t.Errorf("RunsOn(Cortex-A72) = %v, %q", ok, why)
			}
		})
	}
}

// needIntegration skips tests that build a standard library of their own (minutes
// on a cold cache) unless GONATIVE_INTEGRATION is set.
func needIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to build with this GOAMD64/GOARM64/GOOS")
	}
}

// TestCStaticGlibc checks that glibc's ifunc variants (__memmove_avx512_*,
// __strlen_evex ...) linked into a static binary count as guarded.
func TestCStaticGlibc(t *testing.T) {
	t.Parallel()
	r := analyze(t, fixture.C(t, "gcc", "gcc", isa.CLoop, "-O2", "-static"))
	for _, name := range []string{"AVX2", "AVX-512"} {
		if e, ok := r.Extension(name); !ok || !e.Guarded {
			t.Errorf("%s: %+v (found %v), want guarded", name, e, ok)
		}
	}
	if r.RequiredLevel != "x86-64-v1" || r.Rosetta.Runs != isa.RunsYes {
		t.Errorf("required %s from %s, Rosetta %+v", r.RequiredLevel, r.RequiredSource, r.Rosetta)
	}
}

// ELF note and property types of the x86-64 ISA note (the x86-64 psABI).
const (
	ntGNUPropertyType0  = 5 // NT_GNU_PROPERTY_TYPE_0
	gnuPropX86ISANeeded = 0xc0008002
)

// minimalELF builds a 64-bit little-endian ELF executable with one .text section in a
// PT_LOAD segment and, when isaNeeded is non-zero, a .note.gnu.property with
// GNU_PROPERTY_X86_ISA_1_NEEDED in PT_NOTE and PT_GNU_PROPERTY segments, where
// linkers put it and loaders (and internal/exe) read it.
func minimalELF(machine elf.Machine, code []byte, isaNeeded uint32) []byte {
	le := binary.LittleEndian
	var note []byte
	if isaNeeded != 0 {
		note = le.AppendUint32(note, 4)  // namesz
		note = le.AppendUint32(note, 16) // descsz
		note = le.AppendUint32(note, ntGNUPropertyType0)
		note = append(note, "GNU\x00"...)
		note = le.AppendUint32(note, gnuPropX86ISANeeded)
		note = le.AppendUint32(note, 4)
		note = le.AppendUint32(note, isaNeeded)
		note = le.AppendUint32(note, 0)
	}
	shstr := []byte("\x00.text\x00.note.gnu.property\x00.shstrtab\x00")
	phnum := 1
	if len(note) > 0 {
		phnum = 3
	}
	codeOff := 64 + 56*phnum
	noteOff := align8(codeOff + len(code))
	strOff := noteOff + len(note)
	shOff := align8(strOff + len(shstr))
	b := make([]byte, shOff+4*64)
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x401000)
	le.PutUint64(b[32:], 64) // program headers
	le.PutUint64(b[40:], uint64(shOff))
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], uint16(phnum))
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], 4)
	le.PutUint16(b[62:], 3)
	copy(b[codeOff:], code)
	copy(b[noteOff:], note)
	copy(b[strOff:], shstr)
	sh := func(i int, name uint32, typ elf.SectionType, flags elf.SectionFlag, addr uint64, off, size int) {
		h := b[shOff+64*i:]
		le.PutUint32(h, name)
		le.PutUint32(h[4:], uint32(typ))
		le.PutUint64(h[8:], uint64(flags))
		le.PutUint64(h[16:], addr)
		le.PutUint64(h[24:], uint64(off))
		le.PutUint64(h[32:], uint64(size))
		le.PutUint64(h[48:], 8)
	}
	ph := func(i int, typ elf.ProgType, flags elf.ProgFlag, off, size int, addr, align uint64) {
		h := b[64+56*i:]
		le.PutUint32(h, uint32(typ))
		le.PutUint32(h[4:], uint32(flags))
		le.PutUint64(h[8:], uint64(off))
		le.PutUint64(h[16:], addr)
		le.PutUint64(h[24:], addr)
		le.PutUint64(h[32:], uint64(size))
		le.PutUint64(h[40:], uint64(size))
		le.PutUint64(h[48:], align)
	}
	ph(0, elf.PT_LOAD, elf.PF_R|elf.PF_X, codeOff, len(code), 0x401000, 0x1000)
	if len(note) > 0 {
		ph(1, elf.PT_NOTE, elf.PF_R, noteOff, len(note), 0x400000+uint64(noteOff), 8)
		ph(2, elf.PT_GNU_PROPERTY, elf.PF_R, noteOff, len(note), 0x400000+uint64(noteOff), 8)
	}
	sh(1, 1, elf.SHT_PROGBITS, elf.SHF_ALLOC|elf.SHF_EXECINSTR, 0x401000, codeOff, len(code))
	sh(2, 7, elf.SHT_NOTE, elf.SHF_ALLOC, 0x400000+uint64(noteOff), noteOff, len(note))
	sh(3, 26, elf.SHT_STRTAB, 0, 0, strOff, len(shstr))
	return b
}

func align8(n int) int { return (n + 7) &^ 7 }

// minimalMachO builds a 64-bit Mach-O executable with one __TEXT,__text section.
func minimalMachO(cpu uint32, code []byte) []byte {
	le := binary.LittleEndian
	const hdr, seg, sect = 32, 72, 80
	off := hdr + seg + sect
	b := make([]byte, off+len(code))
	le.PutUint32(b, 0xfeedfacf)
	le.PutUint32(b[4:], cpu)
	le.PutUint32(b[12:], 2) // MH_EXECUTE
	le.PutUint32(b[16:], 1)
	le.PutUint32(b[20:], seg+sect)
	c := b[hdr:]
	le.PutUint32(c, 0x19) // LC_SEGMENT_64
	le.PutUint32(c[4:], seg+sect)
	copy(c[8:], "__TEXT")
	le.PutUint64(c[24:], 0x100000000)
	le.PutUint64(c[32:], 0x4000)
	le.PutUint64(c[48:], uint64(len(b)))
	le.PutUint32(c[56:], 5)
	le.PutUint32(c[60:], 5)
	le.PutUint32(c[64:], 1)
	s := c[seg:]
	copy(s, "__text")
	copy(s[16:], "__TEXT")
	le.PutUint64(s[32:], 0x100000000+uint64(off))
	le.PutUint64(s[40:], uint64(len(code)))
	le.PutUint32(s[48:], uint32(off))
	le.PutUint32(s[64:], 0x80000400)
	copy(b[off:], code)
	return b
}

const (
	cpuAMD64 = 0x01000007
	cpuARM64 = 0x0100000c
)

func analyzeBytes(t *testing.T, b []byte, in isa.Input) *isa.Report {
	t.Helper()
	r, err := analyzeImage(context.Background(), bytes.NewReader(b), int64(len(b)), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSynthetic(t *testing.T) {
	tests := []struct {
		name     string
		image    []byte
		level    string
		source   string
		rosetta  string
		firstExt string
	}{
		{"ELF v3 note", minimalELF(elf.EM_X86_64, isa.AVX2Code, 1<<2), "x86-64-v3", "ELF ISA note", isa.RunsNever, "AVX2"},
		{"ELF v2 note, AVX2", minimalELF(elf.EM_X86_64, isa.AVX2Code, 1<<1), "x86-64-v2", "ELF ISA note", isa.RunsMacOS15, "AVX2"},
		{"ELF v4 note", minimalELF(elf.EM_X86_64, isa.AVX512Code, 1<<3), "x86-64-v4", "ELF ISA note", isa.RunsNever, "AVX-512"},
		{"Mach-O AVX-512", minimalMachO(cpuAMD64, isa.AVX512Code), "x86-64-v1", "baseline", isa.RunsMayCrash, "AVX-512"},
		{"Mach-O AVX2", minimalMachO(cpuAMD64, isa.AVX2Code), "x86-64-v1", "baseline", isa.RunsMacOS15, "AVX2"},
		{"ELF arm64 LSE", minimalELF(elf.EM_AARCH64, isa.LSECode, 0), "v8.0", "baseline", "", "LSE"},
		{"Mach-O arm64 LSE", minimalMachO(cpuARM64, isa.LSECode), "v8.0", "baseline", "", "LSE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyzeBytes(t, tt.image, isa.Input{})
			if r.RequiredLevel != tt.level || r.RequiredSource != tt.source {
				t.Errorf("required %s from %s, want %s from %s", r.RequiredLevel, r.RequiredSource, tt.level, tt.source)
			}
			if (r.Rosetta == nil) != (tt.rosetta == "") || (r.Rosetta != nil && r.Rosetta.Runs != tt.rosetta) {
				t.Errorf("rosetta %+v, want %q", r.Rosetta, tt.rosetta)
			}
			e, ok := r.Extension(tt.firstExt)
			if !ok || e.Count != 1 || e.Guarded {
				t.Errorf("%s: %+v (found %v)", tt.firstExt, e, ok)
			}
		})
	}
	// The same Mach-O as a Go binary built with GOAMD64=v1: Go's dispatch guards it.
	r := analyzeBytes(t, minimalMachO(cpuAMD64, isa.AVX512Code), isa.Input{GoSettings: map[string]string{"GOAMD64": "v1"}})
	if r.Rosetta.Runs != isa.RunsYes || !r.Extensions[0].Guarded {
		t.Errorf("Go v1 with AVX-512: %+v %+v", r.Rosetta, r.Extensions)
	}
	if ok, why := r.RosettaOn("14.5"); !ok || !strings.Contains(why, "GOAMD64=v1") {
		t.Errorf("RosettaOn(14.5) = %v %q", ok, why)
	}
	// A Go binary without readable build settings: the level is unknown, never
	// assumed v1 (it may be v3 and exit at start-up), and the Rosetta verdict says so.
	r = analyzeBytes(t, minimalMachO(cpuAMD64, isa.AVX512Code), isa.Input{Go: true})
	if r.RequiredLevel != "" || r.RequiredSource != isa.SourceUnknown || r.Rosetta == nil || r.Rosetta.Runs != isa.RunsUnknown {
		t.Errorf("Go without settings: required %q from %q, rosetta %+v", r.RequiredLevel, r.RequiredSource, r.Rosetta)
	}
	if ok, why := r.RunsOn(nehalem); !ok || !strings.Contains(why, "unknown") {
		t.Errorf("RunsOn with an unknown level = %v %q", ok, why)
	}
}

// FuzzAnalyze feeds arbitrary bytes to isa.Analyze: errors are fine, panics are not.
func FuzzAnalyze(f *testing.F) {
	f.Add(minimalELF(elf.EM_X86_64, isa.AVX2Code, 1<<2))
	f.Add(minimalELF(elf.EM_AARCH64, isa.LSECode, 0))
	f.Add(minimalMachO(cpuAMD64, isa.AVX512Code))
	f.Add(minimalMachO(cpuARM64, isa.LSECode))
	f.Add([]byte("MZ\x90\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range []isa.Input{{}, {Go: true}} {
			r, err := analyzeImage(context.Background(), bytes.NewReader(b), int64(len(b)), in)
			if err == nil {
				r.RunsOn(cortexA72)
				r.RunsOn(haswell)
				r.RosettaOn("14.5")
			}
		}
	})
}

// benchmarkScan scans the code of the file at path, single-threaded, and reports
// bytes of code per second: wall time (ns/op, MB/s) and CPU time (MB/s-cpu), which
// is what counts on a shared, loaded machine where the wall time includes waiting
// for a CPU.
func benchmarkScan(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	s := readSlice(b, f, fi.Size())
	code, err := s.Code(nil) // a Go program: no guard spans
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(code.Size())
	b.ReportAllocs()
	cpu0 := fixture.CPUTime()
	for b.Loop() {
		if _, err := isa.Analyze(context.Background(), s.Reader(), code, isa.Input{Go: true, Scan: true}); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := fixture.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(code.Size())*float64(b.N)/cpu.Seconds()/1e6, "MB/s-cpu")
	}
}

// BenchmarkScanX86 scans the code of an x86-64 Go compiler (this toolchain's when the
// host is amd64, otherwise one built for linux/amd64).
func BenchmarkScanX86(b *testing.B) { benchmarkScan(b, toolFor(b, "amd64")) }

// BenchmarkScanARM64 scans the code of an arm64 Go compiler.
func BenchmarkScanARM64(b *testing.B) { benchmarkScan(b, toolFor(b, "arm64")) }

// toolFor returns the host's compile when it is for goarch, else builds cmd/compile
// for linux/goarch.
func toolFor(b *testing.B, goarch string) string {
	if runtime.GOARCH == goarch {
		return isa.CompilePath(b)
	}
	out := filepath.Join(b.TempDir(), "compile")
	cmd := exec.Command("go", "build", "-o", out, "cmd/compile")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("build cmd/compile for %s: %v\n%s", goarch, err, msg)
	}
	return out
}

// TestScanX86Equivalence scans real x86-64 executables with the two-stream scan and
// the serial reference: the toolchain's compiler, libc and libcrypto (with their IFUNC
// guard spans), the binaries in /usr/bin and the real-world corpus when present.
func TestScanX86Equivalence(t *testing.T) {
	// The x86-64 compiler of this toolchain, whatever GOARCH the test runs for.
	var compile string
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		compile = filepath.Join(strings.TrimSpace(string(out)), "pkg", "tool", "linux_amd64", "compile")
	}
	files := []string{compile, "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"}
	var found int
	for i, p := range files {
		cfgs := []isa.ScanConfig{isa.DefaultScan, isa.SmallScan}
		if i == 0 {
			cfgs = append(cfgs, isa.BigScan)
		}
		if scanFile(t, p, cfgs...) {
			found++
		}
	}
	if found == 0 {
		t.Skip("no x86-64 executables here (Debian amd64's libc6 and libssl3 have libc.so.6 and libcrypto.so.3)")
	}
	var more []string
	home, _ := os.UserHomeDir()
	corpus, _ := filepath.Glob(filepath.Join(home, ".cache", "gonative", "corpus", "files", "*"))
	if len(corpus) == 0 {
		t.Log("no real-world corpus in ~/.cache/gonative/corpus/files: scanning /usr/bin only")
	}
	more = append(more, corpus...)
	if testing.Short() {
		t.Log("-short: /usr/bin is not scanned")
	} else {
		bins, _ := filepath.Glob("/usr/bin/*")
		more = append(more, bins...)
	}
	var n int
	for _, p := range more {
		if scanFile(t, p, isa.DefaultScan) {
			n++
		}
	}
	t.Logf("%d more x86-64 files compared", n)
}

// scanFile compares the scans of the x86-64 code of the file at path and reports
// whether it was one.
func scanFile(t *testing.T, path string, cfgs ...isa.ScanConfig) bool {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < 4 {
		return false
	}
	fd, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fd.Close()
	f := exe.Read(context.Background(), fd, fi.Size(), exe.Options{})
	found := false
	for i := range f.Slices {
		s := &f.Slices[i]
		if s.Arch != "amd64" || s.Error != "" || !s.Kind.Runnable() {
			continue
		}
		code, err := s.Code(isa.Guard(s.Arch))
		if err != nil {
			continue
		}
		isa.CompareScanX86(t, fmt.Sprintf("%s[%d]", path, i), s.Reader(), code, cfgs...)
		found = true
	}
	return found
}

// BenchmarkScanX86Serial compares the scan (streams) with the serial reference
// sweep (serial: one stream, with the same fast path) on the same code, machine and
// load: the Go compiler (as BenchmarkScanX86) and two C libraries (as
// internal/inspect's BenchmarkScanCLibrary, with their guard spans from the symbol
// table). The serial sweep with the fast path of before the streams (a branchy one,
// faster alone) is the base commit's BenchmarkScanX86; docs/isa.md has both.
func BenchmarkScanX86Serial(b *testing.B) {
	for _, p := range []string{"compile", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"} {
		for _, serial := range []bool{true, false} {
			name := filepath.Base(p) + "/streams"
			if serial {
				name = filepath.Base(p) + "/serial"
			}
			b.Run(name, func(b *testing.B) {
				if p == "compile" {
					p = toolFor(b, "amd64")
				}
				f, err := os.Open(p)
				if err != nil {
					b.Skipf("%v (Debian's libc6 and libssl3 have the libraries)", err)
				}
				defer f.Close()
				fi, _ := f.Stat()
				s := readSlice(b, f, fi.Size())
				code, err := s.Code(isa.Guard(s.Arch))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(code.Size())
				cpu0 := fixture.CPUTime()
				for b.Loop() {
					if err := isa.ScanX86(s.Reader(), code, serial); err != nil {
						b.Fatal(err)
					}
				}
				if cpu := fixture.CPUTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(code.Size())*float64(b.N)/cpu.Seconds()/1e6, "MB/s-cpu")
				}
			})
		}
	}
}

// BenchmarkScanX86Funcs scans the x86-64 Rust Mach-O of the real-world corpus (biome,
// whose jump tables a sweep reads as AVX-512) with and without the check of what it
// finds against LC_FUNCTION_STARTS: the cost of the check (docs/isa.md).
func BenchmarkScanX86Funcs(b *testing.B) {
	home, _ := os.UserHomeDir()
	f, err := os.Open(filepath.Join(home, ".cache", "gonative", "corpus", "files", "npm-biome-2.3.8-darwin-x64"))
	if err != nil {
		b.Skipf("%v: run scripts/corpus.sh", err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	s := readSlice(b, f, fi.Size())
	code, err := s.Code(isa.Guard(s.Arch))
	if err != nil {
		b.Fatal(err)
	}
	for _, funcs := range []bool{false, true} {
		c := *code
		name := "funcs"
		if !funcs {
			c.Funcs, name = nil, "sweep"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(c.Size())
			cpu0 := fixture.CPUTime()
			for b.Loop() {
				if _, err := isa.Analyze(context.Background(), s.Reader(), &c, isa.Input{Scan: true}); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := fixture.CPUTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(c.Size())*float64(b.N)/cpu.Seconds()/1e6, "MB/s-cpu")
			}
		})
	}
}
