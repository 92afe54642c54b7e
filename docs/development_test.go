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
	skips      []string        // tests of the other packages left to the native stage
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
		if f[0] == "-skip" {
			s.skips = append(s.skips, f[1:]...)
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
	checkArm64Skips(t, root, stage)
	checkArm64Runner(t, root)
}

// checkArm64Skips: every test the stage skips is one name, a test function of a listed
// package other than cmd/gonative (whose scripts the -run pattern narrows).
func checkArm64Skips(t *testing.T, root string, stage arm64Stage) {
	for _, name := range stage.skips {
		if script, ok := strings.CutPrefix(name, "TestScript/"); ok {
			checkArm64ScriptSkip(t, root, stage, script)
			continue
		}
		if !regexp.MustCompile(`^Test[A-Za-z0-9_]+$`).MatchString(name) {
			t.Errorf("scripts/arm64.txt: -skip %q is not one test name", name)
			continue
		}
		found := false
		for dir := range stage.pkgs {
			if dir == "cmd/gonative" {
				continue
			}
			files, _ := filepath.Glob(filepath.Join(root, dir, "*_test.go"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err == nil && strings.Contains(string(b), "\nfunc "+name+"(t *testing.T)") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("scripts/arm64.txt: -skip %s: no such test in the packages it lists (cmd/gonative aside)", name)
		}
	}
}

// checkArm64ScriptSkip: a "-skip TestScript/NAME" names one of cmd/gonative's scripts
// that the stage's -run pattern would otherwise run.
func checkArm64ScriptSkip(t *testing.T, root string, stage arm64Stage, script string) {
	t.Helper()
	if !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(script) {
		t.Errorf("scripts/arm64.txt: -skip TestScript/%s is not one script name", script)
		return
	}
	if _, err := os.Stat(filepath.Join(root, "cmd/gonative/testdata/script", script+".txtar")); err != nil {
		t.Errorf("scripts/arm64.txt: -skip TestScript/%s: no such script in cmd/gonative/testdata/script", script)
		return
	}
	_, sub, _ := strings.Cut(stage.scriptsRun, "/")
	if re, err := regexp.Compile(sub); err != nil || !re.MatchString(script) {
		t.Errorf("scripts/arm64.txt: -skip TestScript/%s: the stage does not run it (-run %q)", script, stage.scriptsRun)
	}
}

// checkArm64Runner: the project uses what it ships. scripts/test.sh's arm64 stage
// builds gonative once and runs its lanes through gonative test --target linux/arm64
// (go test -json events for testsum), keeping what guards it under qemu-user: the
// lanes, asynchronous preemption off, one more run of a stuck lane; it no longer
// hands go test -exec qemu-aarch64-static itself.
func checkArm64Runner(t *testing.T, root string) {
	text, err := os.ReadFile(filepath.Join(root, "scripts/test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	body := shellFunc(string(text), "test_arm64")
	if body == "" {
		t.Fatal("scripts/test.sh has no test_arm64 function")
	}
	runner := shellFunc(string(text), "gonative_test_arm64")
	for _, want := range []string{
		`go build -trimpath -o "$run_dir/gonative" ./cmd/gonative`,
		"go_test_json=gonative_test_arm64",
		"asyncpreemptoff=1",
		"lane_retry_stuck=1",
		`go_test_lanes arm64 "$timeout_arm64_gonative" "$timeout_arm64_rest"`,
		"<scripts/arm64.txt",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scripts/test.sh: test_arm64 lacks %q", want)
		}
	}
	if strings.Contains(body, "-exec") {
		t.Error("scripts/test.sh: test_arm64 still runs go test -exec itself; gonative test decides how linux/arm64 runs")
	}
	if !strings.Contains(runner, `"$run_dir/gonative" test --target linux/arm64 --json`) {
		t.Errorf("scripts/test.sh: gonative_test_arm64 does not run gonative test --target linux/arm64 --json:\n%s", runner)
	}
}

// shellFunc returns the body of the shell function name() { ... } in text: from its
// opening line to the first line that is "}".
func shellFunc(text, name string) string {
	i := strings.Index(text, "\n"+name+"() {")
	if i < 0 {
		return ""
	}
	rest := text[i+1:]
	if j := strings.Index(rest, "\n}\n"); j >= 0 {
		return rest[:j]
	}
	return rest
}
