package ciconf

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/finding"
	"go.yaml.in/yaml/v3"
)

// gitlabReserved are .gitlab-ci.yml's top-level keys that are not jobs.
var gitlabReserved = map[string]bool{
	"image": true, "services": true, "stages": true, "types": true, "before_script": true,
	"after_script": true, "variables": true, "cache": true, "include": true, "default": true,
	"workflow": true, "spec": true,
}

// A glJob is one job of a .gitlab-ci.yml, with what it inherits through extends.
type glJob struct {
	name      string
	key, node *yaml.Node
	scripts   []*yaml.Node // script, before_script, after_script lines
	tags      []*yaml.Node
	tagsSet   bool
	matrix    map[string][]string // parallel:matrix values by variable
}

var glArm = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)arm64|aarch64`) })

// gitlabJobs reads the jobs (hidden ones too, for extends), inheriting through
// extends at most a few levels deep.
func gitlabJobs(top *yaml.Node) map[string]*glJob {
	raw := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	for _, p := range pairs(top) {
		if !gitlabReserved[p[0].Value] && p[1].Kind == yaml.MappingNode {
			raw[p[0].Value], keys[p[0].Value] = p[1], p[0]
		}
	}
	_, def := get(top, "default")
	var fill func(j *glJob, n *yaml.Node, depth int)
	fill = func(j *glJob, n *yaml.Node, depth int) {
		for _, k := range []string{"script", "before_script", "after_script"} {
			_, v := get(n, k)
			j.scripts = append(j.scripts, scalars(v)...)
		}
		if _, v := get(n, "tags"); v != nil && !j.tagsSet {
			j.tags, j.tagsSet = scalars(v), true
		}
		if _, par := get(n, "parallel"); par != nil {
			_, m := get(par, "matrix")
			if m != nil && m.Kind == yaml.SequenceNode {
				for _, row := range m.Content {
					for _, p := range pairs(row) {
						for _, s := range scalars(p[1]) {
							j.matrix[p[0].Value] = append(j.matrix[p[0].Value], s.Value)
						}
					}
				}
			}
		}
		if depth >= 5 {
			return
		}
		_, ext := get(n, "extends")
		for _, e := range scalars(ext) {
			if parent, ok := raw[e.Value]; ok && parent != n {
				fill(j, parent, depth+1)
			}
		}
	}
	jobs := map[string]*glJob{}
	for name, n := range raw {
		j := &glJob{name: name, key: keys[name], node: n, matrix: map[string][]string{}}
		fill(j, n, 0)
		if !j.tagsSet {
			if _, v := get(def, "tags"); v != nil {
				j.tags, j.tagsSet = scalars(v), true
			}
		}
		jobs[name] = j
	}
	return jobs
}

// arch says what the job's tags ask for: arm64, amd64 (no tags: GitLab.com's
// shared runners, or only saas-linux-*-amd64 tags), or "" when the tags name
// runners whose machine the file does not say.
func (j *glJob) arch() string {
	if len(j.tags) == 0 {
		return "amd64"
	}
	all := true
	for _, t := range j.tags {
		v := t.Value
		if strings.HasPrefix(v, "$") {
			for _, mv := range j.matrix[strings.Trim(v, "${}")] {
				if glArm().MatchString(mv) {
					return "arm64"
				}
			}
			all = false
			continue
		}
		if glArm().MatchString(v) {
			return "arm64"
		}
		if !(strings.HasPrefix(v, "saas-linux-") && strings.HasSuffix(v, "-amd64")) {
			all = false
		}
	}
	if all {
		return "amd64"
	}
	return ""
}

func (j *glJob) script() string {
	var b strings.Builder
	for _, s := range j.scripts {
		b.WriteString(s.Value + "\n")
	}
	return b.String()
}

var jobName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// gitlab runs the checks of .gitlab-ci.yml.
func (c *checker) gitlab() []finding.Finding {
	f := c.gitlabCI
	if f == nil {
		return nil
	}
	top, err := parseYAML(f)
	if err != nil {
		c.note(f.path, "the YAML does not parse: "+quote(err.Error()))
		return nil
	}
	if top == nil {
		return nil
	}
	jobs := gitlabJobs(top)
	var out []finding.Finding
	covered := false
	for _, j := range jobs {
		s := j.script()
		if (goTest().MatchString(s) || goBuild().MatchString(s)) && j.arch() == "arm64" {
			covered = true
		}
	}
	if !covered && c.target("linux", "arm64") {
		for _, p := range pairs(top) {
			j, ok := jobs[p[0].Value]
			if !ok || strings.HasPrefix(j.name, ".") || j.arch() != "amd64" {
				continue
			}
			s := j.script()
			if !goTest().MatchString(s) && !goBuild().MatchString(s) {
				continue
			}
			sev, what := finding.Info, "it builds for linux/arm64 only by cross-compiling"
			if goTest().MatchString(s) {
				sev, what = finding.Warning, "its tests never run on linux/arm64"
			}
			ev := "no tags: GitLab.com's shared runners (saas-linux-small-amd64)"
			if len(j.tags) > 0 {
				var ts []string
				for _, t := range j.tags {
					ts = append(ts, t.Value)
				}
				ev = "tags " + quote(strings.Join(ts, ", ")) + ": amd64 runners"
			}
			fd := finding.Finding{
				ID: "ci.no-arm64-runner", Area: finding.AreaCI, Severity: sev,
				Title: fmt.Sprintf("Job %s has no linux/arm64 runner: %s", quote(j.name), what),
				Path:  f.path, Line: j.key.Line, Column: j.key.Column,
				Evidence: []string{fmt.Sprintf("%s:%d: %s", loc(f.path), j.key.Line, quote(strings.TrimSpace(f.text(j.key.Line)))), ev},
				Fix:      &finding.Fix{Text: "Run the job on an arm64 runner too: a job that extends it with the tag saas-linux-small-arm64 (GitLab.com's hosted arm64 runner)."},
				Links:    []string{"https://docs.gitlab.com/ci/runners/hosted_runners/linux/"},
			}
			name := j.name + "-arm64"
			if _, taken := jobs[name]; !taken && jobName().MatchString(j.name) && j.key.Column == 1 {
				n := len(f.lines)
				fd.Fix.Diff = f.diff(edit{from: n + 1, to: n + 1, with: []string{"", name + ":", "  extends: " + j.name, "  tags: [saas-linux-small-arm64]"}})
			}
			out = append(out, fd)
		}
	}
	if !multiArch().Match(f.data) {
		k, v := get(top, "variables")
		out = append(out, envGoarch(f, k, v, "ci.goarch-pinned")...)
		for _, p := range pairs(top) {
			if gitlabReserved[p[0].Value] || p[1].Kind != yaml.MappingNode {
				continue
			}
			k, v := get(p[1], "variables")
			out = append(out, envGoarch(f, k, v, "ci.goarch-pinned")...)
			for _, sk := range []string{"script", "before_script", "after_script"} {
				_, sv := get(p[1], sk)
				for _, s := range scalars(sv) {
					out = append(out, scriptGoarch(f, s, "ci.goarch-pinned")...)
				}
			}
		}
	}
	return out
}
