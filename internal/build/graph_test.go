package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

// fakeGo returns a go command that runs the shell lines body, in which $dir is a new
// directory of its own, and then the real go; and that directory.
func fakeGo(t *testing.T, body string) (goCmd, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake go is a shell script")
	}
	real, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	dir = t.TempDir()
	goCmd = filepath.Join(dir, "go")
	script := "#!/bin/sh\ndir='" + dir + "'\n" + body + "\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(goCmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return goCmd, dir
}

// countingGo returns a go command that logs each invocation's arguments, one line
// each, to the returned file, then runs the real go.
func countingGo(t *testing.T) (goCmd, log string) {
	goCmd, dir := fakeGo(t, `echo "$*" >>"$dir/log"`)
	return goCmd, filepath.Join(dir, "log")
}

// tracedBuild builds o, which must work without problems, and returns its result and
// the steps it traced.
func tracedBuild(t *testing.T, o Options) (*Result, []Step) {
	t.Helper()
	var steps []Step
	o.Trace = func(s Step) { steps = append(steps, s) }
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	noProblems(t, res)
	return res, steps
}

// goCalls counts the logged go invocations whose arguments start with prefix.
func goCalls(t *testing.T, log, prefix string) int {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

var fourTargets = []Target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

// TestOneGoList: a build whose graph answers for every target runs go list once, not
// once per target, and the trace shows every step.
func TestOneGoList(t *testing.T) {
	dir := module(t, "example.com/web", map[string]string{"main.go": `package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() { _ = json.NewEncoder(os.Stdout).Encode(http.StatusOK) }
`})
	for _, mode := range []CgoMode{CgoOff, CgoAuto} {
		t.Run(string(mode), func(t *testing.T) {
			o := testOptions(t, dir)
			o.OutDir = t.TempDir()
			o.Targets, o.Cgo = fourTargets, mode
			var log string
			o.Go, log = countingGo(t)
			_, steps := tracedBuild(t, o)
			if n := goCalls(t, log, "list"); n != 1 {
				t.Errorf("%d go list runs, want 1 for %d targets", n, len(o.Targets))
			}
			if n := goCalls(t, log, "build"); n != len(o.Targets) {
				t.Errorf("%d go build runs, want %d", n, len(o.Targets))
			}
			count := map[StepKind]int{}
			for _, s := range steps {
				count[s.Kind]++
				if s.Start < 0 || s.Duration < 0 {
					t.Errorf("step %+v: negative time", s)
				}
			}
			want := map[StepKind]int{StepDistList: 1, StepList: 1, StepBuild: 4, StepVerify: 4, StepSums: 1}
			for k, n := range want {
				if count[k] != n {
					t.Errorf("%d %q steps, want %d (all: %v)", count[k], k, n, count)
				}
			}
			if count[StepListCgo] != 0 {
				t.Errorf("%d per-target go list steps, want none", count[StepListCgo])
			}
		})
	}
}

// TestGraphNeedsPerTarget: the graph of the first target answers for the others when
// what they add is known; a cgo file only one OS builds is found for that OS, and an
// import the first target never saw sends that target (only) to go list.
func TestGraphNeedsPerTarget(t *testing.T) {
	dir := module(t, "example.com/multi", map[string]string{
		"main.go":           "package main\n\nimport \"example.com/multi/sys\"\n\nfunc main() { sys.Do() }\n",
		"sys/sys.go":        "package sys\n\nimport \"strings\"\n\nvar _ = strings.ToUpper\n",
		"sys/do_other.go":   "//go:build !darwin && !windows\n\npackage sys\n\nfunc Do() {}\n",
		"sys/do_darwin.go":  "package sys\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc Do() { _ = C.one() }\n",
		"sys/do_windows.go": "package sys\n\nimport \"example.com/multi/win\"\n\nfunc Do() { win.Do() }\n",
		"win/win.go":        "package win\n\n// Do does nothing.\nfunc Do() {}\n",
	})
	o := testOptions(t, dir)
	o.Targets = fourTargets
	o = o.withDefaults()
	mains, g, err := loadGraph(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(mains) != 1 || mains[0].ImportPath != "example.com/multi" {
		t.Fatalf("mains %+v", mains)
	}
	if !g.exact {
		t.Fatal("go/build did not agree with go list on the first target")
	}
	for _, tc := range []struct {
		t             Target
		withPkgConfig bool
		known         bool
		cgo           []string
	}{
		{Target{"linux", "amd64"}, true, true, nil},
		{Target{"linux", "arm64"}, true, true, nil},
		{Target{"darwin", "arm64"}, false, true, []string{"example.com/multi/sys"}},
		{Target{"darwin", "arm64"}, true, false, nil}, // pkg-config names: only go list knows
		{Target{"windows", "amd64"}, false, false, nil},
	} {
		n, known := g.needs("example.com/multi", tc.t, tc.withPkgConfig)
		if known != tc.known || !slices.Equal(n.Packages, tc.cgo) {
			t.Errorf("%s (pkg-config %v): %v known %v, want %v known %v", tc.t, tc.withPkgConfig, n.Packages, known, tc.cgo, tc.known)
		}
		if !known {
			continue
		}
		// Ground truth: go list for that target.
		want, err := needsCgo(context.Background(), o, "example.com/multi", tc.t)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(n.Packages, want.Packages) {
			t.Errorf("%s: graph says %v, go list %v", tc.t, n.Packages, want.Packages)
		}
	}
}

// TestGraphNotExact: when go/build cannot see what go sees (GOFLAGS), the graph
// answers only for the first target.
func TestGraphNotExact(t *testing.T) {
	dir := module(t, "example.com/flags", map[string]string{"main.go": "package main\n\nfunc main() {}\n"})
	o := testOptions(t, dir)
	o.Machine = machine.RealWith(testEnv("GOFLAGS=-tags=x"))
	o.Targets = fourTargets
	o = o.withDefaults()
	_, g, err := loadGraph(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := g.needs("example.com/flags", Target{"linux", "amd64"}, true); !known {
		t.Error("the first target, listed by go, is not known")
	}
	if _, known := g.needs("example.com/flags", Target{"linux", "arm64"}, true); known {
		t.Error("another target known although GOFLAGS may set tags go/build does not see")
	}
}

func TestReleaseTags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		version string
		last    string
		ok      bool
	}{
		{"go1.26.0\ntime 2026-01-01\n", "go1.26", true},
		{"go1.3", "go1.3", true},
		{"devel +abc", "", false},
		{"go1.x", "", false},
	} {
		if err := os.WriteFile(filepath.Join(dir, "VERSION"), []byte(tc.version), 0o644); err != nil {
			t.Fatal(err)
		}
		tags, ok := releaseTags(dir)
		if ok != tc.ok || (ok && (tags[0] != "go1.1" || tags[len(tags)-1] != tc.last)) {
			t.Errorf("%q: %v %v", tc.version, tags, ok)
		}
	}
	if _, ok := releaseTags(""); ok {
		t.Error("no GOROOT: known")
	}
}

// FuzzParseGraph: whatever go list's stream holds, every package asked for is in the
// graph, and the main packages picked from it are asked-for main packages with
// distinct program names.
func FuzzParseGraph(f *testing.F) {
	f.Add([]byte(`{"ImportPath":"example.com/a","Name":"main","Deps":["fmt"]}{"ImportPath":"fmt","Name":"fmt","Standard":true,"DepOnly":true}`))
	f.Add([]byte(`{"ImportPath":"example.com/a/x","Name":"main"}{"ImportPath":"example.com/b/x","Name":"main"}`))
	f.Add([]byte(`{"ImportPath":"example.com/l","Name":"l","Error":{"Err":"bad"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, roots, err := parseGraph(b)
		if err != nil {
			return
		}
		asked := map[string]bool{}
		for _, r := range roots {
			if r.DepOnly || g.pkgs[r.ImportPath] == nil {
				t.Fatalf("root %+v not asked for or not in the graph", r)
			}
			if r.Name == "main" && r.Error == nil {
				asked[r.ImportPath] = true
			}
		}
		mains, err := mainsOf(roots, []string{"."})
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, m := range mains {
			if !asked[m.ImportPath] || names[m.Name] || m.Name != ProgramName(m.ImportPath) {
				t.Fatalf("main %+v: not an asked-for main package, or its name twice", m)
			}
			names[m.Name] = true
		}
	})
}

func TestDefaultJobs(t *testing.T) {
	if n := DefaultJobs(); n < 4 || n < runtime.NumCPU() {
		t.Errorf("DefaultJobs() = %d on %d CPUs, want the CPU count and at least 4", n, runtime.NumCPU())
	}
	if o := (Options{}).withDefaults(); o.Jobs != DefaultJobs() {
		t.Errorf("default Jobs %d, want %d", o.Jobs, DefaultJobs())
	}
}

// TestProgramsOneGoList: Programs (what init derives its files from) runs one go list
// -deps for all targets, whatever the number of main packages (and, for ./..., a list
// of each other target's main packages), and another only for a main package whose
// cgo another target must ask go list about; and it says what go list
// per package says: a cgo file one OS builds is found for that OS only.
func TestProgramsOneGoList(t *testing.T) {
	dir := module(t, "example.com/tools", map[string]string{
		"cmd/a/main.go":     "package main\n\nimport \"example.com/tools/sys\"\n\nfunc main() { sys.Do() }\n",
		"cmd/b/main.go":     "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n",
		"sys/sys_other.go":  "//go:build !linux || !arm64\n\npackage sys\n\n// Do does nothing.\nfunc Do() {}\n",
		"sys/sys_arm64.go":  "//go:build linux && arm64\n\npackage sys\n\n// int one(void) { return 1; }\nimport \"C\"\n\n// Do calls C.\nfunc Do() { _ = C.one() }\n",
		"lib/lib.go":        "package lib\n",
		"cmd/c/c_darwin.go": "package main\n\nfunc main() {}\n",
	})
	want := map[Target]map[string][]string{
		{"linux", "amd64"}: {"example.com/tools/cmd/a": nil, "example.com/tools/cmd/b": nil},
		{"linux", "arm64"}: {"example.com/tools/cmd/a": {"example.com/tools/sys"}, "example.com/tools/cmd/b": nil},
	}
	o := testOptions(t, dir)
	o.Packages = []string{"./..."}
	o.Targets = []Target{{"linux", "amd64"}, {"linux", "arm64"}}
	var log string
	o.Go, log = countingGo(t)
	ps, err := Programs(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// One for the graph, one of linux/arm64's main packages (./... matches per
	// target), one for cmd/a on linux/arm64: a cgo package's pkg-config names are go
	// list's to say.
	if n := goCalls(t, log, "list"); n != 3 {
		t.Errorf("%d go list runs for 2 targets and %d programs, want 3", n, len(ps))
	}
	got := map[Target]map[string][]string{}
	for _, p := range ps {
		if got[p.Target] == nil {
			got[p.Target] = map[string][]string{}
		}
		got[p.Target][p.ImportPath] = p.Cgo
		// Ground truth: go list -deps of that package for that target.
		w, err := needsCgo(context.Background(), o.withDefaults(), p.ImportPath, p.Target)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Cgo, w.Packages) {
			t.Errorf("%s %s: Programs says cgo %v, go list %v", p.Target, p.ImportPath, p.Cgo, w.Packages)
		}
	}
	for tg, pkgs := range want {
		if len(got[tg]) != len(pkgs) {
			t.Errorf("%s: programs %v, want %v", tg, got[tg], pkgs)
		}
		for k, v := range pkgs {
			if g, ok := got[tg][k]; !ok || !slices.Equal(g, v) {
				t.Errorf("%s %s: cgo %v (listed %v), want %v", tg, k, g, ok, v)
			}
		}
	}
}
