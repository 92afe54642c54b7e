package gocode

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

var (
	linuxAMD64   = build.Target{OS: "linux", Arch: "amd64"}
	linuxARM64   = build.Target{OS: "linux", Arch: "arm64"}
	darwinARM64T = build.Target{OS: "darwin", Arch: "arm64"}
	threeTargets = []build.Target{linuxAMD64, linuxARM64, darwinARM64T}
)

// needGo skips a test on a machine without the go command.
func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

// checkDir runs check on dir for the three targets with the machine's go, offline.
func checkDir(t testing.TB, dir string) []result { return checkDirWith(t, dir, options{vet: true}) }

func checkDirWith(t testing.TB, dir string, opt options) []result {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rs, err := check(ctx, ready.Input{Machine: machine.RealWith(env), Dir: abs, Targets: threeTargets}, opt)
	if err != nil {
		t.Fatalf("check %s: %v", dir, err)
	}
	return rs
}

var (
	modsOnce sync.Map // module name -> func() []result
)

// modResults runs check once per hand-made module under testdata/mods.
func modResults(t *testing.T, mod string) []result {
	t.Helper()
	needGo(t)
	f, _ := modsOnce.LoadOrStore(mod, sync.OnceValue(func() []result { return checkDir(t, filepath.Join("testdata", "mods", mod)) }))
	return f.(func() []result)()
}

// has reports whether rs holds a finding of id for target and package (a suffix of
// its import path), returning it.
func has(rs []result, id string, tg build.Target, pkg string) (result, bool) {
	for _, r := range rs {
		if r.ID == id && r.Target == tg && strings.HasSuffix(r.Package, pkg) {
			return r, true
		}
	}
	return result{}, false
}

func TestRules(t *testing.T) {
	crossGCC := exec.Command("aarch64-linux-gnu-gcc", "--version").Run() == nil
	tests := []struct {
		name   string
		mod    string
		id     string
		target build.Target
		pkg    string
		want   bool
		path   string
		line   int
		evid   string // a substring of the evidence
	}{
		{"vet error on arm64 only", "rules", IDNoBuild, linuxARM64, "/nobuild", true, "nobuild/n_arm64.go", 3, "go vet"},
		{"vet error: not on amd64", "rules", IDNoBuild, linuxAMD64, "/nobuild", false, "", 0, ""},
		{"go list error on arm64", "rules", IDNoBuild, linuxARM64, "/missing", true, "missing/m_arm64.go", 3, "go list"},
		{"go list error: not on amd64", "rules", IDNoBuild, linuxAMD64, "/missing", false, "", 0, ""},
		{"syscall name absent on linux/arm64", "rules", IDArchOnly, linuxARM64, "/archonly", true, "archonly/archonly.go", 7, "SYS_OPEN"},
		{"syscall name present on linux/amd64", "rules", IDArchOnly, linuxAMD64, "/archonly", false, "", 0, ""},
		{"amd64 assembly, arm64 generic", "rules", IDAsmFallback, linuxARM64, "/fast", true, "fast/sum_generic.go", 3, "sum_generic.go"},
		{"amd64 assembly, darwin/arm64 generic", "rules", IDAsmFallback, darwinARM64T, "/fast", true, "fast/sum_generic.go", 3, "sum_amd64.s"},
		{"amd64 itself has the assembly", "rules", IDAsmFallback, linuxAMD64, "/fast", false, "", 0, ""},
		{"linux-only package on darwin", "rules", IDExcluded, darwinARM64T, "/lx", true, "lx/lx.go", 1, "//go:build linux"},
		{"linux-only package on linux", "rules", IDExcluded, linuxARM64, "/lx", false, "", 0, ""},
		{"amd64-only tests on arm64", "rules", IDExcluded, linuxARM64, "/testonly", true, "testonly/t_test.go", 1, "excludes linux/arm64"},
		{"amd64-only tests on amd64", "rules", IDExcluded, linuxAMD64, "/testonly", false, "", 0, ""},
		{"no C compiler for darwin here", "cgo", IDNoCrossCC, darwinARM64T, "/clib", runtime.GOOS == "linux", "clib/clib.go", 11, "CGO_ENABLED=0"},
		{"no C compiler for linux/arm64", "cgo", IDNoCrossCC, linuxARM64, "/clib", !crossGCC, "clib/clib.go", 11, ""},
		{"missing library for linux/amd64", "cgo", IDNoTargetLib, linuxAMD64, "/clib", runtime.GOOS == "linux", "clib/clib.go", 11, "-print-file-name=libgonativenosuchlib.so"},
		{"missing library for linux/arm64", "cgo", IDNoTargetLib, linuxARM64, "/clib", crossGCC, "clib/clib.go", 11, "aarch64-linux-gnu-gcc"},
		{"cgo-only test code checked without cgo: not a failure", "cgo", IDNoBuild, darwinARM64T, "/clib", false, "", 0, ""},
		{"Intel Homebrew include", "cgo", IDIntelHomebrew, darwinARM64T, "/clib", true, "clib/clib.go", 6, "/usr/local/include"},
		{"only net uses cgo", "netonly", IDNotNeeded, linuxAMD64, "", true, "go.mod", 0, "only net use cgo"},
		{"real cgo user: not the not-needed rule", "cgo", IDNotNeeded, linuxAMD64, "", false, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := modResults(t, tt.mod)
			r, ok := has(rs, tt.id, tt.target, tt.pkg)
			if ok != tt.want {
				t.Fatalf("%s for %s %s: found %v, want %v; all: %+v", tt.id, tt.target, tt.pkg, ok, tt.want, rs)
			}
			if !ok {
				return
			}
			if r.Path != tt.path || r.Line != tt.line {
				t.Errorf("at %s:%d, want %s:%d", r.Path, r.Line, tt.path, tt.line)
			}
			if !strings.Contains(strings.Join(r.Evidence, "\n"), tt.evid) {
				t.Errorf("evidence %q lacks %q", r.Evidence, tt.evid)
			}
			if r.Fix == nil || r.Fix.Text == "" {
				t.Errorf("no fix: %+v", r.Finding)
			}
		})
	}
}

// TestIntelHomebrewDiffApplies applies every printed diff with patch -p1 to a copy of
// the module and checks that its finding is gone and the file still parses as cgo.
func TestIntelHomebrewDiffApplies(t *testing.T) {
	needGo(t)
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("no patch command")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "mods", "cgo"))); err != nil {
		t.Fatal(err)
	}
	before := checkDir(t, dir)
	var diffs []result
	for _, r := range before {
		if r.ID == IDIntelHomebrew {
			diffs = append(diffs, r)
		}
	}
	if len(diffs) != 1 || len(diffs[0].Evidence) != 4 {
		t.Fatalf("%d Intel Homebrew findings, want 1 naming 3 lines (two darwin lines, one for every platform): %+v", len(diffs), diffs)
	}
	for _, r := range diffs {
		if r.Fix == nil || r.Fix.Diff == "" {
			t.Fatalf("no diff: %+v", r.Finding)
		}
		cmd := exec.Command("patch", "-p1", "--forward", "--no-backup-if-mismatch")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(r.Fix.Diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch -p1 of\n%s\n%v: %s", r.Fix.Diff, err, out)
		}
	}
	after := checkDir(t, dir)
	for _, r := range after {
		if r.ID == IDIntelHomebrew {
			t.Errorf("still found after the diffs: %+v", r.Finding)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "clib", "clib.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#cgo darwin,!arm64 CFLAGS: -I/usr/local/include",
		"#cgo darwin,arm64 CFLAGS: -I/opt/homebrew/include",
		"#cgo darwin,arm64 LDFLAGS: -L/opt/homebrew/opt/gonative/lib",
		"#cgo !darwin darwin,!arm64 CFLAGS: -I/usr/local/opt/gonative/include",
		"#cgo darwin,arm64 CFLAGS: -I/opt/homebrew/opt/gonative/include",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("patched clib.go lacks %q:\n%s", want, data)
		}
	}
	// The other platforms keep their flags: linux/amd64's finding about the library is
	// still there, the same as before.
	if _, ok := has(after, IDNoTargetLib, linuxAMD64, "/clib"); runtime.GOOS == "linux" && !ok {
		t.Errorf("the edit changed linux/amd64's flags: %+v", after)
	}
}
