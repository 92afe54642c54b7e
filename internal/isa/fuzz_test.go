package isa

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"
)

// Instruction bytes used by the synthetic images.
var (
	avx2Code   = []byte{0xc5, 0xfd, 0xfe, 0xc1, 0xc3}                   // vpaddd ymm0, ymm0, ymm1; ret
	avx512Code = []byte{0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc1, 0xc3}       // vpaddd zmm0, zmm0, zmm1; ret
	lseCode    = []byte{0x40, 0x00, 0xe1, 0xf8, 0xc0, 0x03, 0x5f, 0xd6} // ldaddal x1, x0, [x2]; ret
)

// minimalELF builds a 64-bit little-endian ELF executable with one .text section and,
// when isaNeeded is non-zero, a .note.gnu.property with GNU_PROPERTY_X86_ISA_1_NEEDED.
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
	codeOff := 64
	noteOff := align8(codeOff + len(code))
	strOff := noteOff + len(note)
	shOff := align8(strOff + len(shstr))
	b := make([]byte, shOff+4*64)
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x401000)
	le.PutUint64(b[40:], uint64(shOff))
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
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

func analyzeBytes(t *testing.T, b []byte, in Input) *Report {
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
		{"ELF v3 note", minimalELF(elf.EM_X86_64, avx2Code, 1<<2), "x86-64-v3", "ELF ISA note", RunsNever, "AVX2"},
		{"ELF v2 note, AVX2", minimalELF(elf.EM_X86_64, avx2Code, 1<<1), "x86-64-v2", "ELF ISA note", RunsMacOS15, "AVX2"},
		{"ELF v4 note", minimalELF(elf.EM_X86_64, avx512Code, 1<<3), "x86-64-v4", "ELF ISA note", RunsNever, "AVX-512"},
		{"Mach-O AVX-512", minimalMachO(cpuAMD64, avx512Code), "x86-64-v1", "baseline", RunsMayCrash, "AVX-512"},
		{"Mach-O AVX2", minimalMachO(cpuAMD64, avx2Code), "x86-64-v1", "baseline", RunsMacOS15, "AVX2"},
		{"ELF arm64 LSE", minimalELF(elf.EM_AARCH64, lseCode, 0), "v8.0", "baseline", "", "LSE"},
		{"Mach-O arm64 LSE", minimalMachO(cpuARM64, lseCode), "v8.0", "baseline", "", "LSE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyzeBytes(t, tt.image, Input{})
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
	r := analyzeBytes(t, minimalMachO(cpuAMD64, avx512Code), Input{GoSettings: map[string]string{"GOAMD64": "v1"}})
	if r.Rosetta.Runs != RunsYes || !r.Extensions[0].Guarded {
		t.Errorf("Go v1 with AVX-512: %+v %+v", r.Rosetta, r.Extensions)
	}
	if ok, why := r.RosettaOn("14.5"); !ok || !strings.Contains(why, "GOAMD64=v1") {
		t.Errorf("RosettaOn(14.5) = %v %q", ok, why)
	}
	// A Go binary without readable build settings: the level is unknown, never
	// assumed v1 (it may be v3 and exit at start-up), and the Rosetta verdict says so.
	r = analyzeBytes(t, minimalMachO(cpuAMD64, avx512Code), Input{Go: true})
	if r.RequiredLevel != "" || r.RequiredSource != SourceUnknown || r.Rosetta == nil || r.Rosetta.Runs != RunsUnknown {
		t.Errorf("Go without settings: required %q from %q, rosetta %+v", r.RequiredLevel, r.RequiredSource, r.Rosetta)
	}
	if ok, why := r.RunsOn(nehalem); !ok || !strings.Contains(why, "unknown") {
		t.Errorf("RunsOn with an unknown level = %v %q", ok, why)
	}
}

// FuzzAnalyze feeds arbitrary bytes to Analyze: errors are fine, panics are not.
func FuzzAnalyze(f *testing.F) {
	f.Add(minimalELF(elf.EM_X86_64, avx2Code, 1<<2))
	f.Add(minimalELF(elf.EM_AARCH64, lseCode, 0))
	f.Add(minimalMachO(cpuAMD64, avx512Code))
	f.Add(minimalMachO(cpuARM64, lseCode))
	f.Add([]byte("MZ\x90\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range []Input{{}, {Go: true}} {
			r, err := analyzeImage(context.Background(), bytes.NewReader(b), int64(len(b)), in)
			if err == nil {
				r.RunsOn(cortexA72)
				r.RunsOn(haswell)
				r.RosettaOn("14.5")
			}
		}
	})
}

// FuzzDecodeX86 checks the x86 decoder's invariants on arbitrary bytes.
func FuzzDecodeX86(f *testing.F) {
	f.Add(avx2Code)
	f.Add(avx512Code)
	f.Add([]byte{0x66, 0x0f, 0x38, 0xdc, 0xc1})
	f.Add([]byte{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := decodeX86(b)
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
