package ciconf

import (
	"os"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/scaffold"
)

// TestScaffoldedWorkflowIsReady: the workflow gonative init ci writes passes these
// checks, for every runner's targets and for ready's default ones (its gonative ready
// step would fail it otherwise).
func TestScaffoldedWorkflowIsReady(t *testing.T) {
	mods := map[string]*scaffold.Module{
		"program": {Path: "example.com/hello", Go: "1.22", HasSum: true, Programs: []scaffold.Program{{Package: "example.com/hello", Name: "hello", Dir: "."}}},
		"cgo":     {Path: "example.com/c", Go: "1.23", Programs: []scaffold.Program{{Package: "example.com/c", Name: "c", Dir: ".", Cgo: []string{"example.com/c/sqlite"}}}},
		"library": {Path: "example.com/lib", Go: "1.24"},
	}
	for name, m := range mods {
		files, err := scaffold.Render(scaffold.CI, m, scaffold.Options{GonativeVersion: "v0.4.1"})
		if err != nil {
			t.Fatal(err)
		}
		repo := map[string]string{}
		for _, f := range files {
			repo[f.Path] = string(f.Data)
		}
		wf := repo[".github/workflows/build.yml"]
		if !strings.Contains(wf, "gonative ready") {
			t.Errorf("%s: no gonative ready step", name)
		}
		sets := [][]build.Target{defaultTargets}
		for _, l := range strings.Split(wf, "\n") {
			if ts, ok := strings.CutPrefix(strings.TrimSpace(l), "targets: "); ok {
				parsed, err := build.ParseTargets([]string{ts})
				if err != nil {
					t.Fatal(err)
				}
				sets = append(sets, parsed)
			}
		}
		if len(sets) != 4 {
			t.Errorf("%s: %d runners' targets, want 3", name, len(sets)-1)
		}
		for _, ts := range sets {
			if fs := check(t, repo, ts, testNow); len(fs) > 0 {
				t.Errorf("%s, targets %v:\n%s", name, ts, dump(fs))
			}
		}
	}
}

// TestDocExample: the diff docs/ready-ci.md shows is the one Check writes.
func TestDocExample(t *testing.T) {
	b, err := os.ReadFile("../../../docs/ready-ci.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "```diff\n")
	doc, _, ok2 := strings.Cut(after, "```\n")
	if !ok || !ok2 {
		t.Fatal("no diff block in docs/ready-ci.md")
	}
	fs := check(t, map[string]string{wf: "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"}, defaultTargets, testNow)
	if len(fs) != 1 || fs[0].Fix == nil || fs[0].Fix.Diff != doc {
		t.Errorf("docs/ready-ci.md shows\n%s\nCheck writes\n%s", doc, dump(fs))
	}
}
