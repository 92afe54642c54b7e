package toolchain

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb"
)

// TestSumDBConfigCompareAndSwap: writers that each start from the same tree head,
// each with its own client state (as separate gonative processes have), race to
// replace it; exactly one may win each round (issue 9, item 12).
func TestSumDBConfigCompareAndSwap(t *testing.T) {
	dir := t.TempDir()
	const file = "sum.fake.test/latest"
	for round := range 30 {
		old := []byte(fmt.Sprintf("tree %d\n", round))
		if round == 0 {
			old = nil
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := &sumdbOps{dir: dir}
				err := o.WriteConfig(file, old, []byte(fmt.Sprintf("tree %d\n", round+1)+strings.Repeat("x", i)))
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, sumdb.ErrWriteConflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d writers replaced the same tree head", round, wins)
		}
		// Bring the file to the value the next round starts from.
		os.WriteFile(filepath.Join(dir, "config", file), []byte(fmt.Sprintf("tree %d\n", round+1)), 0o644)
	}
}

// TestSumDBConfigLockedAcrossProcesses: while another process holds the lock, a
// write waits for it.
func TestSumDBConfigLockedAcrossProcesses(t *testing.T) {
	if p := os.Getenv("GONATIVE_TEST_HOLD_LOCK"); p != "" {
		unlock, err := lockFile(p)
		if err != nil {
			os.Exit(2)
		}
		fmt.Println("locked")
		var b [1]byte
		os.Stdin.Read(b[:]) // hold until the parent says
		unlock()
		return
	}
	dir := t.TempDir()
	const file = "sum.fake.test/latest"
	lock := filepath.Join(dir, "config", file) + ".lock"
	os.MkdirAll(filepath.Dir(lock), 0o755)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSumDBConfigLockedAcrossProcesses$")
	cmd.Env = append(os.Environ(), "GONATIVE_TEST_HOLD_LOCK="+lock)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked" {
		t.Fatalf("child: %q %v", buf, err)
	}
	done := make(chan error, 1)
	go func() { done <- (&sumdbOps{dir: dir}).WriteConfig(file, nil, []byte("tree 1\n")) }()
	select {
	case err := <-done:
		t.Fatalf("wrote while another process held the lock (err %v)", err)
	case <-waitShort():
	}
	in.Write([]byte("\n"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func waitShort() <-chan time.Time { return time.After(300 * time.Millisecond) }
