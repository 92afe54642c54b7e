//go:build linux

// Package lx is for Linux only.
package lx
