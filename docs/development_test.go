package docs

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// arm64Stage is what scripts/arm64.txt lists for the linux/arm64 stage.
type arm64Stage struct {
	pkgs       map[string]bool // module-relative directories
	scriptsRun string          // the go test -run pattern for cmd/gonative
}

func parseArm64Stage(text string) arm64Stage {
	s := arm64Stage{pkgs: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(f[0], "./")
		s.pkgs[pkg] = true
		if pkg == "cmd/gonative" && len(f) > 1 {
			s.scriptsRun = f[1]
		}
	}
	return s
}

// goarchReaders returns the module-relative directories whose non-test Go files read
// runtime.GOARCH.
func goarchReaders(t *testing.T, root string) []string {
	t.Helper()
	found := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		runtimeName := ""
		for _, im := range f.Imports {
			if im.Path.Value == `"runtime"` {
				runtimeName = "runtime"
				if im.Name != nil {
					runtimeName = im.Name.Name
				}
			}
		}
		if runtimeName == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "GOARCH" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == runtimeName {
					rel, _ := filepath.Rel(root, filepath.Dir(path))
					found[filepath.ToSlash(rel)] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range found {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// TestArm64Stage keeps scripts/arm64.txt, what the linux/arm64 stage runs under
// qemu-user, complete: every package whose code reads runtime.GOARCH (test helpers
// aside: they run inside the tests that use them) is listed, every listed package
// exists, and every script prefix the cmd/gonative pattern names matches a script.
func TestArm64Stage(t *testing.T) {
	root := ".."
	text, err := os.ReadFile(filepath.Join(root, "scripts/arm64.txt"))
	if err != nil {
		t.Fatal(err)
	}
	stage := parseArm64Stage(string(text))
	doc, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	module := modulePath(t, root)
	r, err := parseRules(module, string(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range goarchReaders(t, root) {
		if rule := r.pkgs[dir]; rule != nil && rule.testHelper {
			continue
		}
		if !stage.pkgs[dir] {
			t.Errorf("scripts/arm64.txt lacks ./%s, whose code reads runtime.GOARCH: its tests must run as linux/arm64 too", dir)
		}
	}
	for dir := range stage.pkgs {
		if _, err := os.Stat(filepath.Join(root, dir)); err != nil {
			t.Errorf("scripts/arm64.txt lists ./%s: %v", dir, err)
		}
	}
	if stage.scriptsRun == "" {
		t.Fatal("scripts/arm64.txt gives no -run pattern for ./cmd/gonative")
	}
	// ^TestScript$/^(a|b)_: each prefix must name scripts.
	m := regexp.MustCompile(`^\^TestScript\$/\^\(([a-z0-9|]+)\)_$`).FindStringSubmatch(stage.scriptsRun)
	if m == nil {
		t.Fatalf("scripts/arm64.txt: cmd/gonative pattern %q is not ^TestScript$/^(prefix|...)_", stage.scriptsRun)
	}
	for _, prefix := range strings.Split(m[1], "|") {
		matches, _ := filepath.Glob(filepath.Join(root, "cmd/gonative/testdata/script", prefix+"_*.txtar"))
		if len(matches) == 0 {
			t.Errorf("scripts/arm64.txt: no script cmd/gonative/testdata/script/%s_*.txtar", prefix)
		}
	}
}
