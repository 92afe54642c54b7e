//go:build unix

package scaffold

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gonative/gonative/internal/atomicfile"
)

// A FIFO where go.mod or a generated file would be is an error, never a read that hangs.
func TestFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "go.mod"), 0o644); err != nil {
		t.Skip(err)
	}
	if _, err := ReadModule(context.Background(), dir, ReadOptions{}); !errors.Is(err, atomicfile.ErrNotRegular) || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("go.mod FIFO: %v", err)
	}
	os.Remove(filepath.Join(dir, "go.mod"))
	if err := syscall.Mkfifo(filepath.Join(dir, "Dockerfile"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		if _, err := Plan(dir, []File{{"Dockerfile", []byte("x\n"), 0o644}}, force); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Dockerfile FIFO, force %v: %v", force, err)
		}
	}
}
