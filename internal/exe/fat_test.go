package exe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// fatMember is one input of makeFat.
type fatMember struct {
	cpu, sub uint32
	data     []byte
}

// makeFat lays out a universal file the way goreleaser and makefat do: members in the
// given order, each aligned to 2^align. With fat64 it writes FAT_MAGIC_64.
func makeFat(fat64 bool, align uint, members ...fatMember) ([]byte, []int64) {
	entry := 20
	magic := uint32(fatMagic)
	if fat64 {
		entry, magic = 32, fatMagic64
	}
	hdr := binary.BigEndian.AppendUint32(nil, magic)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(members)))
	off := int64(8 + entry*len(members))
	var offs []int64
	for _, m := range members {
		off = (off + 1<<align - 1) &^ (1<<align - 1)
		offs = append(offs, off)
		hdr = binary.BigEndian.AppendUint32(hdr, m.cpu)
		hdr = binary.BigEndian.AppendUint32(hdr, m.sub)
		if fat64 {
			hdr = binary.BigEndian.AppendUint64(hdr, uint64(off))
			hdr = binary.BigEndian.AppendUint64(hdr, uint64(len(m.data)))
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(align))
			hdr = binary.BigEndian.AppendUint32(hdr, 0)
		} else {
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(off))
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(m.data)))
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(align))
		}
		off += int64(len(m.data))
	}
	out := make([]byte, off)
	copy(out, hdr)
	for i, m := range members {
		copy(out[offs[i]:], m.data)
	}
	return out, offs
}

// checkUniversal checks a universal file of a darwin/amd64 and a darwin/arm64 Go
// binary: two slices in archs order at offsets, each with its own signature state.
func checkUniversal(t *testing.T, f *File, format Format, archs []string, offs []int64) {
	t.Helper()
	if f.Format != FormatMachOFat || f.Error != "" || f.Kind != KindExecutable {
		t.Fatalf("format %q kind %q error %q", f.Format, f.Kind, f.Error)
	}
	var got []string
	for i, s := range f.Slices {
		got = append(got, s.Arch)
		if s.Error != "" {
			t.Errorf("slice %d: %s", i, s.Error)
		}
		if i < len(offs) && s.Offset != offs[i] {
			t.Errorf("slice %d (%s) at offset %d, want %d", i, s.Arch, s.Offset, offs[i])
		}
		if s.Kind != KindExecutable || s.OS != "darwin" || !s.PIE.Is(true) || s.Signature == nil {
			t.Errorf("slice %d: %+v", i, s)
			continue
		}
		if s.Arch == "arm64" && (!s.Signature.Valid.Is(true) || !s.Signature.LinkerSigned) {
			t.Errorf("arm64 slice signature %+v, want valid", s.Signature)
		}
		if s.Arch == "amd64" && s.Signature.Present {
			t.Errorf("amd64 slice signature %+v, want absent", s.Signature)
		}
	}
	if !slices.Equal(got, archs) {
		t.Errorf("archs %v, want %v", got, archs)
	}
}

// TestFatGo checks universal files of real Go binaries: made by llvm-lipo (which
// always puts arm64 last, whatever the argument order), laid out by hand with arm64
// first as goreleaser may, and as FAT_MAGIC_64.
func TestFatGo(t *testing.T) {
	amd64 := readTestFile(t, darwinHello(t, "amd64"))
	arm64 := readTestFile(t, darwinHello(t, "arm64"))
	amd, arm := fatMember{cpuTypeX86_64, 3, amd64}, fatMember{cpuTypeARM64, 0, arm64}

	t.Run("llvm-lipo", func(t *testing.T) {
		lipo := fixture.NeedLLVM(t, "llvm-lipo")
		dir := t.TempDir()
		in := []string{writeTestFile(t, "amd64", amd64), writeTestFile(t, "arm64", arm64)}
		for i, order := range [][]string{{in[0], in[1]}, {in[1], in[0]}} {
			out := filepath.Join(dir, "universal"+strconv.Itoa(i))
			if b, err := exec.Command(lipo, append(append([]string{"-create"}, order...), "-output", out)...).CombinedOutput(); err != nil {
				t.Fatalf("llvm-lipo: %v\n%s", err, b)
			}
			offs := lipoOffsets(t, out)
			checkUniversal(t, inspectTestFile(t, out), FormatMachOFat, []string{"amd64", "arm64"}, offs)
		}
	})
	t.Run("arm64-first", func(t *testing.T) {
		b, offs := makeFat(false, 14, arm, amd)
		checkUniversal(t, inspectTestFile(t, writeTestFile(t, "u", b)), FormatMachOFat, []string{"arm64", "amd64"}, offs)
	})
	t.Run("fat64", func(t *testing.T) {
		b, offs := makeFat(true, 14, amd, arm)
		checkUniversal(t, inspectTestFile(t, writeTestFile(t, "u64", b)), FormatMachOFat, []string{"amd64", "arm64"}, offs)
	})
	t.Run("edited-arm64-slice", func(t *testing.T) {
		b, offs := makeFat(false, 14, amd, arm)
		b[offs[1]+100000] ^= 0x55
		f := inspectTestFile(t, writeTestFile(t, "u", b))
		if sig := f.Slices[1].Signature; sig.Valid.Is(true) || !strings.Contains(sig.Problem, "page 24 ") {
			t.Errorf("edited slice: %+v", sig)
		}
	})
	t.Run("bad-members", func(t *testing.T) {
		b, offs := makeFat(false, 14, amd, arm)
		// Point the second member past the end of the file: the first is still read.
		bad := bytes.Clone(b)
		binary.BigEndian.PutUint32(bad[8+20+12:], uint32(len(b)))
		f := Read(context.Background(), bytes.NewReader(bad), int64(len(bad)), Options{})
		if len(f.Slices) != 2 || f.Slices[0].Error != "" || !strings.Contains(f.Slices[1].Error, "past the end") ||
			f.Slices[1].Arch != "arm64" {
			t.Errorf("member past EOF: %+v", f.Slices)
		}
		// Overlap the second member with the first.
		bad = bytes.Clone(b)
		binary.BigEndian.PutUint32(bad[8+20+8:], uint32(offs[0]))
		f = Read(context.Background(), bytes.NewReader(bad), int64(len(bad)), Options{})
		if !strings.Contains(f.Slices[1].Error, "overlaps member 0") || f.Slices[0].Error != "" {
			t.Errorf("overlap: %+v", f.Slices[1])
		}
		// A member over the header.
		bad = bytes.Clone(b)
		binary.BigEndian.PutUint32(bad[8+8:], 4)
		f = Read(context.Background(), bytes.NewReader(bad), int64(len(bad)), Options{})
		if !strings.Contains(f.Slices[0].Error, "overlaps the header") {
			t.Errorf("over header: %+v", f.Slices[0])
		}
		// Truncated inside the second member.
		f = Read(context.Background(), bytes.NewReader(b[:offs[1]+1000]), offs[1]+1000, Options{})
		if len(f.Slices) != 2 || f.Slices[0].Error != "" || f.Slices[1].Error == "" {
			t.Errorf("truncated: %+v", f.Slices)
		}
	})
}

// lipoOffsets reads the slice offsets of a universal file as llvm-objdump prints them
// (llvm-lipo 14 has no -detailed_info).
func lipoOffsets(t *testing.T, path string) []int64 {
	t.Helper()
	objdump := fixture.Need(t, "llvm-objdump", "llvm")
	out, err := exec.Command(objdump, "--macho", "--universal-headers", path).Output()
	if err != nil {
		t.Fatalf("llvm-objdump: %v", err)
	}
	var offs []int64
	for _, m := range regexp.MustCompile(`(?m)^\s+offset (\d+)$`).FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		offs = append(offs, n)
	}
	if len(offs) != 2 {
		t.Fatalf("llvm-objdump printed %d offsets:\n%s", len(offs), out)
	}
	return offs
}

// TestFatHandMade checks universal headers that are odd or hostile.
func TestFatHandMade(t *testing.T) {
	thin := machoFile(cpuTypeARM64, 0, mhExecute, mhPIE, loadCmd(lcBuildVersion, "", 1, 14<<16, 14<<16, 0))
	inner, _ := makeFat(false, 2, fatMember{cpuTypeARM64, 0, thin})
	java := []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 65, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	tests := []struct {
		name   string
		file   []byte
		format Format
		check  func(t *testing.T, f *File)
	}{
		{"java-class", java, FormatUnknown, func(t *testing.T, f *File) {
			var u *UnreadFormatError
			if !errors.As(f.Err, &u) || u.Name != "Java class file (version 65.0)" || !errors.Is(f.Err, ErrNotExecutable) {
				t.Errorf("error %q", f.Error)
			}
		}},
		{"fat-in-fat", func() []byte { b, _ := makeFat(false, 2, fatMember{cpuTypeARM64, 0, inner}); return b }(), FormatMachOFat,
			func(t *testing.T, f *File) {
				if len(f.Slices) != 1 || !strings.Contains(f.Slices[0].Error, "itself a universal file") {
					t.Errorf("%+v", f.Slices)
				}
			}},
		{"not-macho-member", func() []byte {
			b, _ := makeFat(false, 2, fatMember{cpuTypeARM64, 0, []byte("\x7fELF not at all")}, fatMember{cpuTypeX86_64, 3, thin})
			return b
		}(), FormatMachOFat, func(t *testing.T, f *File) {
			if len(f.Slices) != 2 || !strings.Contains(f.Slices[0].Error, "not a Mach-O") || f.Slices[1].Error != "" {
				t.Errorf("%+v", f.Slices)
			}
			if n := f.Slices[1].Notes; len(n) != 1 || !strings.Contains(n[0], "says x86_64 but the slice is arm64") {
				t.Errorf("notes %q", n)
			}
		}},
		{"fat64-huge-offset", func() []byte {
			b, _ := makeFat(true, 2, fatMember{cpuTypeARM64, 0, thin})
			binary.BigEndian.PutUint64(b[16:], 1<<63)
			binary.BigEndian.PutUint64(b[24:], 1<<63)
			return b
		}(), FormatMachOFat, func(t *testing.T, f *File) {
			if len(f.Slices) != 1 || !strings.Contains(f.Slices[0].Error, "past the end") {
				t.Errorf("%+v", f.Slices)
			}
		}},
		{"truncated-table", func() []byte { b, _ := makeFat(false, 2, fatMember{cpuTypeARM64, 0, thin}); return b[:20] }(), FormatUnknown, nil},
		{"ok", func() []byte { b, _ := makeFat(false, 2, fatMember{cpuTypeARM64, 0, thin}); return b }(), FormatMachOFat,
			func(t *testing.T, f *File) {
				if len(f.Slices) != 1 || f.Slices[0].Error != "" || f.Slices[0].MinOS != "14.0" || f.Slices[0].Offset != 28 {
					t.Errorf("%+v", f.Slices)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Read(context.Background(), bytes.NewReader(tt.file), int64(len(tt.file)), Options{})
			if f.Format != tt.format {
				t.Errorf("format %q, want %q (error %q)", f.Format, tt.format, f.Error)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

// BenchmarkReadFat reads a universal file of darwin/amd64 and darwin/arm64 Go binaries.
func BenchmarkReadFat(b *testing.B) {
	amd64 := readTestFile(b, darwinHello(b, "amd64"))
	arm64 := readTestFile(b, darwinHello(b, "arm64"))
	u, _ := makeFat(false, 14, fatMember{cpuTypeX86_64, 3, amd64}, fatMember{cpuTypeARM64, 0, arm64})
	r := bytes.NewReader(u)
	b.SetBytes(int64(len(u)))
	b.ReportAllocs()
	for b.Loop() {
		if s, err := readFat(r, int64(len(u))); err != nil || len(s) != 2 || !s[1].Signature.Valid.Is(true) {
			b.Fatal(err, s)
		}
	}
}
