//go:build unix

package doctor

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/machine"
)

// TestMachineReadFileNeverBlocks: the files the doctor and netcheck read are named by
// settings (NETRC, SSL_CERT_FILE, GOPATH's sumdb head, a file:// GOPROXY) or found on
// PATH and in library directories, so a named pipe there is refused at once by
// ReadFile and Open, on this machine and on a fake one.
func TestMachineReadFileNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := t.TempDir()
	os.WriteFile(filepath.Join(fake, "platform"), []byte("linux/arm64\n"), 0o644)
	os.MkdirAll(filepath.Join(fake, "root", "etc"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(fake, "root", "etc", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	fm, err := machine.FromDir(fake, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() ([]byte, error){
		"system": func() ([]byte, error) { return machine.Real().ReadFile(filepath.Join(dir, "fifo")) },
		"fake":   func() ([]byte, error) { return fm.ReadFile("/etc/fifo") },
		"system open": func() ([]byte, error) {
			_, err := machine.Real().Open(filepath.Join(dir, "fifo"))
			return nil, err
		},
		"fake open": func() ([]byte, error) {
			_, err := fm.Open("/etc/fifo")
			return nil, err
		},
	} {
		done := make(chan error, 1)
		go func() { _, err := read(); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, atomicfile.ErrNotRegular) {
				t.Errorf("%s: err = %v, want ErrNotRegular", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ReadFile blocked on a named pipe", name)
		}
	}
}
