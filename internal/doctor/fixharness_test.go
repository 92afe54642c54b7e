package doctor

import (
	"bytes"
	"context"
	"fmt"
	"github.com/gonative/gonative/internal/machine"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	setup   func(t *testing.T, h *harness, dir string, env map[string]string)
	// after checks what the fix changed besides the finding (a start-up file).
	after func(t *testing.T, dir string, env map[string]string)
}

// harness holds what several cases share: a gonative built from this module, once.
type harness struct {
	dir      string
	once     sync.Once
	gonative string
	err      error
}

// gonativeDir returns a directory holding a gonative executable built from this
// module.
func (h *harness) gonativeDir(t *testing.T) string {
	h.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			h.err = err
			return
		}
		h.gonative = filepath.Join(h.dir, "gonative-bin")
		out, err := exec.Command(goBin, "build", "-o", filepath.Join(h.gonative, "gonative"), "github.com/gonative/gonative/cmd/gonative").CombinedOutput()
		if err != nil {
			h.err = fmt.Errorf("go build gonative: %v\n%s", err, out)
		}
	})
	if h.err != nil {
		t.Fatal(h.err)
	}
	return h.gonative
}

// fixHarness is every harness case. TestFixSitesCovered requires each fix site with
// commands that run here to name one of these.
var fixHarness = []harnessCase{
	{name: "goflags-env", check: "env.goflags", finding: "env.goflags", env: map[string]string{"GOFLAGS": "-mod=bogus"}},
	{name: "goflags-file", check: "env.goflags", finding: "env.goflags", goenv: "GOFLAGS=-mod=bogus\n"},
	{name: "gorun-goflags-env", check: "go.run", finding: "go.run", env: map[string]string{"GOFLAGS": "-nosuchflag"}},
	{name: "goarm-env", check: "env.goarm", finding: "env.goarm", env: map[string]string{"GOARM": "7", "GOARCH": "arm64"}},
	{name: "goarm-file", check: "env.goarm", finding: "env.goarm", env: map[string]string{"GOARCH": "arm64"}, goenv: "GOARM=7\n"},
	{name: "goarm64-env", check: "env.level", finding: "env.level:GOARM64", env: map[string]string{"GOARM64": "v7.9"}},
	{name: "goamd64-file", check: "env.level", finding: "env.level:GOAMD64", goenv: "GOAMD64=v7\n"},
	{name: "target-file", check: "env.target", finding: "env.target:GOOS", goenv: "GOOS=windows\n"},
	{name: "goproxy-off-env", check: "env.proxy", finding: "env.proxy:off", env: map[string]string{"GOPROXY": "off"}},
	{name: "goproxy-off-profile", check: "env.proxy", finding: "env.proxy:off", env: map[string]string{"GOPROXY": "off"}, setup: bashrcExports("GOPROXY=off"), after: bashrcKeepsOnly},
	{name: "goproxy-off-file", check: "env.proxy", finding: "env.proxy:off", goenv: "GOPROXY=off\n"},
	{name: "goproxy-bad-env", check: "env.proxy", finding: "env.proxy:goproxy", env: map[string]string{"GOPROXY": "ftp://x"}},
	{name: "gosumdb-off-env", check: "env.proxy", finding: "env.proxy:sumdb-off", env: map[string]string{"GOSUMDB": "off"}},
	{name: "gosumdb-bad-file", check: "env.proxy", finding: "env.proxy:gosumdb", goenv: "GOSUMDB=a b c d e\n"},
	{name: "cc-missing-env", check: "env.cgo", finding: "env.cgo", env: map[string]string{"CC": "nonexistent-cc", "CGO_ENABLED": "1"}},
	{name: "cc-missing-file", check: "env.cgo", finding: "env.cgo", env: map[string]string{"CGO_ENABLED": "1"}, goenv: "CC=nonexistent-cc\n"},
	{name: "no-cc", check: "env.cgo", finding: "env.cgo", setup: noCC},
	{name: "gobin-missing", check: "env.path", finding: "env.path", env: map[string]string{"GOBIN": "$TMP/gobin"}},
	{name: "gobin-not-on-path", check: "env.path", finding: "env.path", env: map[string]string{"GOBIN": "$TMP/gobin"}, setup: gobinExists},
	{name: "layers-env-over-file", check: "env.layers", finding: "env.layers:GOARM64", env: map[string]string{"GOARM64": "v8.0"}, goenv: "GOARM64=v8.2\n"},
	{name: "gopath-tilde-env", check: "env.gopath", finding: "env.gopath:tilde", env: map[string]string{"GOPATH": "~/go"}},
	{name: "go111module-on-env", check: "env.modules", finding: "env.modules", env: map[string]string{"GO111MODULE": "on"}},
	{name: "go111module-off-file", check: "env.modules", finding: "env.modules:off", goenv: "GO111MODULE=off\n"},
	{name: "go111module-auto-env", check: "env.modules", finding: "env.modules:auto", env: map[string]string{"GO111MODULE": "auto"}},
	{name: "go111module-invalid-file", check: "env.modules", finding: "env.modules:invalid", goenv: "GO111MODULE=bogus\n"},
	{name: "goexperiment-env", check: "env.experiment", finding: "env.experiment", env: map[string]string{"GOEXPERIMENT": "nosuchexperiment"}},
	{name: "goexperiment-file", check: "env.experiment", finding: "env.experiment", goenv: "GOEXPERIMENT=nosuchexperiment\n"},
	{name: "goprivate-everything-env", check: "env.private", finding: "env.private:goprivate", env: map[string]string{"GOPRIVATE": "*"}},
	{name: "gonosumcheck-file", check: "env.private", finding: "env.private:gonosumcheck", goenv: "GONOSUMCHECK=example.com\n"},
	{name: "gotoolchain-bad-file", check: "go.toolchain", finding: "go.toolchain", goenv: "GOTOOLCHAIN=bogus\n", env: map[string]string{"GOTOOLCHAIN": ""}},
	{name: "gotoolchain-sumdb-env", check: "go.toolchain", finding: "go.toolchain:sumdb", env: map[string]string{"GOTOOLCHAIN": "auto", "GOSUMDB": "off"}},
	{name: "shadowed-store", check: "go.shadow", finding: "go.shadow:$TMP/gonative/bin/go", setup: shadowedStore},
	{name: "shadowed-go", check: "go.shadow", finding: "go.shadow:" + otherGo + "/go", setup: shadowedGo},
	{name: "mod-vendor-env", check: "go.module", finding: "go.module", env: map[string]string{"GOFLAGS": "-mod=vendor"}, setup: moduleWithRequirement},
	{name: "mod-vendor-file", check: "go.module", finding: "go.module", goenv: "GOFLAGS=-mod=vendor -trimpath\n", setup: moduleWithRequirement},
	{name: "goswitch-langversion-env", check: "go.switch", finding: "go.switch", env: map[string]string{"GOTOOLCHAIN": "go1.99"}},
	{name: "goroot-env", check: "go.goroot", finding: "go.goroot", env: map[string]string{"GOROOT": "/usr/lib/go-1.19"}, setup: func(t *testing.T, h *harness, dir string, env map[string]string) { needOtherGo(t) }},
	{name: "goroot-file", check: "go.goroot", finding: "go.goroot", goenv: "GOROOT=/usr/lib/go-1.19\n", setup: func(t *testing.T, h *harness, dir string, env map[string]string) { needOtherGo(t) }},
	{name: "no-go-store", check: "go.arch", finding: "go.arch", setup: noGoWithStore},
	{name: "net-goflags-insecure-env", check: "net.settings", finding: "net.settings:settings.goflags-insecure", env: map[string]string{"GOFLAGS": "-insecure -mod=mod"}},
	{name: "net-goflags-insecure-file", check: "net.settings", finding: "net.settings:settings.goflags-insecure", goenv: "GOFLAGS=-insecure\n"},
	{name: "net-goproxy-off-env", check: "net.settings", finding: "net.settings:settings.goproxy-off", env: map[string]string{"GOPROXY": "off"}},
	{name: "net-gosumdb-bad-env", check: "net.settings", finding: "net.settings:settings.gosumdb", env: map[string]string{"GOSUMDB": "a b c d e"}},
	{name: "net-gosumdb-off-file", check: "net.settings", finding: "net.settings:settings.gosumdb-off", goenv: "GOSUMDB=off\n"},
	{name: "net-goinsecure-profile", check: "net.settings", finding: "net.settings:settings.goinsecure", env: map[string]string{"GOINSECURE": "example.com"}, setup: bashrcExports("GOINSECURE=example.com"), after: bashrcKeepsOnly},
	{name: "net-goinsecure-env", check: "net.settings", finding: "net.settings:settings.goinsecure", env: map[string]string{"GOINSECURE": "example.com"}},
	{name: "net-netrc-dir", check: "net.settings", finding: "net.settings:settings.netrc", env: map[string]string{"NETRC": "$TMP/netrc.d"}, setup: dirAt("NETRC")},
	{name: "certs-file-fifo", check: "net.certs", finding: "net.certs:tls.roots", env: map[string]string{"SSL_CERT_FILE": "$TMP/fifo.pem"}, setup: fifoAt("SSL_CERT_FILE")},
	{name: "certs-file-missing", check: "net.certs", finding: "net.certs:tls.roots", env: map[string]string{"SSL_CERT_FILE": "$TMP/none.pem"}},
	{name: "certs-none", check: "net.certs", finding: "net.certs:tls.roots", env: map[string]string{"SSL_CERT_FILE": "$TMP/none.pem", "SSL_CERT_DIR": "$TMP/none.d"}},
}

// noGoWithStore models a machine whose PATH has no go while gonative's store has
// one: a gonative on PATH (built from this module) and the store's bin/go link.
func noGoWithStore(t *testing.T, h *harness, dir string, env map[string]string) {
	storeWithGo(t, env)
	env["PATH"] = h.gonativeDir(t) + ":/usr/bin:/bin"
}

// storeWithGo makes gonative's store hold this machine's go as its default (bin/go)
// and returns the store's bin directory.
func storeWithGo(t *testing.T, env map[string]string) string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	st := toolchain.Store{Root: env[toolchain.HomeEnv], GOOS: runtime.GOOS}
	if err := os.MkdirAll(st.BinDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(goBin, filepath.Join(st.BinDir(), "go")); err != nil {
		t.Fatal(err)
	}
	return st.BinDir()
}

// otherGo is a second Go toolchain of this machine (Debian's golang-1.19-go, which
// scripts/test.sh installs).
const otherGo = "/usr/lib/go-1.19/bin"

func needOtherGo(t *testing.T) {
	if _, err := os.Stat(filepath.Join(otherGo, "go")); err != nil {
		t.Skip("no second Go at " + otherGo)
	}
}

// shadowedStore puts another go before gonative's store on PATH.
func shadowedStore(t *testing.T, h *harness, dir string, env map[string]string) {
	needOtherGo(t)
	bin := storeWithGo(t, env)
	env["PATH"] = otherGo + ":" + bin + ":" + h.gonativeDir(t) + ":/usr/bin:/bin"
}

// shadowedGo puts this machine's go before another one on PATH.
func shadowedGo(t *testing.T, h *harness, dir string, env map[string]string) {
	needOtherGo(t)
	env["PATH"] = env["PATH"] + ":" + otherGo
}

// moduleWithRequirement writes a module that requires another one, with no vendor
// directory, in the case's directory (the harness machine's working directory).
func moduleWithRequirement(t *testing.T, h *harness, dir string, env map[string]string) {
	gomod := "module example.com/m\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.0\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
}

const bashrcOther = "# mine\nalias ll='ls -l'\n"

// bashrcExports writes a ~/.bashrc that exports kv between lines of its own.
func bashrcExports(kv string) func(t *testing.T, h *harness, dir string, env map[string]string) {
	return func(t *testing.T, h *harness, dir string, env map[string]string) {
		if err := os.WriteFile(filepath.Join(env["HOME"], ".bashrc"), []byte("# mine\nexport "+kv+"\nalias ll='ls -l'\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bashrcKeepsOnly checks that the fix took the export out of ~/.bashrc and kept the rest.
func bashrcKeepsOnly(t *testing.T, dir string, env map[string]string) {
	b, err := os.ReadFile(filepath.Join(env["HOME"], ".bashrc"))
	if err != nil || string(b) != bashrcOther {
		t.Errorf("~/.bashrc after the fix = %q, %v; want %q", b, err, bashrcOther)
	}
}

// noCC leaves only go on PATH: no C compiler.
func noCC(t *testing.T, h *harness, dir string, env map[string]string) {
	goBin, _ := exec.LookPath("go")
	bin := filepath.Join(dir, "onlygo")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(goBin, filepath.Join(bin, "go")); err != nil {
		t.Fatal(err)
	}
	env["PATH"] = bin
}

// gobinExists makes GOBIN a directory that exists and is not on PATH.
func gobinExists(t *testing.T, h *harness, dir string, env map[string]string) {
	if err := os.MkdirAll(env["GOBIN"], 0o755); err != nil {
		t.Fatal(err)
	}
}

// fifoAt makes a named pipe at the path env[name] names.
func fifoAt(name string) func(t *testing.T, h *harness, dir string, env map[string]string) {
	return func(t *testing.T, h *harness, dir string, env map[string]string) {
		if out, err := exec.Command("mkfifo", env[name]).CombinedOutput(); err != nil {
			t.Skipf("mkfifo: %v %s", err, out)
		}
	}
}

// dirAt makes a directory at the path env[name] names.
func dirAt(name string) func(t *testing.T, h *harness, dir string, env map[string]string) {
	return func(t *testing.T, h *harness, dir string, env map[string]string) {
		if err := os.MkdirAll(env[name], 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// harnessEnv is the environment layer of a case: a temporary HOME, GOENV, module and
// build caches, gonative's store, and the directory of this machine's go on PATH.
func harnessEnv(t *testing.T, h *harness, dir string, c harnessCase) map[string]string {
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
	for k, v := range env {
		env[k] = strings.ReplaceAll(v, "$TMP", dir)
	}
	if c.setup != nil {
		c.setup(t, h, dir, env)
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

// inDir is a machine whose working directory is dir.
type inDir struct {
	machine.Machine
	dir string
}

func (m inDir) Getwd() (string, error) { return m.dir, nil }

// harnessMachine is this machine with env as its whole environment and dir as the
// working directory.
func harnessMachine(env map[string]string, dir string) machine.Machine {
	return inDir{machine.RealWith(environ(env)), dir}
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
	script := "set -e\n" + strings.Join(lines, "\n") + "\n/usr/bin/env -0 > \"$GONATIVE_HARNESS_OUT\"\n"
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
	h := &harness{dir: t.TempDir()}
	for _, c := range fixHarness {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each case has its own directory and environment; most of it waits on go
			// Below the harness's directory, removed once at the end: go may still
			// write its caches and telemetry just after a check returns.
			dir, err := os.MkdirTemp(h.dir, c.name)
			if err != nil {
				t.Fatal(err)
			}
			env := harnessEnv(t, h, dir, c)
			c.finding = strings.ReplaceAll(c.finding, "$TMP", dir)
			f, ok := findingOf(t, env, dir, c.check, c.finding)
			if !ok {
				t.Fatalf("the fault gives no %s finding", c.finding)
			}
			if !f.Fix.RunsHere() {
				t.Fatalf("%s: the fix %+v cannot run here", c.finding, f.Fix)
			}
			after := runFix(t, env, dir, f.Fix.Commands)
			if c.after != nil {
				c.after(t, dir, env)
			}
			if g, ok := findingOf(t, after, dir, c.check, c.finding); ok {
				t.Errorf("after the fix %q the finding is still there: %s (%s)\nenv before: %v\nenv after: %v", f.Fix.Commands, g.Title, g.Severity, environ(env), environ(after))
			}
		})
	}
}
