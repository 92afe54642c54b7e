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

// openNonblockIn is openNonblock for name beneath root.
func openNonblockIn(root *os.Root, name, _ string) (*os.File, error) {
	return root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
