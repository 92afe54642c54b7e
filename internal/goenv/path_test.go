package goenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// TestFindAll lays out two Go roots and a shim on a real file system, with real Go
// binaries built for darwin/amd64 and linux/arm64, and checks what FindAll reads.
func TestFindAll(t *testing.T) {
	intel := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"})
	arm := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64"})
	dir := t.TempDir()
	install := func(root, bin string) {
		t.Helper()
		for _, d := range []string{"bin", "pkg/tool"} {
			if err := os.MkdirAll(filepath.Join(dir, root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, root, "bin", "go"), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	install("intel", intel)
	install("arm", arm)
	if err := os.MkdirAll(filepath.Join(dir, "shims"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shims", "go"), []byte("#!/bin/sh\nexec real-go \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "links"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "arm", "bin", "go"), filepath.Join(dir, "links", "go")); err != nil {
		t.Fatal(err)
	}
	// Not executable: skipped.
	if err := os.MkdirAll(filepath.Join(dir, "noexec"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "noexec", "go"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sep := string(filepath.ListSeparator)
	l := Lookup{
		PATH:         filepath.Join(dir, "links") + sep + sep + filepath.Join(dir, "noexec") + sep + filepath.Join(dir, "intel", "bin") + sep + filepath.Join(dir, "shims"),
		GOOS:         runtime.GOOS,
		Stat:         os.Stat,
		EvalSymlinks: filepath.EvalSymlinks,
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			return exe.Inspect(ctx, name, exe.Options{})
		},
		ReadFile: os.ReadFile,
	}
	if runtime.GOOS == "windows" {
		t.Skip("the layout uses Unix permissions and #! scripts")
	}
	gos := FindAll(context.Background(), "go", l)
	if len(gos) != 3 {
		t.Fatalf("found %d go, want 3: %+v", len(gos), gos)
	}
	a, i, s := gos[0], gos[1], gos[2]
	if a.Resolved != filepath.Join(dir, "arm", "bin", "go") || a.GOROOT != filepath.Join(dir, "arm") || a.Index != 0 {
		t.Errorf("first = %+v", a)
	}
	if a.OS != "linux" || a.Arch != "arm64" || a.Version != runtime.Version() {
		t.Errorf("first: %s/%s %s, want linux/arm64 %s (parser errors: %s)", a.OS, a.Arch, a.Version, runtime.Version(), a.Err)
	}
	if i.OS != "darwin" || i.Arch != "amd64" || i.Index != 2 {
		t.Errorf("second: %s/%s index %d, want darwin/amd64 index 2 (%s)", i.OS, i.Arch, i.Index, i.Err)
	}
	if !s.Script || s.GOROOT != "" {
		t.Errorf("shim = %+v", s)
	}
}

func TestGOROOTOf(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "go", "pkg", "tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ exe, want string }{
		{filepath.Join(dir, "go", "bin", "go"), filepath.ToSlash(filepath.Join(dir, "go"))},
		{filepath.Join(dir, "other", "bin", "go"), ""},
		{filepath.Join(dir, "go", "go"), ""},
	} {
		if got := GOROOTOf(tt.exe, os.Stat); got != tt.want {
			t.Errorf("GOROOTOf(%s) = %q, want %q", tt.exe, got, tt.want)
		}
	}
}
