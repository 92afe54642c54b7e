package doctor

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/redact"
	"golang.org/x/mod/module"
)

// moreSettingsChecks judge settings that make go fail, warn or quietly degrade:
// GOPATH against GOROOT, GO111MODULE, GOEXPERIMENT, and patterns that take modules
// out of the proxy, the checksum database or TLS.
func moreSettingsChecks() []Check {
	return []Check{
		{ID: "env.gopath", Area: AreaSettings, Title: "GOPATH entries: absolute, and not GOROOT or inside it", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkEnvGOPATH},
		{ID: "env.modules", Area: AreaSettings, Title: "GO111MODULE=off/auto (GOPATH mode) and invalid values", Run: checkEnvModules},
		{ID: "env.experiment", Area: AreaSettings, Title: "GOEXPERIMENT names the selected Go knows", Run: checkEnvExperiment},
		{ID: "env.private", Area: AreaSettings, Title: "GOINSECURE, GONOSUMDB, GOPRIVATE, GONOPROXY patterns that match everything or public hosts; look-alikes", Run: checkEnvPrivate},
	}
}

// within reports whether p is dir or lies inside it (both cleaned, slash-separated
// or, on Windows, compared case-insensitively with either separator).
func within(p, dir string, windows bool) (equal, inside bool) {
	norm := func(s string) string {
		if windows {
			s = strings.ToLower(strings.ReplaceAll(s, `\`, "/"))
		}
		return path.Clean(s)
	}
	p, dir = norm(p), norm(dir)
	if p == dir {
		return true, false
	}
	return false, strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// isAbs reports whether p is absolute on goos (filepath.IsAbs for that OS).
func isAbs(p, goos string) bool {
	if goos == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

// settingWhere describes where a setting came from, "default" when no layer set it.
func settingWhere(l goenv.Layers, name, value string) string {
	if st, ok := l.Vars[name]; ok {
		return where(st)
	}
	return fmt.Sprintf("%s=%s (%s)", name, value, goenv.SourceDefault)
}

func checkEnvGOPATH(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	goos := s.GOOS(ctx)
	goroot := s.Value(ctx, "GOROOT")
	gopath := s.Value(ctx, "GOPATH")
	st, set := l.Vars["GOPATH"]
	if set {
		// go env refuses to answer for some bad values: judge what was written.
		gopath = st.Value
	}
	if gopath == "" {
		return nil
	}
	ev := []string{settingWhere(l, "GOPATH", gopath)}
	if goroot != "" {
		ev = append(ev, settingWhere(l, "GOROOT", goroot))
	}
	sep := ":"
	if goos == "windows" {
		sep = ";"
	}
	var fix *Fix
	if set {
		t, c := removeFix(st, !s.GoRun(ctx).CannotRun())
		fix = &Fix{Text: t + " The default GOPATH is $HOME/go.", Commands: c}
	}
	var fs []Finding
	for _, p := range strings.Split(gopath, sep) {
		if p == "" {
			continue
		}
		// cmd/go/main.go rejects these before running any command.
		switch {
		case strings.HasPrefix(p, "~"):
			fs = append(fs, Finding{ID: "env.gopath:tilde", Severity: Error,
				Title:    fmt.Sprintf("GOPATH entry %q starts with ~, which only a shell expands: every go command fails (\"GOPATH entry cannot start with shell metacharacter '~'\")", p),
				Evidence: ev, Fix: gopathFix(fix, "Write the full path ($HOME/go)."), Links: []string{"https://go.dev/wiki/GOPATH"}})
			continue
		case !isAbs(p, goos) && set:
			fs = append(fs, Finding{ID: "env.gopath:relative", Severity: Error,
				Title:    fmt.Sprintf("GOPATH entry %q is relative: every go command fails (\"GOPATH entry is relative; must be absolute path\")", p),
				Evidence: ev, Fix: gopathFix(fix, "Use an absolute path."), Links: []string{"https://go.dev/wiki/GOPATH"}})
			continue
		}
		if goroot == "" {
			continue
		}
		equal, inside := within(p, goroot, goos == "windows")
		if !equal && !inside {
			continue
		}
		how := "is GOROOT"
		sev := Warning
		if inside {
			how = "lies inside GOROOT (" + goroot + ")"
		}
		title := fmt.Sprintf("GOPATH entry %s %s: modules (GOPATH/pkg/mod) and go install'ed tools (GOPATH/bin) land inside the Go installation, and removing or upgrading that Go deletes them", p, how)
		if equal {
			title += "; go warns on every command (\"both GOPATH and GOROOT are the same directory\")"
		}
		f := fix
		if f == nil {
			// Nobody set GOPATH: the default $HOME/go is where Go was installed.
			f = &Fix{Needs: finding.NeedsNetwork, Text: "Go is installed in $HOME/go, the default GOPATH: install Go elsewhere (gonative install keeps it out of the way), or set GOPATH to another directory.",
				Commands: []string{`go env -w GOPATH="$HOME/gopath"`, "gonative install"}}
		} else {
			f = gopathFix(f, "Point GOPATH at a directory outside GOROOT, or remove it.")
		}
		fs = append(fs, Finding{ID: "env.gopath:goroot", Severity: sev, Title: title, Evidence: ev, Fix: f,
			Links: []string{"https://go.dev/wiki/InstallTroubleshooting", "https://go.dev/wiki/GOPATH"}})
	}
	if len(fs) == 0 {
		return []Finding{{Severity: Info, Title: "GOPATH=" + gopath + " lies outside GOROOT", Evidence: ev}}
	}
	return fs
}

func gopathFix(f *Fix, text string) *Fix {
	if f == nil {
		return &Fix{Text: text}
	}
	return &Fix{Text: text + " " + f.Text, Commands: f.Commands}
}

// modFileHere is the go.work or go.mod that governs the working directory.
func modFileHere(s *Session) (goenv.ModFile, error) {
	dir := "/"
	if d, err := s.M.Getwd(); err == nil {
		dir = d
	}
	return goenv.FindModFile(dir, s.Getenv("GOWORK"), s.M.ReadFile)
}

func checkEnvModules(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	st, ok := l.Vars["GO111MODULE"]
	if !ok || st.Value == "" {
		return []Finding{{Severity: Info, Title: "GO111MODULE is not set: module mode, the default since Go 1.16"}}
	}
	mod, _ := modFileHere(s)
	ev := []string{where(st)}
	if mod.File != "" {
		ev = append(ev, "module here: "+mod.File)
	}
	links := []string{"https://go.dev/ref/mod#mod-commands", "https://go.dev/doc/go1.22#go-command"}
	switch st.Value {
	case "on":
		t, c := removeFix(st, true)
		return []Finding{{Severity: Info, Title: "GO111MODULE=on is the default since Go 1.16; the setting can go", Evidence: ev, Fix: &Fix{Text: t, Commands: c}}}
	case "off":
		title := "GO111MODULE=off (from " + string(st.Source) + ", a tip from pre-2021 guides) puts go in GOPATH mode: go.mod files are ignored, dependencies come from GOPATH/src, and go install pkg@version fails (\"modules disabled by GO111MODULE=off\"); since Go 1.22 go get is not supported there at all"
		if mod.File != "" {
			title = fmt.Sprintf("GO111MODULE=off (from %s) makes go ignore %s: this module's requirements are not used, builds resolve imports from GOPATH/src, go get and go install pkg@version fail", st.Source, mod.File)
		}
		t, c := removeFix(st, true)
		return []Finding{{ID: "env.modules:off", Severity: Warning, Title: title, Evidence: ev,
			Fix: &Fix{Text: t + " Module mode is the default.", Commands: c}, Links: links}}
	case "auto":
		title := "GO111MODULE=auto (from " + string(st.Source) + "): outside a module go falls back to GOPATH mode, which since Go 1.22 only loses features (go get is not supported there); the default, module mode everywhere, is what you want"
		if mod.File != "" {
			title += fmt.Sprintf(" (here, inside %s, it changes nothing)", mod.File)
		}
		t, c := removeFix(st, true)
		return []Finding{{ID: "env.modules:auto", Severity: Warning, Title: title, Evidence: ev,
			Fix: &Fix{Text: t, Commands: c}, Links: links}}
	}
	// cmd/go/internal/modload/init.go, Init: anything else is fatal.
	t, c := removeFix(st, false)
	return []Finding{{ID: "env.modules:invalid", Severity: Error,
		Title:    fmt.Sprintf("GO111MODULE=%q is invalid: every go command fails (\"go: unknown environment setting GO111MODULE=%s\"); valid values are on, off and auto", st.Value, st.Value),
		Evidence: ev, Fix: &Fix{Text: t, Commands: c}, Links: links}}
}

// Experiments returns the GOEXPERIMENT names a Go toolchain knows, read from its
// source: the bool fields of the Flags struct in $GOROOT/src/internal/goexperiment/
// flags.go, lower-cased, plus the alias "regabi" (internal/buildcfg/exp.go,
// ParseGOEXPERIMENT, which accepts each name, "no"+name to turn one off, and "none").
func Experiments(flagsGo []byte) []string {
	src := string(flagsGo)
	i := strings.Index(src, "type Flags struct {")
	if i < 0 {
		return nil
	}
	body := src[i+len("type Flags struct {"):]
	if j := strings.Index(body, "\n}"); j >= 0 {
		body = body[:j]
	}
	names := []string{"regabi"}
	for _, line := range strings.Split(body, "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == "bool" {
			names = append(names, strings.ToLower(f[0]))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// UnknownExperiments returns the entries of a GOEXPERIMENT value that known lacks.
func UnknownExperiments(value string, known []string) []string {
	var bad []string
	for _, e := range strings.Split(value, ",") {
		e = strings.TrimSpace(e)
		if e == "" || e == "none" {
			continue
		}
		name := e
		if n, ok := strings.CutPrefix(e, "no"); ok && !slices.Contains(known, e) {
			name = n
		}
		if !slices.Contains(known, name) {
			bad = append(bad, e)
		}
	}
	return bad
}

func checkEnvExperiment(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	st, ok := l.Vars["GOEXPERIMENT"]
	if !ok || strings.TrimSpace(st.Value) == "" {
		return nil
	}
	ev := []string{where(st)}
	r := s.GoRun(ctx)
	links := []string{"https://pkg.go.dev/internal/goexperiment"}
	// Ask go first: it parses GOEXPERIMENT before running any command.
	for _, f := range r.Failures {
		if _, name, ok := strings.Cut(f.Message, "unknown GOEXPERIMENT "); ok {
			name, _, _ = strings.Cut(name, "\n")
			t, c := removeFix(st, false)
			return []Finding{{Severity: Error,
				Title:    fmt.Sprintf("GOEXPERIMENT=%s: the selected Go does not know the experiment %q, so every go command fails", st.Value, name),
				Evidence: append(ev, "go said: "+printable(f.Message)),
				Fix:      &Fix{Text: t + " Experiments come and go between releases: an old guide's experiment may be gone (or now the default).", Commands: c},
				Links:    links}}
		}
	}
	if r.Env != nil {
		return []Finding{{Severity: Info, Title: fmt.Sprintf("GOEXPERIMENT=%s: every build uses these experiments (go accepts them)", st.Value), Evidence: ev}}
	}
	// go did not run: read the toolchain's own list.
	goroot := s.Value(ctx, "GOROOT")
	file := path.Join(goroot, "src", "internal", "goexperiment", "flags.go")
	b, err := s.M.ReadFile(file)
	known := Experiments(b)
	if goroot == "" || err != nil || len(known) == 0 {
		why := "no GOROOT"
		if goroot != "" {
			why = file + " is unreadable"
			if err == nil {
				why = file + " lists no experiments"
			}
		}
		return []Finding{{Severity: Info, Title: fmt.Sprintf("GOEXPERIMENT=%s: whether the selected Go knows these experiments is unknown (go did not run and %s)", st.Value, why), Evidence: ev}}
	}
	ev = append(ev, fmt.Sprintf("experiments known to %s: %s", file, strings.Join(known, ", ")))
	if bad := UnknownExperiments(st.Value, known); len(bad) > 0 {
		t, c := removeFix(st, false)
		return []Finding{{Severity: Error,
			Title:    fmt.Sprintf("GOEXPERIMENT=%s: the selected Go does not know %s, so every go command fails (\"go: unknown GOEXPERIMENT %s\")", st.Value, strings.Join(bad, ", "), strings.TrimPrefix(bad[0], "no")),
			Evidence: ev, Fix: &Fix{Text: t, Commands: c}, Links: links}}
	}
	return []Finding{{Severity: Info, Title: fmt.Sprintf("GOEXPERIMENT=%s: every build uses these experiments (%s knows them)", st.Value, file), Evidence: ev}}
}

// publicHosts are code hosts whose modules are public: a pattern covering one of them
// whole exempts every module there.
var publicHosts = []string{
	"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com",
	"golang.org", "google.golang.org", "go.googlesource.com", "gopkg.in",
	"cloud.google.com", "k8s.io", "sigs.k8s.io", "go.uber.org", "go.opentelemetry.io",
}

// Coverage describes what a GOPRIVATE-style pattern list matches (module.MatchPrefixPatterns,
// the matcher cmd/go uses): "every module path" when it matches paths on unrelated
// hosts, "every module on H" for a public host H it covers whole, else "".
func Coverage(patterns string) string {
	const probe = "/gonative-probe/gonative-probe"
	if module.MatchPrefixPatterns(patterns, "gonative-probe.invalid"+probe) && module.MatchPrefixPatterns(patterns, "github.com"+probe) {
		return "every module path"
	}
	var hosts []string
	for _, h := range publicHosts {
		if module.MatchPrefixPatterns(patterns, h+probe) {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return ""
	}
	return "every module on " + strings.Join(hosts, ", ")
}

// privateVars are the pattern settings, with what matching means and how bad that is.
var privateVars = []struct {
	name, means string
	sev         Severity
}{
	{"GOINSECURE", "fetched directly over plain HTTP or without verifying the server's certificate, so anyone on the network path can serve other code (only the checksum database still catches it)", Warning},
	{"GONOSUMDB", "not checked against the checksum database, so a compromised proxy or origin can serve code that differs from what everyone else gets, undetected", Warning},
	{"GOPRIVATE", "neither fetched through GOPROXY nor checked against the checksum database (GOPRIVATE is the default of GONOPROXY and GONOSUMDB), so a compromised origin can serve other code, undetected", Warning},
	{"GONOPROXY", "fetched directly from their origins (version control), bypassing GOPROXY; the checksum database still checks them", Info},
}

// privateLookalikes are names that look like the pattern settings but are not Go
// settings: no version of cmd/go reads them.
var realPrivate = []string{"GOINSECURE", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOSUMDB", "GOPROXY", "GOAUTH", "GOVCS"}

func checkEnvPrivate(ctx context.Context, s *Session) []Finding {
	l := s.Layers(ctx)
	var fs []Finding
	for _, pv := range privateVars {
		st, ok := l.Vars[pv.name]
		if !ok || strings.TrimSpace(st.Value) == "" {
			continue
		}
		cov := Coverage(st.Value)
		if cov == "" {
			fs = append(fs, Finding{ID: "env.private:" + strings.ToLower(pv.name), Severity: Info,
				Title: fmt.Sprintf("%s=%s covers only the modules it names", pv.name, redact.Setting(pv.name, st.Value)), Evidence: []string{where(st)}})
			continue
		}
		t, c := removeFix(st, true)
		fs = append(fs, Finding{ID: "env.private:" + strings.ToLower(pv.name), Severity: pv.sev,
			Title:    fmt.Sprintf("%s=%s matches %s: those modules are %s", pv.name, redact.Setting(pv.name, st.Value), cov, pv.means),
			Evidence: []string{where(st), "patterns are matched against module path prefixes (golang.org/x/mod/module.MatchPrefixPatterns, as cmd/go does)"},
			Fix: &Fix{Text: "List only your private module prefixes, such as example.com/yourcorp. " + t,
				Commands: append(c, fmt.Sprintf("go env -w %s=example.com/yourcorp", pv.name))},
			Links: []string{"https://go.dev/ref/mod#private-modules", linkEnv}})
	}
	for _, name := range l.Names() {
		if slices.Contains(realPrivate, name) || slices.Contains(goenv.Known, name) || !strings.HasPrefix(name, "GO") {
			continue
		}
		if !strings.Contains(name, "SUM") && !strings.Contains(name, "PROXY") && !strings.Contains(name, "PRIVATE") && !strings.Contains(name, "INSECURE") {
			continue
		}
		st := l.Vars[name]
		near := nearest(name, realPrivate)
		t, c := removeFix(st, true)
		fs = append(fs, Finding{ID: "env.private:" + strings.ToLower(name), Severity: Warning,
			Title:    fmt.Sprintf("%s is not a Go setting: no go command reads it, so it does nothing (did you mean %s?)", name, near),
			Evidence: []string{where(st), "cmd/go's settings: " + strings.Join(realPrivate, ", ")},
			Fix: &Fix{Text: fmt.Sprintf("Remove it; to skip the checksum database for private modules, set GONOSUMDB (or GOPRIVATE) to their path prefixes. %s", t),
				Commands: c},
			Links: []string{"https://go.dev/ref/mod#private-modules"}})
	}
	return fs
}

// nearest returns the candidate closest to name by edit distance.
func nearest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(name, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
