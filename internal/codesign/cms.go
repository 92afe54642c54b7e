package codesign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"
)

// Object identifiers of the CMS signature (RFC 5652, RFC 3161, Apple's CDHash
// attributes as codesign writes them).
var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidTimeStampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidAppleCDHashes   = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 9, 1} // a plist of the CDHashes
	oidAppleCDHashes2  = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 9, 2} // SEQUENCE { hash alg, digest } per CodeDirectory
	oidSHA1            = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// ErrIdentity: the PKCS#12 file cannot be used to sign (wrong password, no key, a key
// this signer does not use).
var ErrIdentity = errors.New("unusable signing identity")

// Timestamper gets an RFC 3161 time-stamp token for a SHA-256 digest.
type Timestamper interface {
	Timestamp(ctx context.Context, digest []byte) (token []byte, err error)
}

// Identity signs CodeDirectories with a key and its certificate chain: a CMSSigner.
type Identity struct {
	Key crypto.Signer
	// Chain is the leaf certificate first, then the certificates that issued it.
	Chain []*x509.Certificate
	// Timestamper, when set, stamps every signature (an unsigned attribute).
	Timestamper Timestamper
	// Now is the signing time (nil: time.Now).
	Now func() time.Time
	// Context bounds the time-stamp request (nil: context.Background()).
	Context context.Context
	// roots are the anchors that make a chain Apple's in the designated requirement
	// (nil: Apple's root certificates); tests name their own.
	roots *x509.CertPool
}

// LoadPKCS12 reads a PKCS#12 (.p12) file: the key, its certificate and the chain.
// The password is never part of an error.
func LoadPKCS12(data []byte, password string) (*Identity, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, fmt.Errorf("%w: the password is not the PKCS#12 file's", ErrIdentity)
		}
		return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: the key (%T) cannot sign", ErrIdentity, key)
	}
	switch k := signer.Public().(type) {
	case *rsa.PublicKey:
	case *ecdsa.PublicKey:
		_ = k
	default:
		return nil, fmt.Errorf("%w: a %T key (codesign signs with RSA or ECDSA)", ErrIdentity, k)
	}
	return &Identity{Key: signer, Chain: append([]*x509.Certificate{leaf}, cas...)}, nil
}

// TeamID is the leaf certificate's organizational unit: Apple puts the team
// identifier there.
func (id *Identity) TeamID() string {
	if ou := id.Chain[0].Subject.OrganizationalUnit; len(ou) > 0 {
		return ou[0]
	}
	return ""
}

// timestampReserve is the room set aside for a time-stamp token (its own SignedData
// with the authority's certificates; Apple's are about 5 KB).
const timestampReserve = 16 << 10

// Reserve is the most bytes Sign's CMS can take.
func (id *Identity) Reserve() int {
	n := 4096
	for _, c := range id.Chain {
		n += len(c.Raw)
	}
	if id.Timestamper != nil {
		n += timestampReserve
	}
	return n
}

// Sign returns the DER CMS SignedData over cds[0], detached, with the signing time,
// the message digest, Apple's two CDHash attributes, the certificate chain and, with
// a Timestamper, a time-stamp token of the signature value.
func (id *Identity) Sign(cds []CodeDirectory) ([]byte, error) {
	now := time.Now
	if id.Now != nil {
		now = id.Now
	}
	ctx := id.Context
	if ctx == nil {
		ctx = context.Background()
	}
	digest := sha256.Sum256(cds[0].Bytes)
	attrs, err := signedAttributes(cds, digest[:], now().UTC())
	if err != nil {
		return nil, err
	}
	// The signature is over the DER of the attributes as a SET (RFC 5652 5.4).
	toSign := cryptobyte.NewBuilder(nil)
	toSign.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addSorted(b, attrs) })
	signedBytes := toSign.BytesOrPanic()
	h := sha256.Sum256(signedBytes)
	sig, err := id.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	var token []byte
	if id.Timestamper != nil {
		sh := sha256.Sum256(sig)
		if token, err = id.Timestamper.Timestamp(ctx, sh[:]); err != nil {
			return nil, fmt.Errorf("time stamp: %w", err)
		}
	}
	sigAlg := oidRSAEncryption
	if _, ok := id.Key.Public().(*ecdsa.PublicKey); ok {
		sigAlg = oidECDSAWithSHA256
	}
	leaf := id.Chain[0]

	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, oidSHA256, true) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range id.Chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(leaf.RawIssuer)
							b.AddASN1BigInt(leaf.SerialNumber)
						})
						addAlgorithm(b, oidSHA256, true)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { addSorted(b, attrs) })
						addAlgorithm(b, sigAlg, sigAlg.Equal(oidRSAEncryption))
						b.AddASN1OctetString(sig)
						if token != nil {
							b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								addAttribute(b, oidTimeStampToken, func(b *cryptobyte.Builder) { b.AddBytes(token) })
							})
						}
					})
				})
			})
		})
	})
	return b.Bytes()
}

// signedAttributes are the DER encodings of the signed attributes.
func signedAttributes(cds []CodeDirectory, digest []byte, now time.Time) ([][]byte, error) {
	var plist bytes.Buffer
	plist.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>cdhashes</key>
	<array>
`)
	for _, cd := range cds {
		fmt.Fprintf(&plist, "\t\t<data>\n\t\t%s\n\t\t</data>\n", base64.StdEncoding.EncodeToString(cd.CDHash()[:20]))
	}
	plist.WriteString("\t</array>\n</dict>\n</plist>\n")

	one := func(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) ([]byte, error) {
		b := cryptobyte.NewBuilder(nil)
		addAttribute(b, oid, value)
		return b.Bytes()
	}
	var out [][]byte
	for _, a := range []struct {
		oid   asn1.ObjectIdentifier
		value func(*cryptobyte.Builder)
	}{
		{oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }},
		{oidSigningTime, func(b *cryptobyte.Builder) { b.AddASN1UTCTime(now) }},
		{oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }},
		{oidAppleCDHashes, func(b *cryptobyte.Builder) { b.AddASN1OctetString(plist.Bytes()) }},
		{oidAppleCDHashes2, func(b *cryptobyte.Builder) {
			for _, cd := range cds {
				alg := oidSHA256
				if cd.Hash == HashSHA1 {
					alg = oidSHA1
				}
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(alg)
					b.AddASN1OctetString(cd.CDHash())
				})
			}
		}},
	} {
		der, err := one(a.oid, a.value)
		if err != nil {
			return nil, err
		}
		out = append(out, der)
	}
	return out, nil
}

// addAttribute adds Attribute ::= SEQUENCE { type, SET OF values } with the values
// value adds.
func addAttribute(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SET, value)
	})
}

// addSorted adds DER encodings in the order DER requires of a SET OF.
func addSorted(b *cryptobyte.Builder, ders [][]byte) {
	s := slices.Clone(ders)
	slices.SortFunc(s, bytes.Compare)
	for _, d := range s {
		b.AddBytes(d)
	}
}

// addAlgorithm adds an AlgorithmIdentifier, with NULL parameters when null.
func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

// newNonce is a random 64-bit time-stamp request nonce.
func newNonce() *big.Int {
	var b [8]byte
	rand.Read(b[:])
	return new(big.Int).SetBytes(b[:])
}
