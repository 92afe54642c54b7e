package exe

import (
	"bytes"
	"context"
	"debug/macho"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// darwinHello builds fixture.Hello for darwin/goarch with -trimpath (as the vet stage
// and gonative build compile the standard library: one cold compile for all) and extra
// build flags.
func darwinHello(t testing.TB, goarch string, flags ...string) string {
	t.Helper()
	return fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=" + goarch}, append([]string{"-trimpath"}, flags...)...)
}

func readTestFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTestFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func inspectTestFile(t testing.TB, path string) *File {
	t.Helper()
	f, err := Inspect(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Inspect(%s): %v", path, err)
	}
	return f
}

func libNames(s Slice) []string {
	var names []string
	for _, l := range s.Libraries {
		names = append(names, l.Name)
	}
	return names
}

// TestMachOGo inspects real Go binaries for darwin, end to end through Inspect.
func TestMachOGo(t *testing.T) {
	tests := []struct {
		name, goarch string
		flags        []string
		cpu          string
		stripped     bool
		signed       bool
	}{
		{name: "arm64", goarch: "arm64", cpu: "arm64", signed: true},
		// Go's linker signs only darwin/arm64 (cmd/link/internal/ld/lib.go NeedCodeSign).
		{name: "amd64", goarch: "amd64", cpu: "x86_64", signed: false},
		{name: "arm64-stripped", goarch: "arm64", flags: []string{"-ldflags=-s -w"}, cpu: "arm64", stripped: true, signed: true},
		{name: "amd64-stripped", goarch: "amd64", flags: []string{"-ldflags=-s -w"}, cpu: "x86_64", stripped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := darwinHello(t, tt.goarch, tt.flags...)
			f := inspectTestFile(t, path)
			if f.Format != FormatMachO || f.Kind != KindExecutable || f.Error != "" || len(f.Slices) != 1 {
				t.Fatalf("got format %q kind %q error %q, %d slices", f.Format, f.Kind, f.Error, len(f.Slices))
			}
			s := f.Slices[0]
			want := Slice{Arch: tt.goarch, CPU: tt.cpu, Bits: 64, ByteOrder: "little", OS: "darwin", Kind: KindExecutable,
				MinOS: s.MinOS, PIE: KnownFact(true), Stripped: KnownFact(tt.stripped), Interpreter: "/usr/lib/dyld", Size: f.Size}
			got := s
			got.Libraries, got.Signature, got.Go, got.Notes, got.ra = nil, nil, nil, nil, nil
			if got.Arch != want.Arch || got.CPU != want.CPU || got.Bits != want.Bits || got.ByteOrder != want.ByteOrder ||
				got.OS != want.OS || got.Kind != want.Kind || got.PIE.Is(true) != want.PIE.Is(true) || got.Stripped.Is(true) != want.Stripped.Is(true) ||
				got.Interpreter != want.Interpreter || got.Size != want.Size || got.Offset != 0 || got.Static || got.Error != "" {
				t.Errorf("slice = %+v\nwant    %+v", got, want)
			}
			// Go 1.26's linker writes minos 12.0 and Go 1.27's 13.0 (release notes); both
			// are "major.0".
			if !strings.HasSuffix(s.MinOS, ".0") || s.SDK == "" {
				t.Errorf("MinOS %q SDK %q", s.MinOS, s.SDK)
			}
			if libs := libNames(s); !slices.Contains(libs, "/usr/lib/libSystem.B.dylib") {
				t.Errorf("libraries %v lack libSystem", libs)
			}
			for _, l := range s.Libraries {
				if !l.IsSystem() || l.Weak {
					t.Errorf("library %+v: want system, not weak", l)
				}
			}
			sig := s.Signature
			if sig == nil {
				t.Fatal("no Signature")
			}
			if !tt.signed {
				if sig.Present || sig.Valid.Is(true) || sig.Problem != "no LC_CODE_SIGNATURE" {
					t.Errorf("signature = %+v, want absent", sig)
				}
				return
			}
			// What cmd/internal/codesign writes: ad hoc, linker-signed, identifier "a.out"
			// (go build links to a temporary a.out), SHA-256 over 4 KiB pages.
			wantSig := Signature{Present: true, AdHoc: true, LinkerSigned: true, Identifier: "a.out", Valid: KnownFact(true),
				HashType: "sha256", PageSize: 4096, Pages: sig.Pages}
			if !sigEqual(*sig, wantSig) {
				t.Errorf("signature = %+v\nwant        %+v", *sig, wantSig)
			}
			if sig.Pages < 100 {
				t.Errorf("only %d pages hashed", sig.Pages)
			}
		})
	}
}

// TestMachOEdited flips one byte of __text in a signed binary: the signature must fail
// and name the page, and truncated copies must give errors without panicking.
func TestMachOEdited(t *testing.T) {
	path := darwinHello(t, "arm64")
	orig := readTestFile(t, path)
	mf, err := macho.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	text := mf.Section("__text")
	if text == nil {
		t.Fatal("no __text")
	}
	at := int64(text.Offset) + int64(text.Size)/2
	edited := bytes.Clone(orig)
	edited[at] ^= 0xff
	f := inspectTestFile(t, writeTestFile(t, "edited", edited))
	sig := f.Slices[0].Signature
	wantPage := at / 4096
	if sig == nil || !sig.Present || sig.Valid.Is(true) || !strings.Contains(sig.Problem, "page "+strconv.FormatInt(wantPage, 10)+" ") {
		t.Errorf("edited binary: signature %+v, want invalid at page %d", sig, wantPage)
	}
	// An edit of the last (partial) page is caught too.
	var cs int64
	for _, l := range mf.Loads {
		if raw := l.Raw(); binary.LittleEndian.Uint32(raw) == lcCodeSignature {
			cs = int64(binary.LittleEndian.Uint32(raw[8:]))
		}
	}
	edited = bytes.Clone(orig)
	edited[cs-1] ^= 1
	sig = inspectTestFile(t, writeTestFile(t, "edited-last", edited)).Slices[0].Signature
	if sig.Valid.Is(true) || !strings.Contains(sig.Problem, "page "+strconv.FormatInt((cs-1)/4096, 10)+" ") {
		t.Errorf("last page edited: signature %+v", sig)
	}
	// Bytes after the signature are not covered by it.
	sig = inspectTestFile(t, writeTestFile(t, "appended", append(bytes.Clone(orig), "appended"...))).Slices[0].Signature
	if !sig.Valid.Is(true) {
		t.Errorf("appended data: signature %+v, want valid", sig)
	}

	for _, n := range []int64{0, 4, 27, 31, 32, 100, 4096, cs - 1, cs, cs + 100, int64(len(orig)) - 1} {
		f := inspectTestFile(t, writeTestFile(t, "truncated", orig[:n]))
		switch {
		case n < 4:
			if f.Format != FormatUnknown {
				t.Errorf("%d bytes: format %q", n, f.Format)
			}
		case n <= cs:
			if f.Error == "" && (f.Slices[0].Signature == nil || f.Slices[0].Signature.Valid.Is(true)) {
				t.Errorf("%d bytes: no error and signature %+v", n, f.Slices[0].Signature)
			}
		default:
			if f.Slices[0].Signature.Valid.Is(true) {
				t.Errorf("%d bytes (signature truncated): signature valid", n)
			}
		}
		if errors.Is(f.Err, ErrInternal) {
			t.Errorf("%d bytes: %s", n, f.Error)
		}
	}
}

// TestMachOLLVMResign checks signatures written by another signer than Go's linker:
// LLVM's llvm-strip and llvm-install-name-tool re-sign ad hoc what they edit
// (llvm/lib/ObjCopy/MachO, CodeSignatureSection), naming the output file.
func TestMachOLLVMResign(t *testing.T) {
	path := darwinHello(t, "arm64")
	dir := t.TempDir()
	stripped := filepath.Join(dir, "stripped")
	if b, err := exec.Command(fixture.NeedLLVM(t, "llvm-strip"), path, "-o", stripped).CombinedOutput(); err != nil {
		t.Fatalf("llvm-strip: %v\n%s", err, b)
	}
	s := inspectTestFile(t, stripped).Slices[0]
	if !s.Stripped.Is(true) || s.Signature == nil || !s.Signature.Valid.Is(true) || s.Signature.Identifier != "stripped" || !s.Signature.AdHoc {
		t.Errorf("llvm-strip: stripped %v signature %+v", s.Stripped.Is(true), s.Signature)
	}
	rpath := filepath.Join(dir, "rpath")
	if err := os.WriteFile(rpath, readTestFile(t, path), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(fixture.NeedLLVM(t, "llvm-install-name-tool"), "-add_rpath", "/opt/example/lib", rpath).CombinedOutput(); err != nil {
		t.Fatalf("llvm-install-name-tool: %v\n%s", err, b)
	}
	s = inspectTestFile(t, rpath).Slices[0]
	if s.Stripped.Is(true) || s.Signature == nil || !s.Signature.Valid.Is(true) {
		t.Errorf("llvm-install-name-tool: stripped %v signature %+v", s.Stripped.Is(true), s.Signature)
	}
}

// TestMachOGoroot reads the Mach-O files of Go's own debug/macho tests.
func TestMachOGoroot(t *testing.T) {
	goBin := fixture.Need(t, "go", "golang-go")
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "src", "debug", "macho", "testdata")
	want := map[string]struct {
		format   Format
		archs    []string
		kind     Kind
		stripped bool
	}{
		"clang-386-darwin-exec-with-rpath":     {FormatMachO, []string{"386"}, KindExecutable, false},
		"clang-386-darwin.obj":                 {FormatMachO, []string{"386"}, KindObject, false},
		"clang-amd64-darwin-exec-with-rpath":   {FormatMachO, []string{"amd64"}, KindExecutable, false},
		"clang-amd64-darwin-ld-r.obj":          {FormatMachO, []string{"amd64"}, KindObject, false},
		"clang-amd64-darwin.obj":               {FormatMachO, []string{"amd64"}, KindObject, false},
		"fat-gcc-386-amd64-darwin-exec":        {FormatMachOFat, []string{"386", "amd64"}, KindExecutable, false},
		"gcc-386-darwin-exec":                  {FormatMachO, []string{"386"}, KindExecutable, false},
		"gcc-amd64-darwin-exec":                {FormatMachO, []string{"amd64"}, KindExecutable, false},
		"gcc-amd64-darwin-exec-debug":          {FormatMachO, []string{"amd64"}, KindOther, true}, // MH_DSYM
		"gcc-amd64-darwin-exec-with-bad-dysym": {FormatMachO, []string{"amd64"}, KindExecutable, false},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("no %s: %v", dir, err)
	}
	seen := 0
	for _, e := range entries {
		name := e.Name()
		b := readTestFile(t, filepath.Join(dir, name))
		if base, ok := strings.CutSuffix(name, ".base64"); ok {
			name = base
			if b, err = base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(b), nil))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		w, ok := want[name]
		if !ok {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
			var archs []string
			for _, s := range f.Slices {
				archs = append(archs, s.Arch)
				if s.Stripped.Is(true) != w.stripped {
					t.Errorf("stripped %v, want %v", s.Stripped.Is(true), w.stripped)
				}
				if s.Kind != w.kind {
					t.Errorf("kind %q, want %q", s.Kind, w.kind)
				}
				if s.Signature == nil || s.Signature.Present {
					t.Errorf("signature %+v, want absent", s.Signature)
				}
			}
			if f.Format != w.format || !slices.Equal(archs, w.archs) || errors.Is(f.Err, ErrInternal) {
				t.Errorf("format %q archs %v error %q; want %q %v", f.Format, archs, f.Error, w.format, w.archs)
			}
		})
	}
	if seen == 0 {
		t.Errorf("no known files in %s", dir)
	}
	// The race detector's runtime for darwin/arm64, built by Apple's clang.
	race := filepath.Join(strings.TrimSpace(string(out)), "src", "runtime", "race", "race_darwin_arm64.syso")
	if _, err := os.Stat(race); err == nil {
		s := inspectTestFile(t, race).Slices[0]
		if s.Arch != "arm64" || s.Kind != KindObject || s.OS != "darwin" || s.MinOS == "" || s.Error != "" {
			t.Errorf("%s: %+v", race, s)
		}
	}
}

// machoFile builds a little-endian 64-bit Mach-O header with the given load commands.
func machoFile(cpu, sub, filetype, flags uint32, cmds ...[]byte) []byte {
	var body []byte
	for _, c := range cmds {
		body = append(body, c...)
	}
	h := make([]byte, 32)
	le := binary.LittleEndian
	le.PutUint32(h, mhMagic64)
	le.PutUint32(h[4:], cpu)
	le.PutUint32(h[8:], sub)
	le.PutUint32(h[12:], filetype)
	le.PutUint32(h[16:], uint32(len(cmds)))
	le.PutUint32(h[20:], uint32(len(body)))
	le.PutUint32(h[24:], flags)
	return append(h, body...)
}

// loadCmd builds a load command: cmd, cmdsize, the 32-bit words, then str
// NUL-terminated and padded to 8 bytes.
func loadCmd(cmd uint32, str string, words ...uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, cmd)
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	if str != "" {
		b = append(b, str...)
		b = append(b, 0)
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	return b
}

// dylibCmd builds a dylib_command (name offset 24).
func dylibCmd(cmd uint32, name string) []byte { return loadCmd(cmd, name, 24, 2, 0x10000, 0x10000) }

// TestMachOHandMade checks load commands Go's linker does not write.
func TestMachOHandMade(t *testing.T) {
	v := func(x, y, z uint32) uint32 { return x<<16 | y<<8 | z }
	tests := []struct {
		name  string
		file  []byte
		check func(t *testing.T, s Slice)
	}{
		{"ios-dylib-weak", machoFile(cpuTypeARM64, 2|0x80000000, mhDylib, 0,
			loadCmd(lcBuildVersion, "", 2, v(17, 4, 1), v(18, 0, 0), 0),
			dylibCmd(lcLoadDylib, "/System/Library/Frameworks/UIKit.framework/UIKit"),
			dylibCmd(lcLoadWeakDylib, "@rpath/libfoo.dylib"),
			dylibCmd(lcReexportDylib, "/opt/homebrew/lib/libbar.dylib"),
			dylibCmd(lcLazyLoadDylib, "/usr/lib/liblazy.dylib"),
			loadCmd(lcSymtab, "", 0, 0, 0, 0)),
			func(t *testing.T, s Slice) {
				if s.Arch != "arm64" || s.CPU != "arm64e" || s.OS != "ios" || s.MinOS != "17.4.1" || s.SDK != "18.0" ||
					s.Kind != KindSharedLib || s.PIE.Is(true) || !s.Stripped.Is(true) || s.Static || s.Interpreter != "" {
					t.Errorf("%+v", s)
				}
				want := []Library{
					{Name: "/System/Library/Frameworks/UIKit.framework/UIKit", System: KnownFact(true)},
					{Name: "@rpath/libfoo.dylib", Weak: true, System: KnownFact(false)},
					{Name: "/opt/homebrew/lib/libbar.dylib", System: KnownFact(false)},
					{Name: "/usr/lib/liblazy.dylib", System: KnownFact(true)},
				}
				same := func(a, b Library) bool {
					return a.Name == b.Name && a.Weak == b.Weak && a.IsSystem() == b.IsSystem() && a.NotSystem() == b.NotSystem()
				}
				if !slices.EqualFunc(s.Libraries, want, same) {
					t.Errorf("libraries %+v", s.Libraries)
				}
			}},
		{"catalyst", machoFile(cpuTypeX86_64, 8, mhExecute, mhPIE, loadCmd(lcBuildVersion, "", 6, v(14, 0, 0), v(17, 0, 0), 0)),
			func(t *testing.T, s Slice) {
				if s.OS != "ios" || s.CPU != "x86_64h" || len(s.Notes) == 0 || !s.Static || !s.PIE.Is(true) {
					t.Errorf("%+v", s)
				}
			}},
		{"version-min-macosx", machoFile(cpuTypeX86_64, 3, mhBundle, 0, loadCmd(lcVersionMinMacOSX, "", v(10, 13, 0), v(10, 14, 0)),
			loadCmd(lcLoadDylinker, "/usr/lib/dyld", 12)),
			func(t *testing.T, s Slice) {
				if s.OS != "darwin" || s.MinOS != "10.13" || s.SDK != "10.14" || s.Kind != KindBundle || s.Static || s.Interpreter != "/usr/lib/dyld" {
					t.Errorf("%+v", s)
				}
			}},
		{"no-platform", machoFile(cpuTypeARM64, 0, mhExecute, 0),
			func(t *testing.T, s Slice) {
				if s.OS != "darwin" || len(s.Notes) != 1 || s.MinOS != "" || !s.Stripped.Is(true) || s.Signature.Present {
					t.Errorf("%+v", s)
				}
			}},
		{"visionos-sim", machoFile(cpuTypeARM64, 0, mhExecute, 0, loadCmd(lcBuildVersion, "", 12, v(1, 0, 0), v(1, 0, 0), 0)),
			func(t *testing.T, s Slice) {
				if s.OS != "visionos" || len(s.Notes) != 1 {
					t.Errorf("%+v", s)
				}
			}},
		{"unknown-cpu-core", machoFile(99, 1, mhCore, 0),
			func(t *testing.T, s Slice) {
				if s.Arch != "unknown" || s.CPU != "cputype(99,1)" || s.Kind != KindCore || s.Error != "" {
					t.Errorf("%+v", s)
				}
			}},
		{"huge-ncmds", func() []byte {
			b := machoFile(cpuTypeARM64, 0, mhExecute, 0, loadCmd(lcSymtab, "", 0, 1, 0, 0))
			binary.LittleEndian.PutUint32(b[16:], 0xffffffff)
			return b
		}(), func(t *testing.T, s Slice) {
			if s.Error == "" || s.Arch != "arm64" {
				t.Errorf("%+v", s)
			}
		}},
		{"huge-sizeofcmds", func() []byte {
			b := machoFile(cpuTypeARM64, 0, mhExecute, 0)
			binary.LittleEndian.PutUint32(b[20:], 0xfffffff0)
			return b
		}(), func(t *testing.T, s Slice) {
			if !strings.Contains(s.Error, "past the end") {
				t.Errorf("%+v", s)
			}
		}},
		{"bad-cmdsize", func() []byte {
			b := machoFile(cpuTypeARM64, 0, mhExecute, 0, loadCmd(lcSymtab, "", 0, 1, 0, 0))
			binary.LittleEndian.PutUint32(b[36:], 4)
			return b
		}(), func(t *testing.T, s Slice) {
			if !strings.Contains(s.Error, "bad size 4") {
				t.Errorf("%+v", s)
			}
		}},
		{"bad-dylib-name", machoFile(cpuTypeARM64, 0, mhExecute, 0, loadCmd(lcLoadDylib, "", 4000, 0, 0, 0)),
			func(t *testing.T, s Slice) {
				if len(s.Libraries) != 0 || len(s.Notes) == 0 {
					t.Errorf("%+v", s)
				}
			}},
		{"many-dylibs", func() []byte {
			var cmds [][]byte
			for range maxLibraries + 10 {
				cmds = append(cmds, dylibCmd(lcLoadDylib, "/usr/lib/libx.dylib"))
			}
			return machoFile(cpuTypeARM64, 0, mhExecute, 0, cmds...)
		}(), func(t *testing.T, s Slice) {
			if len(s.Libraries) != maxLibraries || !slices.Contains(s.Notes, "10 more libraries are not listed") {
				t.Errorf("%d libraries, notes %q", len(s.Libraries), s.Notes)
			}
		}},
		{"ppc-big-endian-32", func() []byte {
			b := make([]byte, 28)
			binary.BigEndian.PutUint32(b, mhMagic)
			binary.BigEndian.PutUint32(b[4:], cpuTypePPC)
			binary.BigEndian.PutUint32(b[12:], mhExecute)
			return b
		}(), func(t *testing.T, s Slice) {
			if s.Arch != "ppc" || s.Bits != 32 || s.ByteOrder != "big" || s.Error != "" {
				t.Errorf("%+v", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := readMachO(bytes.NewReader(tt.file), int64(len(tt.file)))
			tt.check(t, s)
		})
	}
}

// BenchmarkReadMachO reads a real darwin/arm64 Go binary from disk, verifying every
// code page hash of its signature (so MB/s is the hashing rate over the file).
func BenchmarkReadMachO(b *testing.B) {
	path := darwinHello(b, "arm64")
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		s := readMachO(f, st.Size())
		if s.Error != "" || !s.Signature.Valid.Is(true) {
			b.Fatalf("%s %+v", s.Error, s.Signature)
		}
	}
}
