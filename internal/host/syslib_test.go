package host

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

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
	p, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLibraries(p)
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
	f := &exe.File{Format: exe.FormatELF, Path: "/usr/bin/man", Slices: []exe.Slice{{
		OS: "linux", Arch: "amd64", RunPath: []string{"/usr/lib/man-db"},
		Libraries: []exe.Library{{Name: "libman-2.11.2.so"}, {Name: "libc.so.6", System: true}, {Name: "libmine.so.1"}},
	}}}
	l.Mark(f)
	if libs := f.Slices[0].Libraries; !libs[0].System || !libs[1].System || libs[2].System {
		t.Errorf("Mark: %+v", libs)
	}
}

// BenchmarkLibrariesThisMachine measures the first question on this machine: reading
// dpkg's file lists (once per run) and finding a library.
func BenchmarkLibrariesThisMachine(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("Linux only")
	}
	if _, err := os.Stat("/var/lib/dpkg/info"); err != nil {
		b.Skip("no dpkg")
	}
	n, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	b.Logf("%d dpkg file lists", len(n))
	for b.Loop() {
		l := NewLibraries(System())
		l.System("libz.so.1", runtime.GOARCH)
	}
}
