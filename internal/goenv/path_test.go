package goenv

import (
	"context"
	"github.com/gonative/gonative/internal/machine"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// TestFindAll lays out two Go roots and a shim on a real file system, with real Go
// binaries built for darwin/amd64 and linux/arm64, and checks what FindAll reads.
func TestFindAll(t *testing.T) {
	intel := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=amd64"}, "-trimpath")
	arm := fixture.Go(t, fixture.Hello, []string{"GOOS=linux", "GOARCH=arm64"}, "-trimpath")
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
	// The working directory: an empty PATH entry stands for it, "shims" is relative
	// to it.
	wd := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "shims"), filepath.Join(wd, "shims")); err != nil {
		t.Fatal(err)
	}
	sep := string(filepath.ListSeparator)
	l := Lookup{
		PATH:    filepath.Join(dir, "links") + sep + sep + filepath.Join(dir, "noexec") + sep + filepath.Join(dir, "intel", "bin") + sep + "shims",
		GOOS:    runtime.GOOS,
		Dir:     wd,
		Machine: machine.Real(),
		Inspect: func(ctx context.Context, name string) (*exe.File, error) {
			return exe.Inspect(ctx, name, exe.Options{})
		},
	}
	if runtime.GOOS == "windows" {
		t.Skip("the layout uses Unix permissions and #! scripts")
	}
	gos := FindAll(context.Background(), "go", l)
	if len(gos) != 3 {
		t.Fatalf("found %d go, want 3: %+v", len(gos), gos)
	}
	a, i, s := gos[0], gos[1], gos[2]
	if s.Path != filepath.Join(wd, "shims", "go") || s.Index != 4 {
		t.Errorf("the relative entry: %s index %d, want %s index 4", s.Path, s.Index, filepath.Join(wd, "shims", "go"))
	}
	// A go in the working directory is what a shell runs through the empty entry.
	if err := os.WriteFile(filepath.Join(wd, "go"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if found, _ := l.Find("go"); len(found) != 4 || found[1] != (Found{filepath.Join(wd, "go"), 1}) {
		t.Errorf("with a go in the working directory: %+v", found)
	}
	if _, denied := (Lookup{PATH: filepath.Join(dir, "noexec"), GOOS: l.GOOS, Machine: machine.Real()}).Find("go"); denied != filepath.Join(dir, "noexec", "go") {
		t.Errorf("denied = %q, want the file without an execute bit", denied)
	}
	if a.Resolved != filepath.Join(dir, "arm", "bin", "go") || a.GOROOT != filepath.Join(dir, "arm") || a.Index != 0 {
		t.Errorf("first = %+v", a)
	}
	if a.OS != "linux" || a.Arch != "arm64" || a.Version != runtime.Version() {
		t.Errorf("first: %s/%s %s, want linux/arm64 %s (parser errors: %s)", a.OS, a.Arch, a.Version, runtime.Version(), a.Err)
	}
	if i.OS != "darwin" || i.Arch != "amd64" || i.Index != 3 {
		t.Errorf("second: %s/%s index %d, want darwin/amd64 index 3 (after the empty entry and noexec) (%s)", i.OS, i.Arch, i.Index, i.Err)
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

// TestFindWindows checks the search as cmd.exe does it, on a described machine: ';'
// separates entries, an empty or relative entry is the working directory's, and
// go.exe, go.bat and go.cmd are tried before go; any file counts.
func TestFindWindows(t *testing.T) {
	files := map[string]bool{`C:\work\go.cmd`: true, `C:\Go\bin\go.exe`: true, `C:\work\tools\go`: true}
	l := Lookup{
		PATH: `;C:\Go\bin;tools`,
		GOOS: "windows",
		Dir:  `C:\work`,
		Machine: statOnly(func(name string) (fs.FileInfo, error) {
			if files[name] {
				return fakeFile{}, nil
			}
			return nil, fs.ErrNotExist
		}),
	}
	if got := l.Dirs(); !slices.Equal(got, []string{`C:\work`, `C:\Go\bin`, `C:\work\tools`}) {
		t.Errorf("Dirs = %q", got)
	}
	found, _ := l.Find("go")
	want := []Found{{`C:\work\go.cmd`, 0}, {`C:\Go\bin\go.exe`, 1}, {`C:\work\tools\go`, 2}}
	if !slices.Equal(found, want) {
		t.Errorf("Find = %v, want %v", found, want)
	}
}

// fakeFile is a regular file without an execute bit (which Windows does not need).
type fakeFile struct{}

func (fakeFile) Name() string       { return "go" }
func (fakeFile) Size() int64        { return 1 }
func (fakeFile) Mode() fs.FileMode  { return 0o644 }
func (fakeFile) ModTime() time.Time { return time.Time{} }
func (fakeFile) IsDir() bool        { return false }
func (fakeFile) Sys() any           { return nil }

// TestVersionFile reads $GOROOT/VERSION's first line, the one reader of it.
func TestVersionFile(t *testing.T) {
	files := map[string]string{"/go/VERSION": "go1.26.8\ntime 2026-01-01T00:00:00Z\n", "/dev/VERSION": "  devel go1.27-abc \n"}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	for _, tt := range []struct{ root, want string }{{"/go", "go1.26.8"}, {"/go/", "go1.26.8"}, {"/dev", "devel go1.27-abc"}, {"/none", ""}} {
		got, err := VersionFile(read, tt.root)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("VersionFile(%s) = %q, %v; want %q", tt.root, got, err, tt.want)
		}
	}
}

// statOnly is a machine that only answers Stat (with stat): Find asks nothing else.
func statOnly(stat func(string) (fs.FileInfo, error)) machine.Machine { return statMachine{stat: stat} }

type statMachine struct {
	machine.Machine
	stat func(string) (fs.FileInfo, error)
}

func (m statMachine) Stat(name string) (fs.FileInfo, error) { return m.stat(name) }
