package clib

import "testing"

// TestOne calls the cgo function: without cgo (go vet for a target with no C
// compiler here) One is undefined, which is no fault of the package.
func TestOne(t *testing.T) {
	if One() != 1 {
		t.Fatal(One())
	}
}
