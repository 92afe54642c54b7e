package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// cmdTimeoutEnv bounds every command a testscript runs as this test binary
// (gonative, faketoolchain): past it the command prints its name and dumps its
// goroutines (SIGQUIT), so a hang fails the script fast, naming the command, instead of
// eating the whole go test time-out. TestScript sets it (see scriptCmdTimeout).
const cmdTimeoutEnv = "GONATIVE_SCRIPT_CMD_TIMEOUT"

// scriptCmdTimeout is the bound for one command: $GONATIVE_SCRIPT_CMD_TIMEOUT when set
// (0 turns it off), else 10 minutes natively and 5 under emulation, where a hang is
// likelier (qemu-user: golang/go#70329) and every command is slower anyway.
func scriptCmdTimeout(emulated bool) (time.Duration, error) {
	if v := os.Getenv(cmdTimeoutEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: %v", cmdTimeoutEnv, v, err)
		}
		return d, nil
	}
	if emulated {
		return 5 * time.Minute, nil
	}
	return 10 * time.Minute, nil
}

// watch arms the bounds of this process, a command a testscript runs: the sooner of
// $GONATIVE_SCRIPT_CMD_TIMEOUT and the end of its script's budget
// ($GONATIVE_SCRIPT_DEADLINE). When one passes, a timer says which command is still
// running and which bound it overran, and sends this process SIGQUIT, which makes the
// Go runtime print every goroutine and exit 2. On Linux a kernel timer also sends
// SIGQUIT a little later, in case the runtime can no longer run timers (a deadlock
// under emulation).
func watch() {
	d, why := commandBound(time.Now(), os.Getenv)
	if d <= 0 {
		return
	}
	armKernelQuit(d + 5*time.Second)
	time.AfterFunc(d, func() {
		fmt.Fprintf(os.Stderr, "%s %s: still running after %v (%s): sending SIGQUIT for a goroutine dump\n",
			os.Args[0], strings.Join(os.Args[1:], " "), d, why)
		quitSelf()
	})
}

// commandBound returns how long a command started at now may run, and which bound
// that is; 0 when it is unbounded.
func commandBound(now time.Time, getenv func(string) string) (time.Duration, string) {
	d, why := time.Duration(0), ""
	if v, err := time.ParseDuration(getenv(cmdTimeoutEnv)); err == nil && v > 0 {
		d, why = v, cmdTimeoutEnv
	}
	if end, err := time.Parse(time.RFC3339Nano, getenv(scriptDeadlineEnv)); err == nil {
		left := max(end.Sub(now), time.Millisecond) // already over: stop at once
		if d == 0 || left < d {
			d, why = left.Round(time.Millisecond), "the end of the budget of script "+getenv(scriptIDEnv)+", "+scriptDeadlineEnv
		}
	}
	return d, why
}

// TestWatchdog runs a command that never ends under a one-second bound: it must fail
// fast, name itself and dump its goroutines.
func TestWatchdog(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGQUIT on Windows: the bound there only exits")
	}
	hw, err := host.Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	if hw.Arch != runtime.GOARCH {
		if _, ok := hw.Handler(runtime.GOARCH); !ok {
			t.Skipf("this %s test binary runs emulated on %s hardware and no binfmt_misc handler would run it again: "+
				"install qemu-user-static and binfmt-support", runtime.GOARCH, hw.Arch)
		}
	}
	for _, tt := range []struct {
		name, cmd string
		want      []string
	}{
		{"go timer", "gonative-test-hang", []string{
			"gonative-test-hang --flag arg: still running after 1s (" + cmdTimeoutEnv + ")",
			"SIGQUIT", "goroutine ", "hangForever"}},
		// The kernel's timer alone, as when the Go runtime can no longer run timers.
		{"kernel timer", "gonative-test-kernel-quit", []string{"SIGQUIT", "goroutine ", "kernelQuitForever"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cmd == "gonative-test-kernel-quit" && !kernelQuit {
				t.Skipf("no kernel timer on %s/%s: the Go timer alone bounds commands", runtime.GOOS, runtime.GOARCH)
			}
			cmd := exec.Command(tt.cmd, "--flag", "arg")
			cmd.Env = append(os.Environ(), cmdTimeoutEnv+"=1s", "GOTRACEBACK=all")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("a hanging command exited 0:\n%s", out)
			}
			if elapsed > 60*time.Second {
				t.Errorf("the bound of 1s took %v", elapsed)
			}
			for _, want := range tt.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// hangForever is the command TestWatchdog runs.
func hangForever() {
	watch()
	time.Sleep(time.Hour)
}

// kernelQuitForever is the command TestWatchdog runs to check the kernel timer alone.
func kernelQuitForever() {
	armKernelQuit(time.Second)
	time.Sleep(time.Hour)
}
