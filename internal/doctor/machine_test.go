package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/machine"
)

// TestFakeHostDir: a fake host directory (machine.FromDir) is a machine the doctor
// runs programs on (its #! scripts only), resolves links in and reads executables of,
// all below its root/.
func TestFakeHostDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake hosts use #! scripts")
	}
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("platform", "darwin/arm64\n", 0o644)
	write("root/usr/bin/uname", "#!/bin/sh\necho arm64\n", 0o755)
	write("root/usr/local/go/bin/go", "\xcf\xfa\xed\xfenot really", 0o755)
	write("root/opt/homebrew/Cellar/go/1.26/libexec/bin/go", "x", 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "root/opt/homebrew/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An absolute link inside the fake root, and a relative one.
	if err := os.Symlink("/opt/homebrew/Cellar/go/1.26/libexec/bin/go", filepath.Join(dir, "root/opt/homebrew/bin/go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../Cellar/go/1.26/libexec/bin/go", filepath.Join(dir, "root/opt/homebrew/bin/go2")); err != nil {
		t.Fatal(err)
	}
	m, err := machine.FromDir(dir, []string{"PATH=/usr/local/go/bin:/usr/bin", "HOME=/Users/me"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(m)
	ctx := context.Background()
	out, err := s.Exec(ctx, nil, "uname", "-m")
	if err != nil || strings.TrimSpace(string(out)) != "arm64" {
		t.Errorf("uname -m = %q, %v", out, err)
	}
	if _, err := s.Exec(ctx, nil, "/usr/local/go/bin/go", "env"); !errors.Is(err, machine.ErrCannotRun) {
		t.Errorf("running a fake binary: %v, want machine.ErrCannotRun", err)
	}
	if _, err := s.Exec(ctx, nil, "clang", "-v"); err == nil {
		t.Error("running a missing program succeeded")
	}
	for _, link := range []string{"/opt/homebrew/bin/go", "/opt/homebrew/bin/go2"} {
		if r, err := m.EvalSymlinks(link); err != nil || r != "/opt/homebrew/Cellar/go/1.26/libexec/bin/go" {
			t.Errorf("EvalSymlinks(%s) = %q, %v", link, r, err)
		}
	}
	if _, err := m.Stat("/usr/local/go/bin/go"); err != nil {
		t.Errorf("Stat: %v", err)
	}
	if s.Getenv("HOME") != "/Users/me" {
		t.Errorf("HOME = %q", s.Getenv("HOME"))
	}
	// The executable is read below root/ and named by its machine path.
	f, err := s.Inspect(ctx, "/opt/homebrew/bin/go")
	if err != nil || f.Path != "/opt/homebrew/bin/go" || f.Format != exe.FormatUnknown || !errors.Is(f.Err, exe.ErrNotExecutable) {
		t.Errorf("Inspect(/opt/homebrew/bin/go) = %+v, %v; want an unknown format read through the fake root", f, err)
	}
	if f, err := s.Inspect(ctx, "/usr/local/go/bin/go"); err != nil || f.Format != exe.FormatMachO {
		t.Errorf("Inspect(/usr/local/go/bin/go) = %+v, %v; want the Mach-O header under root/", f, err)
	}
	if wd, _ := m.Getwd(); wd != "/" {
		t.Errorf("Getwd outside the root = %q, want /", wd)
	}
}
