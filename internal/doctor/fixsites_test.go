package doctor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/finding"
)

// fixSite is one place in the source that builds a fix with commands: a Fix literal
// with a Commands field (not one that copies another fix's, f.Commands), or a call to
// a constructor of layer fixes (layerHelpers).
type fixSite struct {
	pos   string // file:line
	fn    string // the enclosing function
	needs string // the Needs field's expression, "" when the literal has none
	check string // the check whose Run is fn ("" for helpers)
}

// fixSites returns the fix sites of the non-test files in dirs.
func fixSites(t *testing.T, dirs ...string) []fixSite {
	t.Helper()
	var sites []fixSite
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil || slices.Contains(layerHelpers, fd.Name.Name) {
					continue // a layer fix constructor: its callers are the sites
				}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.CompositeLit:
						if !isFixType(n.Type) {
							return true
						}
						site := fixSite{pos: fset.Position(n.Pos()).String(), fn: fd.Name.Name}
						commands := false
						for _, e := range n.Elts {
							kv, ok := e.(*ast.KeyValueExpr)
							if !ok {
								continue
							}
							switch key, _ := kv.Key.(*ast.Ident); {
							case key == nil:
							case key.Name == "Commands":
								_, copied := kv.Value.(*ast.SelectorExpr)
								commands = !copied
							case key.Name == "Needs":
								site.needs = exprString(kv.Value)
							}
						}
						if commands {
							sites = append(sites, site)
						}
					case *ast.AssignStmt:
						// fix.Commands = …: marked when the function builds its fixes
						// with a Needs mark.
						for _, lhs := range n.Lhs {
							if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Commands" {
								site := fixSite{pos: fset.Position(n.Pos()).String(), fn: fd.Name.Name}
								if hasNeeds(fd.Body) {
									site.needs = "assigned"
								}
								sites = append(sites, site)
							}
						}
					case *ast.CallExpr:
						if slices.Contains(layerHelpers, calleeName(n.Fun)) {
							sites = append(sites, fixSite{pos: fset.Position(n.Pos()).String(), fn: fd.Name.Name})
						}
					}
					return true
				})
			}
		}
	}
	return sites
}

// layerHelpers build a fix from the layer that set a setting (unset, go env -u/-w):
// each call is a site of its own.
var layerHelpers = []string{"resetFix", "settingFix", "setFix"}

// hasNeeds reports whether body builds a Fix literal with a Needs field.
func hasNeeds(body ast.Node) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if kv, ok := n.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Needs" {
				found = true
			}
		}
		return !found
	})
	return found
}

func isFixType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Fix"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Fix"
	}
	return false
}

func calleeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func exprString(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		return s.Sel.Name
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}

// TestFixSitesCovered enumerates every place doctor and netcheck build a fix with
// commands and fails when one has neither a harness case (a fixHarness entry whose
// check's code holds the site) nor a Needs mark saying why it cannot run here: a new
// finding with a fix cannot slip through untested.
func TestFixSitesCovered(t *testing.T) {
	sites := fixSites(t, ".", "../netcheck")
	if len(sites) < 20 {
		t.Fatalf("found only %d fix sites: the scan is broken", len(sites))
	}
	unmarked := map[string][]string{}
	n := 0
	for _, s := range sites {
		if s.needs == "" {
			unmarked[s.fn] = append(unmarked[s.fn], s.pos)
			n++
		}
	}
	t.Logf("%d fix sites with commands: %d marked with what they need, %d that run here (in %d functions); %d harness cases", len(sites), len(sites)-n, n, len(unmarked), len(fixHarness))
	for fn, pos := range unmarked {
		if gap := harnessGaps[fn]; gap.n > 0 {
			t.Logf("%s: %d fix site(s) not harnessed yet: %s", fn, gap.n, gap.why)
		}
		if cases := harnessedFuncs[fn]; len(cases)+harnessGaps[fn].n < len(pos) {
			t.Errorf("%s builds %d fixes with commands and no Needs mark (%s) but has %d harness cases (harnessedFuncs): add a fixHarness case or mark what the fix needs",
				fn, len(pos), strings.Join(pos, ", "), len(cases))
		}
	}
	// Every function named as harnessed holds a site, and every case it names exists.
	for fn, cases := range harnessedFuncs {
		if !slices.ContainsFunc(sites, func(s fixSite) bool { return s.fn == fn }) {
			t.Errorf("harnessedFuncs names %s, which builds no fix", fn)
		}
		for _, c := range cases {
			if !slices.ContainsFunc(fixHarness, func(h harnessCase) bool { return h.name == c }) {
				t.Errorf("harnessedFuncs[%s] names no harness case %q", fn, c)
			}
		}
	}
}

// harnessedFuncs maps each function that builds a runnable fix to the harness cases
// that execute it; it needs as many cases as the function has unmarked fix sites.
var harnessedFuncs = map[string][]string{
	"checkGoGOROOT":      {"goroot-env", "goroot-file"},
	"moduleFix":          {"mod-vendor-env", "mod-vendor-file"},
	"checkGoSwitch":      {"goswitch-langversion-env"},
	"checkEnvGOFLAGS":    {"goflags-env", "goflags-file"},
	"failFix":            {"gorun-goflags-env"},
	"checkEnvGOARM":      {"goarm-env", "goarm-file"},
	"checkEnvLevel":      {"goarm64-env", "goamd64-file"},
	"checkEnvTarget":     {"target-file"},
	"checkEnvProxy":      {"goproxy-off-env", "goproxy-off-file", "goproxy-bad-env", "gosumdb-off-env", "gosumdb-bad-file"},
	"compilerFix":        {"cc-missing-env", "cc-missing-file"},
	"checkEnvCgo":        {"no-cc"},
	"checkEnvPath":       {"gobin-missing", "gobin-not-on-path"},
	"checkEnvLayers":     {"layers-env-over-file"},
	"checkEnvGOPATH":     {"gopath-tilde-env"},
	"checkEnvModules":    {"go111module-on-env", "go111module-off-file", "go111module-auto-env", "go111module-invalid-file"},
	"checkEnvExperiment": {"goexperiment-env", "goexperiment-file"},
	"checkEnvPrivate":    {"goprivate-everything-env", "gonosumcheck-file"},
	"checkGoToolchain":   {"gotoolchain-bad-file", "gotoolchain-sumdb-env"},
	"checkGoShadow":      {"shadowed-store", "shadowed-go"},
	"checkGoArch":        {"no-go-store"},
	"settingsFindings":   {"net-goflags-insecure-env", "net-goflags-insecure-file", "net-goproxy-off-env", "net-gosumdb-bad-env", "net-gosumdb-off-file", "net-goinsecure-env", "net-goinsecure-profile"},
	"netrcFindings":      {"net-netrc-dir"},
	"RootFindings":       {"certs-file-fifo", "certs-file-missing", "certs-none"},
}

// harnessGaps counts, per function, fix sites that run here but that no harness case
// reaches yet, with the reason; TestFixSitesCovered logs them.
var harnessGaps = map[string]struct {
	n   int
	why string
}{
	"checkEnvLevel":      {1, "env.level:rosetta is reported on macOS only"},
	"checkGoToolchain":   {1, "go.toolchain:goenv needs a Go whose $GOROOT/go.env sets GOTOOLCHAIN=local"},
	"checkGoSwitch":      {1, "go.switch to a toolchain installed by gonative but not on PATH needs an installed goX.Y.Z"},
	"checkToolsShadow":   {1, "tools.shadow needs a go-installed tool shadowed on PATH"},
	"checkToolsCodesign": {1, "tools.codesign is reported on macOS only; cmd/gonative's sign_adhoc.txtar runs its command, gonative sign, on the files it finds (unsigned, edited after signing) and inspect then says the signature is valid"},
	"errorFix":           {1, "netcheck's ',' to '|' fix shows its effect only when a failing proxy is probed (TestRun/500-comma checks the line)"},
}

// helperChecks names the checks whose fixes a helper function builds.
var helperChecks = map[string][]string{
	"failFix": {"go.run"}, "moduleFix": {"go.module"}, "switchFix": {"go.switch"}, "compilerFix": {"env.cgo"},
	"RootFindings": {"net.certs", "net.online"}, "privateRootFix": {"net.online"}, "publicRootFix": {"net.online"},
	"diagnoseTLS": {"net.online"}, "reportSteps": {"net.online"}, "errorFix": {"net.online"}, "sumdbPath": {"net.online"},
	"Run": {"net.online"}, "settingsFindings": {"net.settings"}, "netrcFindings": {"net.settings"},
}

// TestFixNeedsListed checks that --list-checks tells the truth: every Needs mark (other
// than a person's) of a fix a check builds is in the check's FixNeeds.
func TestFixNeedsListed(t *testing.T) {
	byName := map[string]finding.Needs{"NeedsMacOS": finding.NeedsMacOS, "NeedsWindows": finding.NeedsWindows,
		"NeedsRoot": finding.NeedsRoot, "NeedsNetwork": finding.NeedsNetwork, "NeedsPerson": finding.NeedsPerson}
	checks := map[string][]string{} // function name → check ids
	for _, c := range Default().Checks() {
		name := runtime.FuncForPC(reflect.ValueOf(c.Run).Pointer()).Name()
		name = name[strings.LastIndex(name, ".")+1:]
		checks[name] = append(checks[name], c.ID)
	}
	for fn, ids := range helperChecks {
		checks[fn] = append(checks[fn], ids...)
	}
	for _, s := range fixSites(t, ".", "../netcheck") {
		need, ok := byName[s.needs]
		if !ok || need == finding.NeedsPerson {
			continue
		}
		ids := checks[s.fn]
		if len(ids) == 0 {
			t.Errorf("%s (in %s): a fix that needs %s in a function no check runs directly: add it to helperChecks", s.pos, s.fn, need)
		}
		for _, id := range ids {
			c, _ := Default().Lookup(id)
			if !slices.Contains(c.FixNeeds, need) {
				t.Errorf("%s (in %s): a fix of %s needs %s, which its FixNeeds %v does not list", s.pos, s.fn, id, need, c.FixNeeds)
			}
		}
	}
}
