//go:build unix

package proctree

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !dirExists("/proc/self")
	}
	// pid (comm) STATE ...: comm may hold spaces and parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func dirExists(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }

// TestCancelEndsTree cancels a shell whose background grandchild ignores SIGINT (as
// every background job of a non-interactive shell does): the shell's SIGINT trap runs
// (a graceful interrupt comes first), Wait returns soon, and the grandchild is dead.
func TestCancelEndsTree(t *testing.T) {
	for _, tt := range []struct {
		name, script string
		trapped      bool
	}{
		{"trap", `trap 'echo cleaned > "$1"; exit 3' INT; sleep 600 & echo $!; wait; wait`, true},
		{"ignores SIGINT", `trap '' INT; sleep 600 & echo $!; while :; do sleep 1; done`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mark := filepath.Join(t.TempDir(), "cleaned")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := Command(ctx, "sh", "-c", tt.script, "sh", mark)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the grandchild's pid: %v", err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil {
				t.Fatal(err)
			}
			if !alive(pid) {
				t.Fatalf("grandchild %d not running before the cancel", pid)
			}
			start := time.Now()
			cancel()
			werr := cmd.Wait()
			took := time.Since(start)
			if werr == nil {
				t.Errorf("Wait after cancel: nil error")
			}
			// Grace plus WaitDelay is the most Wait may take; allow a busy machine 10x.
			if budget := 10 * (Grace + WaitDelay); took > budget {
				t.Errorf("Wait took %v after the cancel, budget %v", took, budget)
			}
			t.Logf("Wait returned %v after the cancel: %v", took, werr)
			for i := 0; alive(pid); i++ {
				if i == 100 {
					t.Fatalf("grandchild %d still running after the command was cancelled", pid)
				}
				time.Sleep(50 * time.Millisecond)
			}
			_, serr := os.Stat(mark)
			if got := serr == nil; got != tt.trapped {
				t.Errorf("SIGINT trap ran: %v, want %v", got, tt.trapped)
			}
		})
	}
}

// TestExitedNotSignalled: cancelling after the child exited and was waited for sends
// nothing and Wait's result stays the child's.
func TestExitedNotSignalled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := end(cmd.Process); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("end after exit: %v, want ErrProcessDone", err)
	}
}
