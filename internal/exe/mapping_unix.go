//go:build unix

package exe

import (
	"os"
	"syscall"
)

// mapFile maps n bytes at off of f, nil when it cannot (not a regular file, shorter
// than off+n, a mapping refused).
func mapFile(f *os.File, off, n int64) *Mapping {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	var m *Mapping
	// Control, not Fd: Fd would put the descriptor into blocking mode.
	rc.Control(func(fd uintptr) {
		var st syscall.Stat_t
		if syscall.Fstat(int(fd), &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG ||
			off > st.Size || n > st.Size-off || off+n-start > int64(int(^uint(0)>>1)) {
			return
		}
		data, err := syscall.Mmap(int(fd), start, int(off+n-start), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			return
		}
		m = &Mapping{data: data, off: int(off - start), n: int(n)}
	})
	return m
}

func unmap(b []byte) error { return syscall.Munmap(b) }
