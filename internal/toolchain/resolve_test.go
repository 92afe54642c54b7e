package toolchain

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/goenv"
)

var testRels = []Release{
	{"1.26.2", linuxAMD64}, {"1.27.3", linuxAMD64}, {"1.27.1", linuxAMD64}, {"1.27.3", linuxAMD64},
	{"1.28rc1", linuxAMD64}, {"1.15.15", Platform{"freebsd", "amd64"}}, {"1.27.3", Platform{"darwin", "arm64"}},
}

func TestOffered(t *testing.T) {
	got := strings.Join(Offered(testRels, linuxAMD64), " ")
	if got != "1.26.2 1.27.1 1.27.3 1.28rc1" {
		t.Errorf("Offered = %s", got)
	}
	if got := Offered(testRels, Platform{"plan9", "arm"}); len(got) != 0 {
		t.Errorf("Offered for nothing = %v", got)
	}
}

func TestResolveOffered(t *testing.T) {
	tests := []struct {
		arg, want string
		err       error
		msg       string
	}{
		{"1.27", "1.27.3", nil, ""},
		{"latest", "1.27.3", nil, ""},
		{"1.28", "1.28rc1", nil, ""},
		{"1.99.1", "1.99.1", nil, ""}, // exact: the download decides
		{"1.28", "", ErrNotOffered, "go1.28rc1 is not offered for darwin/arm64 (SRC): go1.27.3 to go1.27.3"},
		{"1.29", "", ErrUnknownVersion, `unknown Go version "1.29" (SRC offers go1.15.15 to go1.28rc1)`},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.arg)
		if err != nil {
			t.Fatal(err)
		}
		p := linuxAMD64
		if tt.err == ErrNotOffered {
			p = Platform{"darwin", "arm64"}
		}
		v, err := ResolveOffered(q, testRels, p, "SRC")
		if v != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
			t.Errorf("ResolveOffered(%s) = %q, %v; want %q, %v (%s)", tt.arg, v, err, tt.want, tt.err, tt.msg)
		}
	}
}

func TestExplainMissing(t *testing.T) {
	orig := errors.New("404")
	if err := ExplainMissing(testRels, "1.27.3", linuxAMD64, "SRC", orig); err != orig {
		t.Errorf("offered: %v, want the original error", err)
	}
	if err := ExplainMissing(nil, "1.27.3", linuxAMD64, "SRC", orig); err != orig {
		t.Errorf("no list: %v", err)
	}
	err := ExplainMissing(testRels, "1.15.15", linuxAMD64, "SRC", orig)
	if !errors.Is(err, ErrNotOffered) || !strings.Contains(err.Error(), "SRC has it for freebsd/amd64; for linux/amd64 it offers go1.26.2 to go1.28rc1") {
		t.Errorf("other platform: %v", err)
	}
	err = ExplainMissing(testRels, "1.99.1", linuxAMD64, "SRC", orig)
	if !errors.Is(err, ErrUnknownVersion) || err.Error() != "unknown Go version 1.99.1 (SRC offers go1.26.2 to go1.28rc1 for linux/amd64)" {
		t.Errorf("unknown: %v", err)
	}
}

func TestStoreResolve(t *testing.T) {
	st := newStore(t)
	if _, err := st.Resolve("1.27"); !errors.Is(err, fs.ErrNotExist) || err.Error() != "go1.27 is not installed (installed: none)" {
		t.Errorf("empty store: %v", err)
	}
	fakeInstall(t, st, "1.27.1")
	fakeInstall(t, st, "1.27.3")
	if v, err := st.Resolve("go1.27"); v != "1.27.3" || err != nil {
		t.Errorf("Resolve(go1.27) = %q, %v", v, err)
	}
	var ni *NotInstalledError
	if _, err := st.Resolve("1.26.8"); !errors.As(err, &ni) || JoinVersions(ni.Installed) != "go1.27.1, go1.27.3" {
		t.Errorf("Resolve(1.26.8) = %v", err)
	}
	if _, err := st.Resolve("1.x"); err == nil || errors.As(err, &ni) {
		t.Errorf("Resolve(1.x) = %v, want a parse error", err)
	}
}

func TestModuleAsks(t *testing.T) {
	tests := []struct {
		m    goenv.ModFile
		want string
		err  bool
	}{
		{goenv.ModFile{File: "go.mod", Go: "1.26", Toolchain: "go1.27.3"}, "1.27.3", false},
		{goenv.ModFile{File: "go.mod", Go: "1.27"}, "1.27.0", false},
		{goenv.ModFile{File: "go.mod", Go: "1.20"}, "1.20", false},
		{goenv.ModFile{File: "go.mod", Go: "1.27.3", Toolchain: "default"}, "1.27.3", false},
		{goenv.ModFile{File: "go.mod"}, "", true},
		{goenv.ModFile{}, "", true},
	}
	for _, tt := range tests {
		v, err := ModuleAsks(tt.m)
		if v != tt.want || (err != nil) != tt.err {
			t.Errorf("ModuleAsks(%+v) = %q, %v", tt.m, v, err)
		}
	}
}

func TestPinPath(t *testing.T) {
	st := Store{Root: "/h"}
	tests := []struct {
		path, bin, want string
	}{
		{"/usr/bin:/h/versions/go1.26.2/bin:/h/bin", "", "/usr/bin:/h/bin"},
		{"/usr/bin:/h/versions/go1.26.2/bin:/h/bin", "/h/versions/go1.27.3/bin", "/h/versions/go1.27.3/bin:/usr/bin:/h/bin"},
		{"/h/versions-other/bin:/h/versions/go1.26.2/bin/", "", "/h/versions-other/bin"},
		{"", "/h/versions/go1.27.3/bin", "/h/versions/go1.27.3/bin"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := st.PinPath(filepath.FromSlash(tt.path), filepath.FromSlash(tt.bin), ":"); got != filepath.FromSlash(tt.want) {
			t.Errorf("PinPath(%q, %q) = %q, want %q", tt.path, tt.bin, got, tt.want)
		}
	}
}

// storeAndOtherGo returns a store with 1.26.2 (the default) and 1.27.3 installed, a
// directory for the test, and in it another Go (other/bin/go, pkg/tool, VERSION
// go1.26.8 with a second line that is not part of the version).
func storeAndOtherGo(t *testing.T) (st Store, dir, other string) {
	t.Helper()
	st = newStore(t)
	fakeInstall(t, st, "1.26.2")
	fakeInstall(t, st, "1.27.3")
	if err := st.SetDefault("1.26.2"); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	other = filepath.Join(dir, "other")
	os.MkdirAll(filepath.Join(other, "bin"), 0o755)
	os.MkdirAll(filepath.Join(other, "pkg", "tool"), 0o755) // what makes it a Go root for cmd/go
	os.WriteFile(filepath.Join(other, "bin", "go"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(other, "VERSION"), []byte("go1.26.8\ntime x\n"), 0o644)
	return st, dir, other
}

func TestLookPathAndFindGo(t *testing.T) {
	st, dir, other := storeAndOtherGo(t)
	noexec := filepath.Join(dir, "noexec")
	os.MkdirAll(filepath.Join(noexec, "go"), 0o755) // a directory named go
	os.MkdirAll(filepath.Join(dir, "rel"), 0o755)
	os.WriteFile(filepath.Join(dir, "rel", "go"), []byte("#!/bin/sh\n"), 0o644) // not executable
	os.WriteFile(filepath.Join(dir, "go"), []byte("#!/bin/sh\n"), 0o755)        // in the current directory

	tests := []struct {
		name, path string
		want       PathGo
	}{
		{"link", st.BinDir() + ":" + other + "/bin", PathGo{Path: filepath.Join(st.BinDir(), "go"), Version: "1.26.2", Link: true}},
		{"pinned", st.GOROOT("1.27.3") + "/bin:" + st.BinDir(), PathGo{Path: st.GoExe("1.27.3"), Version: "1.27.3", Pinned: true}},
		{"other first", noexec + ":rel:" + other + "/bin:" + st.BinDir(), PathGo{Path: filepath.Join(other, "bin", "go"), Version: "1.26.8"}},
		{"empty entry is the current directory", "/nonexistent::" + st.BinDir(), PathGo{Path: filepath.Join(dir, "go")}},
		{"none", noexec, PathGo{}},
	}
	if _, err := LookExec("go", "rel:"+noexec, dir, "linux", nil); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("LookExec of a file without an execute bit: %v, want a permission error", err)
	}
	if _, err := LookExec("go", noexec, dir, "linux", nil); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("LookExec of nothing: %v, want not found", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := st.FindGo(tt.path, dir, nil)
			g.Resolved = ""
			if g != tt.want {
				t.Errorf("FindGo = %+v, want %+v", g, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	st, dir, other := storeAndOtherGo(t)
	os.WriteFile(filepath.Join(other, "go.env"), []byte("GOTOOLCHAIN=auto\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "pin"), 0o755)
	os.WriteFile(filepath.Join(dir, "pin", ".go-version"), []byte("1.27.3\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "gone"), 0o755)
	os.WriteFile(filepath.Join(dir, "gone", ".go-version"), []byte("1.25.0\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "mod"), 0o755)
	os.WriteFile(filepath.Join(dir, "mod", "go.mod"), []byte("module m\ngo 1.26\ntoolchain go1.27.3\n"), 0o644)
	os.WriteFile(filepath.Join(st.GOROOT("1.26.2"), "go.env"), []byte("GOTOOLCHAIN=auto\n"), 0o644)

	links, otherBin, pinned := st.BinDir(), filepath.Join(other, "bin"), filepath.Join(st.GOROOT("1.27.3"), "bin")
	tests := []struct {
		name, dir, path string
		agrees          bool
		runs, problem   string
	}{
		{"default through the links", dir, links + ":" + otherBin, true, "1.26.2", ""},
		{"another go first", dir, otherBin + ":" + links, false, "1.26.8", "before gonative's links"},
		{"links not on PATH", dir, "/nonexistent", false, "", "no go on PATH"},
		{"pin with the hook", filepath.Join(dir, "pin"), pinned + ":" + links, true, "1.27.3", ""},
		{"pin without the hook", filepath.Join(dir, "pin"), links, false, "1.26.2", "the shell hook has not run here"},
		{"pin not installed", filepath.Join(dir, "gone"), links, false, "1.26.2", "go1.25.0 (pinned by"},
		{"cmd/go switches from another go", filepath.Join(dir, "mod"), otherBin + ":" + links, true, "1.27.3", ""},
		{"cmd/go switches from the links", filepath.Join(dir, "mod"), links, true, "1.27.3", ""},
	}
	// GONATIVE_GO naming a go that does not exist.
	in := WhichInput{Dir: dir, Machine: onReal(map[string]string{GoEnv: "/nonexistent/go"}, nil), Store: st}
	sel, _ := Which(in)
	if v := Check(in, sel, links); v.Agrees || !strings.Contains(v.Problem, "no such go executable") || !strings.HasPrefix(v.Fix, "unset GONATIVE_GO") {
		t.Errorf("GONATIVE_GO=/nonexistent/go: %+v", v)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := WhichInput{Dir: tt.dir, Machine: onReal(nil, nil), Store: st, Platform: linuxAMD64}
			sel, err := Which(in)
			if err != nil {
				t.Fatal(err)
			}
			v := Check(in, sel, tt.path)
			if v.Agrees != tt.agrees || v.RunsVersion != tt.runs || !strings.Contains(v.Problem, tt.problem) || (v.Problem == "") != v.Agrees || (v.Problem != "") != (v.Fix != "") {
				t.Errorf("Check = %+v; want agrees=%v runs=%s problem %q", v, tt.agrees, tt.runs, tt.problem)
			}
		})
	}
}
