package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// This file's Mach-O re-signer and CMS signer are written by hand for the tests, apart
// from gonative (and from internal/codesign): they turn the Go linker's ad hoc
// signature of a darwin/arm64 binary into a certificate signature by a self-made CA
// whose leaf mimics Apple's Developer ID Application certificate (its extension
// 1.2.840.113635.100.6.1.13, the team in its subject's OU). Layouts: xnu's
// osfmk/kern/cs_blobs.h (SuperBlob, CodeDirectory, BlobWrapper) and RFC 5652
// (SignedData).

// cmdGKMimic runs "gkmimic IN OUT [TEAM]": OUT is IN (a darwin/arm64 binary the Go
// linker signed) signed by a self-made "Developer ID Application" certificate of TEAM
// (default ABCDE12345), with the hardened runtime flag: every fact a Developer ID
// signature has, except a chain to Apple's root.
func cmdGKMimic(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: gkmimic IN OUT [TEAM]")
	}
	team := "ABCDE12345"
	if len(args) == 3 {
		team = args[2]
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("gkmimic: %v", err)
	}
	out, err := mimicSign(b, team)
	if err != nil {
		ts.Fatalf("gkmimic: %v", err)
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), out, 0o755); err != nil {
		ts.Fatalf("gkmimic: %v", err)
	}
}

// cmdNotaryServe runs "notaryserve CDHASH...": a fake of the ticket service on
// loopback for the rest of the script, with a ticket for each CDHASH (SHA-256
// records; "*" for every record) and NOT_FOUND for the others; its URL in
// $NOTARYURL.
func cmdNotaryServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: notaryserve CDHASH...")
	}
	s := notaryFake(args...)
	ts.Defer(s.Close)
	ts.Setenv("NOTARYURL", s.URL)
}

// notaryFake serves the ticket lookup on loopback, with a ticket for each of
// cdhashes (SHA-256 records; "*" for all) and NOT_FOUND for the others.
func notaryFake(cdhashes ...string) *httptest.Server {
	tickets := map[string]bool{}
	for _, a := range cdhashes {
		tickets["2/2/"+a] = true
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Records []struct {
				RecordName string `json:"recordName"`
			} `json:"records"`
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if r.Method != http.MethodPost || json.Unmarshal(b, &req) != nil || len(req.Records) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var recs []any
		for _, rec := range req.Records {
			if tickets[rec.RecordName] || tickets["2/2/*"] {
				recs = append(recs, map[string]any{"recordName": rec.RecordName, "recordType": "DeveloperIDTicket",
					"fields": map[string]any{"signedTicket": map[string]any{"type": "BYTES", "value": "czhjaAEAAAA="}}})
			} else {
				recs = append(recs, map[string]any{"recordName": rec.RecordName, "serverErrorCode": "NOT_FOUND", "reason": "Record not found"})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"records": recs})
	}))
}

// mimicSign re-signs b (a thin 64-bit Mach-O whose signature is the linker's, at the
// end of the file) with a CMS signature of a self-made Developer ID lookalike.
func mimicSign(b []byte, team string) ([]byte, error) {
	le, be := binary.LittleEndian, binary.BigEndian
	if len(b) < 32 || le.Uint32(b) != 0xfeedfacf {
		return nil, fmt.Errorf("not a 64-bit Mach-O")
	}
	ncmds := le.Uint32(b[16:])
	var sigLC, linkedit int
	for i, off := uint32(0), 32; i < ncmds; i++ {
		cmd, size := le.Uint32(b[off:]), int(le.Uint32(b[off+4:]))
		if cmd == 0x1d {
			sigLC = off
		}
		if cmd == 0x19 && string(bytes.TrimRight(b[off+8:off+24], "\x00")) == "__LINKEDIT" {
			linkedit = off
		}
		off += size
	}
	if sigLC == 0 || linkedit == 0 {
		return nil, fmt.Errorf("no LC_CODE_SIGNATURE or __LINKEDIT")
	}
	dataoff := le.Uint32(b[sigLC+8:])
	sb := b[dataoff:]
	if be.Uint32(sb) != 0xfade0cc0 {
		return nil, fmt.Errorf("no SuperBlob")
	}
	var cd []byte
	for i := uint32(0); i < be.Uint32(sb[8:]); i++ {
		if typ, off := be.Uint32(sb[12+8*i:]), be.Uint32(sb[16+8*i:]); typ == 0 {
			cd = bytes.Clone(sb[off : off+be.Uint32(sb[off+4:])])
		}
	}
	if cd == nil {
		return nil, fmt.Errorf("no CodeDirectory")
	}
	be.PutUint32(cd[12:], 0x10000) // flags: hardened runtime, neither ad hoc nor linker-signed

	ca := newMimicCA(team)
	// The CMS's size depends only on its signature's, which varies by a few bytes:
	// reserve room, then lay out the SuperBlob once.
	const cmsRoom = 4096
	total := 12 + 2*8 + len(cd) + 8 + cmsRoom
	out := bytes.Clone(b[:dataoff])
	le.PutUint32(out[sigLC+12:], uint32(total))
	fileoff := le.Uint64(out[linkedit+40:])
	le.PutUint64(out[linkedit+48:], (uint64(dataoff)+uint64(total)-fileoff+0x3fff)&^0x3fff) // vmsize
	le.PutUint64(out[linkedit+56:], uint64(dataoff)+uint64(total)-fileoff)                  // filesize
	// Page hashes: the header page changed.
	hashOff, nCode, pageShift := be.Uint32(cd[16:]), be.Uint32(cd[28:]), cd[39]
	page := 1 << pageShift
	for p := 0; p < int(nCode); p++ {
		end := min((p+1)*page, int(dataoff))
		sum := sha256.Sum256(out[p*page : end])
		copy(cd[int(hashOff)+p*32:], sum[:])
	}
	cms := ca.sign(cd)
	if len(cms) > cmsRoom {
		return nil, fmt.Errorf("CMS of %d bytes", len(cms))
	}
	var s []byte
	s = be.AppendUint32(s, 0xfade0cc0)
	s = be.AppendUint32(s, uint32(total))
	s = be.AppendUint32(s, 2)
	s = be.AppendUint32(s, 0)
	s = be.AppendUint32(s, 12+16)
	s = be.AppendUint32(s, 0x10000)
	s = be.AppendUint32(s, uint32(12+16+len(cd)))
	s = append(s, cd...)
	s = be.AppendUint32(s, 0xfade0b01)
	s = be.AppendUint32(s, uint32(8+len(cms)))
	s = append(s, cms...)
	s = append(s, make([]byte, total-len(s))...)
	return append(out, s...), nil
}

// mimicCA is a self-made CA and a leaf that mimics Developer ID Application.
type mimicCA struct {
	ca, leaf *x509.Certificate
	key      *ecdsa.PrivateKey
}

func newMimicCA(team string) mimicCA {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject:   pkix.Name{CommonName: "Apple Root CA", OrganizationalUnit: []string{"Apple Certification Authority"}, Organization: []string{"Apple Inc."}, Country: []string{"US"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(0x5eed),
		Subject:   pkix.Name{CommonName: "Developer ID Application: Mimic (" + team + ")", OrganizationalUnit: []string{team}, Organization: []string{"Mimic"}, Country: []string{"US"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 1, 13}, Critical: true, Value: []byte{5, 0}}}}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	leaf, _ := x509.ParseCertificate(leafDER)
	return mimicCA{ca: ca, leaf: leaf, key: leafKey}
}

// sign returns a CMS SignedData (RFC 5652) whose one signer, the leaf, signs cd
// through the signed attributes contentType and messageDigest, as codesign does.
func (c mimicCA) sign(cd []byte) []byte {
	m := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b
	}
	seq := func(tag int, class int, parts ...[]byte) []byte {
		return m(asn1.RawValue{Class: class, Tag: tag, IsCompound: true, Bytes: bytes.Join(parts, nil)})
	}
	const univ, ctx = asn1.ClassUniversal, asn1.ClassContextSpecific
	oidData := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	attr := func(oid asn1.ObjectIdentifier, v []byte) []byte {
		return seq(asn1.TagSequence, univ, m(oid), seq(asn1.TagSet, univ, v))
	}
	sum := sha256.Sum256(cd)
	attrs := bytes.Join([][]byte{
		attr(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}, m(oidData)),
		attr(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}, m(sum[:])),
	}, nil)
	d := sha256.Sum256(seq(asn1.TagSet, univ, attrs))
	sig, err := c.key.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		panic(err)
	}
	sha256ID := seq(asn1.TagSequence, univ, m(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}))
	ecdsaID := seq(asn1.TagSequence, univ, m(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}))
	sid := seq(asn1.TagSequence, univ, c.leaf.RawIssuer, m(c.leaf.SerialNumber))
	si := seq(asn1.TagSequence, univ, m(1), sid, sha256ID, seq(0, ctx, attrs), ecdsaID, m(sig))
	sd := seq(asn1.TagSequence, univ, m(1), seq(asn1.TagSet, univ, sha256ID), seq(asn1.TagSequence, univ, m(oidData)),
		seq(0, ctx, c.leaf.Raw, c.ca.Raw), seq(asn1.TagSet, univ, si))
	return seq(asn1.TagSequence, univ, m(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}), seq(0, ctx, sd))
}
