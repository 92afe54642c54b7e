package build

import (
	"bytes"
	"context"
	"debug/macho"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
)

// javaClass is the start of a Java 17 class file: 0xCAFEBABE, minor 0, major 61.
var javaClass = append([]byte{0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x3d}, make([]byte, 4096)...)

// TestJavaClassIsNotUniversal checks file(1)'s rule on every reader: a class file is
// not a universal binary, for `universal info`, `universal create` and inspect.
func TestJavaClassIsNotUniversal(t *testing.T) {
	r := bytes.NewReader(javaClass)
	if u, err := readUniversal(r, int64(len(javaClass)), "Hello.class"); err == nil {
		t.Errorf("universal info read a Java class as %+v", u)
	} else if !strings.Contains(err.Error(), "not a Mach-O file") {
		t.Errorf("universal info: %v", err)
	}
	if _, err := readThin(r, int64(len(javaClass))); err == nil || strings.Contains(err.Error(), "universal") {
		t.Errorf("universal create: %v, want not a Mach-O file", err)
	}
	if _, err := readFatHeader(r, int64(len(javaClass))); err == nil || !strings.Contains(err.Error(), "Java class") {
		t.Errorf("universal thin: %v, want a Java class", err)
	}
	if f := exe.Read(context.Background(), r, int64(len(javaClass)), exe.Options{}); f.Format != exe.FormatUnknown {
		t.Errorf("inspect: format %s", f.Format)
	}
	// file(1) 5.44: 1..19 architectures is a universal binary, 20..30 data, more a class.
	for n, fat := range map[uint32]bool{1: true, 19: true, 20: false, 30: false, 31: false, 45: false} {
		b := make([]byte, 8+32*64)
		binary.BigEndian.PutUint32(b, fatMagic)
		binary.BigEndian.PutUint32(b[4:], n)
		if got := exe.IsFat(b, int64(len(b))); got != fat {
			t.Errorf("IsFat with %d architectures = %v, want %v", n, got, fat)
		}
	}
}

// FuzzReadersAgree is the differential test of the universal readers: whatever the
// bytes, `universal info` (readUniversal), `universal thin` (readFatHeader),
// `universal create` (readThin) and inspect (exe.Read) agree on whether the file is
// universal, thin Mach-O or neither, and on every slice's CPU type, subtype, offset,
// size and whether it can be read.
func FuzzReadersAgree(f *testing.F) {
	h := &Universal{Fat: true, Slices: []SliceInfo{{CPU: uint32(macho.CpuArm64), Offset: 16384, Size: 32, Align: 14}}}
	f.Add(fatHeader(h))
	h.Fat64 = true
	f.Add(fatHeader(h))
	thin := []byte("\xcf\xfa\xed\xfe\x0c\x00\x00\x01\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	f.Add(thin)
	f.Add(javaClass[:64])
	withThin := fatHeader(&Universal{Fat: true, Slices: []SliceInfo{{CPU: uint32(macho.CpuArm64), Offset: 4096, Size: int64(len(thin)), Align: 12}}})
	withThin = append(withThin, make([]byte, 4096-len(withThin))...)
	f.Add(append(withThin, thin...))
	f.Add(append(withThin, thin[:20]...)) // cut short
	f.Fuzz(func(t *testing.T, b []byte) {
		size := int64(len(b))
		r := bytes.NewReader(b)
		file := exe.Read(context.Background(), r, size, exe.Options{HeadersOnly: true})
		u, uerr := readUniversal(r, size, "f")
		fh, ferr := readFatHeader(r, size)
		ti, terr := readThin(r, size)
		switch file.Format {
		case exe.FormatMachOFat:
			if uerr == nil && !u.Fat {
				t.Fatalf("inspect: universal; universal info: thin %+v", u)
			}
			if terr == nil {
				t.Fatalf("inspect: universal; universal create took it as thin %+v", ti)
			}
			if len(file.Slices) == 0 { // the universal header itself is bad
				if ferr == nil || uerr == nil {
					t.Fatalf("inspect: %s; universal thin: %v, info: %v", file.Error, ferr, uerr)
				}
				return
			}
			damaged := false
			for _, s := range file.Slices {
				damaged = damaged || s.FatArch.Err != nil
			}
			if damaged != (ferr != nil) || (uerr != nil) != (ferr != nil) {
				t.Fatalf("a damaged member: inspect %v, universal thin %v, universal info %v", damaged, ferr, uerr)
			}
			if ferr != nil {
				return
			}
			if len(fh.Slices) != len(file.Slices) {
				t.Fatalf("%d slices, inspect %d", len(fh.Slices), len(file.Slices))
			}
			for i, s := range file.Slices {
				a, g := s.FatArch, fh.Slices[i]
				if a.CPUType != g.CPU || a.CPUSubtype != g.SubCPU || int64(a.Offset) != g.Offset || int64(a.Size) != g.Size || a.Align != g.Align {
					t.Fatalf("slice %d: inspect %+v, universal %+v", i, *a, g)
				}
			}
		case exe.FormatMachO:
			if ferr == nil || (uerr == nil && u.Fat) {
				t.Fatalf("inspect: thin Mach-O; universal readers: fat %v %v", ferr, u)
			}
			s := file.Slices[0]
			if (s.Err == nil) != (terr == nil) || (terr == nil) != (uerr == nil) {
				t.Fatalf("thin Mach-O: inspect error %v, universal create %v, universal info %v", s.Err, terr, uerr)
			}
			if terr == nil && (ti.CPU != s.MachO.CPUType || ti.SubCPU != s.MachO.CPUSubtype || ti.FileType != s.MachO.FileType || ti != u.Slices[0]) {
				t.Fatalf("thin Mach-O: inspect %+v, universal create %+v, universal info %+v", *s.MachO, ti, u.Slices[0])
			}
		default:
			if uerr == nil || ferr == nil || terr == nil {
				t.Fatalf("inspect: %s; universal info %v, thin %v, create %v", file.Format, uerr, ferr, terr)
			}
		}
	})
}
