package exe

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// goEnvVersion is the version of the go command on PATH, which builds the fixtures.
func goEnvVersion(t testing.TB) string {
	t.Helper()
	goBin := fixture.Need(t, "go", "golang-go")
	cmd := exec.Command(goBin, "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// inspectFixture inspects path and checks that it is a one-slice file read without error.
func inspectFixture(t testing.TB, path string, opts Options) (*File, *Slice) {
	t.Helper()
	f, err := Inspect(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", path, err)
	}
	if f.Error != "" || len(f.Slices) != 1 {
		t.Fatalf("Inspect(%s): error %q, %d slices", path, f.Error, len(f.Slices))
	}
	return f, &f.Slices[0]
}

// destroyBuildInfo writes a copy of path with the build info's magic zeroed.
func destroyBuildInfo(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	magic := []byte("\xff Go buildinf:")
	i := bytes.Index(b, magic)
	if i < 0 {
		t.Fatalf("%s: no build info magic", path)
	}
	copy(b[i:], make([]byte, len(magic)))
	p := filepath.Join(t.TempDir(), filepath.Base(path)+"-nobuildinfo")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func libraryNamed(s *Slice, prefix string) *Library {
	for i := range s.Libraries {
		if strings.HasPrefix(s.Libraries[i].Name, prefix) {
			return &s.Libraries[i]
		}
	}
	return nil
}

// TestGoFixtures builds real Go programs for Linux and Windows and checks what
// Inspect says about them, end to end.
func TestGoFixtures(t *testing.T) {
	goVersion := goEnvVersion(t)
	linux := func(arch string, env ...string) []string {
		return append([]string{"GOOS=linux", "GOARCH=" + arch}, env...)
	}
	type check func(t *testing.T, path string, s *Slice)
	settings := func(kv ...string) check {
		return func(t *testing.T, _ string, s *Slice) {
			for i := 0; i+1 < len(kv); i += 2 {
				if got := s.Go.Settings[kv[i]]; got != kv[i+1] {
					t.Errorf("setting %s = %q, want %q", kv[i], got, kv[i+1])
				}
			}
		}
	}
	tests := []struct {
		name    string
		src     string
		env     []string
		flags   []string
		need    [2]string // a tool and its Debian package
		destroy bool      // zero the build info magic in a copy
		want    Slice     // Arch, OS, Kind, PIE, Stripped, Static compared
		cgo     bool
		version string // Sources["version"]
		checks  []check
	}{
		{
			name: "linux-amd64", src: fixture.Hello, env: linux("amd64"),
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "buildinfo",
			checks: []check{settings("GOOS", "linux", "GOARCH", "amd64", "CGO_ENABLED", "0", "GOAMD64", "v1"),
				func(t *testing.T, _ string, s *Slice) {
					if s.Interpreter != "" || len(s.Libraries) != 0 {
						t.Errorf("static binary has interpreter %q, libraries %v", s.Interpreter, s.Libraries)
					}
					if s.Go.Path != "example.com/fixture" || s.Go.Module != "example.com/fixture" {
						t.Errorf("path %q module %q", s.Go.Path, s.Go.Module)
					}
				}},
		},
		{
			name: "linux-arm64-cgo", src: fixture.HelloCgo,
			env:  linux("arm64", "CGO_ENABLED=1", "CC=aarch64-linux-gnu-gcc"),
			need: [2]string{"aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"},
			want: Slice{Arch: "arm64", OS: "linux", Kind: KindExecutable, Bits: 64}, cgo: true, version: "buildinfo",
			checks: []check{settings("CGO_ENABLED", "1", "GOARCH", "arm64"),
				func(t *testing.T, path string, s *Slice) {
					if s.Interpreter != "/lib/ld-linux-aarch64.so.1" {
						t.Errorf("interpreter %q", s.Interpreter)
					}
					if l := libraryNamed(s, "libc.so"); l == nil || !l.IsSystem() {
						t.Errorf("libraries %v: want libc, system", s.Libraries)
					}
					qemu, err := exec.LookPath("qemu-aarch64-static")
					if err != nil {
						t.Log("qemu-aarch64-static not found (Debian package qemu-user-static): not running the binary")
						return
					}
					out, err := exec.Command(qemu, "-L", "/usr/aarch64-linux-gnu", path).CombinedOutput()
					if err != nil || !strings.Contains(string(out), "hello from cgo 42") {
						t.Errorf("run under qemu: %v\n%s", err, out)
					}
				}},
		},
		{
			// CGO_ENABLED=1 but nothing imports runtime/cgo: the setting says 1, the
			// binary has no cgo.
			name: "cgo-enabled-unused", src: fixture.Hello, env: linux("amd64", "CGO_ENABLED=1"),
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "buildinfo", checks: []check{settings("CGO_ENABLED", "1")},
		},
		{
			name: "goamd64-v3", src: fixture.Hello, env: linux("amd64", "GOAMD64=v3"),
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "buildinfo", checks: []check{settings("GOAMD64", "v3")},
		},
		{
			name: "goarm64-v8.1", src: fixture.Hello, env: linux("arm64", "GOARM64=v8.1"), flags: []string{"-trimpath"},
			want:    Slice{Arch: "arm64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "buildinfo", checks: []check{settings("GOARM64", "v8.1"),
				func(t *testing.T, _ string, s *Slice) {
					// Go aligns linux/arm64 segments to 64 KiB: fine on every page size.
					if s.Align != 64<<10 || !s.Loads16K || !s.Loads64K {
						t.Errorf("align %d, 16K %v, 64K %v", s.Align, s.Loads16K, s.Loads64K)
					}
				}},
		},
		{
			name: "stripped", src: fixture.Hello, env: linux("amd64"), flags: []string{"-ldflags=-s -w"},
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Stripped: KnownFact(true), Bits: 64},
			version: "buildinfo", checks: []check{settings("-ldflags", "-s -w")},
		},
		{
			name: "trimpath", src: fixture.Hello, env: linux("amd64"), flags: []string{"-trimpath"},
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "buildinfo", checks: []check{settings("-trimpath", "true")},
		},
		{
			name: "pie", src: fixture.Hello, env: linux("amd64"), flags: []string{"-buildmode=pie"},
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, PIE: KnownFact(true), Bits: 64},
			version: "buildinfo", checks: []check{settings("-buildmode", "pie")},
		},
		{
			name: "c-shared", src: "package main\n\nimport \"C\"\n\n//export Answer\nfunc Answer() C.int { return 42 }\n\nfunc main() {}\n",
			env: linux("amd64", "CGO_ENABLED=1", "CC=gcc"), flags: []string{"-buildmode=c-shared"},
			need: [2]string{"gcc", "gcc"},
			want: Slice{Arch: "amd64", OS: "linux", Kind: KindSharedLib, Bits: 64}, cgo: true,
			version: "buildinfo", checks: []check{settings("-buildmode", "c-shared")},
		},
		{
			name: "no-buildinfo", src: fixture.Hello, env: linux("amd64"), destroy: true,
			want:    Slice{Arch: "amd64", OS: "linux", Kind: KindExecutable, Static: true, Bits: 64},
			version: "symtab",
		},
		{
			name: "no-buildinfo-stripped", src: fixture.Hello, env: linux("arm64"), flags: []string{"-trimpath", "-ldflags=-s -w"}, destroy: true,
			want:    Slice{Arch: "arm64", OS: "linux", Kind: KindExecutable, Static: true, Stripped: KnownFact(true), Bits: 64},
			version: "strings",
		},
		{
			name: "windows-amd64", src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=amd64"}, flags: []string{"-trimpath"},
			want:    Slice{Arch: "amd64", OS: "windows", Kind: KindExecutable, PIE: KnownFact(true), Bits: 64},
			version: "buildinfo", checks: []check{settings("GOOS", "windows"),
				func(t *testing.T, _ string, s *Slice) {
					if l := libraryNamed(s, "kernel32.dll"); l == nil || !l.IsSystem() {
						t.Errorf("libraries %v: want kernel32.dll, system", s.Libraries)
					}
				}},
		},
		{
			name: "windows-arm64", src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=arm64"}, flags: []string{"-trimpath", "-ldflags=-s -w"},
			want:    Slice{Arch: "arm64", OS: "windows", Kind: KindExecutable, PIE: KnownFact(true), Stripped: KnownFact(true), Bits: 64},
			version: "buildinfo", checks: []check{settings("GOARCH", "arm64")},
		},
		{
			name: "windows-arm64-no-buildinfo", src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=arm64"}, flags: []string{"-trimpath"}, destroy: true,
			want:    Slice{Arch: "arm64", OS: "windows", Kind: KindExecutable, PIE: KnownFact(true), Bits: 64},
			version: "strings",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.need[0] != "" {
				fixture.Need(t, tt.need[0], tt.need[1])
			}
			path := fixture.Go(t, tt.src, tt.env, tt.flags...)
			if tt.destroy {
				path = destroyBuildInfo(t, path)
			}
			_, s := inspectFixture(t, path, Options{Deps: true})
			if s.Error != "" {
				t.Errorf("slice error: %s", s.Error)
			}
			got := Slice{Arch: s.Arch, OS: s.OS, Kind: s.Kind, PIE: s.PIE, Stripped: s.Stripped, Static: s.Static, Bits: s.Bits}
			if got.Arch != tt.want.Arch || got.OS != tt.want.OS || got.Kind != tt.want.Kind || got.PIE.Is(true) != tt.want.PIE.Is(true) ||
				got.Stripped.Is(true) != tt.want.Stripped.Is(true) || got.Static != tt.want.Static || got.Bits != tt.want.Bits {
				t.Errorf("got  arch %s os %s kind %s pie %v stripped %v static %v bits %d\nwant arch %s os %s kind %s pie %v stripped %v static %v bits %d",
					got.Arch, got.OS, got.Kind, got.PIE.Is(true), got.Stripped.Is(true), got.Static, got.Bits,
					tt.want.Arch, tt.want.OS, tt.want.Kind, tt.want.PIE.Is(true), tt.want.Stripped.Is(true), tt.want.Static, tt.want.Bits)
			}
			if s.Go == nil {
				t.Fatal("not recognised as a Go binary")
			}
			if s.Go.Version != goVersion {
				t.Errorf("Go version %q, want %q (go env GOVERSION)", s.Go.Version, goVersion)
			}
			if s.Go.Sources["version"] != tt.version {
				t.Errorf("version source %q, want %q", s.Go.Sources["version"], tt.version)
			}
			if !s.Go.Cgo.Is(tt.cgo) {
				t.Errorf("Cgo = %v, want %v", factString(s.Go.Cgo), tt.cgo)
			}
			if s.Go.Sources["cgo"] != "pclntab" || s.Go.Pclntab != "go1.20 or later" {
				t.Errorf("cgo source %q, pclntab %q", s.Go.Sources["cgo"], s.Go.Pclntab)
			}
			if tt.destroy {
				// Only what the runtime's bytes prove (GOAMD64 on amd64) is known.
				if s.Go.Sources["go"] != "pclntab" || s.Go.SettingsKnown() || len(s.Go.Settings) > 1 ||
					len(s.Go.Settings) == 1 && !s.Go.SettingKnown("GOAMD64") {
					t.Errorf("without build info: go source %q, settings %v", s.Go.Sources["go"], s.Go.Settings)
				}
			}
			for _, c := range tt.checks {
				c(t, path, s)
			}
		})
	}
}

// TestCPrograms checks C programs built by gcc: not Go, and linked every way.
func TestCPrograms(t *testing.T) {
	const src = "#include <stdio.h>\nint main(void) { puts(\"go1.26.8 hello\"); return 0; }\n"
	tests := []struct {
		name, cc, pkg string
		flags         []string
		arch          string
		kind          Kind
		pie, static   bool
		interp        bool
		glibc         bool
		align         uint64
	}{
		{name: "dynamic", cc: "gcc", pkg: "gcc", arch: runtimeGccArch(), kind: KindExecutable, pie: true, interp: true, glibc: true},
		{name: "no-pie", cc: "gcc", pkg: "gcc", flags: []string{"-no-pie"}, arch: runtimeGccArch(), kind: KindExecutable, interp: true, glibc: true},
		{name: "static", cc: "gcc", pkg: "gcc", flags: []string{"-static"}, arch: runtimeGccArch(), kind: KindExecutable, static: true},
		{name: "static-pie", cc: "gcc", pkg: "gcc", flags: []string{"-static-pie"}, arch: runtimeGccArch(), kind: KindExecutable, pie: true, static: true},
		{name: "shared", cc: "gcc", pkg: "gcc", flags: []string{"-shared", "-fPIC"}, arch: runtimeGccArch(), kind: KindSharedLib, glibc: true},
		{name: "object", cc: "gcc", pkg: "gcc", flags: []string{"-c"}, arch: runtimeGccArch(), kind: KindObject},
		{name: "arm64", cc: "aarch64-linux-gnu-gcc", pkg: "gcc-aarch64-linux-gnu", arch: "arm64", kind: KindExecutable, pie: true, interp: true, glibc: true, align: 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := fixture.C(t, tt.cc, tt.pkg, src, tt.flags...)
			_, s := inspectFixture(t, path, Options{})
			if s.Go != nil {
				t.Errorf("C program read as Go: %+v", s.Go)
			}
			if s.Arch != tt.arch || s.Kind != tt.kind || s.PIE.Is(true) != tt.pie || s.Static != tt.static || (s.Interpreter != "") != tt.interp {
				t.Errorf("arch %s kind %s pie %v static %v interpreter %q", s.Arch, s.Kind, factString(s.PIE), s.Static, s.Interpreter)
			}
			if tt.kind != KindObject && s.OS != "linux" {
				t.Errorf("os %q, notes %q", s.OS, s.Notes)
			}
			if tt.align != 0 && s.Align != tt.align {
				t.Errorf("align %d, want %d", s.Align, tt.align)
			}
			if tt.glibc {
				if l := libraryNamed(s, "libc.so"); l == nil || !l.IsSystem() {
					t.Errorf("libraries %v: want libc, system", s.Libraries)
				}
				if !strings.HasPrefix(s.GLIBC, "2.") {
					t.Errorf("GLIBC %q: want the glibc version needed", s.GLIBC)
				}
			}
		})
	}
}

// runtimeGccArch is the GOARCH of the programs the host's gcc builds. The tests may
// run as linux/arm64 under qemu on an amd64 machine: gcc is the machine's.
func runtimeGccArch() string {
	out, err := exec.Command("gcc", "-dumpmachine").Output()
	if err != nil {
		return runtime.GOARCH
	}
	switch m := strings.TrimSpace(string(out)); {
	case strings.HasPrefix(m, "x86_64"):
		return "amd64"
	case strings.HasPrefix(m, "aarch64"):
		return "arm64"
	}
	return runtime.GOARCH
}

// tinyGoELF builds a minimal ELF with a .gopclntab (one header and a function name
// table) and a .rodata holding a Go version string: a Go binary without build info,
// small enough for a fuzz seed. names renames the two sections (default .gopclntab and
// .rodata).
func tinyGoELF(cgo bool, names ...string) []byte {
	pclnName, roName := ".gopclntab", ".rodata"
	if len(names) == 2 {
		pclnName, roName = names[0], names[1]
	}
	le := binary.LittleEndian
	funcNames := "internal/abi.Foo\x00main.main\x00"
	if cgo {
		funcNames += "runtime/cgo.init\x00"
	}
	var pcln []byte
	pcln = le.AppendUint32(pcln, pcln120)
	pcln = append(pcln, 0, 0, 1, 8)
	const hdr = 8 + 8*8
	n := uint64(len(funcNames))
	words := []uint64{2, 0, 0, hdr, hdr + n, hdr + n, hdr + n, hdr + n}
	for _, w := range words {
		pcln = le.AppendUint64(pcln, w)
	}
	pcln = append(pcln, funcNames...)
	rodata := []byte("\x00\x00\x00\x00go1.26.8\x00\x00\x00\x00gofmt go1.4 /go1.99.9/\x00")
	shstr := []byte("\x00" + pclnName + "\x00" + roName + "\x00.shstrtab\x00")
	roAt, strAt := uint32(1+len(pclnName)+1), uint32(1+len(pclnName)+1+len(roName)+1)

	var b []byte
	b = append(b, 0x7f, 'E', 'L', 'F', 2, 1, 1, 0)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint16(b, 2)  // ET_EXEC
	b = le.AppendUint16(b, 62) // EM_X86_64
	b = le.AppendUint32(b, 1)
	b = le.AppendUint64(b, 0x401000) // entry
	b = le.AppendUint64(b, 64)       // phoff
	pclnOff := uint64(64 + 56)
	roOff := pclnOff + uint64(len(pcln))
	strOff := roOff + uint64(len(rodata))
	shOff := (strOff + uint64(len(shstr)) + 7) &^ 7
	b = le.AppendUint64(b, shOff)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 64) // ehsize
	b = le.AppendUint16(b, 56) // phentsize
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 64) // shentsize
	b = le.AppendUint16(b, 4)
	b = le.AppendUint16(b, 3)
	// PT_LOAD covering the file.
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 4)
	for _, w := range []uint64{0, 0x400000, 0x400000, shOff, shOff, 0x10000} {
		b = le.AppendUint64(b, w)
	}
	b = append(b, pcln...)
	b = append(b, rodata...)
	b = append(b, shstr...)
	b = append(b, make([]byte, int(shOff)-len(b))...)
	sh := func(name, typ uint32, flags, addr, off, size uint64) {
		b = le.AppendUint32(b, name)
		b = le.AppendUint32(b, typ)
		b = le.AppendUint64(b, flags)
		b = le.AppendUint64(b, addr)
		b = le.AppendUint64(b, off)
		b = le.AppendUint64(b, size)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, 8)
		b = le.AppendUint64(b, 0)
	}
	sh(0, 0, 0, 0, 0, 0)
	sh(1, 1, 2, 0x400000+pclnOff, pclnOff, uint64(len(pcln))) // SHF_ALLOC
	sh(roAt, 1, 2, 0x400000+roOff, roOff, uint64(len(rodata)))
	sh(strAt, 3, 0, 0, strOff, uint64(len(shstr)))
	return b
}

func TestTinyGoELF(t *testing.T) {
	for _, cgo := range []bool{false, true} {
		b := tinyGoELF(cgo)
		f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
		if f.Error != "" || len(f.Slices) != 1 {
			t.Fatalf("error %q", f.Error)
		}
		s := f.Slices[0]
		if s.Arch != "amd64" || s.Kind != KindExecutable || !s.Static || !s.Stripped.Is(true) {
			t.Errorf("%+v", s)
		}
		if s.Go == nil {
			t.Fatal("not recognised as Go")
		}
		if s.Go.Version != "go1.26.8" || s.Go.Sources["version"] != "strings" || !eqFact(s.Go.Cgo, cgo) {
			t.Errorf("cgo %v: got %+v", cgo, s.Go)
		}
	}
}

func TestParseGoVersionAt(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"\x00go1.26.8\x00", "go1.26.8"},
		{"\x00go1.21rc2\x00", "go1.21rc2"},
		{"\x00go1.20\x00", "go1.20"},
		{"\x00go1.22.1 X:loopvar\x00", "go1.22.1"},
		{"\x00devel go1.27-0123abcd Tue\x00", "devel go1.27-0123abcd"},
		{"/go1.21.0/", ""},
		{"@go1.21.0\x00", ""},
		{"\x00go1.\x00", ""},
		{"\x00go1.1\x00", ""},
		{"\x00go1.26.8", ""}, // cut by the end of the buffer
	}
	for _, tt := range tests {
		i := strings.Index(tt.in, "go1.")
		got, _ := parseGoVersionAt([]byte(tt.in), i)
		if got != tt.want {
			t.Errorf("parseGoVersionAt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScanRegionOverlap(t *testing.T) {
	// A pattern straddling every chunk boundary is still found.
	data := bytes.Repeat([]byte{'x'}, 3*scanChunk)
	pat := []byte("\x00runtime/cgo.")
	for _, at := range []int{0, scanChunk - 5, 2*scanChunk - len(pat) + 1, len(data) - len(pat)} {
		b := bytes.Clone(data)
		copy(b[at:], pat)
		found := false
		scanRegion(bytes.NewReader(b), 0, int64(len(b)), len(pat)-1, func(buf []byte, base int64) bool {
			if i := bytes.Index(buf, pat); i >= 0 {
				found = base+int64(i) == int64(at)
				return false
			}
			return true
		})
		if !found {
			t.Errorf("pattern at %d not found", at)
		}
	}
}

func FuzzReadGo(f *testing.F) {
	f.Add(tinyGoELF(false))
	f.Add(tinyGoELF(true))
	f.Fuzz(func(t *testing.T, b []byte) {
		ra := bytes.NewReader(b)
		readGo(ra, int64(len(b)), Options{Deps: true})
	})
}

// BenchmarkReadELFGo inspects the compiler, a big Go binary: ELF headers, build info,
// pclntab (cgo) through Read, as inspect does for every file.
func BenchmarkReadELFGo(b *testing.B) {
	matches, _ := filepath.Glob(filepath.Join(fixture.GOROOT(b), "pkg", "tool", "*", "compile"))
	if len(matches) == 0 {
		b.Skip("no compile binary under GOROOT/pkg/tool")
	}
	f, err := os.Open(matches[0])
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(st.Size())
	for b.Loop() {
		file := Read(context.Background(), f, st.Size(), Options{})
		if file.Error != "" || file.Slices[0].Go == nil {
			b.Fatalf("%s: error %q, go %v", matches[0], file.Error, file.Slices[0].Go)
		}
	}
}

// BenchmarkReadGoNoBuildInfo is the fallback path: a stripped binary without build
// info, whose version is found by scanning the read-only data.
func BenchmarkReadGoNoBuildInfo(b *testing.B) {
	path := destroyBuildInfo(b, fixture.Go(b, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}, "-ldflags=-s -w"))
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.ReportAllocs()
	b.SetBytes(st.Size())
	for b.Loop() {
		if g := readGo(f, st.Size(), Options{}); g == nil || g.Version == "" {
			b.Fatalf("go info %+v", g)
		}
	}
}

func TestGoModule(t *testing.T) {
	d := &debug.Module{Path: "a.example/x", Version: "v1.2.3", Sum: "h1:abc", Replace: &debug.Module{Path: "../x", Version: ""}}
	got := goModule(d)
	if got.Path != "a.example/x" || got.Version != "v1.2.3" || got.Sum != "h1:abc" || got.Replace == nil || got.Replace.Path != "../x" {
		t.Errorf("goModule = %+v", got)
	}
}

func TestReconcileGoOS(t *testing.T) {
	s := &Slice{OS: "linux", Notes: []string{osInferredNote}, Go: &GoInfo{Settings: map[string]string{"GOOS": "dragonfly"}}}
	reconcileGoOS(s)
	if s.OS != "dragonfly" || s.Notes[0] == osInferredNote {
		t.Errorf("os %q notes %q", s.OS, s.Notes)
	}
	// An OS the headers state is kept.
	s = &Slice{OS: "freebsd", Go: &GoInfo{Settings: map[string]string{"GOOS": "linux"}}}
	reconcileGoOS(s)
	if s.OS != "freebsd" {
		t.Errorf("os %q", s.OS)
	}
}

func eqFact(p Fact[bool], want bool) bool { return p.Is(want) }

func factString(p Fact[bool]) string {
	if !p.Known {
		return "unknown"
	}
	if p.Value {
		return "true"
	}
	return "false"
}

// TestReconcileGoOSShared: build info settles the OS where the headers name only the
// one it shares its marks with (illumos carries Solaris's OS/ABI and loader).
func TestReconcileGoOSShared(t *testing.T) {
	for _, tt := range []struct{ header, goos, want string }{
		{"solaris", "illumos", "illumos"},
		{"linux", "android", "android"},
		{"darwin", "ios", "ios"},
		{"solaris", "solaris", "solaris"},
		{"linux", "illumos", "linux"}, // not a pair the headers confuse: the headers win
		{"android", "linux", "android"},
	} {
		s := &Slice{OS: tt.header, Go: &GoInfo{Settings: map[string]string{"GOOS": tt.goos}}}
		reconcileGoOS(s)
		if s.OS != tt.want {
			t.Errorf("header %s, GOOS %s: os %q, want %q", tt.header, tt.goos, s.OS, tt.want)
		}
		if changed := tt.want != tt.header; changed != (len(s.Notes) == 1) {
			t.Errorf("header %s, GOOS %s: notes %q", tt.header, tt.goos, s.Notes)
		}
	}
}

// placeholderVersion writes a copy of the Go binary at path whose build info (Go 1.18
// and later: strings inline) carries the Go version v instead, as garble writes
// "unknown".
func placeholderVersion(t testing.TB, path, v string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("\xff Go buildinf:"))
	if i < 0 || b[i+15]&2 == 0 {
		t.Fatalf("%s: no inline build info", path)
	}
	d := b[i+32:]
	n, k := binary.Uvarint(d)
	rest := d[k+int(n):]
	m, k2 := binary.Uvarint(rest)
	rest = rest[:k2+int(m)]
	out := binary.AppendUvarint(nil, uint64(len(v)))
	out = append(append(out, v...), rest...)
	if len(out) > k+int(n)+len(rest) {
		t.Fatalf("placeholder %q longer than the version", v)
	}
	copy(d, out)
	p := filepath.Join(t.TempDir(), filepath.Base(path)+"-placeholder")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGoVersionPlaceholder: a build info whose Go version is a placeholder (garble's
// "unknown") reports no version (null) with the reason, not "unknown" as a version;
// the settings it carries still count.
func TestGoVersionPlaceholder(t *testing.T) {
	src := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"})
	_, s := inspectFixture(t, placeholderVersion(t, src, "unknown"), Options{})
	if s.Go == nil {
		t.Fatal("not recognised as Go")
	}
	if s.Go.Version != "" && !strings.HasPrefix(s.Go.Version, "go1") {
		t.Errorf("version %q: a placeholder is no version", s.Go.Version)
	}
	if s.Go.Version == "" && !strings.Contains(s.Go.Sources["version"], `"unknown"`) {
		t.Errorf("version null without the reason: sources %q", s.Go.Sources)
	}
	if s.Go.Settings["GOAMD64"] == "" {
		t.Errorf("settings lost: %q", s.Go.Settings)
	}
	for _, v := range []string{"go1.26.0", "devel go1.27-abc"} {
		if goVersionPlaceholder(v) {
			t.Errorf("%q is a version", v)
		}
	}
}

// TestGoSharedLibraryMarks: a Go -buildmode=shared library without build info and
// without a .gopclntab section of its own (the pclntab inside .data.rel.ro) is Go by
// its Go notes (.note.go.abihash, .note.go.pkg-list, .note.go.deps).
func TestGoSharedLibraryMarks(t *testing.T) {
	for _, tt := range []struct {
		note string
		want bool
	}{
		{".note.go.abihash", true},
		{".note.go.pkg-list", true},
		{".note.go.deps", true},
		{".note.gnu.prop", false}, // no Go mark at all: not searched for a pclntab
	} {
		b := tinyGoELF(false, ".data.rel.ro", tt.note)
		f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
		if f.Error != "" || len(f.Slices) != 1 {
			t.Fatalf("%s: error %q", tt.note, f.Error)
		}
		if got := f.Slices[0].Go != nil; got != tt.want {
			t.Errorf("%s: Go %v, want %v", tt.note, got, tt.want)
		}
	}
}

// TestLinkShared: a Go program built with -linkshared imports the runtime from the Go
// shared library it needs, so its pclntab cannot say whether runtime/cgo is linked:
// cgo is unknown (null with the reason), never false. The import is an undefined
// dynamic symbol runtime.*; a C program stands in for the linker's output.
func TestLinkShared(t *testing.T) {
	src := `extern void morestack(void) __asm__("runtime.morestack");
int main(int argc, char **argv) { if (argc > 5) morestack(); return 0; }
`
	lib := fixture.C(t, "gcc", "gcc", `void morestack(void) __asm__("runtime.morestack");
void morestack(void) {}
`, "-shared", "-fPIC")
	imports := fixture.C(t, "gcc", "gcc", src, "-Wl,--no-as-needed", lib)
	plain := fixture.C(t, "gcc", "gcc", "int main(void) { return 0; }\n")
	for _, tt := range []struct {
		name    string
		path    string
		libs    []Library
		unknown bool
	}{
		{"imports runtime.* from libstd.so", imports, []Library{{Name: "libstd.so"}}, true},
		// The library's name is the go command's choice (lib + its packages): any
		// library not the system's will do.
		{"imports runtime.* from libruntime,sync-atomic.so", imports, []Library{{Name: "libruntime,sync-atomic.so"}}, true},
		{"no runtime import", plain, []Library{{Name: "libstd.so"}}, false},
		{"system libraries only", imports, []Library{{Name: "libc.so.6", System: KnownFact(true)}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			s := &Slice{ra: f, Size: st.Size(), Libraries: tt.libs,
				Go: &GoInfo{Cgo: KnownFact(false), Sources: map[string]string{"cgo": "pclntab"}}}
			reconcileLinkShared(s)
			if got := !s.Go.Cgo.Known; got != tt.unknown {
				t.Errorf("cgo unknown %v (%q), want %v", got, s.Go.Sources["cgo"], tt.unknown)
			}
			if tt.unknown && (!strings.Contains(s.Go.Sources["cgo"], "-linkshared") || len(s.Notes) != 1) {
				t.Errorf("sources %q notes %q", s.Go.Sources, s.Notes)
			}
			if s.Go.LinkShared != tt.unknown {
				t.Errorf("LinkShared %v, want %v", s.Go.LinkShared, tt.unknown)
			}
			// The runtime's CPU check message is in the library: its absence here
			// infers no GOAMD64.
			s.Go.Pclntab, s.Arch = "go1.20 or later", "amd64"
			inferGOAMD64(s)
			if _, ok := s.Go.Settings["GOAMD64"]; ok == tt.unknown {
				t.Errorf("GOAMD64 inferred %v (%q), want %v", ok, s.Go.Sources["GOAMD64"], !tt.unknown)
			}
		})
	}
}
