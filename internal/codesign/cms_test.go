package codesign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/fixture"
	"software.sslmate.com/src/go-pkcs12"
)

// testCA is a self-made chain that mimics Developer ID's: a root, an intermediate
// with Apple's Developer ID CA marker (1.2.840.113635.100.6.2.6) and a leaf with the
// Developer ID Application marker (1.2.840.113635.100.6.1.13).
type testCA struct {
	root, inter, leaf *x509.Certificate
	leafKey           *rsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	null := []byte{5, 0}
	mk := func(tmpl, parent *x509.Certificate, pub, priv any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Gonative Test Root CA", Organization: []string{"Gonative Test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	root := mk(ca, ca, &rootKey.PublicKey, rootKey)
	it := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Developer ID Certification Authority (test)", OrganizationalUnit: []string{"Gonative Test CA"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage:        x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 6}, Value: null}}}
	inter := mk(it, root, &interKey.PublicKey, rootKey)
	lt := &x509.Certificate{SerialNumber: big.NewInt(3),
		Subject:   pkix.Name{CommonName: "Developer ID Application: Gonative Test (ABCDE12345)", OrganizationalUnit: []string{"ABCDE12345"}, Organization: []string{"Gonative Test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 13}, Critical: true, Value: null}}}
	leaf := mk(lt, inter, &leafKey.PublicKey, interKey)
	return &testCA{root: root, inter: inter, leaf: leaf, leafKey: leafKey}
}

// p12 is the identity as a PKCS#12 file, as openssl pkcs12 -export (or a Mac's
// Keychain) would write it.
func (ca *testCA) p12(t *testing.T, password string) []byte {
	b, err := pkcs12.Modern.Encode(ca.leafKey, ca.leaf, []*x509.Certificate{ca.inter, ca.root}, password)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writePEM(t *testing.T, path string, certs ...*x509.Certificate) {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadPKCS12: the identity's key, chain and team; a wrong password is an
// ErrIdentity that does not contain the password.
func TestLoadPKCS12(t *testing.T) {
	ca := newTestCA(t)
	p12 := ca.p12(t, "s3cret-pw")
	id, err := LoadPKCS12(p12, "s3cret-pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Chain) != 3 || !id.Chain[0].Equal(ca.leaf) || id.TeamID() != "ABCDE12345" {
		t.Errorf("chain of %d, team %q", len(id.Chain), id.TeamID())
	}
	_, err = LoadPKCS12(p12, "wrong-guess")
	if !errors.Is(err, ErrIdentity) || strings.Contains(err.Error(), "wrong-guess") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := LoadPKCS12([]byte("not a p12"), ""); !errors.Is(err, ErrIdentity) {
		t.Errorf("garbage: %v", err)
	}
}

// openSSLTSA serves RFC 3161 on loopback with openssl ts -reply: a time-stamp
// authority written by others.
func openSSLTSA(t *testing.T, openssl string) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// RFC 3161 wants the time-stamping key usage alone and critical (openssl ts
	// checks it); x509.Certificate.ExtKeyUsage is never critical.
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "Gonative Test TSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	writePEM(t, filepath.Join(dir, "tsa.pem"), cert)
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "tsa.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o644)
	cfg := fmt.Sprintf(`[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = %s
serial = $dir/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`, dir)
	os.WriteFile(filepath.Join(dir, "ts.cnf"), []byte(cfg), 0o644)
	var n int
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		q := filepath.Join(dir, fmt.Sprintf("q%d.der", n))
		out := filepath.Join(dir, fmt.Sprintf("r%d.der", n))
		b := make([]byte, 1<<16)
		k, _ := r.Body.Read(b)
		os.WriteFile(q, b[:k], 0o644)
		cmd := exec.CommandContext(r.Context(), openssl, "ts", "-reply", "-config", filepath.Join(dir, "ts.cnf"), "-queryfile", q,
			"-signer", filepath.Join(dir, "tsa.pem"), "-inkey", filepath.Join(dir, "tsa.key"), "-out", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("openssl ts -reply: %v\n%s", err, msg)
			http.Error(w, "tsa failed", 500)
			return
		}
		resp, _ := os.ReadFile(out)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
}

// TestIdentitySign signs with the test identity and a time stamp from openssl's
// authority, and checks the CMS with openssl cms -verify (the chain to the test root,
// over the CodeDirectory), Apple's CDHash attributes, and both signature verifiers.
func TestIdentitySign(t *testing.T) {
	openssl := fixture.Need(t, "openssl", "openssl")
	ca := newTestCA(t)
	id, err := LoadPKCS12(ca.p12(t, "pw"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	tsa := openSSLTSA(t, openssl)
	defer tsa.Close()
	id.Timestamper = &TSAClient{URL: tsa.URL}
	in := darwinGo(t, "arm64")
	out, res, err := Sign(in, "hello", Options{CMS: id, HardenedRuntime: true, Identifier: "com.example.hello"})
	if err != nil {
		t.Fatal(err)
	}
	sig := mustVerify(t, in, out, res)[0]
	r := res.Slices[0]
	if !r.CMS || !r.Timestamp || r.TeamID != "ABCDE12345" || sig.cds[0].team != "ABCDE12345" || sig.cds[0].flags != flagRuntime {
		t.Errorf("result %+v; CodeDirectory team %q flags %#x", r, sig.cds[0].team, sig.cds[0].flags)
	}
	cms := sig.slots[slotCMS][8:]
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cms.der"), cms, 0o644)
	os.WriteFile(filepath.Join(dir, "cd.bin"), sig.cds[0].raw, 0o644)
	writePEM(t, filepath.Join(dir, "root.pem"), ca.root)
	// The leaf's Developer ID marker is critical, as Apple marks it: openssl, which
	// does not know it, is told to ignore it.
	verify := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", "cms.der", "-binary", "-content", "cd.bin",
		"-CAfile", "root.pem", "-purpose", "any", "-ignore_critical", "-out", "/dev/null")
	verify.Dir = dir
	if msg, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(msg), "Verification successful") {
		t.Fatalf("openssl cms -verify: %v\n%s", err, msg)
	}
	// Over another content, the same CMS does not verify.
	os.WriteFile(filepath.Join(dir, "cd.bin"), append(sig.cds[0].raw, 0), 0o644)
	if msg, err := verify.CombinedOutput(); err == nil {
		t.Fatalf("openssl cms -verify accepted another content:\n%s", msg)
	}
	printed, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", filepath.Join(dir, "cms.der")).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -print: %v\n%s", err, printed)
	}
	for _, want := range []string{
		"1.2.840.113635.100.9.1", "1.2.840.113635.100.9.2", "signingTime", "messageDigest",
		"id-smime-aa-timeStampToken", "Developer ID Application: Gonative Test (ABCDE12345)",
		"Developer ID Certification Authority (test)", "Gonative Test Root CA",
	} {
		if !strings.Contains(string(printed), want) {
			t.Errorf("openssl cms -print shows no %q", want)
		}
	}
	// The plist attribute lists the CDHash, base64, as codesign writes it.
	if !bytes.Contains(cms, []byte("<key>cdhashes</key>")) || !bytes.Contains(cms, []byte(base64.StdEncoding.EncodeToString(r.CDHash))) {
		t.Error("the cdhashes plist does not hold the CDHash")
	}
}

// TestTSAFailures: an authority that does not answer in time, answers garbage or
// stamps another digest makes signing fail, naming why.
func TestTSAFailures(t *testing.T) {
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>nope</html>")) }))
	defer junk.Close()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 503) }))
	defer refuse.Close()
	digest := make([]byte, 32)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := (&TSAClient{URL: hang.URL}).Timestamp(ctx, digest); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hanging authority: %v", err)
	}
	if _, err := (&TSAClient{URL: junk.URL}).Timestamp(context.Background(), digest); err == nil || !strings.Contains(err.Error(), "not a TimeStampResp") {
		t.Errorf("junk: %v", err)
	}
	if _, err := (&TSAClient{URL: refuse.URL}).Timestamp(context.Background(), digest); err == nil || !strings.Contains(err.Error(), `"503 Service Unavailable"`) {
		t.Errorf("503: %v", err)
	}
	// A genuine answer (openssl's) checked against the wrong request: another
	// digest, another nonce.
	openssl := fixture.Need(t, "openssl", "openssl")
	tsa := openSSLTSA(t, openssl)
	defer tsa.Close()
	nonce := big.NewInt(123456789)
	resp, err := http.Post(tsa.URL, "application/timestamp-query", bytes.NewReader(timestampRequest(digest, nonce)))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := checkTimestampResponse(answer, digest, nonce); err != nil {
		t.Fatalf("openssl's answer to this request: %v", err)
	}
	other := bytes.Repeat([]byte{1}, 32)
	if _, err := checkTimestampResponse(answer, other, nonce); err == nil || !strings.Contains(err.Error(), "another digest") {
		t.Errorf("another digest: %v", err)
	}
	if _, err := checkTimestampResponse(answer, digest, big.NewInt(42)); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("another nonce: %v", err)
	}
}
