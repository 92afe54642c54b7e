package netcheck

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// errLookupDisabled ends a walk that reaches "off" in the GOPROXY list (cmd/go's
// message).
var errLookupDisabled = errors.New("module lookup disabled by GOPROXY=off")

// entryError is the failure of the GOPROXY entry that ended a walk: a ',' entry that
// failed with an error other than 404/410, or the last entry.
type entryError struct {
	index int    // the entry's position in the GOPROXY list
	entry string // the entry's URL, redacted
	err   error
}

func (e *entryError) Error() string { return e.entry + ": " + e.err.Error() }
func (e *entryError) Unwrap() error { return e.err }

// tileReadError is a failure to fetch a checksum database tile (tileReader), as
// opposed to tlog's verdict on the tiles that were fetched.
type tileReadError struct{ err error }

func (e *tileReadError) Error() string { return e.err.Error() }
func (e *tileReadError) Unwrap() error { return e.err }

// tlogInconsistent is what golang.org/x/mod/sumdb/tlog returns when a tile the server
// sent does not hash to the tree it signed; tlog has no error type for it, so this
// one message (never a text a server chose: tileReadError marks those) is compared.
const tlogInconsistent = "downloaded inconsistent tile"

// inconsistentTile reports whether err is tlog's proof that the server's tiles do not
// match its signed tree.
func inconsistentTile(err error) bool {
	var tre *tileReadError
	return err != nil && !errors.As(err, &tre) && err.Error() == tlogInconsistent
}

// viaForwardProxy reports whether err is a failure to reach or tunnel through the
// forward proxy (HTTPS_PROXY): net/http returns those as *net.OpError "proxyconnect".
func viaForwardProxy(err error) bool {
	var oe *net.OpError
	for e := err; errors.As(e, &oe); e = oe.Err {
		if oe.Op == "proxyconnect" {
			return true
		}
	}
	return false
}

// hostNotFound reports whether err is a DNS answer that the host does not exist.
func hostNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// tlsFailure reports whether err is a TLS handshake or certificate failure: one of
// crypto/tls's and crypto/x509's error types, an alert sent or received (*net.OpError
// "local error" / "remote error"), or one of the handshake errors crypto/tls returns
// as plain text, which all start with "tls: " (judged on the innermost error only,
// crypto/tls's own, never on a server's answer: statusError and errInvalid are not).
func tlsFailure(err error) bool {
	if err == nil {
		return false
	}
	var (
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
		ale tls.AlertError
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
		cie x509.CertificateInvalidError
		sre x509.SystemRootsError
	)
	if errors.As(err, &cve) || errors.As(err, &rhe) || errors.As(err, &ale) || errors.As(err, &uae) ||
		errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &sre) {
		return true
	}
	var oe *net.OpError
	for e := err; errors.As(e, &oe); e = oe.Err {
		if oe.Op == "local error" || oe.Op == "remote error" {
			return true
		}
	}
	var se *statusError
	if errors.As(err, &se) || errors.Is(err, errInvalid) {
		return false
	}
	inner := err
	for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(inner) {
		inner = u
	}
	return strings.HasPrefix(inner.Error(), "tls: ")
}
