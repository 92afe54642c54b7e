package scaffoldtest

import (
	"os/exec"
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
			Name  string
			Uses  string
			Run   string
			Shell string
			Env   map[string]string
			With  map[string]any
		}
	}
}

func TestWorkflow(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, m, files := f.render(t, scaffold.CI, scaffold.Options{GonativeVersion: "v0.4.1"})
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
			for p, r := range map[string]string{"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm", "darwin/arm64": "macos-15"} {
				if platforms[p] != r {
					t.Errorf("platform %s on %q, want the native runner %s", p, platforms[p], r)
				}
			}
			var runs []string
			var setupGo map[string]any
			uses := map[string]string{}
			for _, s := range job.Steps {
				runs = append(runs, s.Run)
				if strings.HasPrefix(s.Uses, "actions/setup-go@") {
					setupGo = s.With
				}
				if name, version, ok := strings.Cut(s.Uses, "@"); ok {
					uses[name] = version
				}
				if s.Run != "" {
					shellcheck(t, s.Name, s.Shell, s.Env, s.Run)
				}
			}
			// The current majors (Node 24), as of the table's date.
			for a, v := range map[string]string{"actions/checkout": "v7", "actions/setup-go": "v7", "actions/upload-artifact": "v7"} {
				if got, ok := uses[a]; ok && got != v {
					t.Errorf("%s@%s, want the current major %s", a, got, v)
				}
			}
			// setup-go keys its caches on go.sum: without one it warns on every run.
			if setupGo["go-version-file"] != "go.mod" {
				t.Errorf("setup-go with %v: want go-version-file go.mod", setupGo)
			}
			if m.HasSum && (setupGo["cache"] != true || setupGo["cache-dependency-path"] != "go.sum") {
				t.Errorf("setup-go with %v: want the caches keyed on go.sum", setupGo)
			}
			if !m.HasSum && setupGo["cache"] != false {
				t.Errorf("setup-go with %v and no go.sum: want cache: false", setupGo)
			}
			all := strings.Join(runs, "\n")
			for _, w := range []string{"go test ./...", `gonative ready --target "$TARGETS"`, `gonative build --target "$TARGETS"`, "gonative inspect --expect", "go install github.com/gonative/gonative/cmd/gonative@v0.4.1"} {
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

// shellcheck checks a step's script as the runner runs it (bash, GitHub's default on
// Linux and macOS): the expressions GitHub substitutes are replaced by a value of
// their shape first.
func shellcheck(t *testing.T, step, shell string, env map[string]string, script string) {
	t.Helper()
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("no shellcheck to check the workflow's scripts (Debian: apt-get install shellcheck)")
	}
	if shell == "" {
		shell = "bash"
	}
	var b strings.Builder
	b.WriteString("#!/bin/" + shell + "\n")
	for k := range env {
		b.WriteString(k + "=linux/amd64,linux/arm64\n")
	}
	b.WriteString(strings.ReplaceAll(script, "${{ matrix.targets }}", "linux/amd64"))
	c := exec.Command(sc, "--severity=info", "-")
	c.Stdin = strings.NewReader(b.String())
	if out, err := c.CombinedOutput(); err != nil {
		t.Errorf("shellcheck, step %q: %v\n%s\n%s", step, err, out, b.String())
	}
}
