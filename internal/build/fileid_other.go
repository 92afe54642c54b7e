//go:build !unix

package build

import "io/fs"

// fileID is "" where there are no inodes: size and time identify the file.
func fileID(fs.FileInfo) string { return "" }
