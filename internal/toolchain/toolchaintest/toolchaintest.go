// Package toolchaintest makes fake Go toolchains for tests: a bin/go that is a real
// executable for the platform asked, whose build info names the Go version asked, so
// that the installer's checks (internal/exe reads bin/go) see what they see in a real
// toolchain, and that prints what `go version` prints.
package toolchaintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const program = `package main

import (
	"os"
	"runtime"
)

func main() {
	os.Stdout.WriteString("go version " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n")
}
`

// GoExecutable returns a small Go program for goos/goarch, built by the go command on
// PATH with runtime.buildVersion set to "go"+v (so its build info and its output say
// go v), that prints "go version goV GOOS/GOARCH" whatever its arguments. Programs
// are cached in cacheDir by version and platform.
func GoExecutable(cacheDir, v, goos, goarch string) ([]byte, error) {
	out := filepath.Join(cacheDir, fmt.Sprintf("go-%s-%s-%s", v, goos, goarch))
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	src, err := os.MkdirTemp(cacheDir, "src-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(src)
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(program), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module fakego\n\ngo 1.22\n"), 0o644); err != nil {
		return nil, err
	}
	tmp := out + ".tmp" + filepath.Base(src)
	cmd := exec.Command("go", "build", "-trimpath", "-o", tmp, "-ldflags=-s -w -X runtime.buildVersion=go"+v, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build a fake go%s for %s/%s: %v\n%s", v, goos, goarch, err, strings.TrimSpace(string(b)))
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
