//go:build !unix

package toolchain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// staleLock is how old a lock file may be before it is taken to belong to a process
// that died holding it.
const staleLock = 30 * time.Minute

// lockFile creates name exclusively (O_EXCL), waiting while another process holds it.
// A lock left by a killed process is broken once it is older than staleLock.
func lockFile(name string) (func(), error) {
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(name)
			continue
		}
		time.Sleep(100 * time.Millisecond)
	}
}
