// Package goenv reads a machine's Go environment: every go executable on PATH (read from
// its bytes), the layers that set each Go variable (the process environment, the
// user's `go env -w` file, $GOROOT/go.env), and the settings whose rules cmd/go owns:
// GOPROXY lists, GOSUMDB and its exclusion patterns (proxy.go), and GOTOOLCHAIN with the
// go.work/go.mod `go` and `toolchain` lines that decide which Go really runs
// (gotoolchain.go). Everything here returns data; nothing prints.
package goenv
