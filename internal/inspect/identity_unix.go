//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package inspect

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/gonative/gonative/internal/atomicfile"
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

// untrusted says why a cache pack with stat st must not be read: another user owns it
// (the effective user's packs only), or its group or others may write it; 0 when it
// may be read.
func untrusted(st fs.FileInfo) (PackProblem, string) {
	var np *atomicfile.NotPrivateError
	if !errors.As(atomicfile.CheckPrivate(st), &np) {
		return 0, ""
	}
	if np.Kind == atomicfile.ErrWritableByOthers {
		return PackWritableByOthers, np.Detail
	}
	return PackForeignOwner, np.Detail
}
