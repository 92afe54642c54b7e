//go:build unix

package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// CheckPrivate reports whether a file with stat fi (from the open descriptor, see
// OpenInput) may be trusted as this user's own: nil when the effective user owns it and
// neither its group nor others may write it; otherwise a *NotPrivateError. Caches in
// a directory other users can reach use it, so nobody else's file is taken for a
// verdict.
func CheckPrivate(fi fs.FileInfo) error {
	s, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return &NotPrivateError{ErrForeignOwner, "its owner is unknown"}
	}
	if int(s.Uid) != os.Geteuid() {
		return &NotPrivateError{ErrForeignOwner, fmt.Sprintf("uid %d", s.Uid)}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return &NotPrivateError{ErrWritableByOthers, "mode " + perm.String()}
	}
	return nil
}
