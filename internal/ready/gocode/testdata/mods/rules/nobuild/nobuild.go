// Package nobuild builds everywhere but on arm64.
package nobuild

// N is a number.
var N = n
