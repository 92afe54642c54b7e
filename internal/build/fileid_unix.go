//go:build unix

package build

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileID is the device and inode of the file fi describes, "" when unknown.
func fileID(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return ""
}
