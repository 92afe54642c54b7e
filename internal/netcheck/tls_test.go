package netcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"
)

// publicRootsOf is a PublicRoots whose "public" set is certs (the test CA stands in for
// a public root: no test can hold the key of a real one).
func publicRootsOf(certs ...*x509.Certificate) *PublicRoots {
	p := &PublicRoots{}
	p.once.Do(func() {
		p.pool = x509.NewCertPool()
		p.keys = map[[32]byte]bool{}
		for _, c := range certs {
			p.pool.AddCert(c)
			p.keys[rootKey(c)] = true
		}
	})
	return p
}

func TestBundleLoads(t *testing.T) {
	p := &PublicRoots{}
	p.load()
	if n := len(p.keys); n < 50 {
		t.Fatalf("the public bundle holds %d roots", n)
	}
	s := startServers(t)
	block, _ := pem.Decode(s.CAPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if p.IsPublic(ca) {
		t.Fatal("the test CA is public")
	}
}

// A chain anchored in a public root that Go's store lacks (SSL_CERT_FILE naming a
// bundle without it): the fix restores the public roots, it does not add a private one.
func TestPublicRootMissing(t *testing.T) {
	s := startServers(t)
	block, _ := pem.Decode(s.CAPEM)
	ca, _ := x509.ParseCertificate(block.Bytes)
	o := testOptions(t, s, map[string]string{"GOPROXY": s.Good, "SSL_CERT_FILE": "/etc/corp-only.pem"})
	o.RootCAs = x509.NewCertPool() // a store without the root
	o.PublicRoots = publicRootsOf(ca)
	r := Run(context.Background(), o)
	f, ok := find(r, "tls.public-root-missing")
	if !ok {
		t.Fatalf("no tls.public-root-missing: %q", findingIDs(r))
	}
	if !strings.Contains(f.Title, `public root "Test Root CA"`) || f.Fix == nil || !strings.Contains(f.Fix.Text, "SSL_CERT_FILE=/etc/corp-only.pem") {
		t.Errorf("finding %q, fix %+v", f.Title, f.Fix)
	}
	if r.Endpoints[0].Anchor != AnchorPublic {
		t.Errorf("anchor %s", r.Endpoints[0].Anchor)
	}
}

func TestDiagnoseTLSNoChain(t *testing.T) {
	// A handshake that fails before any certificate (an alert) still gets a finding.
	s := startServers(t)
	o := testOptions(t, s, map[string]string{"GOPROXY": s.Good})
	o.Timeout = 2 * time.Second
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.Trusted, MaxVersion: tls.VersionTLS10}}
	_, err := (&http.Client{Transport: tr}).Get(s.Good)
	if err == nil {
		t.Skip("the server accepted TLS 1.0")
	}
	ep, fs := diagnoseTLS(tlsContext{host: "h:443", pub: publicRootsOf()}, nil, err)
	if ep.Verified || ep.Error == "" || len(fs) != 0 {
		// observeTLS adds tls.handshake for this case; diagnoseTLS itself has no chain to judge.
		t.Errorf("endpoint %+v findings %+v", ep, fs)
	}
}
