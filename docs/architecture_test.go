// Package docs holds the test that keeps docs/architecture.md true: the import rules
// it states are checked against every .go file of the module.
package docs

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// rules is what docs/architecture.md states.
type rules struct {
	module     string
	pkgs       map[string]*pkgRule // by import path
	exceptions map[[2]string]bool  // importer, imported
}

type pkgRule struct {
	path       string
	testHelper bool
	mayImport  map[string]bool
	anyDomain  bool // "internal/..."
	testsMay   map[string]bool
}

// imports are a package's imports of the module's own packages, from its files.
type imports struct {
	code  map[string][]string // imported path -> files
	tests map[string][]string
}

var backquoted = regexp.MustCompile("`([^`]+)`")

// parseRules reads the package table and the exceptions table of architecture.md.
func parseRules(module, doc string) (*rules, error) {
	r := &rules{module: module, pkgs: map[string]*pkgRule{}, exceptions: map[[2]string]bool{}}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
			continue
		case strings.HasPrefix(line, "Exceptions"):
			section = "exceptions"
			continue
		case !strings.HasPrefix(line, "| `"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		names := func(i int) []string {
			if i >= len(cells) {
				return nil
			}
			var out []string
			for _, m := range backquoted.FindAllStringSubmatch(cells[i], -1) {
				out = append(out, m[1])
			}
			return out
		}
		switch {
		case strings.HasPrefix(section, "Packages"):
			if len(cells) != 4 {
				return nil, fmt.Errorf("architecture.md:%d: want 4 columns, got %d", n, len(cells))
			}
			p := names(0)
			if len(p) != 1 {
				return nil, fmt.Errorf("architecture.md:%d: want one package in the first column", n)
			}
			pr := &pkgRule{path: p[0], testHelper: strings.HasPrefix(strings.TrimSpace(cells[1]), "test helper"),
				mayImport: map[string]bool{}, testsMay: map[string]bool{}}
			for _, m := range names(2) {
				if m == "internal/..." {
					pr.anyDomain = true
				} else {
					pr.mayImport[m] = true
				}
			}
			for _, m := range names(3) {
				pr.testsMay[m] = true
			}
			if r.pkgs[pr.path] != nil {
				return nil, fmt.Errorf("architecture.md:%d: %s listed twice", n, pr.path)
			}
			r.pkgs[pr.path] = pr
		case section == "exceptions":
			from, to := names(0), names(1)
			if len(from) != 1 || len(to) != 1 {
				return nil, fmt.Errorf("architecture.md:%d: an exception names one importer and one imported package", n)
			}
			r.exceptions[[2]string{from[0], to[0]}] = true
		}
	}
	if len(r.pkgs) == 0 {
		return nil, fmt.Errorf("architecture.md: no package table")
	}
	return r, nil
}

// allowed says whether pkg (its tests when test is set) may import imp.
func (r *rules) allowed(pkg, imp string, test bool) bool {
	pr := r.pkgs[pkg]
	target := r.pkgs[imp]
	if pr == nil || target == nil {
		return false
	}
	if r.exceptions[[2]string{pkg, imp}] {
		return true
	}
	if test && (imp == pkg || imp == "internal/fixture" || pr.testsMay[imp]) {
		return true
	}
	if target.testHelper {
		return false
	}
	return pr.mayImport[imp] || pr.anyDomain && strings.HasPrefix(imp, "internal/")
}

// check returns every way the module's imports break the rules.
func (r *rules) check(pkgs map[string]*imports) []string {
	var problems []string
	for pkg, im := range pkgs {
		if r.pkgs[pkg] == nil {
			problems = append(problems, fmt.Sprintf("package %s is not in docs/architecture.md: add its row (what it holds, what it may import)", pkg))
			continue
		}
		for _, kind := range []struct {
			m    map[string][]string
			test bool
			what string
		}{{im.code, false, ""}, {im.tests, true, " (tests)"}} {
			for imp, files := range kind.m {
				switch {
				case r.pkgs[imp] == nil:
					problems = append(problems, fmt.Sprintf("%s%s imports %s, which is not in docs/architecture.md (%s)", pkg, kind.what, imp, strings.Join(files, ", ")))
				case !r.allowed(pkg, imp, kind.test):
					problems = append(problems, fmt.Sprintf("%s%s may not import %s (%s): see docs/architecture.md", pkg, kind.what, imp, strings.Join(files, ", ")))
				}
			}
		}
	}
	for path := range r.pkgs {
		if pkgs[path] == nil {
			problems = append(problems, fmt.Sprintf("docs/architecture.md lists %s, which is not in the module", path))
		}
	}
	for e := range r.exceptions {
		if pkgs[e[0]] != nil && len(pkgs[e[0]].code[e[1]]) == 0 && len(pkgs[e[0]].tests[e[1]]) == 0 {
			problems = append(problems, fmt.Sprintf("docs/architecture.md: the exception %s → %s is no longer needed: remove it", e[0], e[1]))
		}
	}
	sort.Strings(problems)
	return problems
}

// scan parses the imports of every .go file under root (every platform, tests
// included), by package directory relative to root.
func scan(root, module string) (map[string]*imports, error) {
	pkgs := map[string]*imports{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // a nested module has its own rules
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		im := pkgs[pkg]
		if im == nil {
			im = &imports{code: map[string][]string{}, tests: map[string][]string{}}
			pkgs[pkg] = im
		}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			rest, ok := strings.CutPrefix(p, module+"/")
			if !ok {
				continue
			}
			m := im.code
			if strings.HasSuffix(name, "_test.go") {
				m = im.tests
			}
			m[rest] = append(m[rest], filepath.ToSlash(filepath.Join(pkg, name)))
		}
		return nil
	})
	return pkgs, err
}

func modulePath(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// TestArchitecture checks docs/architecture.md against the module's imports.
func TestArchitecture(t *testing.T) {
	root := ".."
	module := modulePath(t, root)
	doc, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseRules(module, string(doc))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := scan(root, module)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.check(pkgs) {
		t.Error(p)
	}
}

// The checker catches what it is for: a forbidden import, an unlisted package, a
// test helper imported by code, a stale row or exception.
func TestCheckFindsViolations(t *testing.T) {
	doc := "## Packages\n\n| package | holds | may import | tests |\n|---|---|---|---|\n" +
		"| `internal/cli` | commands | `internal/...` | |\n" +
		"| `internal/exe` | reader | | |\n" +
		"| `internal/isa` | scanner | `internal/exe` | |\n" +
		"| `internal/fixture` | test helper: builds | | |\n" +
		"| `internal/gone` | removed | | |\n" +
		"\nExceptions:\n\n| importer | imports | why |\n|---|---|---|\n" +
		"| `internal/exe` | `internal/isa` | under way |\n" +
		"| `internal/isa` | `internal/cli` | stale |\n"
	r, err := parseRules("m", doc)
	if err != nil {
		t.Fatal(err)
	}
	im := func(code []string, tests ...string) *imports {
		i := &imports{code: map[string][]string{}, tests: map[string][]string{}}
		for _, c := range code {
			if c != "" {
				i.code[c] = []string{"f.go"}
			}
		}
		for _, c := range tests {
			i.tests[c] = []string{"f_test.go"}
		}
		return i
	}
	pkgs := map[string]*imports{
		"internal/cli":     im([]string{"internal/exe", "internal/fixture"}, "internal/fixture"),
		"internal/exe":     im([]string{"internal/isa"}, "internal/fixture", "internal/exe"),
		"internal/isa":     im([]string{"internal/exe"}),
		"internal/fixture": im(nil),
		"internal/new":     im(nil),
	}
	pkgs["internal/cli"].code["internal/fixture"] = []string{"cli.go"}
	got := strings.Join(r.check(pkgs), "\n")
	for _, want := range []string{
		"internal/cli may not import internal/fixture (cli.go)",
		"package internal/new is not in docs/architecture.md",
		"docs/architecture.md lists internal/gone, which is not in the module",
		"docs/architecture.md: the exception internal/isa → internal/cli is no longer needed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q; got:\n%s", want, got)
		}
	}
	// Allowed: exe→isa by exception, isa→exe by the table, tests importing fixture
	// and their own package, cli→exe by internal/....
	for _, bad := range []string{"internal/exe may not", "internal/isa may not import internal/exe", "(tests) may not", "internal/cli may not import internal/exe"} {
		if strings.Contains(got, bad) {
			t.Errorf("check reports an allowed import (%q):\n%s", bad, got)
		}
	}
	// An exception is the documented way to allow one edge.
	if !r.allowed("internal/isa", "internal/cli", false) {
		t.Errorf("an exception does not allow its edge")
	}
	if r.allowed("internal/isa", "internal/fixture", false) || !r.allowed("internal/isa", "internal/fixture", true) {
		t.Errorf("internal/fixture must be importable by tests only")
	}
	if r.allowed("internal/exe", "internal/cli", false) {
		t.Errorf("exe may import cli")
	}
}
