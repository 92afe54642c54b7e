//go:build unix

package dockerfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/finding"
)

// Hostile repositories: a FIFO named Dockerfile (reading it would block), a symbolic
// link named Containerfile to a device, and a directory link that loops are never
// read (machine.ReadFile bounds what a regular file may hold).
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "Dockerfile"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	writeFile(t, dir, "ok/Dockerfile", "FROM alpine\n")
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "ok", "Containerfile")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "ok", "loop")); err != nil {
		t.Fatal(err)
	}
	done := make(chan []finding.Finding)
	go func() { done <- checkDir(t, dir) }()
	select {
	case fs := <-done:
		if len(fs) != 0 {
			t.Errorf("findings %+v, want none", fs)
		}
	case <-time.After(time.Minute):
		t.Fatal("the check blocked on a hostile file")
	}
}
