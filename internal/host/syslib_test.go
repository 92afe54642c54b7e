package host

import (
	"github.com/gonative/gonative/internal/machine"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/exe"
)

// TestLibrariesFake checks the rule on a fake Debian machine: a library a package
// lists is the system's, one that only lies in a library directory is not, and
// DT_RUNPATH directories count ($ORIGIN expanded).
func TestLibrariesFake(t *testing.T) {
	dir := writeFake(t, map[string]string{
		"platform": "linux/amd64\n",
		"root/var/lib/dpkg/info/libselinux1:amd64.list":  "/.\n/lib/x86_64-linux-gnu/libselinux.so.1\n",
		"root/var/lib/dpkg/info/man-db.list":             "/usr/lib/man-db/libman-2.11.2.so\n",
		"root/lib/x86_64-linux-gnu/libselinux.so.1":      "",
		"root/usr/lib/x86_64-linux-gnu/libmine.so.1":     "",
		"root/usr/lib/man-db/libman-2.11.2.so":           "",
		"root/usr/lib/aarch64-linux-gnu/libselinux.so.1": "",
	})
	p, err := machine.FromDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLibraries(p, "")
	for _, tc := range []struct {
		name, arch string
		extra      []string
		want       bool
	}{
		{"libselinux.so.1", "amd64", nil, true},
		{"libmine.so.1", "amd64", nil, false},
		{"libnowhere.so.1", "amd64", nil, false},
		{"libselinux.so.1", "arm64", nil, false}, // present, but no package owns it
		{"libman-2.11.2.so", "amd64", nil, false},
		{"libman-2.11.2.so", "amd64", []string{"/usr/lib/man-db"}, true},
		{"/lib/x86_64-linux-gnu/libselinux.so.1", "amd64", nil, false},
	} {
		if got := l.System(tc.name, tc.arch, tc.extra...); got != tc.want {
			t.Errorf("System(%s, %s, %v) = %v, want %v", tc.name, tc.arch, tc.extra, got, tc.want)
		}
	}
	yes := true
	f := &exe.File{Format: exe.FormatELF, Path: "/usr/bin/man", Slices: []exe.Slice{{
		OS: "linux", Arch: "amd64", RunPath: []string{"/usr/lib/man-db"},
		Libraries: []exe.Library{{Name: "libman-2.11.2.so"}, {Name: "libc.so.6", System: exe.KnownFact(yes)}, {Name: "libmine.so.1"}},
	}}}
	orig := slices.Clone(f.Slices[0].Libraries)
	if libs := l.Marked(f)[0]; !libs[0].IsSystem() || !libs[1].IsSystem() || !libs[2].NotSystem() {
		t.Errorf("Marked: %+v", libs)
	}
	if !slices.Equal(f.Slices[0].Libraries, orig) {
		t.Errorf("Marked changed the file's own libraries: %+v, want %+v", f.Slices[0].Libraries, orig)
	}
}

// BenchmarkLibrariesThisMachine measures the first question on this machine: reading
// dpkg's file lists (once per run) and finding a library, from the lists themselves
// ("lists": a first run) and from the index a previous run kept ("index").
func BenchmarkLibrariesThisMachine(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("Linux only")
	}
	if _, err := os.Stat("/var/lib/dpkg/info"); err != nil {
		b.Skip("no dpkg")
	}
	n, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	b.Logf("%d dpkg file lists", len(n))
	b.Run("lists", func(b *testing.B) {
		for b.Loop() {
			l := NewLibraries(machine.Real(), "")
			l.System("libz.so.1", runtime.GOARCH)
		}
	})
	b.Run("index", func(b *testing.B) {
		cache := b.TempDir()
		NewLibraries(machine.Real(), cache).System("libz.so.1", runtime.GOARCH)
		if _, err := os.Stat(filepath.Join(cache, DpkgIndexFile)); err != nil {
			b.Skipf("no index kept (dpkg's state changed in the last seconds?): %v", err)
		}
		for b.Loop() {
			l := NewLibraries(machine.Real(), cache)
			l.System("libz.so.1", runtime.GOARCH)
		}
	})
}

// TestDpkgIndexCache checks the index of dpkg's lists kept between runs: it is used
// while dpkg's state (status file, info directory) is the one it was read from, never
// after a change, never while that state is too recent to tell apart, and never when
// torn.
func TestDpkgIndexCache(t *testing.T) {
	dir := dpkgFake(t)
	root := filepath.Join(dir, "root")
	old := time.Now().Add(-time.Hour)
	age := func() {
		for _, p := range []string{"var/lib/dpkg/status", "var/lib/dpkg/info"} {
			if err := os.Chtimes(filepath.Join(root, p), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	age()
	p, err := machine.FromDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	index := filepath.Join(cache, DpkgIndexFile)
	system := func(name string) bool { return NewLibraries(p, cache).System(name, "amd64") }

	if !system("libz.so.1") || system("libq.so.1") {
		t.Fatal("first run: wrong answers")
	}
	b, err := os.ReadFile(index)
	if err != nil || !strings.Contains(string(b), "\n/lib/x86_64-linux-gnu/libz.so.1\n") {
		t.Fatalf("index not written: %q, %v", b, err)
	}
	// The same state: the index answers (a list edited behind dpkg's back is not read).
	writeList := func(content string) {
		if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/info/z.list"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeList("/usr/lib/x86_64-linux-gnu/libq.so.1\n")
	age()
	if !system("libz.so.1") || system("libq.so.1") {
		t.Error("same state: the index was not used")
	}
	// dpkg changed its state: the lists are read again.
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), []byte("Package: libq\nStatus: install\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	age()
	if system("libz.so.1") || !system("libq.so.1") {
		t.Error("changed state: a stale index was used")
	}
	// A torn index is not an index.
	b, _ = os.ReadFile(index)
	if err := os.WriteFile(index, append(b[:len(b)-4:len(b)-4], "/usr/lib/x86_64-linux-gnu/libz.so.1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if system("libz.so.1") {
		t.Error("torn index used")
	}
	// A state changed within the last seconds is read but not kept.
	os.Remove(index)
	now := time.Now()
	if err := os.Chtimes(filepath.Join(root, "var/lib/dpkg/status"), now, now); err != nil {
		t.Fatal(err)
	}
	if !system("libq.so.1") {
		t.Error("recent state: wrong answer")
	}
	if _, err := os.Stat(index); err == nil {
		t.Error("recent state: index kept")
	}
}

// TestDpkgIndexHostile: an index another user could have planted (writable by
// others) is not believed, and a named pipe in its place neither hangs nor answers.
func TestDpkgIndexHostile(t *testing.T) {
	dir := dpkgFake(t)
	root := filepath.Join(dir, "root")
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{"var/lib/dpkg/status", "var/lib/dpkg/info"} {
		if err := os.Chtimes(filepath.Join(root, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	p, err := machine.FromDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	index := filepath.Join(cache, DpkgIndexFile)
	system := func(name string) bool { return NewLibraries(p, cache).System(name, "amd64") }
	if !system("libz.so.1") {
		t.Fatal("first run: wrong answer")
	}
	// A planted index of the same state that says libq is the system's.
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(b), "\n")
	planted := header + "\n/lib/x86_64-linux-gnu/libq.so.1\nend\n"
	if err := os.WriteFile(index, []byte(planted), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(index, 0o666); err != nil {
		t.Fatal(err)
	}
	if system("libq.so.1") || !system("libz.so.1") {
		t.Error("an index writable by others was believed")
	}
	// A named pipe in its place: answered from dpkg's lists, at once.
	os.Remove(index)
	if err := mkfifo(index); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan bool, 1)
	go func() { done <- system("libz.so.1") }()
	select {
	case ok := <-done:
		if !ok {
			t.Error("named pipe index: wrong answer")
		}
	case <-time.After(time.Minute):
		t.Fatal("a named pipe at the dpkg index hangs the library check")
	}
}

// dpkgFake is a fake Debian machine whose dpkg owns libz.so.1 and not libq.so.1.
func dpkgFake(t *testing.T) string {
	return writeFake(t, map[string]string{
		"platform":                                "linux/amd64\n",
		"root/var/lib/dpkg/status":                "Package: libz\n",
		"root/var/lib/dpkg/info/z.list":           "/.\n/usr/lib/x86_64-linux-gnu/libz.so.1\n",
		"root/usr/lib/x86_64-linux-gnu/libz.so.1": "",
		"root/usr/lib/x86_64-linux-gnu/libq.so.1": "",
	})
}

// statCounter is a machine that counts its Stat calls.
type statCounter struct {
	machine.Machine
	stats atomic.Int64
}

func (m *statCounter) Stat(name string) (fs.FileInfo, error) {
	m.stats.Add(1)
	return m.Machine.Stat(name)
}

// TestLibrariesOneLookup checks that a question is looked up once: concurrent askers
// of the same library wait for the first (without it, each stat-ed the same paths),
// and an answered question costs no allocation (the key was a concatenated string).
func TestLibrariesOneLookup(t *testing.T) {
	dir := writeFake(t, map[string]string{
		"platform": "linux/amd64\n",
		"root/usr/lib/x86_64-linux-gnu/libq.so.1": "",
	})
	p, err := machine.FromDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"libq.so.1", true},        // found in the second directory
		{"libnowhere.so.1", false}, // every directory stat-ed
	} {
		one := &statCounter{Machine: p}
		NewLibraries(one, "").System(tc.name, "amd64")
		many := &statCounter{Machine: p}
		l := NewLibraries(many, "")
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if got := l.System(tc.name, "amd64"); got != tc.want {
					t.Errorf("System(%s) = %v, want %v", tc.name, got, tc.want)
				}
			}()
		}
		close(start)
		wg.Wait()
		if got, want := many.stats.Load(), one.stats.Load(); got != want || want == 0 {
			t.Errorf("%s: 16 concurrent askers stat-ed %d times, one asker %d", tc.name, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { l.System(tc.name, "amd64") }); n != 0 {
			t.Errorf("%s: an answered question allocates %v times", tc.name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { libDirs("amd64") }); n != 0 {
		t.Errorf("libDirs allocates %v times", n)
	}
	if d := LibDirs("amd64"); len(d) == 0 || d[0] != "/lib/x86_64-linux-gnu" {
		t.Errorf("LibDirs(amd64) = %q", d)
	}
}
