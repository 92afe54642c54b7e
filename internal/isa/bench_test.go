package isa

import (
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
