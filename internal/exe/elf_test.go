package exe

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestELFGoroot reads the ELF files of Go's debug/elf tests: odd and broken ones
// included, nothing may panic, and the architecture must match the file's name.
func TestELFGoroot(t *testing.T) {
	dir := filepath.Join(fixture.GOROOT(t), "src", "debug", "elf", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no GOROOT sources: %v", err)
	}
	tests := []struct {
		file, arch, os string
		kind           Kind
	}{
		{"gcc-386-freebsd-exec", "386", "freebsd", KindExecutable},
		{"gcc-amd64-linux-exec", "amd64", "linux", KindExecutable},
		{"gcc-riscv64-linux-exec", "riscv64", "linux", KindExecutable},
		{"libtiffxx.so_", "amd64", "linux", KindSharedLib},
		{"go-relocation-test-gcc482-aarch64.obj", "arm64", "", KindObject},
		{"go-relocation-test-gcc482-ppc64le.obj", "ppc64le", "", KindObject},
		{"go-relocation-test-gcc492-arm.obj", "arm", "", KindObject},
		{"go-relocation-test-gcc492-mips64.obj", "mips64", "", KindObject},
		{"go-relocation-test-gcc492-mipsle.obj", "mipsle", "", KindObject},
		{"go-relocation-test-gcc493-mips64le.obj", "mips64le", "", KindObject},
		{"go-relocation-test-gcc540-mips.obj", "mips", "", KindObject},
		{"go-relocation-test-gcc531-s390x.obj", "s390x", "", KindObject},
		{"go-relocation-test-gcc620-sparc64.obj", "sparc64", "", KindObject},
		{"go-relocation-test-gcc720-riscv64.obj", "riscv64", "", KindObject},
		{"go-relocation-test-gcc5-ppc.obj", "ppc", "", KindObject},
		{"compressed-32.obj", "386", "", KindObject},
		{"compressed-64.obj", "amd64", "", KindObject},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		f := inspectGoroot(t, filepath.Join(dir, tt.file))
		if f.Format != FormatELF || len(f.Slices) != 1 {
			t.Errorf("%s: format %s, %d slices", tt.file, f.Format, len(f.Slices))
			continue
		}
		s := f.Slices[0]
		if s.Arch != tt.arch || s.OS != tt.os || s.Kind != tt.kind || s.Error != "" {
			t.Errorf("%s: arch %s os %q kind %s error %q, want %s %q %s", tt.file, s.Arch, s.OS, s.Kind, s.Error, tt.arch, tt.os, tt.kind)
		}
	}
	// The rest: no panic, whatever they say.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if seen[e.Name()] || filepath.Ext(e.Name()) == ".c" {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if filepath.Ext(p) == ".gz" {
			b := gunzipFile(t, p)
			f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
			if f.Kind != KindCore && e.Name() == "hello-world-core.gz" {
				t.Errorf("%s: kind %s, want core", e.Name(), f.Kind)
			}
			continue
		}
		f := inspectGoroot(t, p)
		t.Logf("%s: %s %s error %q", e.Name(), f.Format, f.Kind, f.Error)
	}
}

func inspectGoroot(t *testing.T, path string) *File {
	t.Helper()
	f, err := Inspect(context.Background(), path, Options{Deps: true})
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(f.Err, ErrInternal) {
		t.Errorf("%s: %s", path, f.Error)
	}
	return f
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	z, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.LimitReader(z, 64<<20))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestELFTruncated reads truncated copies of a real Go binary: errors, no panics.
func TestELFTruncated(t *testing.T) {
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64"}, "-trimpath")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4, 16, 63, 64, 200, 4096, len(b) / 2, len(b) - 1} {
		f := Read(context.Background(), bytes.NewReader(b[:n]), int64(n), Options{Deps: true})
		if f.Error == "" {
			t.Errorf("truncated at %d of %d: no error", n, len(b))
		}
		if errors.Is(f.Err, ErrInternal) || len(f.Slices) == 1 && bytes.Contains([]byte(f.Slices[0].Error), []byte("panic")) {
			t.Errorf("truncated at %d: %s", n, f.Error)
		}
	}
}

func TestELFHelpers(t *testing.T) {
	sys := map[string]bool{
		"libc.so.6": true, "libm.so.6": true, "libpthread.so.0": true, "ld-linux-aarch64.so.1": true,
		"ld-linux-x86-64.so.2": true, "libc.musl-aarch64.so.1": true, "libgcc_s.so.1": true, "libdl.so.2": true,
		"libstdc++.so.6": false, "libssl.so.3": false, "libcrypto.so.3": false, "libselinux.so.1": false, "libc++.so.1": false,
	}
	for name, want := range sys {
		if got := elfSystemLibrary(name); got != want {
			t.Errorf("elfSystemLibrary(%q) = %v, want %v", name, got, want)
		}
	}
	interp := map[string]string{
		"/lib/ld-linux-aarch64.so.1": "linux", "/lib64/ld-linux-x86-64.so.2": "linux", "/lib/ld-musl-x86_64.so.1": "linux",
		"/system/bin/linker64": "android", "/libexec/ld-elf.so.1": "freebsd", "/usr/libexec/ld.so": "openbsd",
		"/libexec/ld.elf_so": "netbsd", "/usr/libexec/ld-elf.so.2": "dragonfly", "/lib/amd64/ld.so.1": "solaris", "/lib/ld.so.1": "",
	}
	for in, want := range interp {
		if got := elfInterpreterOS(in); got != want {
			t.Errorf("elfInterpreterOS(%q) = %q, want %q", in, got, want)
		}
	}
	needs := []elf.DynamicVersionNeed{
		{Name: "libc.so.6", Needs: []elf.DynamicVersionDep{{Dep: "GLIBC_2.2.5"}, {Dep: "GLIBC_2.34"}, {Dep: "GLIBC_2.4"}, {Dep: "GLIBC_PRIVATE"}}},
		{Name: "libm.so.6", Needs: []elf.DynamicVersionDep{{Dep: "GLIBC_2.29"}}},
	}
	if got := elfNewestGLIBC(needs); got != "2.34" {
		t.Errorf("elfNewestGLIBC = %q, want 2.34", got)
	}
	archs := []struct {
		m     elf.Machine
		bits  int
		order string
		want  string
	}{
		{elf.EM_PPC64, 64, "big", "ppc64"}, {elf.EM_PPC64, 64, "little", "ppc64le"},
		{elf.EM_RISCV, 32, "little", "riscv"}, {elf.EM_LOONGARCH, 64, "little", "loong64"},
		{elf.EM_S390, 64, "big", "s390x"}, {elf.EM_X86_64, 32, "little", "amd64p32"},
	}
	for _, a := range archs {
		if got := ELFArch(a.m, a.bits, a.order); got != a.want {
			t.Errorf("ELFArch(%v, %d, %s) = %s, want %s", a.m, a.bits, a.order, got, a.want)
		}
	}
}

// TestELFOtherOS checks the OS of Go binaries for the BSDs and Solaris, whose ELF
// headers say it three different ways (OSABI, notes, interpreter) or not at all (a
// static DragonFly binary: only the Go build info knows).
func TestELFOtherOS(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to build Go for the BSDs and Solaris (slow: standard library builds)")
	}
	for _, goos := range []string{"freebsd", "netbsd", "openbsd", "dragonfly", "solaris"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			path := fixture.Go(t, fixture.Tiny, []string{"GOOS=" + goos, "GOARCH=amd64"})
			_, s := inspectFixture(t, path, Options{})
			// exe.Read corrects the OS from the build info
			if s.OS != goos || s.Go == nil || s.Go.Settings["GOOS"] != goos {
				t.Errorf("os %q, notes %q, interpreter %q", s.OS, s.Notes, s.Interpreter)
			}
		})
	}
}

func FuzzReadELF(f *testing.F) {
	f.Add(tinyGoELF(true))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := readELF(bytes.NewReader(b), int64(len(b)))
		if s.Arch == "" || s.Kind == "" {
			t.Errorf("empty arch or kind: %+v", s)
		}
	})
}

// TestELFOtherArch checks Go binaries for the other Linux architectures (32-bit, big
// endian), with their build info destroyed so the pclntab, symbol table and string
// fallbacks run on every layout.
func TestELFOtherArch(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") == "" {
		t.Skip("set GONATIVE_INTEGRATION=1 to build Go for 386, arm, ppc64, s390x, riscv64, loong64 (slow: standard library builds)")
	}
	goVersion := goEnvVersion(t)
	tests := []struct {
		goarch, order string
		bits          int
		flags         []string
		source        string
	}{
		{"386", "little", 32, nil, "symtab"},
		{"arm", "little", 32, nil, "symtab"},
		{"ppc64", "big", 64, nil, "symtab"},
		{"s390x", "big", 64, []string{"-ldflags=-s -w"}, "strings"},
		{"riscv64", "little", 64, nil, "symtab"},
		{"loong64", "little", 64, []string{"-ldflags=-s -w"}, "strings"},
	}
	for _, tt := range tests {
		t.Run(tt.goarch, func(t *testing.T) {
			t.Parallel()
			src := fixture.Tiny // only these tests build for these targets: the runtime alone
			if tt.goarch == "386" || tt.goarch == "arm" {
				src = fixture.Hello // others build Hello for them
			}
			path := destroyBuildInfo(t, fixture.Go(t, src, []string{"GOOS=linux", "GOARCH=" + tt.goarch}, tt.flags...))
			_, s := inspectFixture(t, path, Options{})
			if s.Arch != tt.goarch || s.ByteOrder != tt.order || s.Bits != tt.bits || s.OS != "linux" {
				t.Errorf("arch %s order %s bits %d os %s", s.Arch, s.ByteOrder, s.Bits, s.OS)
			}
			if s.Go == nil || s.Go.Version != goVersion || s.Go.Sources["version"] != tt.source {
				t.Errorf("go %+v, want version %s from %s", s.Go, goVersion, tt.source)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"2.17", "2.34", -1},
		{"2.9", "2.17", -1},
		{"2.34", "2.3.4", 1},
		{"2.3.4", "2.3", 1},
		{"2.3", "2.3.4", -1},
		{"2.3", "2.3.0", 0},
		{"14.5", "13.6", 1},
		{"11.0", "11", 0},
	} {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	needs := []elf.DynamicVersionNeed{{Needs: []elf.DynamicVersionDep{{Dep: "GLIBC_2.3.4"}, {Dep: "GLIBC_PRIVATE"}, {Dep: "GLIBC_2.34"}, {Dep: "GLIBC_2.17"}}}}
	if got := elfNewestGLIBC(needs); got != "2.34" {
		t.Errorf("elfNewestGLIBC = %q, want 2.34", got)
	}
}

// TestELFLibrariesUnknown reads a Debian program: its C library is the system's, and
// whether another library is cannot be told from the bytes (null, not false): a
// machine's package manager settles it (host.Libraries.Mark).
func TestELFLibrariesUnknown(t *testing.T) {
	f, err := Inspect(context.Background(), "/usr/bin/ls", Options{})
	if err != nil {
		t.Skipf("%v (Debian's coreutils has it)", err)
	}
	if len(f.Slices) != 1 {
		t.Fatalf("%d slices", len(f.Slices))
	}
	var libc, other bool
	for _, l := range f.Slices[0].Libraries {
		switch {
		case l.Name == "libc.so.6":
			libc = l.IsSystem()
		case !l.System.Known:
			other = true
		default:
			t.Errorf("%s: system %v from the bytes alone", l.Name, l.System.Value)
		}
	}
	if !libc || !other {
		t.Errorf("libraries %+v: want libc.so.6 the system's and the others unknown", f.Slices[0].Libraries)
	}
}
