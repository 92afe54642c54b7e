//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package inspect

import "io/fs"

// fileID has the fields of the Unix one so the cache compiles everywhere; identity
// never returns one here.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

// identity is unknown here (no inode and change time): nothing is cached.
func identity(fs.FileInfo) (fileID, bool) { return fileID{}, false }

const openFlags = 0
