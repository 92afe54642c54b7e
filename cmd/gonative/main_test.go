package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/cli"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/image/imagetest"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/netcheck/netchecktest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gonative":                  func() { watch(); os.Exit(cli.Main(os.Args[1:])) },
		"faketoolchain":             func() { watch(); os.Exit(fakeToolchainMain()) },
		"gonative-test-hang":        hangForever,
		"gonative-test-kernel-quit": kernelQuitForever,
	})
}

// scriptDirEnv names another directory of scripts for TestScript to run (a test of
// the script budgets runs its own).
const scriptDirEnv = "GONATIVE_SCRIPT_DIR"

// TestScript runs the end-to-end sessions under testdata/script. Each script sees
// $GOCACHE and $GOMODCACHE of the caller, so the fixtures it builds share the cache,
// and $HOSTGOOS/$HOSTGOARCH name the hardware platform the tests run on.
func TestScript(t *testing.T) {
	goenv := map[string]string{}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for i, v := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		goenv[[]string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"}[i]] = v
	}
	// The hardware's platform: under qemu-user (GOARCH=arm64 go test -exec ...) it is
	// not the test process's, and gonative installs and smoke-runs for the hardware.
	hw, err := host.Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	// The scripts run gonative as this test binary: under qemu-user (-exec) the kernel
	// must be able to start it again by itself, through a binfmt_misc handler.
	emulated := hw.Arch != runtime.GOARCH
	if emulated {
		if _, ok := hw.Handler(runtime.GOARCH); !ok {
			t.Skipf("this %s test binary runs emulated on %s hardware and no binfmt_misc handler would run it again: "+
				"install qemu-user-static and binfmt-support (scripts/test.sh registers the handler)", runtime.GOARCH, hw.Arch)
		}
	}
	fakeGoCache := t.TempDir() // fake go executables, shared by the scripts
	cmdTimeout, err := scriptCmdTimeout(emulated)
	if err != nil {
		t.Fatal(err)
	}
	dir := "testdata/script"
	if d := os.Getenv(scriptDirEnv); d != "" {
		dir = d
	}
	scale := budgetScale(emulated)
	// RunT with scriptT, not Run: no script inherits the deadline of go test
	// -timeout, which the scripts before it may have used up; each gets its own
	// budget, counted from its start (enforceBudget).
	testscript.RunT(scriptT{t}, testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			st := e.T().(scriptT)
			b, err := scriptBudgetOf(filepath.Join(dir, path.Base(st.Name())+".txtar"), scale)
			if err != nil {
				return err
			}
			env, stop := enforceBudget(st.T, b)
			e.Defer(stop)
			e.Vars = append(e.Vars, env...)
			for k, v := range goenv {
				e.Setenv(k, v)
			}
			for _, k := range []string{"GOPROXY", "GOSUMDB", "GOFLAGS", "CI"} {
				if v := os.Getenv(k); v != "" {
					e.Setenv(k, v)
				}
			}
			e.Setenv("GOTOOLCHAIN", "local")
			e.Setenv("GONATIVE_FAKEGO_CACHE", fakeGoCache)
			e.Setenv("HOSTGOOS", hw.OS)
			e.Setenv("HOSTGOARCH", hw.Arch)
			e.Setenv("GONATIVE_HOME", filepath.Join(e.WorkDir, ".gonative"))
			// The directory of the gonative command alone, for a PATH without any go.
			if p, err := exec.LookPath("gonative"); err == nil {
				e.Setenv("GONATIVEBIN", filepath.Dir(p))
			}
			e.Setenv(cmdTimeoutEnv, cmdTimeout.String())
			if emulated {
				// Go programs under qemu-user are reported to hang in futex waits
				// with asynchronous preemption on (golang/go#70329, #36981), whose
				// signals qemu-user handles worst; turning it off is the known
				// stopgap, and it made emulated doctor runs faster here (400 runs,
				// 8 at a time: 72s against 95s). The bound above catches the rest.
				e.Setenv("GODEBUG", strings.TrimPrefix(os.Getenv("GODEBUG")+",asyncpreemptoff=1", ","))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":    cmdExitCode,
			"netserve":    cmdNetServe,
			"svgcheck":    cmdSVGCheck,
			"registry":    cmdImageRegistry,
			"imagefix":    cmdImageFixture,
			"age":         cmdAge,
			"hang":        cmdHang,
			"gkmimic":     cmdGKMimic,
			"notaryserve": cmdNotaryServe,
			"freeport":    cmdFreePort,
		},
		Condition: func(cond string) (bool, error) {
			if ok, known := benchCondition(cond, emulated); known {
				return ok, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// cmdAge runs "age PATH...": it sets the modification times of the paths an hour
// back, as if they were written long before the test (caches trust only files that
// have settled).
func cmdAge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: age PATH...")
	}
	old := time.Now().Add(-time.Hour)
	for _, a := range args {
		if err := os.Chtimes(ts.MkAbs(a), old, old); err != nil {
			ts.Fatalf("age: %v", err)
		}
	}
}

// cmdFreePort runs "freeport VAR...": each VAR is set to a loopback TCP port that was
// free a moment ago (the kernel's pick for port 0), so that two runs of the suite on
// one machine do not collide on a fixed port.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: freeport VAR...")
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, v := range args {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ts.Fatalf("freeport: %v", err)
		}
		ls = append(ls, l) // held until all are picked: each VAR gets another port
		ts.Setenv(v, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
}

// cmdExitCode runs "exitcode N PROGRAM ARGS...": the program must exit with status N.
// Its output can be checked with stdout and stderr afterwards.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdNetServe runs "netserve": it starts netchecktest's loopback servers (module
// proxies that answer, 404, 500, present an untrusted "Corp Root CA", expired or
// wrong-host certificates; checksum databases; an HTTPS_PROXY forward proxy) for the
// rest of the script, writes ca.pem, corp-root-ca.pem, forked-latest and
// forked-same-size and go.sum into $WORK and sets their URLs as variables (GOODPROXY,
// NOTFOUNDPROXY, ERRORPROXY, CORPPROXY, EXPIREDPROXY, WRONGHOSTPROXY, WRONGKEYPROXY,
// TESTSUMDB, SUMDBURL, FORWARDPROXY, PROXIEDGOOD, CORPSHA256).
func cmdNetServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: netserve")
	}
	s, err := netchecktest.Start()
	if err != nil {
		ts.Fatalf("netserve: %v", err)
	}
	ts.Defer(s.Close)
	if err := s.WriteFiles(ts.Getenv("WORK")); err != nil {
		ts.Fatalf("netserve: %v", err)
	}
	for k, v := range s.Env() {
		ts.Setenv(k, v)
	}
}

// cmdImageRegistry runs "registry": an in-process OCI registry on loopback for the
// rest of the script, its host:port in $REGISTRY.
func cmdImageRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: registry")
	}
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	ts.Defer(s.Close)
	ts.Setenv("REGISTRY", strings.TrimPrefix(s.URL, "http://"))
}

// cmdImageFixture runs "imagefix KIND DIR [BINARY]": it writes a hand-made OCI
// layout into DIR (see internal/image/imagetest). Kinds: mismatch (BINARY as /app of a
// linux/arm64 image), truncated (BINARY's layer cut in half), hostile (BINARY at
// /app, plus "../" names and escaping symlinks), sparse (a 1 GiB sparse file that
// starts like an ELF file), glibcbase (linux/amd64 and linux/arm64 with this machine's
// and Debian's arm64 cross glibc and dynamic loaders).
func cmdImageFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: imagefix KIND DIR [BINARY]")
	}
	dir := ts.MkAbs(args[1])
	var bin []byte
	if len(args) > 2 {
		bin = []byte(ts.ReadFile(args[2]))
	}
	app := imagetest.Entry{Name: "app", Mode: 0o755, Data: bin}
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	cfg := v1.Config{Entrypoint: []string{"/app"}}
	var err error
	switch args[0] {
	case "mismatch":
		_, err = imagetest.Layout(dir, v1.Platform{OS: "linux", Architecture: "arm64"}, cfg, app)
	case "truncated":
		var h v1.Hash
		if h, err = imagetest.Layout(dir, amd64, cfg, app); err == nil {
			err = imagetest.Truncate(dir, h)
		}
	case "hostile":
		_, err = imagetest.Layout(dir, amd64, cfg, app,
			imagetest.Entry{Name: "../../../etc/evil", Data: []byte("x")},
			imagetest.Entry{Name: "usr/bin/abs", Type: '2', Link: "/app"},
			imagetest.Entry{Name: "usr/bin/up", Type: '2', Link: "../../../../../etc/shadow"})
	case "glibcbase":
		var imgs []imagetest.Image
		if imgs, err = imagetest.GlibcBase(); err == nil {
			_, err = imagetest.Index(dir, imgs...)
		}
	case "sparse":
		_, err = imagetest.Layout(dir, amd64, v1.Config{Entrypoint: []string{"/big"}},
			imagetest.Entry{Raw: imagetest.Sparse("big", []byte("\x7fELF\x02\x01\x01"), 1<<30)})
	default:
		ts.Fatalf("imagefix: unknown kind %q", args[0])
	}
	if err != nil {
		ts.Fatalf("imagefix %s: %v", args[0], err)
	}
}
