//go:build unix

package exe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInspectNotRegular checks that FIFOs, devices, directories and symlink loops are
// errors that come at once: opening a FIFO for reading would block forever.
func TestInspectNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
	}{
		{dir, "is a directory"},
		{fifo, "is a named pipe"},
		{"/dev/null", "is a device"},
		{loop, "too many levels of symbolic links"},
		{filepath.Join(dir, "missing"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Inspect(context.Background(), tt.path, Options{})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Inspect(%s) error = %v, want %q", tt.path, err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Inspect(%s) hangs", tt.path)
			}
		})
	}
}
