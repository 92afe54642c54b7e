//go:build unix

package netcheck

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDescribeRootsNamedPipes: a named pipe at SSL_CERT_FILE or among SSL_CERT_DIR's
// files is what go blocks on: reported (an error finding), never read, and the run
// ends at once; a directory at SSL_CERT_FILE is only unreadable (go moves on).
func TestDescribeRootsNamedPipes(t *testing.T) {
	dir := t.TempDir()
	pem := []byte("-----BEGIN CERTIFICATE-----\n")
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem, 0o644)
	os.MkdirAll(filepath.Join(dir, "certs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "fifocerts"), 0o755)
	os.WriteFile(filepath.Join(dir, "fifocerts", "a.pem"), pem, 0o644)
	os.MkdirAll(filepath.Join(dir, "goodcerts"), 0o755)
	os.WriteFile(filepath.Join(dir, "goodcerts", "a.pem"), pem, 0o644)
	for _, f := range []string{"fifo", "fifocerts/b.pem"} {
		if err := syscall.Mkfifo(filepath.Join(dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, file, certDir string
		blocking            string // the file reported, "" for none
		unreadable          int
	}{
		{"fifo bundle", "fifo", "certs", "fifo", 1},
		{"fifo in the directory", "ca.pem", "fifocerts", "fifocerts/b.pem", 1},
		{"directory bundle", "certs", "goodcerts", "", 1},
		{"healthy", "ca.pem", "certs", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"SSL_CERT_FILE": filepath.Join(dir, c.file), "SSL_CERT_DIR": filepath.Join(dir, c.certDir)}
			done := make(chan RootStore, 1)
			go func() { done <- DescribeRoots("linux", realWith(env)) }()
			var r RootStore
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("DescribeRoots blocked on a named pipe")
			}
			if len(r.Unreadable) != c.unreadable {
				t.Errorf("unreadable = %+v, want %d", r.Unreadable, c.unreadable)
			}
			b, ok := r.Blocking()
			if want := c.blocking != ""; ok != want || ok && b.File != filepath.Join(dir, c.blocking) {
				t.Errorf("Blocking() = %+v, %v; want %q", b, ok, c.blocking)
			}
			fs := RootFindings(r)
			if len(fs) != 1 {
				t.Fatalf("findings: %+v", fs)
			}
			if gotErr := fs[0].Severity == Error; gotErr != ok {
				t.Errorf("finding %q severity %v, blocking %v", fs[0].Title, fs[0].Severity, ok)
			}
		})
	}
}
