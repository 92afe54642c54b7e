// Package archonly uses a system call number that arm64 Linux does not have.
package archonly

import "syscall"

// Open is open(2)'s number.
const Open = syscall.SYS_OPEN
