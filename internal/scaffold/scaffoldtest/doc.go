// Package scaffoldtest checks the files gonative init writes with the tools that read
// them for real: buildkit's Dockerfile parser, the devcontainers JSON schema, a YAML
// parser, and buildah building the Dockerfile for linux/amd64 and linux/arm64. It is a
// module of its own so that gonative's go.mod and binary do not carry these.
package scaffoldtest
