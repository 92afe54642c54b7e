package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(name, []byte("new"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(name)
	if err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v; want new", b, err)
	}
	if st, _ := os.Stat(name); runtime.GOOS != "windows" && st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left %d files behind, want only the target", len(entries))
	}
}

func TestAbortLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	os.WriteFile(name, []byte("old"), 0o644)
	f, err := Create(name, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	if b, _ := os.ReadFile(name); string(b) != "old" {
		t.Fatalf("target changed to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left %d files behind", len(entries))
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir"), nil, 0o644); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

func TestCreateRefusesNonRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mkfifo or symlinks without privileges on Windows")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscallMkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	for name, path := range map[string]string{"fifo": fifo, "symlink": link, "dir": sub, "device": os.DevNull} {
		err := WriteFile(path, []byte("new"), 0o644)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err = %v, want ErrNotRegular", name, err)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("fifo replaced: %v %v", fi, err)
	}
	if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&fs.ModeDevice == 0 {
		t.Errorf("%s replaced: %v %v", os.DevNull, fi, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("symlink target written: %q", b)
	}
	// --force replaces the link itself, never its target.
	f, err := CreateWith(link, 0o644, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("symlink target written with force: %q", b)
	}
	if fi, _ := os.Lstat(link); !fi.Mode().IsRegular() {
		t.Errorf("forced link not replaced: %v", fi.Mode())
	}
	// A directory, never.
	if _, err := CreateWith(sub, 0o644, Options{Force: true}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory with force: %v", err)
	}
}

func TestCreateRefusesInput(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("a"), 0o644)
	hard := filepath.Join(dir, "hard")
	if err := os.Link(a, hard); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	for _, out := range []string{a, hard, filepath.Join(dir, ".", "a")} {
		if _, err := CreateWith(out, 0o644, Options{Inputs: []string{a}, Force: true}); !errors.Is(err, ErrSameFile) {
			t.Errorf("output %s = input: err %v", out, err)
		}
	}
	if b, _ := os.ReadFile(a); string(b) != "a" {
		t.Errorf("input changed: %q", b)
	}
}

func TestOpenInputNeverBlocks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mkfifo on Windows")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscallMkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := OpenInput(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("fifo: err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenInput blocked on a named pipe")
	}
	if _, _, err := OpenInput(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: %v", err)
	}
	reg := filepath.Join(dir, "reg")
	os.WriteFile(reg, []byte("data"), 0o644)
	f, fi, err := OpenInput(reg)
	if err != nil || fi.Size() != 4 {
		t.Fatalf("regular: %v %v", fi, err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "data" {
		t.Errorf("read %q", b)
	}
}

// TestOpenInputProcKmsg: /proc/kmsg says it is a regular file of size 0 and blocks
// reads until the kernel logs something; reading the size OpenInput returns never
// blocks.
func TestOpenInputProcKmsg(t *testing.T) {
	f, fi, err := OpenInput("/proc/kmsg")
	if err != nil {
		t.Skipf("cannot open /proc/kmsg (Linux only, needs root): %v", err)
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("reading /proc/kmsg through OpenInput blocks")
	}
}

// TestWriteFileIn: a writer under an os.Root writes beneath it, through links that
// stay inside, and never through a parent directory that is a link leading out of it
// (nor a link to an absolute path), leaving nothing behind either way.
func TestWriteFileIn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	base := t.TempDir()
	dir, outside := filepath.Join(base, "module"), filepath.Join(base, "outside")
	for _, d := range []string{dir, outside, filepath.Join(dir, "real")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"abs":    outside,              // .devcontainer -> /X
		"rel":    "../outside",         // .github -> ../Y
		"inside": "real",               // stays in the module: allowed
		"deep":   "real/../../outside", // leaves through a resolved ..
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"abs/x", "rel/x", "deep/x", "rel/sub/x", "../outside/x", "/x"} {
		err := WriteFileIn(root, name, []byte("evil"), 0o644)
		if err == nil {
			t.Errorf("WriteFileIn(%s): nil error, want a refusal", name)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written outside the root: %v", entries)
	}
	if err := WriteFileIn(root, "inside/x", []byte("ok"), 0o640); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "real", "x")); err != nil || string(b) != "ok" {
		t.Errorf("real/x = %q, %v", b, err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "real", "x")); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	// Replacing: the same rules as WriteFile, and no temporary file left.
	if err := WriteFileIn(root, "real/x", []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "real", "x")); string(b) != "new" {
		t.Errorf("real/x = %q after replacing", b)
	}
	os.Symlink("x", filepath.Join(dir, "real", "link"))
	if err := WriteFileIn(root, "real/link", nil, 0o644); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), filepath.Join(dir, "real", "link")) {
		t.Errorf("over a symlink: %v, want ErrNotRegular naming the full path", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "real")); len(entries) != 2 {
		t.Errorf("real holds %d entries, want x and link only", len(entries))
	}
	// Abort removes the temporary file.
	f, err := CreateIn(root, "real/y", 0o644, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	if entries, _ := os.ReadDir(filepath.Join(dir, "real")); len(entries) != 2 {
		t.Errorf("Abort left a file: %d entries", len(entries))
	}
}

// FuzzWriteFileIn: whatever the name, a write beneath a root either fails or creates
// exactly that file inside the root, never anything outside it, even through the
// links the root holds (to outside, absolute and relative, and inside).
func FuzzWriteFileIn(f *testing.F) {
	if runtime.GOOS == "windows" {
		f.Skip("symbolic links need privileges on Windows")
	}
	for _, s := range []string{"x", "real/x", "abs/x", "rel/x", "../outside/x", "/etc/x", "inside/../x", "real/./x", "deep/x", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base := t.TempDir()
		dir, outside := filepath.Join(base, "module"), filepath.Join(base, "outside")
		for _, d := range []string{filepath.Join(dir, "real"), outside} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for link, target := range map[string]string{"abs": outside, "rel": "../outside", "inside": "real", "deep": "real/../../outside"} {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		werr := WriteFileIn(root, name, []byte("data"), 0o644)
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Fatalf("WriteFileIn(%q) (error %v) wrote outside the root: %v", name, werr, entries)
		}
		if werr != nil {
			return
		}
		if b, err := root.ReadFile(name); err != nil || string(b) != "data" {
			t.Fatalf("WriteFileIn(%q) succeeded, but the file reads %q, %v", name, b, err)
		}
		// No temporary file is left beside it.
		parent := filepath.Dir(name)
		entries, err := fs.ReadDir(root.FS(), filepath.ToSlash(parent))
		if err != nil {
			return // the parent is a link: its listing is the target's (real)
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") {
				t.Fatalf("WriteFileIn(%q) left %s", name, e.Name())
			}
		}
	})
}
