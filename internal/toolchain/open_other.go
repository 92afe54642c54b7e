//go:build !unix

package toolchain

// Flags for opening a file the store owns: none on this OS, where os.OpenFile has no
// portable equivalent of O_NOFOLLOW and O_NONBLOCK.
const (
	noFollow = 0
	nonBlock = 0
)
