package exe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestPEGoroot reads the PE files of Go's debug/pe tests.
func TestPEGoroot(t *testing.T) {
	dir := filepath.Join(fixture.GOROOT(t), "src", "debug", "pe", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no GOROOT sources: %v", err)
	}
	tests := []struct {
		file, arch, os string
		stripped       bool
	}{
		{"gcc-386-mingw-exec", "386", "windows", false},
		{"gcc-386-mingw-no-symbols-exec", "386", "windows", true},
		{"gcc-amd64-mingw-exec", "amd64", "windows", false},
		{"vmlinuz-4.15.0-47-generic", "amd64", "uefi", true},
	}
	for _, tt := range tests {
		f := inspectGoroot(t, filepath.Join(dir, tt.file))
		if f.Format != FormatPE || len(f.Slices) != 1 {
			t.Errorf("%s: format %s error %q", tt.file, f.Format, f.Error)
			continue
		}
		s := f.Slices[0]
		if s.Arch != tt.arch || s.OS != tt.os || s.Kind != KindExecutable || s.Stripped.Is(true) != tt.stripped || s.Error != "" {
			t.Errorf("%s: arch %s os %s kind %s stripped %v error %q", tt.file, s.Arch, s.OS, s.Kind, s.Stripped.Is(true), s.Error)
		}
		if tt.os == "windows" {
			if l := libraryNamed(&s, "KERNEL32.dll"); l == nil || !l.IsSystem() {
				t.Errorf("%s: libraries %v, want KERNEL32.dll (system)", tt.file, s.Libraries)
			}
			if l := libraryNamed(&s, "msvcrt.dll"); l == nil || !l.IsSystem() {
				t.Errorf("%s: libraries %v, want msvcrt.dll (system)", tt.file, s.Libraries)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		inspectGoroot(t, filepath.Join(dir, e.Name()))
	}
}

// TestPETruncated reads truncated copies of a real Go PE: errors, no panics.
func TestPETruncated(t *testing.T) {
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=windows", "GOARCH=arm64"}, "-trimpath")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 64, 0x80, 0x90, 400, len(b) / 2, len(b) - 1} {
		f := Read(context.Background(), bytes.NewReader(b[:n]), int64(n), Options{Deps: true})
		if n < 1024 && f.Error == "" {
			t.Errorf("truncated at %d of %d: no error", n, len(b))
		}
		if errors.Is(f.Err, ErrInternal) {
			t.Errorf("truncated at %d: %s", n, f.Error)
		}
	}
}

func TestPESystemLibrary(t *testing.T) {
	for name, want := range map[string]bool{
		"KERNEL32.dll": true, "ntdll.dll": true, "api-ms-win-crt-runtime-l1-1-0.dll": true, "WS2_32.dll": true,
		"ucrtbase.dll": true, "libwinpthread-1.dll": false, "VCRUNTIME140.dll": false, "libgcc_s_seh-1.dll": false,
	} {
		if got := peSystemLibrary(name); got != want {
			t.Errorf("peSystemLibrary(%q) = %v, want %v", name, got, want)
		}
	}
}

// tinyPE builds a minimal PE32+ image for machine with one .idata section importing
// the DLLs named.
func tinyPE(machine uint16, characteristics uint16, dlls ...string) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0x400)
	copy(b, "MZ")
	le.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	coff := b[0x44:]
	le.PutUint16(coff[0:], machine)
	le.PutUint16(coff[2:], 1)    // sections
	le.PutUint16(coff[16:], 240) // optional header size
	le.PutUint16(coff[18:], characteristics)
	opt := b[0x58:]
	le.PutUint16(opt[0:], 0x20b)
	le.PutUint16(opt[48:], 6)
	le.PutUint16(opt[50:], 1)
	le.PutUint16(opt[68:], 3)      // console
	le.PutUint16(opt[70:], 0x0140) // DYNAMIC_BASE, NX_COMPAT
	le.PutUint32(opt[108:], 16)
	le.PutUint32(opt[112+8:], 0x1000) // import directory RVA
	le.PutUint32(opt[112+12:], uint32(20*(len(dlls)+1)))
	sec := b[0x58+240:]
	copy(sec, ".idata")
	le.PutUint32(sec[8:], 0x200)
	le.PutUint32(sec[12:], 0x1000)
	le.PutUint32(sec[16:], 0x200)
	le.PutUint32(sec[20:], 0x200)
	names := 0x200 + 20*(len(dlls)+1)
	for i, d := range dlls {
		le.PutUint32(b[0x200+20*i+12:], uint32(0x1000+names-0x200))
		names += copy(b[names:], d+"\x00")
	}
	return b
}

func TestTinyPE(t *testing.T) {
	b := tinyPE(0xaa64, 0x22, "KERNEL32.dll", "libfoo.dll")
	s := readPE(bytes.NewReader(b), int64(len(b)))
	if s.Error != "" || s.Arch != "arm64" || s.Kind != KindExecutable || !s.PIE.Is(true) || !s.Stripped.Is(true) || s.Static || s.Bits != 64 {
		t.Errorf("%+v", s)
	}
	// libfoo.dll is no DLL Windows is known to ship: unknown, not "not the system's".
	if len(s.Libraries) != 2 || !s.Libraries[0].IsSystem() || s.Libraries[1].System.Known {
		t.Errorf("libraries %+v", s.Libraries)
	}
	b = tinyPE(0x8664, 0x2022)
	if s := readPE(bytes.NewReader(b), int64(len(b))); s.Kind != KindSharedLib || s.Arch != "amd64" || !s.Static {
		t.Errorf("DLL: %+v", s)
	}
}

func FuzzReadPE(f *testing.F) {
	f.Add(tinyPE(0xaa64, 0x22, "KERNEL32.dll", "libfoo.dll"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readPE(bytes.NewReader(b), int64(len(b)))
		readGo(bytes.NewReader(b), int64(len(b)), Options{})
	})
}
