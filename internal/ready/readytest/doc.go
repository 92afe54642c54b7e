// Package readytest checks gonative ready's output and parser with the tools that
// read them for real: the SARIF 2.1.0 JSON schema (OASIS, errata 01; testdata) with a
// JSON schema checker, GitHub code scanning's extra requirements, and BuildKit's
// Dockerfile parser as the ground truth of ready's own. It is a module of its own so
// that gonative's go.mod and binary do not carry these.
package readytest
