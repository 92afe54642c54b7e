//go:build unix

package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLayoutFIFO: a FIFO where a layout's index.json or a blob should be is an error,
// not a hang.
func TestLayoutFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "index.json"), 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Open(context.Background(), PrefixOCILayout+dir, ReadOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open hung on a FIFO")
	}
	os.Remove(filepath.Join(dir, "index.json"))
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }
