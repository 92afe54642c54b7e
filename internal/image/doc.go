// Package image builds and reads OCI images without a container daemon.
//
// Build puts the binaries that internal/build produced (cgo included, verified) as one
// layer each on a base image's matching platform and checks, before anything is
// written, that every platform's binary can run there: its architecture is the
// platform's, a dynamic binary's interpreter exists in the base and the base's glibc is
// at least the one the binary needs.
//
// Inspect reads images from a registry, an OCI layout, an oci-archive (nested indexes as
// buildkit writes them) or a docker-archive, flattens each platform's layers with
// whiteouts applied as a stream (nothing is unpacked to disk), reports every executable
// in it as internal/exe reads files, and adds image-level findings.
package image
