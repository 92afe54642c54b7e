package machine

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"etc/hosts":        {Data: []byte("127.0.0.1 localhost\n"), Mode: 0o644},
		"usr/bin/go":       {Data: []byte("\x7fELF"), Mode: 0o755},
		"usr/local/bin/go": {Data: []byte("../../bin/go"), Mode: fs.ModeSymlink | 0o777},
		"opt/go":           {Data: []byte("/usr"), Mode: fs.ModeSymlink | 0o777},
		"proc/binfmt/qemu": {Data: []byte("enabled\n"), Mode: 0o644},
		"dev/null":         {Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
		"run/pipe":         {Mode: fs.ModeNamedPipe | 0o644},
		"loop/a":           {Data: []byte("b"), Mode: fs.ModeSymlink | 0o777},
		"loop/b":           {Data: []byte("a"), Mode: fs.ModeSymlink | 0o777},
	}
}

func TestFakeFiles(t *testing.T) {
	m := Fake(testFS(), map[string]string{"PATH": "/usr/local/bin:/usr/bin", "HOME": "/home/me"})
	tests := []struct {
		name, file string
		want       string
		err        error
	}{
		{"regular", "/etc/hosts", "127.0.0.1 localhost\n", nil},
		{"through a relative link", "/usr/local/bin/go", "\x7fELF", nil},
		{"through an absolute directory link", "/opt/go/bin/go", "\x7fELF", nil},
		{"missing", "/etc/passwd", "", fs.ErrNotExist},
		{"relative name", "etc/hosts", "", fs.ErrNotExist},
		{"a device is not read", "/dev/null", "", atomicfile.ErrNotRegular},
		{"a named pipe is not read", "/run/pipe", "", atomicfile.ErrNotRegular},
		{"a directory is not read", "/etc", "", atomicfile.ErrNotRegular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := m.ReadFile(tt.file)
			if !errors.Is(err, tt.err) || string(b) != tt.want {
				t.Errorf("ReadFile(%q) = %q, %v; want %q, %v", tt.file, b, err, tt.want, tt.err)
			}
		})
	}
}

func TestFakeEvalSymlinks(t *testing.T) {
	m := Fake(testFS(), nil)
	tests := []struct {
		in, want string
		err      bool
	}{
		{"/usr/local/bin/go", "/usr/bin/go", false},
		{"/opt/go/bin/go", "/usr/bin/go", false},
		{"/etc/hosts", "/etc/hosts", false},
		{"/loop/a", "", true},
		{"/nope", "", true},
	}
	for _, tt := range tests {
		got, err := m.EvalSymlinks(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("EvalSymlinks(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFakeEnvAndPath(t *testing.T) {
	m := Fake(testFS(), map[string]string{"PATH": "/usr/local/bin:/usr/bin", "HOME": "/home/me"})
	if got := m.Environ(); !slices.Equal(got, []string{"HOME=/home/me", "PATH=/usr/local/bin:/usr/bin"}) {
		t.Errorf("Environ = %q", got)
	}
	if v, ok := m.LookupEnv("home"); ok {
		t.Errorf("LookupEnv(home) on linux = %q, want unset", v)
	}
	m.GOOS = "windows"
	if v, _ := m.LookupEnv("home"); v != "/home/me" {
		t.Errorf("LookupEnv(home) on windows = %q, want /home/me", v)
	}
	m.GOOS = "linux"
	if p, err := m.LookPath("go"); p != "/usr/local/bin/go" || err != nil {
		t.Errorf("LookPath(go) = %q, %v", p, err)
	}
	if _, err := m.LookPath("gcc"); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("LookPath(gcc) error = %v, want exec.ErrNotFound", err)
	}
	if _, _, err := m.Output(context.Background(), nil, "go", "version"); !errors.Is(err, ErrCannotRun) {
		t.Errorf("Output(go version) error = %v, want ErrCannotRun", err)
	}
	if err := m.Command(context.Background(), "go", "version").Run(); !errors.Is(err, ErrCannotRun) {
		t.Errorf("Command(go version).Run() = %v, want ErrCannotRun", err)
	}
	m.Run = func(_ context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		return []byte(name + " " + strings.Join(args, " ")), nil, nil
	}
	if out, _, err := m.Output(context.Background(), nil, "go", "version"); string(out) != "go version" || err != nil {
		t.Errorf("Output with Run = %q, %v", out, err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.Clock = func() time.Time { return at }
	if !m.Now().Equal(at) {
		t.Errorf("Now = %v, want %v", m.Now(), at)
	}
}

func TestRootFS(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/hosts":       {Data: []byte("x"), Mode: 0o644},
		"proc/cpuinfo":    {Data: []byte("processor: 0\n"), Mode: 0o444},
		"proc/sys/kernel": {Mode: fs.ModeDir | 0o555},
	}
	root := Root(Fake(fsys, nil))
	if err := fstest.TestFS(root, "etc/hosts", "proc/cpuinfo"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(root, "/etc/hosts"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadFile(/etc/hosts) error = %v, want fs.ErrInvalid (names are unrooted)", err)
	}
}

// writeDir lays out a fake machine directory for FromDir.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFromDir(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"platform":              "darwin/amd64\n",
		"uname":                 "23.5.0 x86_64\n",
		"sysctl":                "hw.optional.arm64: 1\nsysctl.proc_translated: 1\nno colon here\n",
		"root/etc/hosts":        "x",
		"root/usr/bin/hello":    "#!/bin/sh\necho hello \"$@\" $FAKE_VAR\n",
		"root/usr/bin/notready": "\xcf\xfa\xed\xfe",
	})
	m, err := FromDir(dir, []string{"PATH=/usr/bin", "FAKE_VAR=set"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Platform(); got != (Platform{"darwin", "amd64"}) {
		t.Errorf("Platform = %v", got)
	}
	if got := m.PageSize(); got != 4096 {
		t.Errorf("PageSize = %d, want 4096", got)
	}
	if r, mach, err := m.Uname(); r != "23.5.0" || mach != "x86_64" || err != nil {
		t.Errorf("Uname = %q %q %v", r, mach, err)
	}
	if v, err := m.Sysctl("sysctl.proc_translated"); v != "1" || err != nil {
		t.Errorf("Sysctl(proc_translated) = %q, %v", v, err)
	}
	if _, err := m.Sysctl("hw.memsize"); !errors.Is(err, ErrNoSysctl) {
		t.Errorf("Sysctl(hw.memsize) error = %v, want ErrNoSysctl", err)
	}
	if b, err := m.ReadFile("/etc/hosts"); string(b) != "x" || err != nil {
		t.Errorf("ReadFile(/etc/hosts) = %q, %v", b, err)
	}
	if _, err := m.ReadFile("/../platform"); err == nil {
		t.Errorf("ReadFile(/../platform) read outside the root")
	}
	if _, _, err := m.Output(context.Background(), nil, "notready"); !errors.Is(err, ErrCannotRun) {
		t.Errorf("Output(notready) error = %v, want ErrCannotRun", err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	out, _, err := m.Output(context.Background(), []string{"FAKE_VAR=over"}, "hello", "there")
	if string(out) != "hello there over\n" || err != nil {
		t.Errorf("Output(hello there) = %q, %v", out, err)
	}
}

func TestFromDirErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no platform":  {"uname": "6.1 aarch64\n"},
		"bad platform": {"platform": "linux\n"},
	} {
		if _, err := FromDir(writeDir(t, files), nil); err == nil {
			t.Errorf("%s: FromDir succeeded", name)
		}
	}
	m, err := FromDir(writeDir(t, map[string]string{"platform": "linux/arm64", "uname": "one two three"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Uname(); err == nil {
		t.Errorf("Uname of a malformed uname file succeeded")
	}
}

// TestFromDirParent: a fake host's parent file answers ParentTranslated, so a fake
// Mac can have a terminal under Rosetta; without it the answer is unknown
// (errors.ErrUnsupported), never false.
func TestFromDirParent(t *testing.T) {
	for _, tt := range []struct {
		parent string // "" for no parent file
		want   bool
		err    error
	}{
		{parent: "translated\n", want: true},
		{parent: "native\n", want: false},
		{parent: "", err: errors.ErrUnsupported},
	} {
		files := map[string]string{"platform": "darwin/arm64"}
		if tt.parent != "" {
			files["parent"] = tt.parent
		}
		m, err := FromDir(writeDir(t, files), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.ParentTranslated()
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("parent %q: ParentTranslated() = %v, %v; want %v, %v", tt.parent, got, err, tt.want, tt.err)
		}
	}
	if _, err := FromDir(writeDir(t, map[string]string{"platform": "darwin/arm64", "parent": "rosetta"}), nil); err == nil {
		t.Error("FromDir accepted a parent file that is neither translated nor native")
	}
}

func TestFromEnv(t *testing.T) {
	dir := writeDir(t, map[string]string{"platform": "darwin/arm64"})
	real := Fake(nil, map[string]string{FakeEnv: dir, "HOME": "/h"})
	m, err := FromEnv(real)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Platform(); got != (Platform{"darwin", "arm64"}) || m.PageSize() != 16384 || Getenv(m, "HOME") != "/h" {
		t.Errorf("FromEnv = %v, page size %d, HOME %q", got, m.PageSize(), Getenv(m, "HOME"))
	}
	if m, _ := FromEnv(Real()); m.Platform().GOOS != runtime.GOOS {
		t.Errorf("FromEnv(Real()) without %s is not this machine", FakeEnv)
	}
}

func TestReal(t *testing.T) {
	m := Real()
	if m.Platform() != (Platform{runtime.GOOS, runtime.GOARCH}) || m.PageSize() != os.Getpagesize() {
		t.Errorf("Real() = %v, page size %d", m.Platform(), m.PageSize())
	}
	if _, err := m.ReadFile(t.TempDir()); !errors.Is(err, atomicfile.ErrNotRegular) {
		t.Errorf("ReadFile(dir) error = %v, want atomicfile.ErrNotRegular", err)
	}
	if runtime.GOOS != "darwin" {
		if _, err := m.Sysctl("hw.optional.arm64"); !errors.Is(err, ErrNoSysctl) {
			t.Errorf("Sysctl off darwin error = %v, want ErrNoSysctl", err)
		}
		if _, err := m.ParentTranslated(); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("ParentTranslated off darwin error = %v, want errors.ErrUnsupported", err)
		}
	}
}

func FuzzParseSysctl(f *testing.F) {
	f.Add([]byte("hw.optional.arm64: 1\nsysctl.proc_translated: 0\nkern.osproductversion: 14.5\n"))
	f.Add([]byte("a:b:c\n\n : \nno colon\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := ParseSysctl(b)
		// Printing the map as sysctl(8) does and reading it back gives it again.
		var sb strings.Builder
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if strings.Contains(k, ":") || strings.ContainsAny(k+got[k], "\n") || k != strings.TrimSpace(k) {
				t.Fatalf("key %q value %q: not one trimmed line", k, got[k])
			}
			sb.WriteString(k + ": " + got[k] + "\n")
		}
		if again := ParseSysctl([]byte(sb.String())); !maps.Equal(again, got) {
			t.Fatalf("round trip: %q, then %q", got, again)
		}
	})
}

func TestRealReadsKernelFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel's size-0 files are Linux's /proc")
	}
	b, err := Real().ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(b), "Name:") {
		t.Errorf("ReadFile(/proc/self/status) = %q, %v; want its lines (size 0 is read to the end)", b, err)
	}
	if _, err := os.Stat("/proc/kmsg"); err != nil {
		return
	}
	done := make(chan error, 1)
	go func() { _, err := Real().ReadFile("/proc/kmsg"); done <- err }()
	select {
	case <-done: // an error (EAGAIN, permission) or what was there: it returned
	case <-time.After(time.Minute):
		t.Fatal("ReadFile(/proc/kmsg) blocked")
	}
}

func TestWithEnv(t *testing.T) {
	base := Fake(fstest.MapFS{}, map[string]string{"GOFLAGS": "-v", "PATH": "/bin"})
	m := WithEnv(base, "GOFLAGS=-mod=mod", "GOWORK=off")
	if v := Getenv(m, "GOFLAGS"); v != "-mod=mod" {
		t.Errorf("GOFLAGS = %q, want the added value", v)
	}
	if got := m.Environ(); !slices.Equal(got, []string{"GOFLAGS=-v", "PATH=/bin", "GOFLAGS=-mod=mod", "GOWORK=off"}) {
		t.Errorf("Environ = %q", got)
	}
	var ran []string
	base.Run = func(_ context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		ran = env
		return nil, nil, nil
	}
	m.Output(context.Background(), []string{"X=1"}, "go")
	if !slices.Equal(ran, []string{"GOFLAGS=-mod=mod", "GOWORK=off", "X=1"}) {
		t.Errorf("Output ran with %q", ran)
	}
	if WithEnv(base) != Machine(base) {
		t.Error("WithEnv without variables is not the machine itself")
	}
}

// TestFromDirLinks: an absolute link under a directory's root names a path of the
// fake machine (a Homebrew bin/go pointing into its Cellar), so reading, opening,
// listing and running through it stays below root/, and no link leads out of it.
func TestFromDirLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and #! scripts")
	}
	dir := writeDir(t, map[string]string{
		"platform": "darwin/arm64",
		"root/opt/homebrew/Cellar/go/1.26/libexec/bin/go": "#!/bin/sh\necho cellar\n",
		"secret": "outside the root",
	})
	for link, target := range map[string]string{
		"root/opt/homebrew/bin":    "/opt/homebrew/Cellar/go/1.26/libexec/bin",
		"root/usr/local/bin/go":    "/opt/homebrew/bin/go",
		"root/usr/local/bin/leak":  "../../../../secret",
		"root/usr/local/bin/leak2": "/../secret",
	} {
		p := filepath.Join(dir, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	m, err := FromDir(dir, []string{"PATH=/usr/local/bin"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/opt/homebrew/bin/go", "/usr/local/bin/go"} {
		if b, err := m.ReadFile(name); err != nil || !strings.Contains(string(b), "cellar") {
			t.Errorf("ReadFile(%s) = %q, %v", name, b, err)
		}
		f, err := m.Open(name)
		if err != nil {
			t.Errorf("Open(%s): %v", name, err)
		} else {
			f.Close()
		}
		if st, err := m.Stat(name); err != nil || !st.Mode().IsRegular() {
			t.Errorf("Stat(%s) = %v, %v", name, st, err)
		}
	}
	if es, err := m.ReadDir("/opt/homebrew/bin"); err != nil || len(es) != 1 || es[0].Name() != "go" {
		t.Errorf("ReadDir(/opt/homebrew/bin) = %v, %v", es, err)
	}
	if st, err := m.Lstat("/opt/homebrew/bin"); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(/opt/homebrew/bin) = %v, %v; want the link", st, err)
	}
	if out, _, err := m.Output(context.Background(), nil, "go"); string(out) != "cellar\n" || err != nil {
		t.Errorf("Output(go) = %q, %v", out, err)
	}
	for _, name := range []string{"/usr/local/bin/leak", "/usr/local/bin/leak2"} {
		if b, err := m.ReadFile(name); err == nil {
			t.Errorf("ReadFile(%s) read %q outside the root", name, b)
		}
	}
}
