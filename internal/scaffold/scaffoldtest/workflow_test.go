package scaffoldtest

import (
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/scaffold"
	"gopkg.in/yaml.v3"
)

type workflow struct {
	Name        string
	On          map[string]any
	Permissions map[string]string
	Jobs        map[string]struct {
		RunsOn   string `yaml:"runs-on"`
		Strategy struct {
			FailFast *bool `yaml:"fail-fast"`
			Matrix   struct {
				Include []map[string]string
			}
		}
		Steps []struct {
			Name string
			Uses string
			Run  string
			With map[string]any
		}
	}
}

func TestWorkflow(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, m, files := f.render(t, scaffold.CI, scaffold.Options{})
			raw := files[".github/workflows/build.yml"]
			var wf workflow
			dec := yaml.NewDecoder(strings.NewReader(string(raw)))
			dec.KnownFields(true)
			if err := dec.Decode(&wf); err != nil {
				t.Fatalf("YAML: %v\n%s", err, raw)
			}
			if wf.Permissions["contents"] != "read" {
				t.Errorf("permissions %v, want contents: read", wf.Permissions)
			}
			if _, ok := wf.On["pull_request"]; !ok {
				t.Error("not run on pull requests")
			}
			job, ok := wf.Jobs["build"]
			if !ok {
				t.Fatalf("no build job: %v", wf.Jobs)
			}
			if job.RunsOn != "${{ matrix.runner }}" {
				t.Errorf("runs-on %q", job.RunsOn)
			}
			if job.Strategy.FailFast == nil || *job.Strategy.FailFast {
				t.Error("fail-fast: one platform's failure would hide the others'")
			}
			platforms := map[string]string{}
			for _, row := range job.Strategy.Matrix.Include {
				platforms[row["platform"]] = row["runner"]
				if !strings.Contains(row["targets"], row["platform"]) {
					t.Errorf("runner %s (%s) does not build its own platform: %s", row["runner"], row["platform"], row["targets"])
				}
				if m.NeedsCgo() && strings.Contains(row["targets"], "windows") {
					t.Errorf("cgo module cross-built for windows on %s", row["runner"])
				}
			}
			for p, r := range map[string]string{"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm", "darwin/arm64": "macos-14"} {
				if platforms[p] != r {
					t.Errorf("platform %s on %q, want the native runner %s", p, platforms[p], r)
				}
			}
			var runs []string
			var setupGo map[string]any
			for _, s := range job.Steps {
				runs = append(runs, s.Run)
				if strings.HasPrefix(s.Uses, "actions/setup-go@") {
					setupGo = s.With
				}
			}
			if setupGo["go-version-file"] != "go.mod" || setupGo["cache"] != true {
				t.Errorf("setup-go with %v: want go-version-file go.mod and the caches", setupGo)
			}
			all := strings.Join(runs, "\n")
			for _, w := range []string{"go test ./...", "gonative build --target ${{ matrix.targets }}", "gonative inspect --expect"} {
				if !strings.Contains(all, w) {
					t.Errorf("no step runs %q", w)
				}
			}
			if !m.NeedsCgo() && !strings.Contains(all, ":cgo=0") {
				t.Error("the gate does not check that cgo is off")
			}
		})
	}
}
