package codesign

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

var (
	fuzzDigest = bytes.Repeat([]byte{0x11}, 32)
	fuzzNonce  = big.NewInt(123456789)
)

// TestWriteTSASeed writes openssl's answer to the fuzz request as a seed of
// FuzzTimestampResponse (GONATIVE_WRITE_SEEDS=1).
func TestWriteTSASeed(t *testing.T) {
	if os.Getenv("GONATIVE_WRITE_SEEDS") == "" {
		t.Skip("GONATIVE_WRITE_SEEDS is not set: the committed seeds are used")
	}
	tsa := openSSLTSA(t, fixture.Need(t, "openssl", "openssl"))
	defer tsa.Close()
	resp, err := http.Post(tsa.URL, "application/timestamp-query", bytes.NewReader(timestampRequest(fuzzDigest, fuzzNonce)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	dir := filepath.Join("testdata", "fuzz", "FuzzTimestampResponse")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "openssl"), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644)
}

// FuzzTimestampResponse: a response is accepted only when the token it returns is
// part of the response and stamps the request's digest.
func FuzzTimestampResponse(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, resp []byte) {
		token, err := checkTimestampResponse(resp, fuzzDigest, fuzzNonce)
		if err != nil {
			return
		}
		if !bytes.Contains(resp, token) {
			t.Fatal("the token is not part of the response")
		}
		info, err := tstInfo(token)
		if err != nil || !bytes.Contains(info, fuzzDigest) {
			t.Fatalf("accepted a token without this digest: %v", err)
		}
	})
}

// FuzzEntitlements: entitlements are accepted only as a plist holding a dict, the
// flags they give are exec-segment flags codesign derives from entitlements, a
// refusal is an ErrEntitlements, and their DER form decodes (with the tests' own
// reader) to the same keys and flags.
func FuzzEntitlements(f *testing.F) {
	f.Add([]byte("<plist><dict><key>get-task-allow</key><true/></dict></plist>"))
	f.Fuzz(func(t *testing.T, ent []byte) {
		flags, err := entitlementFlags(ent)
		if err != nil {
			if !errors.Is(err, ErrEntitlements) {
				t.Fatalf("error %v is not an ErrEntitlements", err)
			}
			return
		}
		var known uint64
		for _, v := range entitlementExecSeg {
			known |= v
		}
		if flags&^known != 0 {
			t.Fatalf("flags %#x outside %#x", flags, known)
		}
		if !bytes.Contains(ent, []byte("dict")) {
			t.Fatal("accepted entitlements without a dict")
		}
		// The DER form, when there is one, holds the same top-level keys, sorted,
		// and the booleans the flags came from.
		v, _ := parsePlist(ent)
		der, err := entitlementsDER(v)
		if err != nil {
			if !errors.Is(err, ErrEntitlements) {
				t.Fatalf("DER error %v is not an ErrEntitlements", err)
			}
			return
		}
		m := decodeDERPlist(t, der)
		if len(m) != len(v.keys) {
			t.Fatalf("DER has %d keys, the XML %d", len(m), len(v.keys))
		}
		var fromDER uint64
		for k, x := range m {
			if x == true {
				fromDER |= entitlementExecSeg[k]
			}
		}
		if fromDER != flags {
			t.Fatalf("flags %#x from the XML, %#x from the DER", flags, fromDER)
		}
	})
}
