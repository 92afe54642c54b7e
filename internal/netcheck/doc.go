// Package netcheck diagnoses why Go module downloads fail on this machine: the module
// proxy list (GOPROXY, GONOPROXY, GOPRIVATE), the checksum database (GOSUMDB,
// GONOSUMDB) and the TLS trust Go uses, following cmd/go's own rules (cited from
// GOROOT's source in each file).
//
// Offline returns the findings that need no network (settings, the root store, a
// macOS system proxy that go ignores); Run also makes, for one module, exactly the
// requests cmd/go would make through each proxy in order, fetches and verifies the
// checksum database's signed tree head against GOSUMDB's key and the head cmd/go has
// cached, and diagnoses every TLS chain presented: which issuer is missing and whether
// the chain is anchored in a public root or a private (intercepting) one. TLS
// verification is never turned off, not even for a probe: the chain of a failed
// handshake comes from tls.CertificateVerificationError.
//
// The package returns data; internal/cli renders it.
package netcheck
