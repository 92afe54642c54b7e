package ciconf

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/finding"
)

type scriptKind int

const (
	notScript scriptKind = iota
	makefile
	shell
)

var shebang = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#!\s*(/usr)?/bin/(env\s+)?(ba|da|k|z)?sh\b`) })

// scriptKind says whether a file is a Makefile, a shell script or neither.
func (c *checker) scriptKind(f *file) scriptKind {
	name := path.Base(f.path)
	switch {
	case isMakefile(name):
		return makefile
	case strings.HasSuffix(name, ".sh"):
		return shell
	case shebang().MatchString(f.text(1)):
		return shell
	}
	return notScript
}

var (
	// makeGoarch matches a make assignment of amd64 to GOARCH.
	makeGoarch = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\s*)(export\s+|override\s+)?GOARCH\s*(:=|::=|\?=|=)\s*amd64\s*(#.*)?$`)
	})
	unameM  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\buname\s+(-[a-z]*m[a-z]*|--machine)\b`) })
	x86Word = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[^A-Za-z0-9_])x86_64([^A-Za-z0-9_]|$)`) })
	fetcher = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[\s;(&|$])(curl|wget)(\s|$)`) })
	urlRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s"'<>]+`) })
	dlArch  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(^|[^a-z0-9])(amd64|x86_64|x86-64|linux64|x64)([^a-z0-9]|$)`)
	})
	loopStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[;&|]\s*|\s)(for|while|until)\s`) })
	loopEnd   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[;&|]\s*|\s)done\b`) })
	caseStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[;&|]\s*|\s)case\s`) })
	caseEnd   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[;&|]\s*|\s)esac\b`) })
	knowsArm  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)arm64|aarch64`) })
	// comparison matches a line that compares (a test, ==/!=, make's ifeq, filter or
	// findstring, a case pattern) rather than assigns.
	comparison = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(ifeq|ifneq|filter|findstring|test)\b|\[|==|!=|-eq\b|x86_64["']?\s*[|)]`)
	})
	// explicitGOOS matches a GOOS set to a literal OS on the same line: a build for
	// one named platform, not the machine's.
	explicitGOOS = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[\s;(&|])GOOS=["']?[a-z]+["']?(\s|;|$)`) })
)

// A sline is one logical line of a script: physical lines joined where a line ends
// in a backslash.
type sline struct {
	first, last int // physical lines
	text        string
	recipe      bool // a Makefile recipe line (starts with a tab): shell, with make's $$
	looped      bool // inside a shell loop, a case, or a make $(foreach)
}

// logical splits the script into logical lines and marks those inside loops and
// case statements, where one architecture is one branch of several.
func logical(f *file, kind scriptKind) []sline {
	var out []sline
	depth := 0
	for n := 1; n <= len(f.lines); n++ {
		l := sline{first: n, last: n, text: f.text(n)}
		for strings.HasSuffix(l.text, "\\") && l.last < len(f.lines) {
			l.last++
			l.text = strings.TrimSuffix(l.text, "\\") + " " + f.text(l.last)
		}
		n = l.last
		code := l.text
		if i := strings.Index(code, " #"); i >= 0 {
			code = code[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(code), "#") {
			code = ""
		}
		l.recipe = kind == makefile && strings.HasPrefix(l.text, "\t")
		opens := len(loopStart().FindAllString(code, -1)) + len(caseStart().FindAllString(code, -1))
		closes := len(loopEnd().FindAllString(code, -1)) + len(caseEnd().FindAllString(code, -1))
		l.looped = depth > 0 || opens > 0 || strings.Contains(code, "$(foreach") || strings.Contains(code, "${foreach")
		depth = max(0, depth+opens-closes)
		if code == "" {
			l.text = ""
		}
		out = append(out, l)
	}
	return out
}

// script runs the checks of one Makefile or shell script.
func (c *checker) script(f *file) []finding.Finding {
	kind := c.scriptKind(f)
	lines := logical(f, kind)
	arm := knowsArm().Match(f.data)
	var out []finding.Finding
	ev := func(n int) string {
		return fmt.Sprintf("%s:%d: %s", loc(f.path), n, quote(strings.TrimSpace(f.text(n))))
	}

	// GOARCH=amd64, outside loops and case branches, in a file that never names arm64.
	if !arm {
		for _, l := range lines {
			if l.text == "" || l.looped || l.first != l.last {
				continue
			}
			t := f.text(l.first)
			fd := finding.Finding{
				ID: "scripts.goarch-pinned", Area: finding.AreaScripts, Severity: finding.Warning,
				Path: f.path, Line: l.first, Evidence: []string{ev(l.first)},
				Fix: &finding.Fix{Text: "Default GOARCH to the machine's own (go env GOARCH) and let the caller override it."},
			}
			if kind == makefile && !l.recipe {
				m := makeGoarch().FindStringSubmatch(t)
				if m == nil {
					continue
				}
				fd.Title = "GOARCH is set to amd64: make builds amd64 binaries on arm64 machines"
				if m[3] == "?=" {
					fd.Severity = finding.Info
					fd.Title = "GOARCH defaults to amd64: make builds amd64 binaries on arm64 machines unless told otherwise"
				}
				fd.Fix.Diff = f.diff(edit{from: l.first, to: l.first + 1, with: []string{m[1] + m[2] + "GOARCH ?= $(shell go env GOARCH)"}})
				out = append(out, fd)
				continue
			}
			m := shellGoarch().FindStringSubmatch(l.text)
			if m == nil {
				continue
			}
			fd.Title = "GOARCH=amd64 is hard-coded: the script builds amd64 binaries on arm64 machines"
			if g := explicitGOOS().FindString(l.text); g != "" {
				goos := strings.Trim(strings.TrimSpace(strings.TrimLeft(g, ";(&|")), ";")
				fd.Title = fmt.Sprintf("%s GOARCH=amd64 is the only build for that OS: no arm64 build beside it", goos)
				fd.Fix.Text = "Build " + strings.TrimPrefix(goos, "GOOS=") + "/arm64 beside it (the same line with GOARCH=arm64 and its own output name)."
				out = append(out, fd)
				continue
			}
			with := `GOARCH="${GOARCH:-$(go env GOARCH)}"`
			if l.recipe {
				with = "GOARCH=$$(go env GOARCH)"
			}
			if strings.HasPrefix(m[2], "export ") {
				with = "export " + with
			}
			if strings.Count(t, m[2]) == 1 {
				fd.Fix.Diff = f.diff(edit{from: l.first, to: l.first + 1, with: []string{strings.Replace(t, m[2], with, 1)}})
			}
			out = append(out, fd)
		}
	}

	// uname -m compared to x86_64 only.
	if !arm && unameM().Match(f.data) {
		un := 0
		for _, l := range lines {
			if un == 0 && unameM().MatchString(l.text) {
				un = l.first
			}
		}
		for _, l := range lines {
			if !x86Word().MatchString(l.text) || !comparison().MatchString(l.text) {
				continue
			}
			n := l.first
			for k := l.first; k <= l.last; k++ {
				if x86Word().MatchString(f.text(k)) {
					n = k
					break
				}
			}
			evs := []string{ev(n)}
			if un != n {
				evs = append([]string{ev(un)}, evs...)
			}
			out = append(out, finding.Finding{
				ID: "scripts.uname-x86-only", Area: finding.AreaScripts, Severity: finding.Warning,
				Title: "uname -m is compared only to x86_64: on arm64 (aarch64, arm64) the script takes the other branch or fails",
				Path:  f.path, Line: n, Evidence: evs,
				Fix: &finding.Fix{Text: "Add a branch for aarch64 and arm64 (Linux says aarch64, macOS arm64), or ask Go: go env GOARCH."},
			})
			break
		}
	}

	// curl/wget of a URL that names one architecture.
	if !arm {
		for _, l := range lines {
			if l.text == "" || l.looped || !fetcher().MatchString(l.text) {
				continue
			}
			for _, u := range urlRe().FindAllString(l.text, -1) {
				if !dlArch().MatchString(u) {
					continue
				}
				n := l.first
				for k := l.first; k <= l.last; k++ {
					if strings.Contains(f.text(k), u) {
						n = k
						break
					}
				}
				a := strings.Trim(dlArch().FindString(u), "-_./?=&")
				out = append(out, finding.Finding{
					ID: "scripts.arch-download", Area: finding.AreaScripts, Severity: finding.Warning,
					Title: fmt.Sprintf("Download of an %s build: on an arm64 machine the script fetches a binary that cannot run natively", a),
					Path:  f.path, Line: n,
					Evidence: []string{ev(n), "URL " + quote(u) + " names " + quote(a) + " and no variable for the architecture"},
					Fix: &finding.Fix{Text: "Name the architecture through a variable: ARCH=$(go env GOARCH) (amd64, arm64), or map uname -m " +
						"(x86_64, aarch64/arm64) to the names the release uses, and check that the project publishes an arm64 build."},
				})
				break
			}
		}
	}
	return out
}
