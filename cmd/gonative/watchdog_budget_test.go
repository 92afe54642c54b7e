package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/fixture"
	"github.com/rogpeppe/go-internal/testscript"
)

// Every testscript gets its own time budget, sized from the commands it runs and
// counted from the moment it starts, not from the start of the package: scripts that
// start late on a busy machine do not inherit a deadline the others used up.
const (
	// scriptDeadlineEnv holds the end of the running script's budget (RFC 3339) for
	// the commands it runs as this test binary: their watchdog (watch) fires at it.
	scriptDeadlineEnv = "GONATIVE_SCRIPT_DEADLINE"
	// scriptIDEnv marks every process a script starts, so that when its budget runs
	// out the test can find and stop the step still running.
	scriptIDEnv = "GONATIVE_SCRIPT_ID"
	// scriptBudgetEnv, a duration, replaces every script's computed budget.
	scriptBudgetEnv = "GONATIVE_SCRIPT_BUDGET"
)

// The weights of a script's steps: what one step may take on the quiet 2-core
// machine the suite was measured on, times 4 (a machine four times slower, or this one
// with both cores taken). A compile step builds Go code or an image (a cold build
// cache compiles the standard library for its target: 40 s quiet).
const (
	lightStep   = time.Minute
	compileStep = 5 * time.Minute
	minBudget   = 3 * time.Minute
)

// budget is a script's time budget and what it was sized from.
type budget struct {
	total           time.Duration
	steps, compiles int
}

func (b budget) String() string {
	return fmt.Sprintf("%v (%d steps, %d of them compiling)", b.total, b.steps, b.compiles)
}

// scriptBudget sizes the budget of a script from its text: a compile step weighs
// compileStep, any other command lightStep, at least minBudget; all times scale.
func scriptBudget(script string, scale float64) budget {
	var b budget
	sc := bufio.NewScanner(strings.NewReader(script))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "-- ") {
			break // the archive's files
		}
		words := stepWords(line)
		if len(words) == 0 || isBuiltin(words[0]) {
			continue
		}
		b.steps++
		if compiles(words) {
			b.compiles++
		}
	}
	total := time.Duration(b.compiles)*compileStep + time.Duration(b.steps-b.compiles)*lightStep
	total = max(total, minBudget)
	b.total = time.Duration(float64(total) * scale).Round(time.Second)
	return b
}

// stepWords returns the command of a script line and its arguments, without the
// negation, the conditions and the exec or exitcode that run it.
func stepWords(line string) []string {
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	words := strings.Fields(line)
	for len(words) > 0 {
		switch w := words[0]; {
		case w == "!" || w == "?" || strings.HasPrefix(w, "[") && strings.HasSuffix(w, "]"):
			words = words[1:]
		case w == "exec":
			words = words[1:]
		case w == "exitcode" && len(words) > 1:
			words = words[2:]
		default:
			return words
		}
	}
	return nil
}

// isBuiltin reports whether cmd runs inside the test process (testscript's commands
// and ours): it takes no time worth a budget.
func isBuiltin(cmd string) bool {
	switch cmd {
	case "cd", "chmod", "cmp", "cmpenv", "cp", "env", "exists", "grep", "mkdir", "mv",
		"rm", "skip", "stderr", "stdin", "stdout", "stop", "symlink", "unix2dos",
		"unquote", "wait", "ttyin", "ttyout", "kill", "echo", "cat",
		"exitcode", "netserve", "svgcheck", "registry", "imagefix", "age":
		return true
	}
	return false
}

// compiles reports whether the step builds Go code or an image.
func compiles(words []string) bool {
	sub := ""
	if len(words) > 1 {
		sub = words[1]
	}
	switch cmd := words[0]; {
	case cmd == "go" || strings.HasPrefix(cmd, "go1."):
		switch sub {
		case "build", "test", "run", "install", "vet", "generate", "mod", "list", "get":
			return true
		}
	case cmd == "gonative":
		switch sub {
		case "build", "image", "bench", "test", "install", "exec", "ready":
			return true
		}
	case cmd == "buildah", cmd == "sh", cmd == "bash", cmd == "script":
		return true
	}
	return false
}

// budgetScale is how much slower than the measured machine this run may be: 4 when
// the commands run emulated (qemu-user), times $GONATIVE_TEST_SLOWDOWN.
func budgetScale(emulated bool) float64 {
	s := fixture.Slowdown()
	if emulated {
		s *= 4
	}
	return s
}

// scriptBudgetOf returns the budget of the script file: $GONATIVE_SCRIPT_BUDGET when
// set, else sized from its text.
func scriptBudgetOf(file string, scale float64) (budget, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return budget{}, err
	}
	b := scriptBudget(string(text), scale)
	if v := os.Getenv(scriptBudgetEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return budget{}, fmt.Errorf("%s=%q: %v", scriptBudgetEnv, v, err)
		}
		b.total = d
	}
	return b, nil
}

// scriptT runs the scripts as subtests of t without passing on t's deadline: with
// testscript.Run every script's commands are cancelled at the deadline of go test
// -timeout, shared by the whole package; here each script has its own budget.
type scriptT struct{ *testing.T }

func (t scriptT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(t *testing.T) { f(scriptT{t}) })
}

func (t scriptT) Verbose() bool { return testing.Verbose() }

// enforceBudget arms the budget b of the script t runs, starting now: it returns the
// variables that tell the script's commands their deadline and mark their processes,
// and a stop function for the end of the script. When the budget runs out, the
// commands run as this test binary stop themselves (watch); a little later the test
// stops whatever step of the script is still running (on Linux: SIGQUIT, then SIGKILL),
// so the script fails at that step, and logs which process it stopped and why.
//
// A script still not done a while after that is stuck in this test process itself (a
// step it runs in process, or a wait that never returns, as seen under qemu-user):
// nothing can stop one goroutine, so the test binary prints why and every goroutine,
// and exits, as go test -timeout would, but at this script's budget, not the
// package's. A kernel timer does the same should the Go runtime no longer run timers.
func enforceBudget(t *testing.T, b budget) (env []string, stop func()) {
	id := strconv.Itoa(os.Getpid()) + "/" + t.Name()
	deadline := time.Now().Add(b.total)
	grace := min(max(b.total/20, 5*time.Second), 30*time.Second)
	stuck := b.total + grace + stopGrace + 10*time.Second
	var mu sync.Mutex
	done := false
	timer := time.AfterFunc(b.total+grace, func() {
		procs := scriptProcesses(id)
		mu.Lock()
		if done {
			mu.Unlock()
			return
		}
		if len(procs) == 0 {
			t.Logf("script over its budget of %s: no step of it is running as a process", b)
		}
		for _, p := range procs {
			t.Logf("script over its budget of %s: stopping the step still running, pid %d: %s", b, p.pid, p.cmdline)
		}
		mu.Unlock()
		for _, p := range procs {
			stopProcess(p.pid, stopGrace)
		}
	})
	stuckTimer := time.AfterFunc(stuck, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			exitStuck(t.Name(), b, stuck)
		}
	})
	disarm := armKernelQuit(stuck + 30*time.Second)
	env = []string{scriptDeadlineEnv + "=" + deadline.Format(time.RFC3339Nano), scriptIDEnv + "=" + id}
	return env, func() {
		timer.Stop()
		stuckTimer.Stop()
		disarm()
		mu.Lock()
		done = true
		mu.Unlock()
	}
}

// stopGrace is how long a step stopped with SIGQUIT has to print its goroutines and
// exit before it is killed.
const stopGrace = 10 * time.Second

// exitStuck ends this test binary for the script name, still running after stuck, its
// budget b long past: it says so on stderr (a test's log would show only once the test
// ends, which a stuck one never does), with every goroutine of the process, and exits 2.
func exitStuck(name string, b budget, stuck time.Duration) {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	fmt.Fprintf(os.Stderr, "%s: still running %v after it started, over its budget of %s, with no step it started left to stop: "+
		"the test process itself is stuck; its goroutines:\n%s\n", name, stuck.Round(time.Second), b, buf)
	fmt.Fprintf(os.Stderr, "FAIL\t%s stuck in the test process\n", name)
	os.Exit(2)
}

// process is a process a script started.
type process struct {
	pid     int
	cmdline string
}

// TestScriptBudget runs the scripts of testdata/budget, whose one step never ends,
// under a budget of 2 s: each must fail soon after, at that step, saying which budget
// ran out and what was still running; a step stuck inside the test process ends the
// test binary, naming the script and printing where it is stuck.
func TestScriptBudget(t *testing.T) {
	if os.Getenv(scriptDirEnv) != "" {
		t.Skip("child")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the test stops a script's steps through /proc, on Linux only")
	}
	// It mostly waits for budgets to run out: beside the other tests, not before them.
	t.Parallel()
	// The child's temporary files (its TestScript's, testscript's work directories) go
	// in this test's: a child stopped on purpose cannot remove them itself.
	tmp := t.TempDir()
	run := func(t *testing.T, scripts string) (string, time.Duration) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScript$/"+scripts, "-test.v", "-test.timeout=5m")
		cmd.Env = append(os.Environ(), scriptDirEnv+"=testdata/budget", scriptBudgetEnv+"=2s", "GOTRACEBACK=all", "TMPDIR="+tmp)
		start := time.Now()
		b, err := cmd.CombinedOutput()
		out := string(b)
		if strings.Contains(out, "--- SKIP: TestScript ") {
			t.Skipf("TestScript skipped:\n%s", out)
		}
		if err == nil {
			t.Fatalf("scripts that never end passed:\n%s", out)
		}
		return out, time.Since(start)
	}
	for _, tt := range []struct {
		scripts string
		want    []string
	}{
		{"^slow_", []string{
			"--- FAIL: TestScript/slow_exec ",
			"--- FAIL: TestScript/slow_gonative ",
			// The test names the step it stops, and why.
			`script over its budget of 2s (1 steps, 0 of them compiling): stopping the step still running, pid `,
			`sleep 3600"`,
			"testdata/budget/slow_exec.txtar:2: unexpected command failure",
			// The command stops itself, naming itself and the budget.
			"gonative-test-hang --flag arg: still running after ",
			"(the end of the budget of script ",
			"/TestScript/slow_gonative, " + scriptDeadlineEnv + "): sending SIGQUIT",
			"testdata/budget/slow_gonative.txtar:2: unexpected command failure",
		}},
		{"^stuck$", []string{
			"TestScript/stuck: still running 27s after it started, over its budget of 2s (1 steps, 0 of them compiling)",
			"the test process itself is stuck; its goroutines:",
			"cmd/gonative.cmdHang(", // where it is stuck
			"FAIL\tTestScript/stuck stuck in the test process",
		}},
	} {
		t.Run(tt.scripts, func(t *testing.T) {
			t.Parallel() // two children at once: each mostly waits
			out, elapsed := run(t, tt.scripts)
			// Generous: each script stops 2 s + 5 s after it starts, plus a 10 s grace
			// for SIGKILL (and 10 s more when stuck), plus the set-up of TestScript on a
			// busy machine.
			if elapsed > 4*time.Minute {
				t.Errorf("%s: the scripts took %v under a budget of 2s each", tt.scripts, elapsed)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("%s: output lacks %q", tt.scripts, want)
				}
			}
			if t.Failed() {
				t.Fatalf("output:\n%s", out)
			}
		})
	}
}

// cmdHang runs "hang": a step that never ends inside the test process
// (testdata/budget/stuck.txtar).
func cmdHang(ts *testscript.TestScript, neg bool, args []string) {
	select {}
}

func TestScriptBudgetSize(t *testing.T) {
	for _, tt := range []struct {
		script          string
		scale           float64
		want            time.Duration
		steps, compiles int
	}{
		{"stdout x\n", 1, minBudget, 0, 0},
		{"# comment\n\ngonative inspect x\n! gonative doctor\nexitcode 3 gonative inspect y\n", 1, minBudget, 3, 0},
		{"[linux] exec go build -o x .\ngonative image build .\nenv A=b\ncp a b\ngonative inspect x\n", 1, 2*compileStep + lightStep, 3, 2},
		{"gonative build ./...\n-- go.mod --\ngo build\ngo build\n", 4, 4 * compileStep, 1, 1},
		{strings.Repeat("gonative inspect x\n", 10), 0.5, 5 * lightStep, 10, 0},
	} {
		b := scriptBudget(tt.script, tt.scale)
		if b.total != tt.want || b.steps != tt.steps || b.compiles != tt.compiles {
			t.Errorf("scriptBudget(%q, %v) = %s, want %v (%d steps, %d of them compiling)", tt.script, tt.scale, b, tt.want, tt.steps, tt.compiles)
		}
	}
}
