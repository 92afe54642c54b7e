package doctor

import (
	"context"
	"fmt"
	"go/version"
	"path"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
)

func toolsChecks() []Check {
	return []Check{
		{ID: "tools.arch", Area: AreaTools, Title: "installed tools (GOBIN, GOPATH/bin) built for another architecture", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkToolsArch},
		{ID: "tools.goversion", Area: AreaTools, Title: "installed tools built by a Go older than the active one", FixNeeds: []finding.Needs{finding.NeedsNetwork}, Run: checkToolsGoVersion},
		{ID: "tools.shadow", Area: AreaTools, Title: "gopls, dlv, gofmt, staticcheck on PATH shadowing the ones in GOBIN", Run: checkToolsShadow},
		{ID: "tools.codesign", Area: AreaTools, Title: "arm64 macOS binaries without a valid code signature (Killed: 9)", OS: "darwin", Run: checkToolsCodesign},
	}
}

// tool is one executable in GOBIN or GOPATH/bin.
type tool struct {
	path, os string
	archs    []string
	goVer    string // the Go that built it
	pkg      string // main package path
	modVer   string // main module version
	signed   []string
}

// tools reads every executable in GOBIN and each GOPATH's bin directory, once per
// session.
func tools(ctx context.Context, s *Session) ([]tool, []string) {
	s.toolsOnce.Do(func() { s.tools, s.toolDirs = readTools(ctx, s) })
	return s.tools, s.toolDirs
}

func readTools(ctx context.Context, s *Session) ([]tool, []string) {
	var dirs []string
	if gobin := s.Value(ctx, "GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gp := range s.GOPATHs(ctx) {
		if d := path.Join(gp, "bin"); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	var out []tool
	for _, d := range dirs {
		entries, err := s.M.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() || ctx.Err() != nil || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := path.Join(d, e.Name())
			f, err := s.Inspect(ctx, p)
			if err != nil || f == nil || len(f.Slices) == 0 {
				continue
			}
			t := tool{path: p, os: f.Slices[0].OS}
			for _, sl := range f.Slices {
				t.archs = append(t.archs, sl.Arch)
				if sl.Go != nil && t.goVer == "" {
					t.goVer, t.pkg, t.modVer = sl.Go.Version, sl.Go.Path, sl.Go.ModuleVersion
				}
				if sl.SignatureProblem() != "" {
					prob := "no signature"
					if sl.Signature != nil && sl.Signature.Problem != "" {
						prob = sl.Signature.Problem
					}
					t.signed = append(t.signed, prob)
				}
			}
			out = append(out, t)
		}
	}
	return out, dirs
}

// reinstall is the go install command that rebuilds a Go tool from its build info.
func (t tool) reinstall() string {
	if t.pkg == "" {
		return ""
	}
	v := t.modVer
	if v == "" || v == "(devel)" {
		v = "latest"
	}
	return "go install " + t.pkg + "@" + v
}

func checkToolsArch(ctx context.Context, s *Session) []Finding {
	ts, dirs := tools(ctx, s)
	if len(ts) == 0 {
		return []Finding{{Severity: Info, Title: "no tools installed in " + strings.Join(dirs, ", ")}}
	}
	var fs []Finding
	for _, t := range ts {
		v := verdictFor(ctx, s, t.os, t.archs)
		if v.Native {
			continue
		}
		fix := &Fix{Text: "Reinstall it with the native Go.", Needs: finding.NeedsNetwork}
		if c := t.reinstall(); c != "" {
			fix.Commands = []string{c}
		}
		name := path.Base(t.path)
		title := fmt.Sprintf("%s is %s/%s and %s", t.path, t.os, strings.Join(t.archs, "+"), v.How)
		if name == "dlv" && s.Host(ctx).OS == "darwin" {
			title += ": Delve refuses to debug under Rosetta (\"can not run under Rosetta\")"
		}
		ev := []string{fmt.Sprintf("%s: %s/%s", t.path, t.os, strings.Join(t.archs, "+")), "hardware: " + hardwareArch(ctx, s)}
		if t.goVer != "" {
			ev = append(ev, fmt.Sprintf("built by %s from %s %s", t.goVer, t.pkg, t.modVer))
		}
		sev := v.Severity
		if sev == Error {
			sev = Warning // a wrong tool hurts when it runs, not every build
		}
		if strings.HasPrefix(v.How, "does not run") {
			sev = Error
		}
		fs = append(fs, Finding{ID: "tools.arch:" + name, Severity: sev, Title: title, Evidence: ev, Fix: fix,
			Links: []string{"https://github.com/golang/vscode-go/issues/3491"}})
	}
	if len(fs) == 0 {
		if len(ts) == 1 {
			return []Finding{{Severity: Info, Title: "1 installed tool, all native"}}
		}
		return []Finding{{Severity: Info, Title: fmt.Sprintf("%d installed tools, all native", len(ts))}}
	}
	return fs
}

func checkToolsGoVersion(ctx context.Context, s *Session) []Finding {
	g, ok := s.ActiveGo(ctx)
	if !ok || g.Version == "" {
		return nil
	}
	active := version.Lang(g.Version)
	ts, _ := tools(ctx, s)
	var fs []Finding
	for _, t := range ts {
		if t.goVer == "" || !version.IsValid(t.goVer) || version.Compare(version.Lang(t.goVer), active) >= 0 {
			continue
		}
		fix := &Fix{Text: "Reinstall it with " + g.Version + ".", Needs: finding.NeedsNetwork}
		if c := t.reinstall(); c != "" {
			fix.Commands = []string{c}
		}
		fs = append(fs, Finding{ID: "tools.goversion:" + path.Base(t.path), Severity: Warning,
			Title:    fmt.Sprintf("%s was built by %s, older than the active %s (gopls: \"Gopls was built with Go version …\"; analyzers may not understand newer code)", t.path, t.goVer, g.Version),
			Evidence: []string{fmt.Sprintf("%s: built by %s from %s %s", t.path, t.goVer, t.pkg, t.modVer), "active go: " + g.Version},
			Fix:      fix,
			Links:    []string{"https://go.dev/s/gopls-support-policy"}})
	}
	return fs
}

func checkToolsCodesign(ctx context.Context, s *Session) []Finding {
	if hardwareArch(ctx, s) != "arm64" {
		return nil
	}
	ts, _ := tools(ctx, s)
	if g, ok := s.ActiveGo(ctx); ok && g.File != nil {
		gt := tool{path: g.Resolved}
		for _, sl := range g.File.Slices {
			if sl.SignatureProblem() != "" {
				prob := "no signature"
				if sl.Signature != nil && sl.Signature.Problem != "" {
					prob = sl.Signature.Problem
				}
				gt.signed = append(gt.signed, prob)
			}
		}
		ts = append(ts, gt)
	}
	var fs []Finding
	for _, t := range ts {
		if len(t.signed) == 0 {
			continue
		}
		fs = append(fs, Finding{ID: "tools.codesign:" + path.Base(t.path), Severity: Error,
			Title:    t.path + " has no valid code signature: macOS kills it on start (\"Killed: 9\")",
			Evidence: append([]string{t.path}, t.signed...),
			Fix: &Fix{Text: "Re-sign it ad hoc (gonative sign works on any OS; Apple's equivalent is codesign -f -s - " + goenv.ShellQuote(t.path) + "), or rebuild it; replace binaries atomically (write a new file and rename), never copy over one in place.",
				Commands: []string{"gonative sign " + goenv.ShellQuote(t.path)}},
			Links: []string{"https://github.com/golang/go/issues/42684"}})
	}
	return fs
}

// shadowable are the tools whose PATH copy matters to editors and debuggers.
var shadowable = []string{"gopls", "dlv", "gofmt", "staticcheck", "golangci-lint", "goimports"}

func checkToolsShadow(ctx context.Context, s *Session) []Finding {
	_, dirs := tools(ctx, s)
	var fs []Finding
	for _, name := range shadowable {
		all := s.findAll(ctx, name)
		if len(all) < 2 {
			continue
		}
		first := all[0]
		var installed string
		for _, p := range all[1:] {
			if slices.Contains(dirs, path.Dir(p)) {
				installed = p
				break
			}
		}
		if installed == "" || slices.Contains(dirs, path.Dir(first)) {
			continue
		}
		r1, _ := s.M.EvalSymlinks(first)
		r2, _ := s.M.EvalSymlinks(installed)
		if r1 != "" && r1 == r2 {
			continue
		}
		fs = append(fs, Finding{ID: "tools.shadow:" + name, Severity: Warning,
			Title:    fmt.Sprintf("%s on your PATH resolves to %s, which shadows the one go install updates (%s)", name, first, installed),
			Evidence: all,
			Fix: &Fix{Text: fmt.Sprintf("Remove %s, or put %s before %s on PATH.", first, path.Dir(installed), path.Dir(first)),
				Commands: []string{fmt.Sprintf("export PATH=%s:$PATH", path.Dir(installed))}}})
	}
	return fs
}
