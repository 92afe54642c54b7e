// Package gocode holds ready's Go and cgo checks per target.
package gocode
