//go:build !arm64

package nobuild

var n = 1
