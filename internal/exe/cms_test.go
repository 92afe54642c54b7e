package exe

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file's CMS signer is written by hand for the tests, apart from the reader:
// RFC 5652 SignedData over a CodeDirectory, as Apple's codesign lays it out (one
// signer, signed attributes with the message digest, the certificates leaf first).

// testCA is a self-made certificate authority with a leaf that mimics an Apple code
// signing certificate: the extension oid (critical, as Apple marks it) and the team
// in the subject's OU.
type testCA struct {
	ca, leaf *x509.Certificate
	key      *ecdsa.PrivateKey
}

func newTestCA(t testing.TB, oid asn1.ObjectIdentifier, team string) testCA {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Apple Root CA", Organization: []string{"Apple Inc."}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234567),
		Subject: pkix.Name{CommonName: "Developer ID Application: Mimic (" + team + ")", OrganizationalUnit: []string{team},
			Organization: []string{"Mimic"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: oid, Critical: true, Value: []byte{5, 0}}},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return testCA{ca: ca, leaf: leaf, key: leafKey}
}

// signCMS returns a CMS SignedData whose one signer (c's leaf) signs cd; with
// stamp, an unsigned time-stamp attribute (its token is not a real one: only its
// presence is read).
func (c testCA) signCMS(t testing.TB, cd []byte, stamp bool) []byte {
	t.Helper()
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sum := sha256.Sum256(cd)
	attr := func(oid asn1.ObjectIdentifier, v any) []byte {
		val := must(asn1.Marshal(v))
		return must(asn1.Marshal(struct {
			Type asn1.ObjectIdentifier
			V    asn1.RawValue
		}{oid, asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: val}}))
	}
	attrs := append(attr(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}),
		attr(oidMessageDigest, sum[:])...)
	set := must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: attrs}))
	d := sha256.Sum256(set)
	sig := must(c.key.Sign(rand.Reader, d[:], crypto.SHA256))
	sha256ID := must(asn1.Marshal(algorithmIdentifier{Algorithm: oidSHA256}))
	ecdsaID := must(asn1.Marshal(struct{ A asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}))
	sid := must(asn1.Marshal(struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}{asn1.RawValue{FullBytes: c.leaf.RawIssuer}, c.leaf.SerialNumber}))
	si := []byte{}
	si = append(si, must(asn1.Marshal(1))...)
	si = append(si, sid...)
	si = append(si, sha256ID...)
	si = append(si, must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: attrs}))...)
	si = append(si, ecdsaID...)
	si = append(si, must(asn1.Marshal(sig))...)
	if stamp {
		tok := attr(oidTimeStampToken, asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: must(asn1.Marshal(1))})
		si = append(si, must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: tok}))...)
	}
	siSeq := must(asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: si}))
	var sd []byte
	sd = append(sd, must(asn1.Marshal(1))...)
	sd = append(sd, must(asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: sha256ID}))...)
	sd = append(sd, must(asn1.Marshal(struct{ T asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}}))...)
	sd = append(sd, must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
		Bytes: append(slices.Clone(c.leaf.Raw), c.ca.Raw...)}))...)
	sd = append(sd, must(asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: siSeq}))...)
	sdSeq := must(asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: sd}))
	return must(asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{FullBytes: must(asn1.Marshal(
		asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdSeq}))}}))
}

// TestParseCMSMimic: a self-made CA whose leaf carries Developer ID's (or Apple
// Development's, or the App Store's) extension is classed by the extension, its
// signature verifies over the CodeDirectory it signs and no other, and it is
// reported as not chaining to Apple's root.
func TestParseCMSMimic(t *testing.T) {
	cd := []byte("a CodeDirectory blob's bytes")
	for _, tc := range []struct {
		oid  asn1.ObjectIdentifier
		kind SignerKind
	}{
		{oidDeveloperIDApplication, SignerDeveloperID},
		{oidMacDeveloper, SignerAppleDevelopment},
		{oidMacAppStore, SignerAppStore},
		{asn1.ObjectIdentifier{1, 2, 3, 4}, SignerOther},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			ca := newTestCA(t, tc.oid, "ABCDE12345")
			for _, stamp := range []bool{false, true} {
				f := parseCMS(ca.signCMS(t, cd, stamp), cd)
				if f.problem != "" || f.kind != tc.kind || !f.verified.Is(true) || !f.apple.Is(false) || f.stamped != stamp {
					t.Fatalf("stamp %v: kind %q verified %+v apple %+v stamped %v problem %q", stamp, f.kind, f.verified, f.apple, f.stamped, f.problem)
				}
				if f.leaf == nil || f.leaf.Subject.OrganizationalUnit[0] != "ABCDE12345" {
					t.Errorf("leaf %v", f.leaf)
				}
			}
			other := parseCMS(ca.signCMS(t, cd, false), []byte("another CodeDirectory"))
			if !other.verified.Is(false) {
				t.Errorf("a signature over another CodeDirectory: verified %+v, want false", other.verified)
			}
		})
	}
}

// TestAppleRoots: the embedded roots are Apple's (their fingerprints are those Apple
// publishes, pinned in AppleRootFingerprints and repeated here from
// https://www.apple.com/certificateauthority/), and "Apple Root CA" is the very
// certificate a real Developer-ID-signed binary carries (the corpus's sentry-cli,
// when it has been downloaded).
func TestAppleRoots(t *testing.T) {
	published := map[string]string{
		"Apple Root CA":      "B0B1730ECBC7FF4505142C49F1295E6EDA6BCAED7E2C68C5BE91B5A11001F024",
		"Apple Root CA - G2": "C2B9B042DD57830E7D117DAC55AC8AE19407D38E41D88F3215BC3A890444A050",
		"Apple Root CA - G3": "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179",
	}
	if _, err := AppleRoots(); err != nil {
		t.Fatal(err)
	}
	entries, _ := appleRootFS.ReadDir("appleroots")
	if len(entries) != len(published) {
		t.Fatalf("%d embedded roots, want %d", len(entries), len(published))
	}
	for _, e := range entries {
		b, _ := appleRootFS.ReadFile("appleroots/" + e.Name())
		c := mustPEMCert(t, b)
		sum := sha256.Sum256(c.Raw)
		if want := published[c.Subject.CommonName]; !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
			t.Errorf("%s (%s): SHA-256 %x, Apple publishes %s", e.Name(), c.Subject.CommonName, sum, want)
		}
	}
	der := corpusCMS(t)
	if der == nil {
		return
	}
	f := parseCMS(der, nil)
	if !f.apple.Is(true) || len(f.chain) != 3 {
		t.Fatalf("sentry-cli's CMS: apple %+v chain %d", f.apple, len(f.chain))
	}
	sum := sha256.Sum256(f.chain[2].Raw)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), published["Apple Root CA"]) {
		t.Errorf("the root a real Developer ID signature carries is %x", sum)
	}
}

// corpusCMS returns the CMS blob of the fuzz seed taken from the corpus's
// sentry-cli (a Developer ID signature nobody here made), nil when absent.
func corpusCMS(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "sentry-cli-arm64.cms"))
	if err != nil {
		t.Logf("no testdata/sentry-cli-arm64.cms: %v", err)
		return nil
	}
	return b
}

// FuzzParseCMS: parseCMS never panics, and its facts are consistent: a chain it
// reports as ending at Apple's root verifies, leaf first, with crypto/x509 against
// the embedded roots alone; a signature it reports as verified has a leaf; a kind
// comes from the leaf's extensions. Minimising its kilobyte inputs takes the
// minute Go gives it by default, during which no execution is counted: run it as
//
//	go test ./internal/exe -run '^$' -fuzz '^FuzzParseCMS$' -fuzzminimizetime 0 -fuzztime 1m
func FuzzParseCMS(f *testing.F) {
	// Seeds (testdata/fuzz/FuzzParseCMS): a CMS by a self-made Developer ID lookalike
	// CA with a time stamp attribute, and sentry-cli's real Developer ID CMS (which
	// chains to Apple's root), each with a CodeDirectory it does not sign.
	f.Fuzz(func(t *testing.T, der, cd []byte) {
		r := parseCMS(der, cd)
		if r.apple.Is(true) {
			if r.leaf == nil || len(r.chain) < 2 || r.chain[0] != r.leaf {
				t.Fatalf("apple root without a chain from the leaf: %d", len(r.chain))
			}
			roots, _ := AppleRoots()
			root := r.chain[len(r.chain)-1]
			if _, err := root.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: root.NotBefore.Add(time.Hour)}); err != nil {
				t.Fatalf("the chain's root is not one of Apple's: %v", err)
			}
			for i := 0; i+1 < len(r.chain); i++ {
				if err := r.chain[i].CheckSignatureFrom(r.chain[i+1]); err != nil {
					t.Fatalf("chain link %d does not verify: %v", i, err)
				}
			}
		}
		if r.verified.Is(true) && r.leaf == nil {
			t.Fatal("verified without a signer certificate")
		}
		if r.leaf != nil && r.kind != leafKind(r.leaf) {
			t.Fatalf("kind %q, the leaf says %q", r.kind, leafKind(r.leaf))
		}
	})
}

func mustPEMCert(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("not PEM")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
