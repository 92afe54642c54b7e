package exe

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	_ "crypto/sha1" // CMS digest algorithms a signature may name
	_ "crypto/sha512"
)

// SignerKind is who signed a slice's code: how Gatekeeper classes the signature. It
// is decided from the CodeDirectory's flags (ad hoc, linker-signed) and, for a CMS
// signature, from the Apple extensions of the leaf certificate (whether or not that
// certificate chains to Apple's root: Signature.AppleRoot says that).
type SignerKind string

// Signer kinds. The values are part of inspect's JSON contract (signature.kind).
const (
	// SignerLinkerAdHoc: an ad hoc signature written by the linker (CodeDirectory flag
	// CS_LINKER_SIGNED, 0x20000): what Go's and Apple's linkers write for arm64.
	SignerLinkerAdHoc SignerKind = "linker-signed-adhoc"
	// SignerAdHoc: an ad hoc signature (CS_ADHOC), no certificate: codesign -s -.
	SignerAdHoc SignerKind = "adhoc"
	// SignerDeveloperID: a "Developer ID Application" certificate (leaf extension
	// 1.2.840.113635.100.6.1.13): the one Gatekeeper accepts outside the App Store.
	SignerDeveloperID SignerKind = "developer-id"
	// SignerAppleDevelopment: an "Apple Development" / "Mac Developer" certificate
	// (1.2.840.113635.100.6.1.12, or the iPhone Developer 1.2.840.113635.100.6.1.2):
	// runs on the developer's own registered Macs only.
	SignerAppleDevelopment SignerKind = "apple-development"
	// SignerAppStore: a Mac App Store or Apple Distribution certificate
	// (1.2.840.113635.100.6.1.9, 1.2.840.113635.100.6.1.7, 1.2.840.113635.100.6.1.4):
	// for submission to the App Store, not for direct distribution.
	SignerAppStore SignerKind = "app-store"
	// SignerOther: a CMS signature whose leaf certificate has none of those
	// extensions.
	SignerOther SignerKind = "other"
)

// Apple's certificate extensions that class a code signing certificate, from
// apple-codesign's certificate.rs (indygreg/apple-platform-rs) and Apple's
// "Apple Inc. Certification Practice Statement: Worldwide Developer Relations".
var (
	oidDeveloperIDApplication = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 13}
	oidMacDeveloper           = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 12}
	oidIPhoneDeveloper        = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 2}
	oidMacAppStore            = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 9}
	oidMacAppDevelopment      = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 7}
	oidDeveloperSubmission    = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 4}
	// appleExtensionArc: Apple's certificate extensions; those a leaf marks critical
	// are Apple's policy's to judge, not crypto/x509's.
	appleExtensionArc = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6}
)

// CMS and attribute object identifiers (RFC 5652, RFC 3161, PKCS #9).
var (
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA1           = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// Apple's public root certificates (appleroots/*.pem, as Apple publishes them at
// https://www.apple.com/certificateauthority/), each pinned by the SHA-256
// fingerprint Apple lists on that page. Developer ID's and Worldwide Developer
// Relations' intermediates chain to "Apple Root CA"; the newest WWDR ones to G3.
//
//go:embed appleroots/*.pem
var appleRootFS embed.FS

// AppleRootFingerprints are the SHA-256 fingerprints (of the DER certificate) of
// the Apple roots a signature may chain to, by file: the values Apple publishes.
var AppleRootFingerprints = map[string]string{
	"AppleIncRootCertificate.pem": "b0b1730ecbc7ff4505142c49f1295e6eda6bcaed7e2c68c5be91b5a11001f024", // Apple Root CA (2006, RSA)
	"AppleRootCA-G2.pem":          "c2b9b042dd57830e7d117dac55ac8ae19407d38e41d88f3215bc3a890444a050", // Apple Root CA - G2 (RSA)
	"AppleRootCA-G3.pem":          "63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179", // Apple Root CA - G3 (ECC)
}

// AppleRoots returns a pool of Apple's root certificates, each checked against its
// pinned fingerprint (one that does not match is left out, and named in the error).
var AppleRoots = sync.OnceValues(func() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	var bad []string
	for name, want := range AppleRootFingerprints {
		b, err := appleRootFS.ReadFile("appleroots/" + name)
		blk, _ := pem.Decode(b)
		if err != nil || blk == nil {
			bad = append(bad, name+": not readable")
			continue
		}
		if sum := sha256.Sum256(blk.Bytes); hex.EncodeToString(sum[:]) != want {
			bad = append(bad, name+": fingerprint "+hex.EncodeToString(sum[:]))
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			bad = append(bad, name+": "+err.Error())
			continue
		}
		pool.AddCert(c)
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return pool, fmt.Errorf("apple roots: %s", strings.Join(bad, "; "))
	}
	return pool, nil
})

// cmsFacts is what a CMS signature blob says.
type cmsFacts struct {
	certs    []*x509.Certificate // as the blob carries them
	leaf     *x509.Certificate   // the signer's, nil when not found
	chain    []*x509.Certificate // leaf to root, when it verified to an Apple root
	kind     SignerKind
	apple    Fact[bool] // chains to an Apple root
	verified Fact[bool] // the signature verifies over the CodeDirectory
	stamped  bool       // an RFC 3161 time stamp token is an unsigned attribute
	problem  string     // why the blob could not be read at all
}

// ASN.1 shapes of RFC 5652's SignedData, as far as they are read here.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    algorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm algorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial asn1.RawValue
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// maxCMS bounds the CMS blob read (real ones are 5-10 KB).
const maxCMS = 1 << 20

// parseCMS reads a code signature's CMS blob (the payload of its BlobWrapper) that
// signs the CodeDirectory cd. It never panics; what it cannot settle is unknown,
// with why.
func parseCMS(der, cd []byte) (f cmsFacts) {
	unknown := func(why string) cmsFacts {
		return cmsFacts{kind: "", apple: UnknownFact[bool](why), verified: UnknownFact[bool](why), problem: why}
	}
	if len(der) > maxCMS {
		return unknown(fmt.Sprintf("CMS signature of %d bytes is too large", len(der)))
	}
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return unknown("CMS signature: " + err.Error())
	} else if len(bytes.TrimRight(rest, "\x00")) > 0 {
		return unknown("CMS signature: trailing data")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return unknown("CMS signature: content type " + ci.ContentType.String() + " is not SignedData")
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return unknown("CMS SignedData: " + err.Error())
	}
	certs, err := parseCertSet(sd.Certificates.Bytes)
	if err != nil {
		return unknown("CMS certificates: " + err.Error())
	}
	f = cmsFacts{certs: certs}
	if len(sd.SignerInfos) != 1 {
		why := fmt.Sprintf("CMS signature has %d signers (Apple's have one)", len(sd.SignerInfos))
		f.apple, f.verified, f.problem = UnknownFact[bool](why), UnknownFact[bool](why), why
		return f
	}
	si := sd.SignerInfos[0]
	f.leaf = signerCert(certs, si.SID)
	f.stamped = hasAttribute(si.UnsignedAttrs.Bytes, oidTimeStampToken)
	if f.leaf == nil {
		why := "the signer's certificate is not in the CMS signature"
		f.kind, f.apple, f.verified, f.problem = SignerOther, KnownFact(false), UnknownFact[bool](why), why
		return f
	}
	f.kind = leafKind(f.leaf)
	f.verified = verifySignerInfo(si, f.leaf, cd)
	f.chain, f.apple = chainToApple(f.leaf, certs, signingTime(si.SignedAttrs.Bytes))
	return f
}

// parseCertSet parses the certificates of a SignedData's [0] IMPLICIT SET.
func parseCertSet(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for len(b) > 0 {
		var raw asn1.RawValue
		rest, err := asn1.Unmarshal(b, &raw)
		if err != nil {
			return nil, err
		}
		if len(certs) == 16 {
			return nil, errors.New("more than 16 certificates")
		}
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
		b = rest
	}
	return certs, nil
}

// signerCert returns the certificate a SignerInfo's sid names (issuer and serial
// number, or [0] subject key identifier), nil when none does.
func signerCert(certs []*x509.Certificate, sid asn1.RawValue) *x509.Certificate {
	if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 {
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c
			}
		}
		return nil
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil {
		return nil
	}
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) && bytes.Equal(c.SerialNumber.Bytes(), trimSerial(ias.Serial.Bytes)) {
			return c
		}
	}
	return nil
}

// trimSerial drops the leading zero bytes of a DER INTEGER's content, as big.Int's
// Bytes does.
func trimSerial(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// leafKind classes a signing certificate by its Apple extensions.
func leafKind(c *x509.Certificate) SignerKind {
	has := func(oids ...asn1.ObjectIdentifier) bool {
		for _, e := range c.Extensions {
			for _, o := range oids {
				if e.Id.Equal(o) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(oidDeveloperIDApplication):
		return SignerDeveloperID
	case has(oidMacDeveloper, oidIPhoneDeveloper):
		return SignerAppleDevelopment
	case has(oidMacAppStore, oidMacAppDevelopment, oidDeveloperSubmission):
		return SignerAppStore
	}
	return SignerOther
}

// attributes returns the attributes of a SET OF Attribute's contents.
func attributes(b []byte) []attribute {
	var out []attribute
	for len(b) > 0 && len(out) < 64 {
		var a attribute
		rest, err := asn1.Unmarshal(b, &a)
		if err != nil {
			return out
		}
		out = append(out, a)
		b = rest
	}
	return out
}

func hasAttribute(b []byte, oid asn1.ObjectIdentifier) bool {
	for _, a := range attributes(b) {
		if a.Type.Equal(oid) && len(a.Values.Bytes) > 0 {
			return true
		}
	}
	return false
}

// signingTime returns the signed signingTime attribute, the zero time when absent.
func signingTime(b []byte) time.Time {
	for _, a := range attributes(b) {
		if a.Type.Equal(oidSigningTime) {
			var t time.Time
			if _, err := asn1.Unmarshal(a.Values.Bytes, &t); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// verifySignerInfo checks that si signs cd: its messageDigest attribute is the
// digest of cd, and its signature over the signed attributes verifies with the
// leaf's public key. It is unknown for an algorithm this reader does not check.
func verifySignerInfo(si signerInfo, leaf *x509.Certificate, cd []byte) Fact[bool] {
	h, ok := digestHash(si.DigestAlgorithm.Algorithm)
	if !ok {
		return UnknownFact[bool]("CMS digest algorithm " + si.DigestAlgorithm.Algorithm.String() + " is not supported")
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return UnknownFact[bool]("the CMS signature has no signed attributes (Apple's always have)")
	}
	var digest []byte
	for _, a := range attributes(si.SignedAttrs.Bytes) {
		if a.Type.Equal(oidMessageDigest) {
			if _, err := asn1.Unmarshal(a.Values.Bytes, &digest); err != nil {
				return KnownFact(false)
			}
		}
	}
	sum := h.New()
	sum.Write(cd)
	if digest == nil || !bytes.Equal(digest, sum.Sum(nil)) {
		return KnownFact(false) // signs other bytes than this CodeDirectory
	}
	// The signature is over the DER of the signed attributes as a SET (RFC 5652
	// 5.4): the [0] IMPLICIT tag becomes SET's.
	signed := bytes.Clone(si.SignedAttrs.FullBytes)
	signed[0] = 0x31
	ah := h.New()
	ah.Write(signed)
	d := ah.Sum(nil)
	switch pub := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		return KnownFact(rsa.VerifyPKCS1v15(pub, h, d, si.Signature) == nil)
	case *ecdsa.PublicKey:
		return KnownFact(ecdsa.VerifyASN1(pub, d, si.Signature))
	case ed25519.PublicKey:
		return KnownFact(ed25519.Verify(pub, signed, si.Signature))
	}
	return UnknownFact[bool](fmt.Sprintf("the signer's %T key is not supported", leaf.PublicKey))
}

func digestHash(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	case oid.Equal(oidSHA1):
		return crypto.SHA1, true
	}
	return 0, false
}

// chainToApple verifies leaf, with the other certificates as intermediates, to
// Apple's roots, at the signing time (the leaf's start of validity when there is
// none): a Developer ID certificate expires, the signature made while it was valid
// does not. It returns the chain, leaf first, when it verifies.
func chainToApple(leaf *x509.Certificate, certs []*x509.Certificate, at time.Time) ([]*x509.Certificate, Fact[bool]) {
	roots, err := AppleRoots()
	if err != nil {
		return nil, UnknownFact[bool](err.Error())
	}
	inter := x509.NewCertPool()
	for _, c := range certs {
		if c != leaf {
			inter.AddCert(c)
		}
	}
	if at.IsZero() || at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		at = leaf.NotBefore.Add(time.Minute)
	}
	l := *leaf
	l.UnhandledCriticalExtensions = slices.DeleteFunc(slices.Clone(leaf.UnhandledCriticalExtensions), func(o asn1.ObjectIdentifier) bool {
		return len(o) > len(appleExtensionArc) && o[:len(appleExtensionArc)].Equal(appleExtensionArc)
	})
	chains, err := l.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	if err != nil || len(chains) == 0 {
		return nil, KnownFact(false)
	}
	chain := slices.Clone(chains[0])
	chain[0] = leaf // Verify returns its copy
	return chain, KnownFact(true)
}

// subjects returns the subjects of certs, one line each (RFC 2253 order, as
// openssl's -nameopt RFC2253 prints them).
func subjects(certs []*x509.Certificate) []string {
	out := make([]string, 0, len(certs))
	for _, c := range certs {
		out = append(out, c.Subject.String())
	}
	return out
}

// orderedChain returns the certificates of a signature leaf first, each followed by
// its issuer where the blob carries it (Apple's tools store them root last).
func orderedChain(leaf *x509.Certificate, certs []*x509.Certificate) []*x509.Certificate {
	if leaf == nil {
		return certs
	}
	out := []*x509.Certificate{leaf}
	for c := leaf; len(out) < len(certs); {
		var next *x509.Certificate
		for _, d := range certs {
			if d != c && !slices.Contains(out, d) && bytes.Equal(d.RawSubject, c.RawIssuer) {
				next = d
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next)
		c = next
	}
	for _, c := range certs {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
