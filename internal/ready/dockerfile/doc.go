// Package dockerfile holds ready's Dockerfile checks: every Dockerfile of a
// repository (Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile) is parsed with
// this package's parser (the Dockerfile reference's syntax: directives, continuations,
// here-documents, exec and shell forms) and each stage is judged for the targets: a
// constant FROM --platform, a default given to TARGETARCH and its kin, Go compiled in
// a stage that runs emulated, a hard-coded GOARCH, downloads that name one
// architecture, cgo cross-compiled without a cross C compiler, and with --online base
// images that publish no entry for a target.
//
// Every finding has its file and line, the evidence, and where the fix is an edit, a
// unified diff (finding.Fix.Diff) that patch -p1 applies.
package dockerfile
