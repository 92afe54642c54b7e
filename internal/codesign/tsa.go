package codesign

import (
	"bytes"
	"context"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// oidTSTInfo is the content type of a time-stamp token's content (RFC 3161).
var oidTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

// TSATimeout bounds one time-stamp request, and maxTSAResponse its answer.
const (
	TSATimeout     = 30 * time.Second
	maxTSAResponse = 1 << 20
)

// TSAClient asks an RFC 3161 time-stamp authority over HTTP.
type TSAClient struct {
	URL string
	// Client sends the request (nil: a client of its own); every request is bounded
	// by TSATimeout whatever the client's settings.
	Client *http.Client
}

// Timestamp sends a time-stamp request for the SHA-256 digest and returns the token
// (a CMS ContentInfo), after checking that it stamps this digest and this request's
// nonce. The authority's own signature and certificate are not checked here (macOS
// does, against its trusted time-stamp authorities).
func (c *TSAClient) Timestamp(ctx context.Context, digest []byte) ([]byte, error) {
	nonce := newNonce()
	body := timestampRequest(digest, nonce)

	ctx, cancel := context.WithTimeout(ctx, TSATimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: TSATimeout}
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the time-stamp authority answered %q", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the time-stamp response: %w", err)
	}
	if len(b) > maxTSAResponse {
		return nil, fmt.Errorf("the time-stamp response is larger than %d bytes", maxTSAResponse)
	}
	return checkTimestampResponse(b, digest, nonce)
}

// timestampRequest is the DER TimeStampReq for a SHA-256 digest.
func timestampRequest(digest []byte, nonce *big.Int) []byte {
	req := cryptobyte.NewBuilder(nil)
	req.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addAlgorithm(b, oidSHA256, true)
			b.AddASN1OctetString(digest)
		})
		b.AddASN1BigInt(nonce)
		b.AddASN1Boolean(true) // certReq: the authority's certificate in the token
	})
	return req.BytesOrPanic()
}

// checkTimestampResponse returns the token of the DER TimeStampResp b after checking
// its status, that the token's TSTInfo stamps digest, and its nonce.
func checkTimestampResponse(b, digest []byte, nonce *big.Int) ([]byte, error) {
	in := cryptobyte.String(b)
	var resp, status cryptobyte.String
	var code int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !resp.ReadASN1(&status, cbasn1.SEQUENCE) || !status.ReadASN1Integer(&code) {
		return nil, fmt.Errorf("the time-stamp response is not a TimeStampResp")
	}
	if code != 0 && code != 1 {
		return nil, fmt.Errorf("the time-stamp authority refused the request (PKIStatus %d)", code)
	}
	var token cryptobyte.String
	if !resp.ReadASN1Element(&token, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("the time-stamp response has no token")
	}
	info, err := tstInfo(token)
	if err != nil {
		return nil, fmt.Errorf("the time-stamp token: %v", err)
	}
	var tst, imprint, alg, hashed cryptobyte.String
	var version int64
	var policy asn1.ObjectIdentifier
	if !info.ReadASN1(&tst, cbasn1.SEQUENCE) || !tst.ReadASN1Integer(&version) || !tst.ReadASN1ObjectIdentifier(&policy) ||
		!tst.ReadASN1(&imprint, cbasn1.SEQUENCE) || !imprint.ReadASN1(&alg, cbasn1.SEQUENCE) || !imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) {
		return nil, fmt.Errorf("the time-stamp token's TSTInfo is malformed")
	}
	if !bytes.Equal(hashed, digest) {
		return nil, fmt.Errorf("the time-stamp token stamps another digest")
	}
	// serialNumber, genTime, then optional accuracy, ordering, nonce.
	var serial = new(big.Int)
	var gen time.Time
	if !tst.ReadASN1Integer(serial) || !tst.ReadASN1GeneralizedTime(&gen) {
		return nil, fmt.Errorf("the time-stamp token's TSTInfo is malformed")
	}
	tst.SkipOptionalASN1(cbasn1.SEQUENCE) // accuracy
	tst.SkipOptionalASN1(cbasn1.BOOLEAN)  // ordering
	got := new(big.Int)
	if !tst.PeekASN1Tag(cbasn1.INTEGER) || !tst.ReadASN1Integer(got) || got.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("the time-stamp token does not carry this request's nonce")
	}
	return token, nil
}

// tstInfo returns the encapsulated content (the DER TSTInfo) of a time-stamp token.
func tstInfo(token cryptobyte.String) (cryptobyte.String, error) {
	var ci, sd, algs, encap, wrapped, content cryptobyte.String
	var ct, ect asn1.ObjectIdentifier
	var version int64
	if !token.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) || !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("not a CMS SignedData")
	}
	if !ci.ReadASN1(&sd, cbasn1.Tag(0).Constructed().ContextSpecific()) || !sd.ReadASN1(&sd, cbasn1.SEQUENCE) ||
		!sd.ReadASN1Integer(&version) || !sd.ReadASN1(&algs, cbasn1.SET) || !sd.ReadASN1(&encap, cbasn1.SEQUENCE) ||
		!encap.ReadASN1ObjectIdentifier(&ect) {
		return nil, fmt.Errorf("malformed SignedData")
	}
	if !ect.Equal(oidTSTInfo) {
		return nil, fmt.Errorf("content type %v, not TSTInfo", ect)
	}
	if !encap.ReadASN1(&wrapped, cbasn1.Tag(0).Constructed().ContextSpecific()) || !wrapped.ReadASN1(&content, cbasn1.OCTET_STRING) {
		return nil, fmt.Errorf("no TSTInfo content")
	}
	return content, nil
}
