package main

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/toolchain/toolchaintest"
)

// fakeToolchainMain is the testscript command
//
//	faketoolchain PROXYDIR VERSION GOOS GOARCH
//
// which adds a fake golang.org/toolchain module zip to a file:// proxy directory (and
// its @v/list): its bin/go is a real executable for GOOS/GOARCH whose build info says
// goVERSION, printing "go version goVERSION GOOS/GOARCH" (internal/toolchain/toolchaintest),
// so the installer's checks of bin/go see what they see in a real toolchain. Executables
// are cached in $GONATIVE_FAKEGO_CACHE (else $TMPDIR).
func fakeToolchainMain() int {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: faketoolchain PROXYDIR VERSION GOOS GOARCH")
		return 2
	}
	dir, v, goos, goarch := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	mv := "v0.0.1-go" + v + "." + goos + "-" + goarch
	at := filepath.Join(dir, "golang.org", "toolchain", "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cache := os.Getenv("GONATIVE_FAKEGO_CACHE")
	if cache == "" {
		cache = os.TempDir()
	}
	gobin, err := toolchaintest.GoExecutable(cache, v, goos, goarch)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := os.Create(filepath.Join(at, mv+".zip"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	zw := zip.NewWriter(f)
	prefix := "golang.org/toolchain@" + mv + "/"
	for name, body := range map[string]string{
		"bin/go":      string(gobin),
		"bin/gofmt":   "#!/bin/sh\necho gofmt\n",
		"VERSION":     "go" + v + "\n",
		"src/_go.mod": "module std\n",
		"go.env":      "GOTOOLCHAIN=auto\n",
	} {
		w, _ := zw.Create(prefix + name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f.Close()
	os.WriteFile(filepath.Join(at, mv+".mod"), []byte("module golang.org/toolchain\n"), 0o644)
	list, _ := os.ReadFile(filepath.Join(at, "list"))
	if !strings.Contains(string(list), mv+"\n") {
		list = append(list, mv+"\n"...)
	}
	if err := os.WriteFile(filepath.Join(at, "list"), list, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
