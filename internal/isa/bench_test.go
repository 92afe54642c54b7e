package isa

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// compilePath is the Go compiler of the toolchain running the tests: a 20-30 MB
// real-world x86-64 or arm64 executable.
func compilePath(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	p := filepath.Join(string(out[:len(out)-1]), "pkg", "tool", runtime.GOOS+"_"+runtime.GOARCH, "compile")
	if _, err := os.Stat(p); err != nil {
		t.Skip(err)
	}
	return p
}

func benchmarkScan(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	var r *Report
	for b.Loop() {
		r, err = analyzeImage(context.Background(), f, fi.Size(), Input{Go: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(r.CodeBytes)
}

// BenchmarkScanX86 scans the code of an x86-64 Go compiler (this toolchain's when the
// host is amd64, otherwise one built for linux/amd64).
func BenchmarkScanX86(b *testing.B) { benchmarkScan(b, toolFor(b, "amd64")) }

// BenchmarkScanARM64 scans the code of an arm64 Go compiler.
func BenchmarkScanARM64(b *testing.B) { benchmarkScan(b, toolFor(b, "arm64")) }

// toolFor returns the host's compile when it is for goarch, else builds cmd/compile
// for linux/goarch.
func toolFor(b *testing.B, goarch string) string {
	if runtime.GOARCH == goarch {
		return compilePath(b)
	}
	out := filepath.Join(b.TempDir(), "compile")
	cmd := exec.Command("go", "build", "-o", out, "cmd/compile")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("build cmd/compile for %s: %v\n%s", goarch, err, msg)
	}
	return out
}
