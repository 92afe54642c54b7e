package main

// Ctrl-C on a terminal, for every long command: each runs on a pseudo-terminal of its
// own (a new session, the terminal's foreground process group), is left to start real
// work (a compiler running, a download under way), then gets the terminal's ^C. It must
// exit 130 saying "interrupted", leave no process of its session running and no
// temporary directory behind. And `build --universal` on a terminal must finish: its
// progress display used to deadlock (issue 24).

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// interruptTarget is how soon after ^C a command should have exited; the tests log
// what they measured, name what was still running past it, and fail only past
// interruptBudget (a busy machine).
const (
	interruptTarget = time.Second
	interruptBudget = 20 * time.Second
	// readyBudget bounds the wait for a command to start its real work.
	readyBudget = 5 * time.Minute
)

// syncBuffer is the terminal's output as the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ptyRun is a command running on a pseudo-terminal of its own.
type ptyRun struct {
	cmd    *exec.Cmd
	master *os.File
	out    *syncBuffer
	done   chan struct{} // closed when the command has exited
	err    error         // Wait's result, once done is closed
	copied chan struct{} // closed when the terminal's output is all read
}

// openPTY opens a new pseudo-terminal pair of 40 rows and 120 columns.
func openPTY() (master, tty *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		m.Close()
		s.Close()
		return nil, nil, fmt.Errorf("set the window size: %w", err)
	}
	return m, s, nil
}

// startPTY starts gonative ARGS in dir with env, on a new terminal whose session it
// leads: its process id is its session's.
func startPTY(t *testing.T, dir string, env []string, args ...string) *ptyRun {
	t.Helper()
	bin, err := exec.LookPath("gonative")
	if err != nil {
		t.Fatal(err)
	}
	master, tty, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		master.Close()
		tty.Close()
		t.Fatal(err)
	}
	tty.Close()
	r := &ptyRun{cmd: cmd, master: master, out: &syncBuffer{}, done: make(chan struct{}), copied: make(chan struct{})}
	go func() {
		defer close(r.copied)
		buf := make([]byte, 32<<10)
		for {
			n, err := master.Read(buf)
			r.out.Write(buf[:n])
			if err != nil {
				return // EIO once the last holder of the terminal has closed it
			}
		}
	}()
	go func() { r.err = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
		killSession(cmd.Process.Pid)
		master.Close()
	})
	return r
}

// output is everything the terminal has shown, after the command's exit.
func (r *ptyRun) output() string {
	select {
	case <-r.copied:
	case <-time.After(5 * time.Second): // a leftover process holds the terminal
	}
	return r.out.String()
}

// exitCode is the command's exit status, -1 when a signal ended it.
func (r *ptyRun) exitCode() int {
	var ee *exec.ExitError
	if r.err == nil {
		return 0
	}
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// proc is one process, from /proc/PID/stat.
type proc struct {
	pid, session int
	state        byte
	comm         string
}

func (p proc) String() string { return fmt.Sprintf("%d %s (%c)", p.pid, p.comm, p.state) }

// processes lists every process of the machine.
func processes() []proc {
	ents, _ := os.ReadDir("/proc")
	var ps []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, shut := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || shut < open {
			continue
		}
		f := strings.Fields(s[shut+1:])
		if len(f) < 4 {
			continue
		}
		sid, _ := strconv.Atoi(f[3])
		ps = append(ps, proc{pid: pid, session: sid, state: f[0][0], comm: s[open+1 : shut]})
	}
	return ps
}

// inSession lists the live (not zombie) processes of session sid.
func inSession(sid int) []proc {
	var ps []proc
	for _, p := range processes() {
		if p.session == sid && p.state != 'Z' && p.state != 'X' {
			ps = append(ps, p)
		}
	}
	return ps
}

// killSession kills what is left of session sid (cleanup after a failed test).
func killSession(sid int) {
	for _, p := range inSession(sid) {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// interruptCase is one long command to interrupt.
type interruptCase struct {
	name   string
	dir    string
	env    []string
	args   []string
	signal syscall.Signal                 // sent to gonative instead of the terminal's ^C
	ready  func(r *ptyRun) (bool, string) // the command is doing real work; what it is doing
	after  func(t *testing.T)             // checks after the exit: temporary files
}

// run starts c, waits until it is ready, presses ^C and checks the exit.
func (c interruptCase) run(t *testing.T) {
	r := startPTY(t, c.dir, c.env, c.args...)
	sid := r.cmd.Process.Pid
	readyBy := time.Now().Add(readyBudget)
	var doing string
	for {
		var ok bool
		if ok, doing = c.ready(r); ok {
			break
		}
		select {
		case <-r.done:
			t.Fatalf("%s exited (%v) before it was ready to interrupt:\n%s", c.name, r.err, r.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(readyBy) {
			t.Fatalf("%s not ready after %v; its processes: %v; output:\n%s", c.name, readyBudget, inSession(sid), r.out.String())
		}
	}
	sent := time.Now()
	wantCode, wantMsg, what := 130, "gonative: interrupted\r\n", "^C"
	if c.signal != 0 {
		wantCode, wantMsg, what = 128+int(c.signal), "gonative: interrupted: "+c.signal.String()+"\r\n", c.signal.String()
		if err := syscall.Kill(sid, c.signal); err != nil {
			t.Fatal(err)
		}
	} else if _, err := r.master.Write([]byte{0x03}); err != nil { // the terminal's ^C
		t.Fatal(err)
	}
	var late []proc
	select {
	case <-r.done:
	case <-time.After(interruptTarget):
		late = inSession(sid)
		select {
		case <-r.done:
		case <-time.After(interruptBudget - interruptTarget):
			t.Fatalf("%s still running %v after %s (%s); its processes: %v; output:\n%s",
				c.name, interruptBudget, what, doing, inSession(sid), r.out.String())
		}
	}
	took := time.Since(sent)
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("%s: exited %v after %s, while %s (load %s)", c.name, took.Round(time.Millisecond), what, doing, strings.Join(strings.Fields(string(load))[:3], " "))
	if len(late) > 0 {
		t.Logf("%s: past the %v target, still running: %v", c.name, interruptTarget, late)
	}
	out := r.output()
	if got := r.exitCode(); got != wantCode {
		t.Errorf("exit status %d (%v), want %d; output:\n%s", got, r.err, wantCode, out)
	}
	if !strings.Contains(out, wantMsg) {
		t.Errorf("output lacks %q:\n%s", wantMsg, out)
	}
	for _, bad := range []string{"signal: killed", "signal: interrupt", "context canceled"} {
		if strings.Contains(out, bad) {
			t.Errorf("output says %q:\n%s", bad, out)
		}
	}
	// The orphans of a killed process group are reparented and reaped by someone
	// else: give them a moment.
	var left []proc
	for range 50 {
		if left = inSession(sid); len(left) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("processes left running after the exit: %v", left)
	}
	if c.after != nil {
		c.after(t)
	}
}

// running reports a process of r's session whose name is one of names, or starts with
// one ending in "*".
func running(r *ptyRun, names ...string) (bool, string) {
	for _, p := range inSession(r.cmd.Process.Pid) {
		for _, n := range names {
			if p.comm == n || strings.HasSuffix(n, "*") && strings.HasPrefix(p.comm, strings.TrimSuffix(n, "*")) {
				return true, p.comm + " running"
			}
		}
	}
	return false, ""
}

// interruptEnv is the environment of a command under test: this one's, without CI
// (which turns the terminal's progress display off), with a private TMPDIR and
// gonative home, and the script commands' hang bound (a hang dumps goroutines).
func interruptEnv(t *testing.T, tmp string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CI", "TMPDIR", "GONATIVE_HOME", "GOFLAGS", "GOTOOLCHAIN", cmdTimeoutEnv, "TERM":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TMPDIR="+tmp, "GONATIVE_HOME="+filepath.Join(tmp, ".gonative"),
		"GOFLAGS=", "GOTOOLCHAIN=local", "TERM=xterm", cmdTimeoutEnv+"=4m")
	return append(env, extra...)
}

// emptyDir fails the test when dir holds anything (temporary directories left).
func emptyDir(t *testing.T, dir string, ignore ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !contains(ignore, e.Name()) {
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// helloModule writes a main package printing hello, its module named name.
func helloModule(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, s := range map[string]string{
		"go.mod":  "module example.com/" + name + "\n\ngo 1.22\n",
		"main.go": "package main\n\n" + body,
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const helloMain = "import \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"

// hangingServer accepts HTTP requests and never answers them; got is closed at the
// first request.
func hangingServer(t *testing.T) (addr string, got chan struct{}) {
	got = make(chan struct{})
	var once sync.Once
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(got) })
		<-r.Context().Done()
	}))
	s.Start()
	t.Cleanup(func() { s.CloseClientConnections(); s.Close() })
	return s.Listener.Addr().String(), got
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func requireLinuxPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts real builds")
	}
	if _, err := exec.LookPath("gonative"); err != nil {
		t.Skipf("gonative is not this test binary here: %v", err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
}

// TestInterrupt presses ^C on every long command while it works.
func TestInterrupt(t *testing.T) {
	requireLinuxPTY(t)
	base := t.TempDir()
	mk := func(name string) (dir, tmp string) {
		dir, tmp = filepath.Join(base, name), filepath.Join(base, name+"-tmp")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir, tmp
	}
	compiling := func(r *ptyRun) (bool, string) { return running(r, "compile", "link", "asm", "cgo") }

	var cases []interruptCase

	// build: a cold build cache, so that the compiler runs for a while. go build's
	// work directory goes to TMPDIR: a graceful interrupt lets go remove it.
	{
		dir, tmp := mk("build")
		helloModule(t, dir, "hello", helloMain)
		cases = append(cases, interruptCase{
			name: "build", dir: dir, args: []string{"build", "--target", "linux/amd64,linux/arm64", "--cgo=off"},
			env:   interruptEnv(t, tmp, "GOCACHE="+filepath.Join(base, "build-cache")),
			ready: compiling,
			after: func(t *testing.T) {
				emptyDir(t, filepath.Join(dir, "dist")) // no .gonative-build-NNN
				emptyDir(t, tmp, ".gonative")           // no go-build work directory
			},
		})
	}
	// image build: the same build under it, into its temporary binaries directory.
	{
		dir, tmp := mk("image")
		helloModule(t, dir, "hello", helloMain)
		cases = append(cases, interruptCase{
			name: "image build", dir: dir,
			args:  []string{"image", "build", "--platform", "linux/amd64,linux/arm64", "--oci-layout", "out", "."},
			env:   interruptEnv(t, tmp, "GOCACHE="+filepath.Join(base, "image-cache")),
			ready: compiling,
			after: func(t *testing.T) {
				emptyDir(t, tmp, ".gonative") // no gonative-image-*, no go-build*
				if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
					t.Errorf("an interrupted image build wrote its OCI layout")
				}
			},
		})
	}
	// bench cgo: interrupted while it measures a program that sleeps.
	if _, err := exec.LookPath("gcc"); err == nil {
		dir, tmp := mk("bench")
		helloModule(t, dir, "sleeper", "import \"time\"\n\nfunc main() { time.Sleep(time.Hour) }\n")
		cases = append(cases, interruptCase{
			name: "bench cgo", dir: dir, args: []string{"bench", "cgo", ".", "--run=", "--count", "2", "--warmup", "-1", "--dns=false"},
			env:   interruptEnv(t, tmp),
			ready: func(r *ptyRun) (bool, string) { return running(r, "sleeper*") },
			after: func(t *testing.T) { emptyDir(t, tmp, ".gonative") }, // no gonative-bench-*
		})
	}
	// install: a download from a proxy that sends a little and then stalls.
	{
		dir, tmp := mk("install")
		proxy := filepath.Join(base, "proxy")
		if out, err := exec.Command("faketoolchain", proxy, "1.27.3", runtime.GOOS, runtime.GOARCH).CombinedOutput(); err != nil {
			t.Fatalf("faketoolchain: %v\n%s", err, out)
		}
		var once sync.Once
		sending := make(chan struct{})
		files := http.FileServer(http.Dir(proxy))
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, ".zip") {
				files.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(1<<20))
			w.Write(make([]byte, 4096))
			w.(http.Flusher).Flush()
			once.Do(func() { close(sending) })
			<-r.Context().Done()
		}))
		t.Cleanup(func() { s.CloseClientConnections(); s.Close() })
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		home := filepath.Join(tmp, ".gonative")
		cases = append(cases, interruptCase{
			name: "install", dir: dir, args: []string{"install", "go1.27.3"},
			env: interruptEnv(t, tmp, "GOPROXY="+s.URL, "GOSUMDB=off", "GOMODCACHE="+filepath.Join(base, "install-modcache")),
			ready: func(r *ptyRun) (bool, string) {
				return closed(sending) && strings.Contains(r.out.String(), "go1.27.3"), "downloading (progress drawn)"
			},
			after: func(t *testing.T) {
				if _, err := os.Stat(filepath.Join(home, "versions", "go1.27.3")); err == nil {
					t.Errorf("an interrupted install left go1.27.3 installed")
				}
				stages, _ := filepath.Glob(filepath.Join(home, "*", "stage-*"))
				if len(stages) > 0 {
					t.Errorf("staging left: %v", stages)
				}
				// What was downloaded stays, for the next install to resume.
				if p, _ := filepath.Glob(filepath.Join(home, "tmp", "downloads", "*.partial")); len(p) == 0 {
					t.Errorf("no .partial download left to resume")
				}
				emptyDir(t, tmp, ".gonative")
			},
		})
	}
	// netcheck: a proxy that never answers, under a long time-out.
	{
		dir, tmp := mk("netcheck")
		addr, got := hangingServer(t)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, interruptCase{
			name: "netcheck", dir: dir, args: []string{"netcheck", "--timeout", "10m"},
			env:   interruptEnv(t, tmp, "GOPROXY=http://"+addr, "GOSUMDB=off", "GOPRIVATE=", "GONOPROXY=", "HTTPS_PROXY=", "HTTP_PROXY="),
			ready: func(*ptyRun) (bool, string) { return closed(got), "waiting for the proxy" },
		})
	}
	// inspect: an image in a registry that never answers.
	{
		dir, tmp := mk("inspect")
		addr, got := hangingServer(t)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, interruptCase{
			name: "inspect", dir: dir, args: []string{"inspect", addr + "/hello:v1"},
			env:   interruptEnv(t, tmp, "HTTPS_PROXY=", "HTTP_PROXY="),
			ready: func(*ptyRun) (bool, string) { return closed(got), "waiting for the registry" },
		})
	}
	// The same, stopped by kill's SIGTERM, and by a hangup (the terminal closed): the
	// children are in process groups of their own, which these signals reach only
	// through gonative.
	for _, c := range cases[:] {
		switch c.name {
		case "build":
			c.name, c.signal = "build SIGTERM", syscall.SIGTERM
		case "bench cgo":
			c.name, c.signal = "bench cgo SIGHUP", syscall.SIGHUP
		default:
			continue
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// TestBuildUniversalTerminal runs `build --universal` (the README's command) on a
// terminal again and again: its progress display used to deadlock now and then (5 of
// 10 runs in issue 24, 1 in 15 here on a busy machine with fewer targets), and then
// not even ^C stopped it. Every run must finish. TestProgressNoDeadlock in
// internal/cli catches the same race at once.
func TestBuildUniversalTerminal(t *testing.T) {
	requireLinuxPTY(t)
	base := t.TempDir()
	dir, tmp := filepath.Join(base, "m"), filepath.Join(base, "tmp")
	helloModule(t, dir, "hello", helloMain)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	// The caller's build cache: warm after the first run. A run that hangs dumps its
	// goroutines after 2m (the script commands' bound), before the test gives up.
	env := interruptEnv(t, tmp, cmdTimeoutEnv+"=2m")
	runs := 20
	var times []time.Duration
	for i := range runs {
		// The README's command, without the smoke runs: the six default targets and
		// the universal merge, seven lines on the display.
		r := startPTY(t, dir, env, "build", "--universal")
		start := time.Now()
		select {
		case <-r.done:
		case <-time.After(3 * time.Minute):
			t.Fatalf("run %d of %d: build --universal still running after 3m on a terminal (deadlock); its processes: %v; output:\n%s",
				i+1, runs, inSession(r.cmd.Process.Pid), r.out.String())
		}
		times = append(times, time.Since(start).Round(time.Millisecond))
		out := r.output()
		if r.exitCode() != 0 {
			t.Fatalf("run %d of %d: exit status %d (a hang ends in a goroutine dump):\n%s", i+1, runs, r.exitCode(), out)
		}
		if !strings.Contains(out, "hello_darwin_universal") {
			t.Fatalf("run %d: no universal output:\n%s", i+1, out)
		}
	}
	t.Logf("%d runs of build --universal on a terminal took %v", runs, times)
}
