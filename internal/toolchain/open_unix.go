//go:build unix

package toolchain

import "syscall"

// Flags for opening a file the store owns: never follow a symbolic link put in its
// place, never block on a named pipe.
const (
	noFollow = syscall.O_NOFOLLOW
	nonBlock = syscall.O_NONBLOCK
)
