//go:build unix

package testrun

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// TestRunCancelled: Ctrl-C (a cancelled context) stops go test and everything it
// started (here a grandchild sleep that ignores nothing) and Run returns.
func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	goScript := "#!/bin/sh\nsleep 300 &\necho $! >" + pidFile + ".tmp\nmv " + pidFile + ".tmp " + pidFile + "\nwait\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(goScript), 0o755); err != nil {
		t.Fatal(err)
	}
	m := machine.WithEnv(machine.Real(), "PATH="+dir+":/usr/bin:/bin")
	o := Options{Machine: m, Host: host.Host{OS: "linux", Arch: "amd64"}, Go: filepath.Join(dir, "go"), Dir: dir}
	plans := []Plan{{Target: build.Target{OS: "linux", Arch: "amd64"}, Mode: Native}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result)
	go func() { done <- Run(ctx, o, plans) }()
	var pid int
	for deadline := time.Now().Add(time.Minute); pid == 0; {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		} else if time.Now().After(deadline) {
			t.Fatal("the fake go never started its child")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	stopped := time.Now()
	var res *Result
	select {
	case res = <-done:
		t.Logf("Run returned %v after the cancel", time.Since(stopped).Round(time.Millisecond))
	case <-time.After(30 * time.Second): // generous: proctree needs Grace and WaitDelay
		t.Fatal("Run did not return after the cancel")
	}
	if e := res.Targets[0].Error; !strings.Contains(e, "stopped") {
		t.Errorf("target error %q, want it stopped", e)
	}
	// The grandchild is gone (a zombie reaped by init counts as gone once reaped).
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the grandchild %d outlived the cancel", pid)
		}
	}
}
