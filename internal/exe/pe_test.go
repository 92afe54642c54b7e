package exe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestPEGoroot reads the PE files of Go's debug/pe tests.
func TestPEGoroot(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "debug", "pe", "testdata")
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
		if s.Arch != tt.arch || s.OS != tt.os || s.Kind != KindExecutable || s.Stripped != tt.stripped || s.Error != "" {
			t.Errorf("%s: arch %s os %s kind %s stripped %v error %q", tt.file, s.Arch, s.OS, s.Kind, s.Stripped, s.Error)
		}
		if tt.os == "windows" {
			if l := libraryNamed(&s, "KERNEL32.dll"); l == nil || !l.System {
				t.Errorf("%s: libraries %v, want KERNEL32.dll (system)", tt.file, s.Libraries)
			}
			if l := libraryNamed(&s, "msvcrt.dll"); l == nil || !l.System {
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
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=windows", "GOARCH=arm64"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 64, 0x80, 0x90, 400, len(b) / 2, len(b) - 1} {
		f := Read(context.Background(), bytes.NewReader(b[:n]), int64(n), Options{Deps: true})
		if n < 1024 && f.Error == "" {
			t.Errorf("truncated at %d of %d: no error", n, len(b))
		}
		if bytes.Contains([]byte(f.Error), []byte("internal error")) {
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

func FuzzReadPE(f *testing.F) {
	dir := filepath.Join(runtime.GOROOT(), "src", "debug", "pe", "testdata")
	for _, name := range []string{"gcc-386-mingw-no-symbols-exec", "gcc-amd64-mingw-exec"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readPE(bytes.NewReader(b), int64(len(b)))
	})
}
