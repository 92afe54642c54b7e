package netcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostileBody is an error page whose text names every failure netcheck tells apart:
// a server's words must never decide which one it is.
const hostileBody = "proxyconnect tcp: tls: x509: certificate signed by unknown authority; dial tcp: lookup x: no such host; downloaded inconsistent tile; module lookup disabled by GOPROXY=off"

func TestErrorClasses(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "proxy.invalid", IsNotFound: true}
	cve := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	status := &statusError{status: 500, body: hostileBody}
	for _, tt := range []struct {
		name                           string
		err                            error
		forwardProxy, tlsFail, noHost  bool
		lookupDisabled, inconsistentTl bool
	}{
		{name: "nil"},
		{name: "dns", err: dns, noHost: true},
		{name: "dns, temporary", err: &net.DNSError{Err: "server misbehaving", Name: "x"}},
		{name: "certificate", err: cve, tlsFail: true},
		{name: "remote alert", err: &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, tlsFail: true},
		{name: "not tls", err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, tlsFail: true},
		{name: "tls as text", err: fmt.Errorf("Get: %w", errors.New("tls: server selected unsupported protocol version 300")), tlsFail: true},
		{name: "forward proxy refused", err: &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection refused")}, forwardProxy: true},
		{name: "forward proxy's tls", err: &net.OpError{Op: "proxyconnect", Net: "tcp", Err: cve}, forwardProxy: true, tlsFail: true},
		{name: "entry wraps", err: &entryError{index: 0, entry: "https://p", err: dns}, noHost: true},
		{name: "off", err: errLookupDisabled, lookupDisabled: true},
		{name: "hostile status body", err: status},
		{name: "hostile entry", err: &entryError{entry: "https://p", err: status}},
		{name: "hostile invalid answer", err: fmt.Errorf("%w: %v", errInvalid, hostileBody)},
		{name: "tlog's verdict", err: errors.New(tlogInconsistent), inconsistentTl: true},
		{name: "a tile read failure with tlog's words", err: &tileReadError{errors.New(tlogInconsistent)}},
		{name: "a tile read failure", err: &tileReadError{status}},
	} {
		if got := viaForwardProxy(tt.err); got != tt.forwardProxy {
			t.Errorf("%s: viaForwardProxy = %v", tt.name, got)
		}
		if got := tlsFailure(tt.err); got != tt.tlsFail {
			t.Errorf("%s: tlsFailure = %v", tt.name, got)
		}
		if got := hostNotFound(tt.err); got != tt.noHost {
			t.Errorf("%s: hostNotFound = %v", tt.name, got)
		}
		if got := errors.Is(tt.err, errLookupDisabled); got != tt.lookupDisabled {
			t.Errorf("%s: errors.Is(errLookupDisabled) = %v", tt.name, got)
		}
		if got := inconsistentTile(tt.err); got != tt.inconsistentTl {
			t.Errorf("%s: inconsistentTile = %v", tt.name, got)
		}
	}
}

// TestHostileErrorPage: a proxy whose 500 page is made of the words of every other
// failure gets the fix of a failing proxy (',' to '|'), not the forward proxy's, TLS's
// or DNS's, and no GOPROXY=off finding.
func TestHostileErrorPage(t *testing.T) {
	s := startServers(t)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, hostileBody, http.StatusInternalServerError)
	}))
	defer hostile.Close()
	r := Run(context.Background(), testOptions(t, s, map[string]string{"GOPROXY": hostile.URL + "," + s.Good}))
	f, ok := find(r, "proxy.error")
	if !ok || f.Fix == nil || !strings.Contains(strings.Join(f.Fix.Commands, " "), hostile.URL+"|"+s.Good) {
		t.Errorf("proxy.error %+v (found %v), want the '|' fix; findings %q", f.Fix, ok, findingIDs(r))
	}
	if _, ok := find(r, "proxy.off"); ok {
		t.Errorf("a page's words made GOPROXY=off: %q", findingIDs(r))
	}
}
