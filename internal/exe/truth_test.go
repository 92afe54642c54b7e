package exe

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestInterpreterCutAtNUL checks that the ELF interpreter is read as the kernel reads
// it, up to its first NUL: what follows (here terminal escapes) is not part of it.
func TestInterpreterCutAtNUL(t *testing.T) {
	bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}, "-buildmode=pie")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var interp *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp = p
		}
	}
	if interp == nil || interp.Filesz < 12 {
		t.Fatal("no PT_INTERP in a PIE")
	}
	seg := b[interp.Off : interp.Off+interp.Filesz]
	copy(seg, "/lib/ld\x00\x1b[31m")
	file := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
	if got := file.Slices[0].Interpreter; got != "/lib/ld" {
		t.Errorf("interpreter %q, want /lib/ld", got)
	}
}

// TestPclntabAlignedNames checks the go1.18/1.19 pclntab layout that an external
// linker leaves: the function name table 24 bytes after the 72-byte header (Debian's
// go1.19 hugo), and every magic since Go 1.2.
func TestPclntabAlignedNames(t *testing.T) {
	for _, tc := range []struct {
		magic      uint32
		nameIdx    int
		names, cus uint64
		ok         bool
	}{
		{pcln118, 3, 72, 200, true},
		{pcln118, 3, 96, 200, true}, // aligned to 32 by the external linker
		{pcln120, 3, 96, 200, true},
		{pcln116, 2, 64, 200, true},
		{pcln118, 3, 40, 200, false},    // inside the header
		{pcln118, 3, 4096, 8192, false}, // not after the header
	} {
		b := make([]byte, 1024)
		binary.LittleEndian.PutUint32(b, tc.magic)
		b[6], b[7] = 1, 8
		binary.LittleEndian.PutUint64(b[8+8*tc.nameIdx:], tc.names)
		binary.LittleEndian.PutUint64(b[8+8*(tc.nameIdx+1):], tc.cus)
		h, ok := parsePcln(bytes.NewReader(b), 0, int64(len(b)))
		if ok != tc.ok {
			t.Errorf("magic %#x names at %d: ok %v, want %v", tc.magic, tc.names, ok, tc.ok)
			continue
		}
		if ok && (h.namesStart != int64(tc.names) || h.namesEnd != int64(tc.cus)) {
			t.Errorf("magic %#x: names [%d,%d)", tc.magic, h.namesStart, h.namesEnd)
		}
	}
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b, pcln12)
	b[6], b[7] = 1, 8
	if h, ok := parsePcln(bytes.NewReader(b), 0, 64); !ok || h.release() != "go1.2 to go1.15" {
		t.Errorf("go1.2 pclntab: %v %v", ok, h)
	}
}

// TestRealWorldGo reads Go programs nobody here built, from Debian and npm (downloaded
// by scripts/corpus.sh into the user cache): Go 1.19 with cgo and external linking,
// and recent Go CLIs shipped stripped and without build info for Windows on Arm, 386
// and macOS. Ground truth: `go version -m`, readelf -d, and esbuild's own release notes
// (0.28.2 is built with go1.26.5, whose version string it carries).
func TestRealWorldGo(t *testing.T) {
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	dir := filepath.Join(cache, "gonative", "corpus", "files")
	for _, tc := range []struct {
		file, arch, os, version string
		cgo                     Fact[bool] // unknown: do not check
		settings                bool       // build info readable
	}{
		{"deb-amd64-hugo", "amd64", "linux", "go1.19.6", KnownFact(true), true},
		{"deb-amd64-go1.19-go", "amd64", "linux", "go1.19.8", KnownFact(true), true},
		{"deb-amd64-go1.19-gofmt", "amd64", "linux", "go1.19.8", KnownFact(false), true},
		{"deb-arm64-gocryptfs", "arm64", "linux", "go1.19.8", KnownFact(true), true},
		{"deb-armhf-fzf", "arm", "linux", "go1.19.8", KnownFact(true), true},
		{"npm-esbuild-0.16.17-win32-arm64", "arm64", "windows", "go1.19.4", KnownFact(false), true},
		{"npm-esbuild-0.28.2-win32-arm64", "arm64", "windows", "go1.26.5", KnownFact(false), false},
		{"npm-esbuild-0.28.2-win32-ia32", "386", "windows", "go1.26.5", KnownFact(false), false},
		{"npm-esbuild-0.28.2-darwin-arm64", "arm64", "darwin", "go1.26.5", KnownFact(false), false},
		{"npm-esbuild-0.28.2-linux-arm", "arm", "linux", "go1.26.5", KnownFact(false), false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			if _, err := os.Stat(p); err != nil {
				t.Skipf("%s: run scripts/corpus.sh first (it downloads the real-world corpus from Debian and npm)", p)
			}
			f, err := Inspect(context.Background(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Error != "" || len(f.Slices) != 1 {
				t.Fatalf("error %q, %d slices", f.Error, len(f.Slices))
			}
			s := f.Slices[0]
			if s.Arch != tc.arch || s.OS != tc.os {
				t.Errorf("%s/%s, want %s/%s", s.OS, s.Arch, tc.os, tc.arch)
			}
			g := s.Go
			if g == nil {
				t.Fatal("not recognised as Go")
			}
			if g.Version != tc.version {
				t.Errorf("version %q (%s), want %s", g.Version, g.Sources["version"], tc.version)
			}
			if tc.cgo.Known && !eqFact(g.Cgo, tc.cgo.Value) {
				t.Errorf("cgo linked %s (%s), want %v", factString(g.Cgo), g.Sources["cgo"], tc.cgo.Value)
			}
			if g.SettingsKnown() != tc.settings {
				t.Errorf("settings known %v (%s), want %v", g.SettingsKnown(), g.Sources["settings"], tc.settings)
			}
			if !strings.HasPrefix(g.Pclntab, "go1.") {
				t.Errorf("pclntab %q", g.Pclntab)
			}
			// The old layout (magic 0xfffffff0), which TestGoEverywhere's Go 1.19
			// fixtures check for the layouts it builds.
			if strings.HasPrefix(tc.version, "go1.19") && g.Pclntab != "go1.18 or go1.19" {
				t.Errorf("pclntab %q, want go1.18 or go1.19", g.Pclntab)
			}
		})
	}
}

// TestUPXNamed checks that a UPX-packed image is named as such (unpacking is out of
// scope) and its note says the Go facts are unknown. The layout is UPX's for ELF:
// the packheader with its "UPX!" magic right after the program headers.
func TestUPXNamed(t *testing.T) {
	bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}, "-ldflags=-s -w")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:8192]
	copy(b[64+56*3:], "\x00\x00\x00\x00UPX!")
	f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
	if s := f.Slices[0]; !slicesContain(s.Notes, UPXNote) {
		t.Errorf("notes %q do not name UPX", s.Notes)
	}
}

func slicesContain(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestGoEverywhere recognises Go wherever Go runs, without build info when it is
// destroyed: Go 1.19 (Debian's golang-1.19-go, the pclntab magic 0xfffffff0) and this
// Go (0xfffffff1), internal and external linking, -s -w and strip(1), ELF, PE (386 and
// arm64) and each slice of a universal Mach-O. Go 1.19 builds one fixture per layout
// (each target costs a standard library build with that Go): PE32+ with Go 1.19 build
// info is the corpus's esbuild 0.16.17 for win32-arm64 (TestRealWorldGo), a Go 1.19.4
// windows/arm64 binary nobody here built.
func TestGoEverywhere(t *testing.T) {
	fixture.Need(t, "go", "golang-go")
	goNow := "" // the go on PATH
	go119 := fixture.Go119
	if _, err := os.Stat(go119); err != nil {
		go119 = "none"
	}
	type tc struct {
		name      string
		goBin     string
		src       string
		env       []string
		flags     []string
		strip     bool // strip(1) the output
		destroy   bool // zero the build info magic
		release   string
		cgo       bool
		universal string // GOARCH of a second slice built by this Go
	}
	tests := []tc{
		{name: "now-windows-386-s-w-no-buildinfo", goBin: goNow, src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=386", "CGO_ENABLED=0"}, flags: []string{"-ldflags=-s -w"}, destroy: true, release: "go1.20 or later"},
		{name: "now-windows-arm64-s-w-no-buildinfo", goBin: goNow, src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=arm64", "CGO_ENABLED=0"}, flags: []string{"-trimpath", "-ldflags=-s -w -buildid="}, destroy: true, release: "go1.20 or later"},
		{name: "now-linux-cgo-external-strip", goBin: goNow, src: fixture.HelloCgo, env: []string{"CGO_ENABLED=1", "GOOS=linux", "GOARCH=" + runtime.GOARCH}, flags: []string{"-ldflags=-linkmode=external"}, strip: true, destroy: true, release: "go1.20 or later", cgo: true},
		{name: "now-darwin-universal-s-w-no-buildinfo", goBin: goNow, src: fixture.Hello, env: []string{"GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=0"}, flags: []string{"-trimpath", "-ldflags=-s -w"}, destroy: true, release: "go1.20 or later", universal: "amd64"},
	}
	{
		tests = append(tests,
			tc{name: "go1.19-linux-s-w-no-buildinfo", goBin: go119, src: fixture.Hello, env: []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, flags: []string{"-ldflags=-s -w"}, destroy: true, release: "go1.18 or go1.19"},
			tc{name: "go1.19-linux-cgo-external-strip", goBin: go119, src: fixture.HelloCgo, env: []string{"CGO_ENABLED=1", "GOOS=linux", "GOARCH=" + runtime.GOARCH}, flags: []string{"-ldflags=-linkmode=external"}, strip: true, release: "go1.18 or go1.19", cgo: true},
			tc{name: "go1.19-linux-pie", goBin: go119, src: fixture.Hello, env: []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}, flags: []string{"-buildmode=pie"}, destroy: true, release: "go1.18 or go1.19"},
			tc{name: "go1.19-windows-386-s-w", goBin: go119, src: fixture.Hello, env: []string{"GOOS=windows", "GOARCH=386", "CGO_ENABLED=0"}, flags: []string{"-ldflags=-s -w"}, destroy: true, release: "go1.18 or go1.19"},
			tc{name: "go1.19-darwin-universal", goBin: go119, src: fixture.Hello, env: []string{"GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=0"}, flags: []string{"-ldflags=-s -w"}, destroy: true, release: "go1.18 or go1.19", universal: "amd64"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.goBin == "none" {
				t.Skip("no Go 1.19 at /usr/lib/go-1.19/bin/go: install the Debian package golang-1.19-go")
			}
			env := tt.env
			if tt.cgo {
				// Build for the C compiler's own architecture: under qemu (the arm64
				// pass) the test binary is arm64 but gcc still makes x86-64 code.
				gcc := fixture.Need(t, "gcc", "gcc")
				out, err := exec.Command(gcc, "-dumpmachine").Output()
				if err != nil {
					t.Fatalf("gcc -dumpmachine: %v", err)
				}
				arch := map[string]string{"x86_64": "amd64", "aarch64": "arm64"}[strings.SplitN(string(out), "-", 2)[0]]
				if arch == "" {
					t.Skipf("gcc targets %s, which this test does not build for", strings.TrimSpace(string(out)))
				}
				env = append(slices.Clone(env), "GOARCH="+arch)
			}
			path := fixture.GoWith(t, tt.goBin, tt.src, env, tt.flags...)
			if tt.strip {
				strip := fixture.Need(t, "strip", "binutils")
				if b, err := exec.Command(strip, path).CombinedOutput(); err != nil {
					t.Fatalf("strip: %v\n%s", err, b)
				}
			}
			if tt.destroy {
				path = destroyBuildInfo(t, path)
			}
			if tt.universal != "" {
				other := fixture.GoWith(t, goNow, fixture.Hello, []string{"GOOS=darwin", "GOARCH=" + tt.universal, "CGO_ENABLED=0"}, "-trimpath", "-ldflags=-s -w")
				path = makeUniversal(t, path, other)
			}
			f, err := Inspect(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range f.Slices {
				if s.Error != "" {
					t.Fatalf("slice %d: %s", i, s.Error)
				}
				g := s.Go
				if g == nil {
					t.Fatalf("slice %d (%s/%s): not recognised as Go", i, s.OS, s.Arch)
				}
				if i == 0 && g.Pclntab != tt.release {
					t.Errorf("pclntab %q, want %q", g.Pclntab, tt.release)
				}
				if !eqFact(g.Cgo, tt.cgo && i == 0) {
					t.Errorf("slice %d: cgo %s (%s), want %v", i, factString(g.Cgo), g.Sources["cgo"], tt.cgo)
				}
				if g.Version == "" {
					t.Errorf("slice %d: version unknown: %s", i, g.Sources["version"])
				}
				if tt.destroy && i == 0 && g.SettingsKnown() {
					t.Errorf("settings known without build info")
				}
			}
			if tt.strip && !f.Slices[0].Stripped.Is(true) {
				t.Errorf("stripped %s", factString(f.Slices[0].Stripped))
			}
		})
	}
}

// makeUniversal writes a universal file of the thin Mach-O files a and b (4 KiB
// aligned is enough for reading).
func makeUniversal(t *testing.T, a, b string) string {
	t.Helper()
	var ins [][]byte
	for _, p := range []string{a, b} {
		d, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, d)
	}
	hdr := make([]byte, 8+20*len(ins))
	binary.BigEndian.PutUint32(hdr, fatMagic)
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(ins)))
	out := append([]byte{}, hdr...)
	for i, d := range ins {
		for len(out)%16384 != 0 {
			out = append(out, 0)
		}
		e := hdr[8+20*i:]
		copy(e, d[4:12]) // cputype, cpusubtype (little-endian in the slice)
		binary.BigEndian.PutUint32(e, binary.LittleEndian.Uint32(d[4:]))
		binary.BigEndian.PutUint32(e[4:], binary.LittleEndian.Uint32(d[8:]))
		binary.BigEndian.PutUint32(e[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(e[12:], uint32(len(d)))
		binary.BigEndian.PutUint32(e[16:], 14)
		out = append(out, d...)
	}
	copy(out, hdr)
	p := filepath.Join(t.TempDir(), "universal")
	if err := os.WriteFile(p, out, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInferGOAMD64 checks that a Go binary without build info gets its GOAMD64 from
// the runtime's start-up CPU check message, which only v2 and higher carry.
func TestInferGOAMD64(t *testing.T) {
	for _, level := range []string{"v1", "v3"} {
		t.Run(level, func(t *testing.T) {
			bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=" + level}, "-trimpath", "-ldflags=-s -w")
			bin = destroyBuildInfo(t, bin)
			f, err := Inspect(context.Background(), bin, Options{})
			if err != nil {
				t.Fatal(err)
			}
			g := f.Slices[0].Go
			if g == nil || g.SettingsKnown() || !g.SettingKnown("GOAMD64") || g.Settings["GOAMD64"] != level {
				t.Fatalf("go %+v, want GOAMD64=%s from strings", g, level)
			}
			if !strings.HasPrefix(g.Sources["GOAMD64"], "strings: ") {
				t.Errorf("source %q", g.Sources["GOAMD64"])
			}
		})
	}
}

// TestInferGOARM64LSE checks that an arm64 Go binary without build info built for LSE
// is known to require it, and that without LSE its GOARM64 stays unknown.
func TestInferGOARM64LSE(t *testing.T) {
	for _, tc := range []struct {
		level string
		known bool
	}{{"v8.1", true}, {"v8.0", false}} {
		bin := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=" + tc.level}, "-trimpath", "-ldflags=-s -w")
		bin = destroyBuildInfo(t, bin)
		f, err := Inspect(context.Background(), bin, Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := f.Slices[0].Go
		if g == nil || g.SettingKnown("GOARM64") != tc.known || tc.known && g.Settings["GOARM64"] != "v8.1" {
			t.Errorf("GOARM64=%s: known %v, settings %v", tc.level, g.SettingKnown("GOARM64"), g.Settings)
		}
	}
}

// TestWhy checks that the reason of an unknown reads without the "unknown: " that
// the JSON contract puts before it, and that other sources read as written.
func TestWhy(t *testing.T) {
	g := &GoInfo{Sources: map[string]string{"cgo": "unknown: no pclntab found", "settings": "none: no build info in the binary", "version": "buildinfo"}}
	for _, tt := range []struct{ fact, want string }{
		{"cgo", "no pclntab found"},
		{"settings", "none: no build info in the binary"},
		{"version", "buildinfo"},
		{"missing", ""},
	} {
		if got := g.Why(tt.fact); got != tt.want {
			t.Errorf("Why(%q) = %q, want %q", tt.fact, got, tt.want)
		}
	}
	if got := (&Signature{Problem: "unknown: the load commands could not be read"}).Why(); got != "the load commands could not be read" {
		t.Errorf("Signature.Why = %q", got)
	}
	if got := (&Signature{Problem: "page 3 hash mismatch"}).Why(); got != "page 3 hash mismatch" {
		t.Errorf("Signature.Why = %q", got)
	}
}

// TestGoFacts checks the typed reading of the Go info's cgo and version facts: known
// with their value, or unknown with the reason the sources give.
func TestGoFacts(t *testing.T) {
	known := &GoInfo{Version: "go1.26.8", Cgo: KnownFact(false), Sources: map[string]string{"cgo": "pclntab", "version": "buildinfo"}}
	if c, v := known.CgoLinked(), known.GoVersion(); c != KnownFact(false) || v != KnownFact("go1.26.8") {
		t.Errorf("known: cgo %+v, version %+v", c, v)
	}
	unknown := &GoInfo{Sources: map[string]string{"cgo": "unknown: no pclntab found", "version": "unknown: no build info and no pclntab"}}
	if c, v := unknown.CgoLinked(), unknown.GoVersion(); c != UnknownFact[bool]("no pclntab found") || v != UnknownFact[string]("no build info and no pclntab") {
		t.Errorf("unknown: cgo %+v, version %+v", c, v)
	}
}

// TestSignatureValidity checks the typed reading of a signature's validity.
func TestSignatureValidity(t *testing.T) {
	for _, tt := range []struct {
		sig  Signature
		want Fact[bool]
	}{
		{Signature{Present: true, Valid: KnownFact(true)}, KnownFact(true)},
		{Signature{Present: true, Valid: KnownFact(false), Problem: "page 3 hash mismatch"}, KnownFact(false)},
		{Signature{Present: true, Problem: "unsupported CodeDirectory hash type 9"}, UnknownFact[bool]("unsupported CodeDirectory hash type 9")},
		{Signature{Problem: "unknown: the load commands could not be read"}, UnknownFact[bool]("the load commands could not be read")},
	} {
		if got := tt.sig.Validity(); got != tt.want {
			t.Errorf("%+v: Validity = %+v, want %+v", tt.sig, got, tt.want)
		}
	}
}
