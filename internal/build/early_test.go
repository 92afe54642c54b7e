package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/machine"
)

// waitingGo returns a go command whose go list waits (up to 30 s) until a go build
// has started, and logs, to the returned file, every invocation and a line
// "go list ended before any go build started" when none did.
func waitingGo(t *testing.T) (goCmd, log string) {
	goCmd, dir := fakeGo(t, `case "$1" in
build) : >"$dir/built" ;;
list)
	i=0
	while [ ! -e "$dir/built" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	[ -e "$dir/built" ] || echo "go list ended before any go build started" >>"$dir/log"
	;;
esac
echo "$*" >>"$dir/log"`)
	return goCmd, filepath.Join(dir, "log")
}

// TestEarlyBuild: with --cgo=off the go builds start before go list answers (its
// go list waits for one), and each is adopted: one go build per target, not two.
func TestEarlyBuild(t *testing.T) {
	dir := module(t, "example.com/tools/web/v2", map[string]string{"cmd/serve/main.go": helloHTTP, "main.go": helloHTTP})
	for _, pkg := range []string{".", "./cmd/serve", "example.com/tools/web/v2/cmd/serve"} {
		t.Run(pkg, func(t *testing.T) {
			o := testOptions(t, dir)
			o.OutDir = t.TempDir()
			o.Targets, o.Cgo, o.Packages = fourTargets, CgoOff, []string{pkg}
			var log string
			o.Go, log = waitingGo(t)
			res, steps := tracedBuild(t, o)
			if n := goCalls(t, log, "go list ended before"); n != 0 {
				t.Errorf("go list ended before any go build started: the builds were not started early")
			}
			if n := goCalls(t, log, "build"); n != len(o.Targets) {
				t.Errorf("%d go build runs, want %d (one per target: each early one adopted)", n, len(o.Targets))
			}
			name := "web"
			if pkg != "." {
				name = "serve"
			}
			for _, out := range res.Outputs {
				if base := filepath.Base(out.Path); !strings.HasPrefix(base, name+"_") {
					t.Errorf("output %s, want %s_*", base, name)
				}
				if _, err := os.Stat(out.Path); err != nil {
					t.Error(err)
				}
			}
			if n := countSteps(steps, StepBuild); n != len(o.Targets) {
				t.Errorf("%d go build steps traced, want %d", n, len(o.Targets))
			}
		})
	}
}

// TestEarlyBuildNotAdopted: builds started early for a package other than the one go
// list names (here GOFLAGS=-modfile names another module path than go.mod's) are
// stopped and leave no file: the planned builds run, and are traced, alone.
func TestEarlyBuildNotAdopted(t *testing.T) {
	dir := module(t, "example.com/web", map[string]string{"main.go": helloHTTP, "alt.mod": "module example.com/alt/web\n\ngo 1.21\n"})
	o := testOptions(t, dir)
	o.Machine = machine.RealWith(testEnv("GOFLAGS=-modfile=" + filepath.Join(dir, "alt.mod")))
	o.OutDir = t.TempDir()
	o.Targets, o.Cgo = fourTargets[:2], CgoOff
	var log string
	o.Go, log = countingGo(t)
	res, steps := tracedBuild(t, o)
	for _, out := range res.Outputs {
		if out.Package != "example.com/alt/web" {
			t.Fatalf("package %s: -modfile did not name it; the test needs another way to make go list disagree with go.mod", out.Package)
		}
	}
	if n := goCalls(t, log, "build"); n != 2*len(o.Targets) {
		t.Errorf("%d go build runs, want %d: the early ones, stopped, and the planned ones", n, 2*len(o.Targets))
	}
	if n := countSteps(steps, StepBuild); n != len(o.Targets) {
		t.Errorf("%d go build steps traced, want %d (the stopped ones are not)", n, len(o.Targets))
	}
	ents, err := os.ReadDir(o.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"SHA256SUMS", "manifest.json", "web_linux_amd64", "web_linux_arm64"}
	if !slices.Equal(names, want) {
		t.Errorf("output directory holds %q, want %q", names, want)
	}
}

// TestEarlyBuildPlanFails: when the plan fails (no main package), the early builds are
// stopped and the output directory, which the build made, is gone again.
func TestEarlyBuildPlanFails(t *testing.T) {
	dir := module(t, "example.com/lib", map[string]string{"lib.go": "package lib\n\nfunc F() int { return 1 }\n"})
	o := testOptions(t, dir)
	o.OutDir = filepath.Join(t.TempDir(), "a", "dist")
	o.Targets, o.Cgo = fourTargets[:2], CgoOff
	_, err := Build(context.Background(), o)
	if !errors.Is(err, ErrNoMain) {
		t.Fatalf("err %v, want ErrNoMain", err)
	}
	if _, err := os.Lstat(filepath.Dir(o.OutDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: %v, want it not made", filepath.Dir(o.OutDir), err)
	}
}

func TestImportPathOf(t *testing.T) {
	root := module(t, "example.com/m/v2", map[string]string{
		"cmd/x/main.go": "package main\n", "inner/go.mod": "module example.com/inner\n",
	})
	for _, c := range []struct {
		dir, pattern, want string
		ok                 bool
	}{
		{root, ".", "example.com/m/v2", true},
		{root, "./cmd/x", "example.com/m/v2/cmd/x", true},
		{filepath.Join(root, "cmd"), "./x", "example.com/m/v2/cmd/x", true},
		{filepath.Join(root, "cmd"), "..", "example.com/m/v2", true},
		{root, filepath.Join(root, "cmd", "x"), "example.com/m/v2/cmd/x", true},
		{root, "./inner", "example.com/inner", true},
		{root, "./inner/sub", "example.com/inner/sub", true},
		{root, "example.com/other/cmd/y", "example.com/other/cmd/y", true},
		{root, "all", "", false},
		{root, "std", "", false},
		{root, "tool", "", false},
		{root, "example.com/y@v1.0.0", "", false},
		{t.TempDir(), ".", "", false}, // no go.mod above (the temporary directory has none)
	} {
		got, ok := importPathOf(c.dir, c.pattern)
		if got != c.want || ok != c.ok {
			t.Errorf("importPathOf(%s, %s) = %q, %v; want %q, %v", c.dir, c.pattern, got, ok, c.want, c.ok)
		}
	}
}

func countSteps(steps []Step, k StepKind) int {
	n := 0
	for _, s := range steps {
		if s.Kind == k {
			n++
		}
	}
	return n
}

const helloHTTP = `package main

import (
	"fmt"
	"net/http"
)

func main() { fmt.Println(http.StatusOK) }
`
