// Package clib links a C library nobody has, and names Intel Homebrew for macOS.
package clib

/*
#cgo LDFLAGS: -lgonativenosuchlib
#cgo darwin CFLAGS: -I/usr/local/include
#cgo darwin LDFLAGS: -L/usr/local/opt/gonative/lib
#cgo CFLAGS: -I/usr/local/opt/gonative/include
static int one(void) { return 1; }
*/
import "C"

// One is 1, from C.
func One() int { return int(C.one()) }
