//go:build unix

package exe

import (
	"context"
	"errors"
	"io/fs"
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
		want error  // errors.Is
		what string // NotRegularFileError.What
	}{
		{dir, syscall.EISDIR, "a directory"},
		{fifo, nil, "a named pipe"},
		{"/dev/null", nil, "a device"},
		{loop, syscall.ELOOP, ""},
		{filepath.Join(dir, "missing"), fs.ErrNotExist, ""},
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
				var nr *NotRegularFileError
				switch {
				case err == nil:
					t.Fatalf("Inspect(%s): no error", tt.path)
				case tt.want != nil && !errors.Is(err, tt.want):
					t.Fatalf("Inspect(%s) error = %v, want one that is %v", tt.path, err, tt.want)
				case tt.what != "" && (!errors.As(err, &nr) || nr.What() != tt.what || !strings.Contains(err.Error(), "is "+tt.what)):
					t.Fatalf("Inspect(%s) error = %v, want a *NotRegularFileError of %s", tt.path, err, tt.what)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Inspect(%s) hangs", tt.path)
			}
		})
	}
}
