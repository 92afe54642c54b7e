// Package lib is a cgo-free library with its own benchmarks.
package lib

import (
	"hash/fnv"
	"strings"
)

// Words splits s at spaces and slashes.
func Words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '/' })
}

// Sum hashes words with FNV-1a.
func Sum(words []string) uint32 {
	h := fnv.New32a()
	for _, w := range words {
		h.Write([]byte(w))
	}
	return h.Sum32()
}
