// Package testonly has tests for amd64 only.
package testonly

// One is 1.
const One = 1
