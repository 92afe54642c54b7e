package ciconf

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/finding"
	"go.yaml.in/yaml/v3"
)

// A label is one runs-on label and the scalar that holds it.
type label struct {
	value string
	node  *yaml.Node
}

// A choice is one machine a job may run on: its labels (one for a GitHub-hosted
// runner, several for a self-hosted one) and the matrix include row that names it.
type choice struct {
	labels []label
	row    *yaml.Node
	// templated: runs-on writes the label around the matrix value
	// (${{ matrix.os }}-latest), so the value's node holds only part of it.
	templated bool
}

// runner says which machine a choice is (false when its labels do not say).
func (c choice) runner() (Runner, bool) {
	if len(c.labels) == 1 {
		if r, ok := runnerOf(c.labels[0].value); ok {
			return r, true
		}
	}
	var ls []string
	for _, l := range c.labels {
		ls = append(ls, l.value)
	}
	r := selfHosted(ls)
	return r, r.OS != "" && r.Arch != ""
}

// A job is one job of a GitHub workflow.
type job struct {
	f                 *file
	id                string
	key, node         *yaml.Node
	runsOnKey, runsOn *yaml.Node
	choices           []choice
	resolved          bool   // every choice is known
	matrixKey         string // K of runs-on: ${{ matrix.K }}
	strategyKey       *yaml.Node
	strategy          *yaml.Node
	matrixKeyNode     *yaml.Node
	matrix            *yaml.Node
	steps             []step
	envKey, env       *yaml.Node
}

// A step is one step of a job.
type step struct {
	node              *yaml.Node
	uses, run         string
	usesNode, runNode *yaml.Node
	withKey, with     *yaml.Node
	envKey, env       *yaml.Node
}

var (
	matrixExpr = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z0-9._-]*)\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}([A-Za-z0-9._-]*)$`)
	})
	goTest = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(^|[^\w-])go[ \t]+test\b|\bgotestsum\b|\brichgo[ \t]+test\b|\bmake[ \t]+([\w.=-]+[ \t]+)*(unit|integration|rich|race|e2e|go|ci)?[-_]?tests?\b`)
	})
	goBuild = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(^|[^\w-])go[ \t]+(build|install[ \t]+(-\S+[ \t]+)*\.)\b|\bgoreleaser([ \t]|$)`)
	})
)

// tests reports whether the job runs Go tests; goJob whether it builds or tests Go
// (setup-go alone is a lint or a tool's job).
func (j *job) tests() bool {
	for _, s := range j.steps {
		if goTest().MatchString(s.run) {
			return true
		}
	}
	return false
}

func (j *job) goJob() bool {
	for _, s := range j.steps {
		if goTest().MatchString(s.run) || goBuild().MatchString(s.run) || usesAction(s.uses, "goreleaser/goreleaser-action") {
			return true
		}
	}
	return false
}

// usesAction reports whether uses names the action (any version).
func usesAction(uses, action string) bool {
	u := strings.ToLower(uses)
	return u == action || strings.HasPrefix(u, action+"@")
}

// parseJobs reads the jobs of a workflow.
func parseJobs(f *file, top *yaml.Node) []*job {
	_, jobs := get(top, "jobs")
	var out []*job
	for _, p := range pairs(jobs) {
		j := &job{f: f, id: p[0].Value, key: p[0], node: p[1]}
		j.runsOnKey, j.runsOn = get(p[1], "runs-on")
		j.strategyKey, j.strategy = get(p[1], "strategy")
		j.matrixKeyNode, j.matrix = get(j.strategy, "matrix")
		j.envKey, j.env = get(p[1], "env")
		_, steps := get(p[1], "steps")
		if steps != nil && steps.Kind == yaml.SequenceNode {
			for _, sn := range steps.Content {
				sn = deref(sn)
				s := step{node: sn}
				_, s.usesNode = get(sn, "uses")
				s.uses, _ = scalar(s.usesNode)
				_, s.runNode = get(sn, "run")
				s.run, _ = scalar(s.runNode)
				s.withKey, s.with = get(sn, "with")
				s.envKey, s.env = get(sn, "env")
				j.steps = append(j.steps, s)
			}
		}
		j.resolve()
		out = append(out, j)
	}
	return out
}

// resolve finds the machines runs-on names, through the matrix when it names one.
func (j *job) resolve() {
	n := j.runsOn
	if n == nil {
		return
	}
	labelsOf := func(n *yaml.Node) ([]label, bool) {
		var ls []label
		for _, s := range scalars(n) {
			if strings.Contains(s.Value, "${{") {
				return nil, false
			}
			ls = append(ls, label{s.Value, s})
		}
		return ls, len(ls) > 0
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if m := matrixExpr().FindStringSubmatch(strings.TrimSpace(n.Value)); m != nil {
			j.matrixKey = m[2]
			j.resolved = j.fromMatrix(m[2], m[1], m[3])
			return
		}
		if ls, ok := labelsOf(n); ok {
			j.choices, j.resolved = []choice{{labels: ls}}, true
		}
	case yaml.SequenceNode:
		if ls, ok := labelsOf(n); ok {
			j.choices, j.resolved = []choice{{labels: ls}}, true
		}
	}
}

// fromMatrix adds the choices of matrix key k, written between prefix and suffix:
// its list and its include rows.
func (j *job) fromMatrix(k, prefix, suffix string) bool {
	templated := prefix != "" || suffix != ""
	if j.matrix == nil || j.matrix.Kind != yaml.MappingNode {
		return false
	}
	ok := true
	if _, list := get(j.matrix, k); list != nil {
		if list.Kind != yaml.SequenceNode {
			return false
		}
		for _, it := range list.Content {
			it = deref(it)
			ls := scalars(it)
			if len(ls) == 0 || it.Kind == yaml.MappingNode {
				return false
			}
			c := choice{templated: templated}
			if templated && len(ls) != 1 {
				return false
			}
			for _, s := range ls {
				if strings.Contains(s.Value, "${{") {
					return false
				}
				c.labels = append(c.labels, label{prefix + s.Value + suffix, s})
			}
			j.choices = append(j.choices, c)
		}
	}
	_, include := get(j.matrix, "include")
	if include != nil {
		if include.Kind != yaml.SequenceNode {
			return false
		}
		for _, row := range include.Content {
			row = deref(row)
			_, v := get(row, k)
			if v == nil {
				continue
			}
			c := choice{row: row, templated: templated}
			if templated && len(scalars(v)) != 1 {
				return false
			}
			for _, s := range scalars(v) {
				if strings.Contains(s.Value, "${{") {
					return false
				}
				c.labels = append(c.labels, label{prefix + s.Value + suffix, s})
			}
			if len(c.labels) == 0 {
				return false
			}
			j.choices = append(j.choices, c)
		}
	}
	return ok && len(j.choices) > 0
}

// github runs the checks of the GitHub workflows.
func (c *checker) github() []finding.Finding {
	var jobs []*job
	var out []finding.Finding
	type parsed struct {
		f   *file
		top *yaml.Node
	}
	var files []parsed
	for _, f := range c.workflows {
		top, err := parseYAML(f)
		if err != nil {
			c.note(f.path, "the YAML does not parse: "+quote(err.Error()))
			continue
		}
		if top == nil {
			continue
		}
		files = append(files, parsed{f, top})
		jobs = append(jobs, parseJobs(f, top)...)
	}
	// An arm64 runner of an OS anywhere covers that OS for every job.
	covered := map[string]bool{}
	for _, j := range jobs {
		if !j.goJob() {
			continue
		}
		for _, ch := range j.choices {
			if r, ok := ch.runner(); ok && r.Arch == "arm64" {
				covered[r.OS] = true
			}
		}
	}
	for _, j := range jobs {
		out = append(out, c.noArm64Runner(j, covered)...)
		out = append(out, c.retired(j)...)
		out = append(out, c.setupGoArch(j)...)
		out = append(out, c.qemuForGo(j)...)
	}
	for _, p := range files {
		out = append(out, c.goarchPinnedWorkflow(p.f, p.top, jobs)...)
	}
	return out
}

// armLabel is the GitHub-hosted arm64 runner a job of each OS gains.
var armLabel = map[string]string{"linux": "ubuntu-24.04-arm", "darwin": "macos-15"}

// noArm64Runner: a Go job that runs on an OS's amd64 runners only, while os/arm64 is
// a target and no job anywhere has that OS's arm64 runner.
func (c *checker) noArm64Runner(j *job, covered map[string]bool) []finding.Finding {
	if !j.resolved || !j.goJob() {
		return nil
	}
	has := map[Runner]bool{}
	var first map[string]choice = map[string]choice{}
	for _, ch := range j.choices {
		r, ok := ch.runner()
		if !ok {
			return nil // a machine the labels do not name: unknown, not "no arm64"
		}
		has[r] = true
		if _, seen := first[r.OS]; !seen && r.Arch == "amd64" {
			first[r.OS] = ch
		}
	}
	var out []finding.Finding
	for _, goos := range []string{"linux", "darwin"} {
		if !has[Runner{goos, "amd64"}] || has[Runner{goos, "arm64"}] || covered[goos] || !c.target(goos, "arm64") {
			continue
		}
		ch := first[goos]
		sev, what := finding.Info, "it builds for "+goos+"/arm64 only by cross-compiling, so nothing runs there"
		if j.tests() {
			sev, what = finding.Warning, "its tests never run on "+goos+"/arm64"
		}
		lbl := ch.labels[0]
		f := finding.Finding{
			ID: "ci.no-arm64-runner", Area: finding.AreaCI, Severity: sev,
			Title: fmt.Sprintf("Job %s has no %s/arm64 runner: %s", quote(j.id), goos, what),
			Path:  j.f.path, Line: lbl.node.Line, Column: lbl.node.Column,
			Evidence: []string{
				fmt.Sprintf("%s:%d: %s", loc(j.f.path), lbl.node.Line, quote(strings.TrimSpace(j.f.text(lbl.node.Line)))),
				fmt.Sprintf("runs on %s (%s/amd64); %s/arm64 is a target", quote(lbl.value), goos, goos),
			},
			Fix:   &finding.Fix{Text: fmt.Sprintf("Run the job on %s too (GitHub's %s/arm64 runner).", armLabel[goos], goos)},
			Links: []string{"https://docs.github.com/en/actions/reference/runners/github-hosted-runners"},
		}
		f.Fix.Diff = c.addRunnerDiff(j, ch, armLabel[goos])
		out = append(out, f)
	}
	return out
}

// addRunnerDiff returns the edit that makes the job also run on label: a new entry
// of the matrix list runs-on names, a copy of an include row, or a matrix made of
// runs-on's own label and label. "" when the file's shape leaves no safe edit.
func (c *checker) addRunnerDiff(j *job, ch choice, lbl string) string {
	f := j.f
	if ch.templated {
		return "" // the list holds part of a label: no entry of it names the arm64 runner
	}
	if j.matrixKey == "" {
		if len(ch.labels) != 1 || j.runsOn.Kind != yaml.ScalarNode || !ownLine(f, j.runsOnKey, j.runsOn) {
			return ""
		}
		const k = "runner"
		if kk, _ := get(j.matrix, k); kk != nil {
			return ""
		}
		ind := strings.Repeat(" ", j.runsOnKey.Column-1)
		list := k + ": [" + yamlScalar(ch.labels[0].value) + ", " + lbl + "]"
		runsOn := ind + "runs-on: ${{ matrix." + k + " }}"
		replace := edit{from: j.runsOnKey.Line, to: j.runsOnKey.Line + 1, with: []string{runsOn}}
		switch {
		case j.strategy == nil:
			replace.with = []string{ind + "strategy:", ind + "  matrix:", ind + "    " + list, runsOn}
			return f.diff(replace)
		case j.matrix == nil && blockMapping(j.strategyKey, j.strategy):
			first := j.strategy.Content[0]
			ki := strings.Repeat(" ", first.Column-1)
			return f.diff(replace, edit{from: first.Line, to: first.Line, with: []string{ki + "matrix:", ki + "  " + list}})
		case j.matrix != nil && blockMapping(j.matrixKeyNode, j.matrix):
			first := j.matrix.Content[0]
			ki := strings.Repeat(" ", first.Column-1)
			if strings.TrimLeft(f.text(first.Line)[:first.Column-1], " ") != "" {
				return ""
			}
			return f.diff(replace, edit{from: first.Line, to: first.Line, with: []string{ki + list}})
		}
		return ""
	}
	if ch.row == nil {
		_, list := get(j.matrix, j.matrixKey)
		if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			return ""
		}
		last := deref(list.Content[len(list.Content)-1])
		if last.Kind != yaml.ScalarNode {
			return ""
		}
		t := f.text(last.Line)
		if list.Style&yaml.FlowStyle != 0 {
			if list.Line != last.Line || last.Column-1 > len(t) {
				return ""
			}
			i := strings.IndexByte(t[last.Column-1:], ']')
			if i < 0 {
				return ""
			}
			i += last.Column - 1
			return f.diff(edit{from: last.Line, to: last.Line + 1, with: []string{t[:i] + ", " + lbl + t[i:]}})
		}
		if last.Column-1 > len(t) || strings.TrimSpace(t[:last.Column-1]) != "-" || strings.Contains(last.Value, "\n") {
			return ""
		}
		return f.diff(edit{from: last.Line + 1, to: last.Line + 1, with: []string{t[:last.Column-1] + lbl}})
	}
	// A copy of the include row with the arm64 label.
	row := ch.row
	if row.Style&yaml.FlowStyle != 0 || len(ch.labels) != 1 {
		return ""
	}
	first := f.text(row.Line)
	if row.Column-1 > len(first) || strings.TrimSpace(first[:row.Column-1]) != "-" {
		return ""
	}
	dash := len(indentOf(first))
	end := row.Line // last line of the row
	for n := row.Line + 1; n <= len(f.lines); n++ {
		t := f.text(n)
		if strings.TrimSpace(t) == "" || strings.HasPrefix(strings.TrimSpace(t), "#") {
			continue
		}
		if len(indentOf(t)) <= dash {
			break
		}
		end = n
	}
	var copyLines []string
	for n := row.Line; n <= end; n++ {
		t := f.text(n)
		if n == ch.labels[0].node.Line {
			r, ok := replaceScalar(f, ch.labels[0].node, lbl)
			if !ok {
				return ""
			}
			t = r
		} else if archWord().MatchString(t) {
			return "" // the row names an architecture elsewhere: a copy would be wrong
		}
		copyLines = append(copyLines, t)
	}
	return f.diff(edit{from: end + 1, to: end + 1, with: copyLines})
}

// archWord matches a word that names the amd64 architecture.
var archWord = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(^|[^a-z0-9])(amd64|x86_64|x86-64|x64|linux64|intel)([^a-z0-9]|$)`)
})

// retired: runs-on labels whose runner image GitHub retired or is retiring.
func (c *checker) retired(j *job) []finding.Finding {
	now := c.in.Machine.Now()
	var out []finding.Finding
	for _, ch := range j.choices {
		for _, l := range ch.labels {
			r, ok := retirementOf(l.value)
			if !ok {
				continue
			}
			sev, when := finding.Warning, "retires on "+r.When()
			if r.MonthOnly {
				when = "retires in " + r.When()
			}
			if !now.Before(r.Date) {
				sev, when = finding.Error, "retired on "+r.When()
				if r.MonthOnly {
					when = "retired in " + r.When()
				}
			}
			text := fmt.Sprintf("Use %s instead", r.Successor)
			if r.Note != "" {
				text += " (" + r.Note + ")"
			}
			text += "."
			if ru, ok := runnerOf(l.value); ok && ru.OS == "darwin" && ru.Arch == "amd64" {
				text += " The last Intel image, macos-15-intel, retires in August 2027; macos-15 is Apple Silicon (darwin/arm64)."
			}
			f := finding.Finding{
				ID: "ci.retired-runner", Area: finding.AreaCI, Severity: sev,
				Title: fmt.Sprintf("Runner image %s %s: job %s cannot run on it after that", quote(l.value), when, quote(j.id)),
				Path:  j.f.path, Line: l.node.Line, Column: l.node.Column,
				Evidence: []string{
					fmt.Sprintf("%s:%d: %s", loc(j.f.path), l.node.Line, quote(strings.TrimSpace(j.f.text(l.node.Line)))),
					fmt.Sprintf("GitHub: %s %s (%s)", l.value, when, r.Source),
				},
				Fix:   &finding.Fix{Text: text},
				Links: []string{r.Source},
			}
			if line, ok := replaceScalar(j.f, l.node, r.Successor); ok && !ch.templated {
				f.Fix.Diff = j.f.diff(edit{from: l.node.Line, to: l.node.Line + 1, with: []string{line}})
			}
			out = append(out, f)
		}
	}
	return out
}

// setupGoArch: actions/setup-go asked for an x64 Go on a job with an arm64 runner.
func (c *checker) setupGoArch(j *job) []finding.Finding {
	arm := ""
	for _, ch := range j.choices {
		if r, ok := ch.runner(); ok && r.Arch == "arm64" {
			arm = ch.labels[0].value
			break
		}
	}
	if arm == "" {
		return nil
	}
	var out []finding.Finding
	for _, s := range j.steps {
		if !usesAction(s.uses, "actions/setup-go") {
			continue
		}
		k, v := get(s.with, "architecture")
		val, ok := scalar(v)
		if !ok || !archWord().MatchString(val) || strings.Contains(val, "${{") {
			continue
		}
		f := j.f
		fd := finding.Finding{
			ID: "ci.setup-go-arch", Area: finding.AreaCI, Severity: finding.Warning,
			Title: fmt.Sprintf("setup-go installs an %s Go on job %s's arm64 runner: it runs emulated (or not at all) and builds amd64 by default", quote(val), quote(j.id)),
			Path:  f.path, Line: k.Line, Column: k.Column,
			Evidence: []string{
				fmt.Sprintf("%s:%d: %s", loc(f.path), k.Line, quote(strings.TrimSpace(f.text(k.Line)))),
				fmt.Sprintf("the job runs on %s (arm64)", quote(arm)),
			},
			Fix:   &finding.Fix{Text: "Drop architecture: setup-go installs the runner's own Go."},
			Links: []string{"https://github.com/actions/setup-go#readme"},
		}
		if ownLine(f, k, v) {
			edits := []edit{{from: k.Line, to: k.Line + 1}}
			if len(s.with.Content) == 2 {
				if !(s.withKey.Line < k.Line && strings.TrimSpace(f.text(s.withKey.Line)) == "with:") {
					edits = nil
				} else {
					edits = append(edits, edit{from: s.withKey.Line, to: s.withKey.Line + 1})
				}
			}
			if edits != nil {
				fd.Fix.Diff = f.diff(edits...)
			}
		}
		out = append(out, fd)
	}
	return out
}

var dockerRunPlatform = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\bdocker\s+(container\s+)?run\b.*--platform[= ]\S*arm64`)
})

// qemuForGo: QEMU set up in a job whose Go build cross-compiles without it.
func (c *checker) qemuForGo(j *job) []finding.Finding {
	qemu := -1
	for i, s := range j.steps {
		if strings.Contains(strings.ToLower(s.uses), "qemu") {
			qemu = i
			break
		}
	}
	if qemu < 0 || j.tests() {
		return nil // no QEMU, or tests that may run cross-built binaries under it
	}
	q := j.steps[qemu]
	for _, s := range j.steps[qemu+1:] {
		var line int
		var what string
		sev := finding.Info
		switch {
		case s.run != "" && dockerRunPlatform().MatchString(s.run) && goBuild().MatchString(s.run):
			sev, what = finding.Warning, "runs go build in an arm64 container: every compile is emulated"
			line = runLine(j.f, s.runNode, goBuild())
		case s.run != "" && goBuild().MatchString(s.run):
			what = "builds Go, which cross-compiles with GOOS/GOARCH and needs no QEMU"
			line = runLine(j.f, s.runNode, goBuild())
		case usesAction(strings.SplitN(s.uses, "@", 2)[0], "goreleaser/goreleaser-action"):
			what = "runs goreleaser, which cross-compiles Go itself; QEMU serves only RUN lines of its Dockerfiles"
			line = s.usesNode.Line
		default:
			continue
		}
		return []finding.Finding{{
			ID: "ci.qemu-for-go", Area: finding.AreaCI, Severity: sev,
			Title: fmt.Sprintf("Job %s sets up QEMU and %s", quote(j.id), what),
			Path:  j.f.path, Line: q.usesNode.Line, Column: q.usesNode.Column,
			Evidence: []string{
				fmt.Sprintf("%s:%d: %s", loc(j.f.path), q.usesNode.Line, quote(strings.TrimSpace(j.f.text(q.usesNode.Line)))),
				fmt.Sprintf("%s:%d: %s", loc(j.f.path), line, quote(strings.TrimSpace(j.f.text(line)))),
			},
			Fix: &finding.Fix{Text: "Cross-compile instead of emulating: GOOS/GOARCH on the runner, or in a Dockerfile " +
				"`FROM --platform=$BUILDPLATFORM` with GOOS=$TARGETOS GOARCH=$TARGETARCH; keep setup-qemu only for RUN lines that must execute target binaries."},
			Links: []string{"https://docs.docker.com/build/building/multi-platform/#cross-compilation"},
		}}
	}
	return nil
}

// runLine returns the file line of the first line of a run script that re matches.
func runLine(f *file, n *yaml.Node, re *regexp.Regexp) int {
	for _, l := range strings.Split(n.Value, "\n") {
		if !re.MatchString(l) {
			continue
		}
		if ln := findLine(f, n.Line, strings.TrimSpace(l)); ln > 0 {
			return ln
		}
	}
	return n.Line
}

// findLine returns the first line at or after from that contains s (0: none).
func findLine(f *file, from int, s string) int {
	for n := max(from, 1); n <= len(f.lines); n++ {
		if strings.Contains(f.text(n), s) {
			return n
		}
	}
	return 0
}
