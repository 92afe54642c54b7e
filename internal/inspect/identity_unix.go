//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package inspect

import (
	"io/fs"
	"syscall"
)

// fileID is what identifies a file's content without reading it.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // nanoseconds
}

// identity returns st's identity; false when the OS does not report one.
func identity(st fs.FileInfo) (fileID, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(s.Dev), ino: uint64(s.Ino), size: st.Size(), mtime: st.ModTime().UnixNano(), ctime: ctimeNano(s)}, true
}

// openFlags are added when opening a file to inspect: a FIFO or device that replaced
// the file after the stat must not block the open.
const openFlags = syscall.O_NONBLOCK
