package isa

import (
	"context"
	"github.com/gonative/gonative/internal/fixture"
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

// benchmarkScan scans the code of the file at path, single-threaded, and reports
// bytes of code per second: wall time (ns/op, MB/s) and CPU time (MB/s-cpu), which
// is what counts on a shared, loaded machine where the wall time includes waiting
// for a CPU.
func benchmarkScan(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	img, err := openImage(f, fi.Size(), false)
	if err != nil {
		b.Fatal(err)
	}
	code := img.code()
	b.SetBytes(code.Size())
	b.ReportAllocs()
	cpu0 := fixture.CPUTime()
	for b.Loop() {
		if _, err := Analyze(context.Background(), f, code, Input{Go: true, Scan: true}); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := fixture.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(code.Size())*float64(b.N)/cpu.Seconds()/1e6, "MB/s-cpu")
	}
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
