package ciconf

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/finding"
	"go.yaml.in/yaml/v3"
)

var (
	// shellGoarch matches GOARCH=amd64 as a shell assignment.
	shellGoarch = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(^|[\s;(&|])((export\s+)?GOARCH=(amd64|"amd64"|'amd64'))($|[\s;)&|])`)
	})
	// multiArch matches a GOARCH set to arm64 or to a variable: a file that builds per
	// architecture on purpose.
	multiArch = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`GOARCH\s*[:?]?=?\s*["']?(arm64|\$)|GOARCH:\s*["']?(arm64|\$)`)
	})
)

const goarchText = "Let GOARCH default to the machine's (go env GOARCH), or set it per target from the matrix."

// goarchPinnedWorkflow: GOARCH: amd64 in a workflow's env mappings, GOARCH=amd64 in
// its run scripts.
func (c *checker) goarchPinnedWorkflow(f *file, top *yaml.Node, jobs []*job) []finding.Finding {
	if multiArch().Match(f.data) {
		return nil
	}
	var out []finding.Finding
	k, v := get(top, "env")
	out = append(out, envGoarch(f, k, v, "ci.goarch-pinned")...)
	for _, j := range jobs {
		if j.f != f {
			continue
		}
		out = append(out, envGoarch(f, j.envKey, j.env, "ci.goarch-pinned")...)
		for _, s := range j.steps {
			out = append(out, envGoarch(f, s.envKey, s.env, "ci.goarch-pinned")...)
			out = append(out, scriptGoarch(f, s.runNode, "ci.goarch-pinned")...)
		}
	}
	return out
}

// envGoarch reports GOARCH: amd64 in an env (or GitLab variables) mapping; the fix
// deletes the line, and the mapping's key when it held nothing else.
func envGoarch(f *file, envKey, env *yaml.Node, id string) []finding.Finding {
	k, v := get(env, "GOARCH")
	val, ok := scalar(v)
	if !ok || strings.ToLower(val) != "amd64" {
		return nil
	}
	fd := finding.Finding{
		ID: id, Area: finding.AreaCI, Severity: finding.Warning,
		Title: "GOARCH is pinned to amd64: every build is amd64, on arm64 runners too",
		Path:  f.path, Line: k.Line, Column: k.Column,
		Evidence: []string{fmt.Sprintf("%s:%d: %s", loc(f.path), k.Line, quote(strings.TrimSpace(f.text(k.Line))))},
		Fix:      &finding.Fix{Text: goarchText},
	}
	if ownLine(f, k, v) {
		edits := []edit{{from: k.Line, to: k.Line + 1}}
		if len(env.Content) == 2 {
			name := envKey.Value + ":"
			if envKey.Line < k.Line && strings.TrimSpace(f.text(envKey.Line)) == name {
				edits = append(edits, edit{from: envKey.Line, to: envKey.Line + 1})
			} else {
				edits = nil
			}
		}
		if edits != nil {
			fd.Fix.Diff = f.diff(edits...)
		}
	}
	return []finding.Finding{fd}
}

// scriptGoarch reports GOARCH=amd64 in a run script (a YAML scalar); the fix drops
// the assignment from its line.
func scriptGoarch(f *file, n *yaml.Node, id string) []finding.Finding {
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	var out []finding.Finding
	from := n.Line
	nonEmpty := 0
	for _, l := range strings.Split(n.Value, "\n") {
		if strings.TrimSpace(l) != "" {
			nonEmpty++
		}
	}
	for _, l := range strings.Split(n.Value, "\n") {
		m := shellGoarch().FindStringSubmatch(l)
		if m == nil || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		ln := findLine(f, from, strings.TrimSpace(l))
		if ln == 0 {
			continue
		}
		from = ln + 1
		fd := finding.Finding{
			ID: id, Area: finding.AreaCI, Severity: finding.Warning,
			Title: "GOARCH=amd64 is hard-coded in a script: the build is amd64 on every runner",
			Path:  f.path, Line: ln,
			Evidence: []string{fmt.Sprintf("%s:%d: %s", loc(f.path), ln, quote(strings.TrimSpace(f.text(ln))))},
			Fix:      &finding.Fix{Text: goarchText},
		}
		if g := explicitGOOS().FindString(l); g != "" {
			goos := strings.Trim(strings.TrimSpace(strings.TrimLeft(g, ";(&|")), ";")
			fd.Title = fmt.Sprintf("%s GOARCH=amd64 is the only build for that OS: no arm64 build beside it", goos)
			fd.Fix.Text = "Build " + strings.TrimPrefix(goos, "GOOS=") + "/arm64 beside it (a matrix over GOARCH, or the same line with GOARCH=arm64 and its own output name)."
		} else if d := dropAssignment(f, ln, m[2], nonEmpty > 1); d != "" {
			fd.Fix.Diff = d
		}
		out = append(out, fd)
	}
	return out
}

// dropAssignment returns the diff that removes the assignment from line ln: the
// whole line when it holds nothing else (and deleting it leaves a script), else the
// assignment and the space after it.
func dropAssignment(f *file, ln int, assign string, mayDelete bool) string {
	t := f.text(ln)
	if strings.Count(t, assign) != 1 {
		return ""
	}
	if strings.TrimSpace(t) == assign {
		if !mayDelete {
			return ""
		}
		return f.diff(edit{from: ln, to: ln + 1})
	}
	if strings.Count(t, assign+" ") == 1 {
		return f.diff(edit{from: ln, to: ln + 1, with: []string{strings.Replace(t, assign+" ", "", 1)}})
	}
	return ""
}
