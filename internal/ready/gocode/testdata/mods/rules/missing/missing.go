// Package missing imports a package that exists nowhere, on arm64 only.
package missing
