package build

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// llvmLipo finds llvm-lipo, which Debian installs only with a version suffix on PATH.
func llvmLipo(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("llvm-lipo"); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/llvm-*/bin/llvm-lipo"); len(m) > 0 {
		return m[len(m)-1]
	}
	return fixture.Need(t, "llvm-lipo", "llvm")
}

func darwinPair(t *testing.T) (arm, amd string) {
	t.Helper()
	arm = fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	amd = fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"}, "-trimpath")
	return arm, amd
}

func TestCreateMatchesLLVMLipo(t *testing.T) {
	lipo := llvmLipo(t)
	arm, amd := darwinPair(t)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours")
	theirs := filepath.Join(dir, "theirs")
	u, err := CreateUniversal(ours, []string{arm, amd}, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(lipo, "-create", "-output", theirs, amd, arm).CombinedOutput(); err != nil {
		t.Fatalf("llvm-lipo -create: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(ours)
	b, _ := os.ReadFile(theirs)
	if !bytes.Equal(a, b) {
		t.Errorf("our universal file differs from llvm-lipo's (%d vs %d bytes); ours: %+v", len(a), len(b), u.Slices)
	}
	want := map[string]uint32{"x86_64": 12, "arm64": 14}
	for _, s := range u.Slices {
		if s.Align != want[s.Arch] || s.Offset%(1<<s.Align) != 0 {
			t.Errorf("slice %s: align 2^%d offset %#x, want 2^%d", s.Arch, s.Align, s.Offset, want[s.Arch])
		}
	}
	if u.Slices[len(u.Slices)-1].Arch != "arm64" {
		t.Errorf("arm64 is not the last slice: %+v", u.Slices)
	}
	out, err := exec.Command(lipo, "-info", ours).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "x86_64 arm64") {
		t.Errorf("llvm-lipo -info: %v\n%s", err, out)
	}
	ff, err := macho.OpenFat(ours)
	if err != nil {
		t.Fatalf("debug/macho cannot read our file: %v", err)
	}
	ff.Close()

	// thin gives back each input byte for byte.
	for arch, orig := range map[string]string{"arm64": arm, "amd64": amd, "x86_64": amd} {
		thin := filepath.Join(dir, "thin-"+arch)
		if _, err := ThinUniversal(ours, arch, thin); err != nil {
			t.Fatal(err)
		}
		x, _ := os.ReadFile(thin)
		y, _ := os.ReadFile(orig)
		if !bytes.Equal(x, y) {
			t.Errorf("thin %s is not byte-identical to the input", arch)
		}
	}
	if _, err := ThinUniversal(ours, "ppc", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "no ppc slice") {
		t.Errorf("thin ppc: %v", err)
	}
}

func TestCreateFat64(t *testing.T) {
	arm, amd := darwinPair(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "fat64")
	if _, err := CreateUniversal(out, []string{amd, arm}, CreateOptions{Fat64: true}); err != nil {
		t.Fatal(err)
	}
	u, err := ReadUniversal(out)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Fat64 || len(u.Slices) != 2 {
		t.Fatalf("got %+v", u)
	}
	b, _ := os.ReadFile(out)
	if binary.BigEndian.Uint32(b) != fatMagic64 {
		t.Errorf("magic %#x", binary.BigEndian.Uint32(b))
	}
	thin := filepath.Join(dir, "arm")
	if _, err := ThinUniversal(out, "arm64", thin); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(thin)
	y, _ := os.ReadFile(arm)
	if !bytes.Equal(x, y) {
		t.Error("thin from FAT_MAGIC_64 file is not byte-identical")
	}
	if lipo := llvmLipo(t); lipo != "" {
		if out, err := exec.Command(lipo, "-info", out).CombinedOutput(); err != nil {
			t.Errorf("llvm-lipo -info on FAT_MAGIC_64: %v\n%s", err, out)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	arm, amd := darwinPair(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello, not a binary\n"), 0o644)
	elf := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64"}, "-trimpath")
	fat := filepath.Join(dir, "fat")
	if _, err := CreateUniversal(fat, []string{arm, amd}, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dylib := filepath.Join(dir, "dylib")
	b, _ := os.ReadFile(amd)
	binary.LittleEndian.PutUint32(b[12:], uint32(macho.TypeDylib))
	os.WriteFile(dylib, b, 0o755)
	for _, tc := range []struct {
		name   string
		inputs []string
		want   string
	}{
		{"text", []string{arm, text}, text + ": not a Mach-O file"},
		{"elf", []string{elf, arm}, elf + ": not a Mach-O file"},
		{"duplicate", []string{arm, arm}, "have the same architecture (arm64)"},
		{"fat inside fat", []string{fat, amd}, fat + ": is a universal file"},
		{"mixed types", []string{arm, dylib}, "are different kinds of file"},
		{"none", nil, "no input files"},
		{"missing", []string{filepath.Join(dir, "nope")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			_, err := CreateUniversal(out, tc.inputs, CreateOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("output written despite the error")
			}
		})
	}
	if _, err := ThinUniversal(arm, "arm64", filepath.Join(dir, "t")); err == nil || !strings.Contains(err.Error(), "not a universal") {
		t.Errorf("thin of a thin file: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

func FuzzReadUniversal(f *testing.F) {
	h := &Universal{Fat: true, Slices: []SliceInfo{{CPU: uint32(macho.CpuArm64), Offset: 16384, Size: 32, Align: 14}}}
	f.Add(fatHeader(h))
	h.Fat64 = true
	f.Add(fatHeader(h))
	f.Add([]byte("\xcf\xfa\xed\xfe\x0c\x00\x00\x01\x00\x00\x00\x00\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := readUniversal(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		for _, s := range u.Slices {
			if u.Fat && (s.Offset < 0 || s.Offset+s.Size > int64(len(b))) {
				t.Fatalf("slice outside the file: %+v", s)
			}
		}
	})
}

// BenchmarkCreateUniversal measures merging two ~2 MB darwin programs.
func BenchmarkCreateUniversal(b *testing.B) {
	arm := fixture.Go(b, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	amd := fixture.Go(b, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"}, "-trimpath")
	out := filepath.Join(b.TempDir(), "fat")
	st, _ := os.Stat(arm)
	st2, _ := os.Stat(amd)
	b.SetBytes(st.Size() + st2.Size())
	for b.Loop() {
		if _, err := CreateUniversal(out, []string{arm, amd}, CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
