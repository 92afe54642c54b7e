// Package build builds Go packages for a matrix of targets, cgo included: it finds out
// which targets need cgo, resolves a C toolchain and an isolated pkg-config per target,
// runs the builds in parallel, verifies every output with package exe, writes
// SHA256SUMS and manifest.json, and merges darwin slices into universal files (a
// pure-Go lipo).
package build
