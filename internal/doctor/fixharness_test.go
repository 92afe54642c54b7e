package doctor

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/toolchain"
)

// harnessCase sets up one fault on this machine, in an environment that models the
// layers (environment variables, a go env file under a temporary GOENV, a temporary
// HOME), expects the finding, runs its fix exactly as printed and expects the finding
// gone.
type harnessCase struct {
	name    string
	check   string            // the check to run
	finding string            // the finding id the fault produces
	env     map[string]string // the environment layer
	goenv   string            // the go env file's content
	setup   func(t *testing.T, dir string, env map[string]string)
}

// fixHarness is every harness case. TestFixSitesCovered requires each fix site with
// commands that run here to name one of these.
var fixHarness = []harnessCase{
	{name: "goflags-env", check: "env.goflags", finding: "env.goflags", env: map[string]string{"GOFLAGS": "-mod=bogus"}},
	{name: "goflags-file", check: "env.goflags", finding: "env.goflags", goenv: "GOFLAGS=-mod=bogus\n"},
	{name: "goarm-env", check: "env.goarm", finding: "env.goarm", env: map[string]string{"GOARM": "7", "GOARCH": "arm64"}},
	{name: "goarm-file", check: "env.goarm", finding: "env.goarm", env: map[string]string{"GOARCH": "arm64"}, goenv: "GOARM=7\n"},
	{name: "goarm64-env", check: "env.level", finding: "env.level:GOARM64", env: map[string]string{"GOARM64": "v7.9"}},
	{name: "goamd64-file", check: "env.level", finding: "env.level:GOAMD64", goenv: "GOAMD64=v7\n"},
	{name: "target-file", check: "env.target", finding: "env.target:GOOS", goenv: "GOOS=windows\n"},
	{name: "goproxy-off-env", check: "env.proxy", finding: "env.proxy:off", env: map[string]string{"GOPROXY": "off"}},
	{name: "goproxy-off-file", check: "env.proxy", finding: "env.proxy:off", goenv: "GOPROXY=off\n"},
	{name: "goproxy-bad-env", check: "env.proxy", finding: "env.proxy:goproxy", env: map[string]string{"GOPROXY": "ftp://x"}},
	{name: "gosumdb-off-env", check: "env.proxy", finding: "env.proxy:sumdb-off", env: map[string]string{"GOSUMDB": "off"}},
	{name: "gosumdb-bad-file", check: "env.proxy", finding: "env.proxy:gosumdb", goenv: "GOSUMDB=a b c d e\n"},
	{name: "cc-missing-env", check: "env.cgo", finding: "env.cgo", env: map[string]string{"CC": "nonexistent-cc", "CGO_ENABLED": "1"}},
	{name: "cc-missing-file", check: "env.cgo", finding: "env.cgo", env: map[string]string{"CGO_ENABLED": "1"}, goenv: "CC=nonexistent-cc\n"},
	{name: "layers-env-over-file", check: "env.layers", finding: "env.layers:GOARM64", env: map[string]string{"GOARM64": "v8.0"}, goenv: "GOARM64=v8.2\n"},
	{name: "net-goflags-insecure-env", check: "net.settings", finding: "net.settings:settings.goflags-insecure", env: map[string]string{"GOFLAGS": "-insecure -mod=mod"}},
	{name: "net-goflags-insecure-file", check: "net.settings", finding: "net.settings:settings.goflags-insecure", goenv: "GOFLAGS=-insecure\n"},
	{name: "net-goproxy-off-env", check: "net.settings", finding: "net.settings:settings.goproxy-off", env: map[string]string{"GOPROXY": "off"}},
	{name: "net-gosumdb-off-file", check: "net.settings", finding: "net.settings:settings.gosumdb-off", goenv: "GOSUMDB=off\n"},
	{name: "net-goinsecure-env", check: "net.settings", finding: "net.settings:settings.goinsecure", env: map[string]string{"GOINSECURE": "example.com"}},
	{name: "no-go-store", check: "go.arch", finding: "go.arch", setup: noGoWithStore},
}

// noGoWithStore models a machine whose PATH has no go while gonative's store has
// one: a gonative on PATH (built from this module) and the store's bin/go link.
func noGoWithStore(t *testing.T, dir string, env map[string]string) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(goBin, "build", "-o", filepath.Join(bin, "gonative"), "github.com/gonative/gonative/cmd/gonative")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build gonative: %v\n%s", err, out)
	}
	st := toolchain.Store{Root: env[toolchain.HomeEnv], GOOS: runtime.GOOS}
	if err := os.MkdirAll(st.BinDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(goBin, filepath.Join(st.BinDir(), "go")); err != nil {
		t.Fatal(err)
	}
	env["PATH"] = bin + ":/usr/bin:/bin"
}

// harnessEnv is the environment layer of a case: a temporary HOME, GOENV, module and
// build caches, gonative's store, and the directory of this machine's go on PATH.
func harnessEnv(t *testing.T, dir string, c harnessCase) map[string]string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	env := map[string]string{
		"PATH":            filepath.Dir(goBin) + ":/usr/bin:/bin",
		"HOME":            filepath.Join(dir, "home"),
		"GOENV":           filepath.Join(dir, "home", "goenv"),
		"GOTOOLCHAIN":     "local",
		"GOCACHE":         filepath.Join(dir, "cache"),
		"GOPATH":          filepath.Join(dir, "home", "go"),
		toolchain.HomeEnv: filepath.Join(dir, "gonative"),
		"GOFLAGS":         "",
		"CGO_ENABLED":     "",
		"LANG":            "C",
	}
	for k, v := range c.env {
		env[k] = v
	}
	if err := os.MkdirAll(env["HOME"], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env["GOENV"], []byte(c.goenv), 0o644); err != nil {
		t.Fatal(err)
	}
	if c.setup != nil {
		c.setup(t, dir, env)
	}
	return env
}

func environ(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	slices.Sort(out)
	return out
}

// harnessMachine is this machine with env as its whole environment and dir as the
// working directory.
func harnessMachine(env map[string]string, dir string) Machine {
	m := System()
	m.Environ = environ(env)
	m.Exec = execWith(m.Environ, nil)
	m.Command = commandWith(m.Environ, nil)
	m.Getwd = func() (string, error) { return dir, nil }
	return m
}

func findingOf(t *testing.T, env map[string]string, dir, check, id string) (Finding, bool) {
	c, ok := Default().Lookup(check)
	if !ok {
		t.Fatalf("no check %s", check)
	}
	r := Run(context.Background(), harnessMachine(env, dir), []Check{c}, Options{})
	for _, f := range r.Findings {
		if f.ID == id && f.Severity.Worse(Info) || f.ID == id && f.Fix != nil {
			return f, true
		}
	}
	return Finding{}, false
}

// runFix executes the fix's shell lines exactly as printed, with sh -e in env and dir,
// and returns the environment the shell ended with (the shell layer after the fix).
func runFix(t *testing.T, env map[string]string, dir string, lines []string) map[string]string {
	out := filepath.Join(t.TempDir(), "env")
	script := "set -e\n" + strings.Join(lines, "\n") + "\nenv -0 > \"$GONATIVE_HARNESS_OUT\"\n"
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(environ(env), "GONATIVE_HARNESS_OUT="+out)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fix failed: %v\n%s\n%s", err, script, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	after := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k != "GONATIVE_HARNESS_OUT" && k != "PWD" && k != "SHLVL" && k != "_" && k != "OLDPWD" {
			after[k] = v
		}
	}
	return after
}

// TestFixHarness runs every harness case: the fault gives the finding, the printed fix
// runs here (Fix.RunsHere) and, executed by sh, makes the finding disappear.
func TestFixHarness(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fixes are sh lines")
	}
	for _, c := range fixHarness {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			env := harnessEnv(t, dir, c)
			f, ok := findingOf(t, env, dir, c.check, c.finding)
			if !ok {
				t.Fatalf("the fault gives no %s finding", c.finding)
			}
			if !f.Fix.RunsHere() {
				t.Fatalf("%s: the fix %+v cannot run here", c.finding, f.Fix)
			}
			after := runFix(t, env, dir, f.Fix.Commands)
			if g, ok := findingOf(t, after, dir, c.check, c.finding); ok {
				t.Errorf("after the fix %q the finding is still there: %s (%s)\nenv before: %v\nenv after: %v", f.Fix.Commands, g.Title, g.Severity, environ(env), environ(after))
			}
		})
	}
}
