package doctor

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// binSpec describes an executable of a fake machine; binFile makes its bytes.
type binSpec struct {
	goos      string
	archs     []string // several: a universal Mach-O file
	goVersion string   // the Go release in its build info ("": the go building it)
	// path and modVersion are its main module's path and version ("": none).
	path, modVersion string
	// corrupt edits a byte of its code after linking: a darwin/arm64 file's code
	// signature then fails (a page hash mismatch), as it does after a patch in place.
	corrupt bool
}

// binSrc is the program of every fake machine's executable.
const binSrc = "package main\n\nfunc main() {}\n"

var (
	binMu    sync.Mutex
	binCache = map[string][]byte{}
)

// binFile returns the bytes of the executable b describes, made by real tools and
// never by hand: each slice is `go build -trimpath -ldflags='-s -w
// -X=runtime.buildVersion=VERSION -X=runtime.modinfo=INFO'` of binSrc for
// GOOS/GOARCH with CGO_ENABLED=0 (fixture.Build, cached on disk), and several slices
// are merged by llvm-lipo -create (LLVM's lipo). The linker writes the two -X strings
// into the .go.buildinfo blob as it writes its own, so `go version -m` reads them
// back:
//
//	$ go version -m gopls        # {darwin, [amd64], go1.21.3, golang.org/x/tools/gopls, v0.14.2}
//	gopls: go1.21.3
//		path	golang.org/x/tools/gopls
//		mod	golang.org/x/tools/gopls	v0.14.2	h1:AAAA…=
//	$ file go compile sh gopls   # (1.1–2.3 MB each)
//	go:      Mach-O universal binary with 2 architectures: [x86_64:…Mach-O 64-bit x86_64 executable, flags:<|DYLDLINK|PIE>] [arm64:…Mach-O 64-bit arm64 executable, flags:<|DYLDLINK|PIE>]
//	compile: Mach-O 64-bit arm64 executable, flags:<|DYLDLINK|PIE>
//	sh:      ELF 32-bit LSB executable, ARM, EABI5 version 1 (SYSV), statically linked, Go BuildID=…, stripped
//	gopls:   Mach-O 64-bit x86_64 executable, flags:<|DYLDLINK|PIE>
//
// A binary the tests describe without a Go version (/bin/sh, gcc, clang, a library)
// is such a program too, with the fixture's own build info: the checks that read
// those (host.userland, cgo.*, brew.*) ask only for the format, architectures and
// bits. The bytes are kept for the test binary's life (about 1 MiB each).
func binFile(t testing.TB, b binSpec) []byte {
	t.Helper()
	key := fmt.Sprintf("%+v", b)
	binMu.Lock()
	defer binMu.Unlock()
	if data, ok := binCache[key]; ok {
		return data
	}
	fixture.Need(t, "go", "golang-go")
	dir := t.TempDir()
	var slices []string
	for _, a := range b.archs {
		slices = append(slices, buildSlice(t, b, a, filepath.Join(dir, a)))
	}
	p := slices[0]
	if len(slices) > 1 {
		p = filepath.Join(dir, "universal")
		lipo := fixture.NeedLLVM(t, "llvm-lipo")
		if out, err := exec.Command(lipo, append(append([]string{"-create"}, slices...), "-output", p)...).CombinedOutput(); err != nil {
			t.Fatalf("llvm-lipo -create: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.corrupt {
		// A byte of the third code page (the code starts at the second): the
		// linker's ad hoc signature hashes 4 KiB pages.
		data[3<<12+0x10] ^= 0xff
	}
	binCache[key] = data
	return data
}

// buildSlice links the GOARCH a slice of b into dir and returns its path.
func buildSlice(t testing.TB, b binSpec, goarch, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ldflags := []string{"-s", "-w"}
	if b.goVersion != "" {
		ldflags = append(ldflags, "-X=runtime.buildVersion="+b.goVersion)
	}
	if b.path != "" {
		// Quoted for cmd/go's quoted.Split, which splits -ldflags at tabs and newlines.
		ldflags = append(ldflags, "'-X=runtime.modinfo="+modinfo(b.path, b.modVersion)+"'")
	}
	env := []string{"GOOS=" + b.goos, "GOARCH=" + goarch, "CGO_ENABLED=0"}
	p, err := fixture.Build(fixture.Spec{Src: binSrc, Env: env, Flags: []string{"-trimpath", "-ldflags=" + strings.Join(ldflags, " ")}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// modinfo is runtime.modinfo for a main module: the lines `go version -m` prints
// between the 16-byte markers debug/buildinfo strips (any 16 bytes; these have no
// NUL, which a command line cannot carry).
func modinfo(path, version string) string {
	const marker = "gonative-modinfo"
	var b bytes.Buffer
	fmt.Fprintf(&b, "%spath\t%s\nmod\t%s\t%s\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n%s", marker, path, path, version, marker)
	return b.String()
}
