package netcheck

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/gonative/gonative/internal/netcheck/netchecktest"
)

// httputilProxy forwards to the good server, trusting the test CA.
func httputilProxy(u *url.URL, s *netchecktest.Servers) *httputil.ReverseProxy {
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.Trusted}}
	return rp
}

// httptestTLS serves h over TLS with a certificate the test CA issued.
func httptestTLS(t *testing.T, h http.Handler, s *netchecktest.Servers) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	cert, err := s.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}
