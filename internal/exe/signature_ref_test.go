package exe_test

import (
	"context"
	"debug/macho"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// Independent references for the code-signature checker: signatures made by tools
// other than the tests' own signer (signature_test.go). The Go linker ad-hoc signs
// every darwin/arm64 executable it links internally (cmd/link/internal/ld/macho.go,
// machoCodeSign, with cmd/internal/codesign: SHA-256, 4 KiB pages, identifier "a.out",
// flags adhoc|linker-signed); LLVM's llvm-objcopy and llvm-strip (Debian: llvm) rewrite
// an arm64 Mach-O and sign it again, with the output's name as identifier.
//
// Not covered here, because no tool on a Linux machine makes them: c-shared and
// c-archive builds for darwin (they need cgo and Apple's linker, which signs them
// itself), rcodesign or ldid re-signing (in neither Debian nor npm), and Developer ID
// (CMS) signatures, which come with the real-world corpus.

// bigSrc is a program whose data is size bytes, so its signature covers many pages.
func bigSrc(size string) string {
	return `package main

import "fmt"

var blob = [` + size + `]byte{1, 2, 3}

func main() { fmt.Println(blob[len(blob)-1], blob[0]) }
`
}

// codeLimit reads LC_CODE_SIGNATURE's dataoff with debug/macho: the signature
// covers the file up to it, in 4 KiB pages.
func codeLimit(t *testing.T, path string) (off, size uint32) {
	t.Helper()
	f, err := macho.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) >= 16 && f.ByteOrder.Uint32(raw) == 0x1d { // LC_CODE_SIGNATURE
			return f.ByteOrder.Uint32(raw[8:]), f.ByteOrder.Uint32(raw[12:])
		}
	}
	return 0, 0
}

func inspectSlice(t *testing.T, path string) *exe.Slice {
	t.Helper()
	f, err := exe.Inspect(context.Background(), path, exe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Error != "" || len(f.Slices) != 1 {
		t.Fatalf("%s: error %q, %d slices", path, f.Error, len(f.Slices))
	}
	return &f.Slices[0]
}

// wantValid checks a signature made by another tool: valid, ad hoc, SHA-256 over
// 4 KiB pages, every page up to LC_CODE_SIGNATURE's dataoff hashed.
func wantValid(t *testing.T, path, ident string) *exe.Signature {
	t.Helper()
	s := inspectSlice(t, path).Signature
	if s == nil {
		t.Fatalf("%s: no signature reported", path)
	}
	if !s.Present || !isTrue(s.Valid) || !s.AdHoc || s.HashType != "sha256" || s.PageSize != 4096 || s.Identifier != ident {
		t.Errorf("%s: signature %+v, want present, valid, ad hoc, sha256, 4096-byte pages, identifier %q", path, *s, ident)
	}
	off, _ := codeLimit(t, path)
	if want := int((off + 4095) / 4096); s.Pages != want {
		t.Errorf("%s: %d pages checked, want %d (dataoff %d)", path, s.Pages, want, off)
	}
	return s
}

// wantBroken edits one byte at off in a copy of path: the checker must fail the
// signature and say which page.
func wantBroken(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x5a
	edited := filepath.Join(t.TempDir(), "edited")
	if err := os.WriteFile(edited, b, 0o755); err != nil {
		t.Fatal(err)
	}
	s := inspectSlice(t, edited).Signature
	if s == nil || !s.Present || !isFalse(s.Valid) {
		t.Fatalf("one byte changed at %d: signature %+v, want present and not valid", off, s)
	}
	if !strings.Contains(s.Problem, "page") {
		t.Errorf("one byte changed at %d: problem %q does not name the page", off, s.Problem)
	}
}

func TestSignatureGoLinker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		src   string
		flags []string
	}{
		{"default", fixture.Hello, nil},
		{"stripped -s -w", fixture.Hello, []string{"-ldflags=-s -w"}},
		{"no build id", fixture.Hello, []string{"-ldflags=-buildid="}},
		{"internal linking forced", fixture.Hello, []string{"-ldflags=-linkmode=internal"}},
		// Code page counts on both sides of the checker's batch of 4096 hashes.
		{"5 MiB of data", bigSrc("5 << 20"), []string{"-ldflags=-s -w"}},
		{"17 MiB of data", bigSrc("17 << 20"), []string{"-ldflags=-s -w"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := fixture.Go(t, tt.src, []string{"GOOS=darwin", "GOARCH=arm64"}, append([]string{"-trimpath"}, tt.flags...)...)
			s := wantValid(t, path, "a.out")
			if !s.LinkerSigned {
				t.Errorf("the Go linker's signature is not flagged linker-signed: %+v", *s)
			}
			off, _ := codeLimit(t, path)
			wantBroken(t, path, 4096+100)          // in __TEXT, the second page
			wantBroken(t, path, int64(off)-1)      // the last byte the signature covers
			wantBroken(t, path, int64(off/2)&^7+3) // somewhere in the middle
			if strings.Contains(tt.name, "17 MiB") && s.Pages <= 4096 {
				t.Errorf("%d pages: the big fixture no longer crosses 4096 pages", s.Pages)
			}
		})
	}
}

// The Go linker signs only arm64: darwin/amd64 executables carry no signature, and
// the checker must not invent one.
func TestSignatureGoLinkerAMD64Unsigned(t *testing.T) {
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"}, "-trimpath")
	if off, _ := codeLimit(t, path); off != 0 {
		t.Skipf("this Go's linker signs darwin/amd64 (LC_CODE_SIGNATURE at %d): update the test", off)
	}
	s := inspectSlice(t, path).Signature
	if s == nil || s.Present || isTrue(s.Valid) {
		t.Errorf("unsigned darwin/amd64: signature %+v, want absent and not valid", s)
	}
}

// Cutting the signature off (the file ends where LC_CODE_SIGNATURE's data begins)
// leaves a load command pointing past the end: not valid.
func TestSignatureTruncated(t *testing.T) {
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath", "-ldflags=-s -w")
	off, _ := codeLimit(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut")
	os.WriteFile(cut, b[:off], 0o755)
	f, err := exe.Inspect(context.Background(), cut, exe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Slices {
		if s.Signature != nil && isTrue(s.Signature.Valid) {
			t.Errorf("signature cut off: %+v, want not valid", *s.Signature)
		}
	}
}

// llvm-objcopy and llvm-strip re-sign what they rewrite: the checker must accept
// their signatures (a fresh CodeDirectory, the output's name as identifier) and catch
// an edit made after them.
func TestSignatureLLVMResign(t *testing.T) {
	src := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	for _, tt := range []struct {
		tool string
		args []string
	}{
		{"llvm-objcopy", nil},
		{"llvm-strip", nil},
		{"llvm-objcopy", []string{"--remove-section=__DWARF,__debug_line"}},
		{"llvm-strip", []string{"--strip-all"}},
	} {
		name := strings.Join(append([]string{tt.tool}, tt.args...), " ")
		t.Run(name, func(t *testing.T) {
			tool := fixture.NeedLLVM(t, tt.tool)
			out := filepath.Join(t.TempDir(), "resigned-"+strings.TrimPrefix(tt.tool, "llvm-"))
			args := append(append([]string{}, tt.args...), src)
			if tt.tool == "llvm-strip" {
				args = append(args, "-o", out)
			} else {
				args = append(args, out)
			}
			if b, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, b)
			}
			orig, _ := os.ReadFile(src)
			now, _ := os.ReadFile(out)
			if string(orig) == string(now) {
				t.Fatalf("%s changed nothing", name)
			}
			wantValid(t, out, filepath.Base(out))
			off, _ := codeLimit(t, out)
			wantBroken(t, out, 4096+200)
			wantBroken(t, out, int64(off)-1)
		})
	}
}

// A universal file made by llvm-lipo from the Go linker's arm64 slice keeps the
// slice's signature valid: its offsets are relative to the slice, not the file.
func TestSignatureInUniversal(t *testing.T) {
	lipo := fixture.NeedLLVM(t, "llvm-lipo")
	arm := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	intel := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"}, "-trimpath")
	fat := filepath.Join(t.TempDir(), "fat")
	if b, err := exec.Command(lipo, "-create", "-output", fat, intel, arm).CombinedOutput(); err != nil {
		t.Fatalf("llvm-lipo: %v\n%s", err, b)
	}
	f, err := exe.Inspect(context.Background(), fat, exe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Slices) != 2 {
		t.Fatalf("%d slices, want 2 (error %q)", len(f.Slices), f.Error)
	}
	for _, s := range f.Slices {
		if s.Arch != "arm64" {
			continue
		}
		if s.Signature == nil || !isTrue(s.Signature.Valid) || s.Offset == 0 {
			t.Errorf("arm64 slice at %d: signature %+v, want valid", s.Offset, s.Signature)
		}
		// Break a byte of the arm64 slice's code: the slice's signature fails.
		b, _ := os.ReadFile(fat)
		b[s.Offset+4096+100] ^= 0x5a
		edited := filepath.Join(t.TempDir(), "edited")
		os.WriteFile(edited, b, 0o755)
		g, err := exe.Inspect(context.Background(), edited, exe.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, gs := range g.Slices {
			if gs.Arch == "arm64" && (gs.Signature == nil || !isFalse(gs.Signature.Valid)) {
				t.Errorf("edited arm64 slice: signature %+v, want not valid", gs.Signature)
			}
		}
	}
}

// isTrue and isFalse read a tri-state fact: nil is unknown, neither true nor false.
func isTrue(b exe.Fact[bool]) bool  { return b.Is(true) }
func isFalse(b exe.Fact[bool]) bool { return b.Is(false) }
