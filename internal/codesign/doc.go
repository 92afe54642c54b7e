// Package codesign writes Mach-O code signatures.
package codesign
