//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// openNonblock opens name with O_NONBLOCK, so that opening a named pipe without a
// writer returns at once instead of waiting for one.
func openNonblock(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// clearNonblock puts a regular file back into blocking mode (it makes no difference
// to regular files on Linux or macOS, but reads then behave as documented everywhere).
func clearNonblock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
