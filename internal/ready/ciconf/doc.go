// Package ciconf holds ready's CI and build-script checks.
package ciconf
