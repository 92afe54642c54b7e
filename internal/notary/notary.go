package notary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/redact"
)

// DefaultBaseURL is the lookup endpoint of Apple's ticket-delivery CloudKit
// container, from apple-codesign's ticket_lookup.rs (APPLE_TICKET_LOOKUP_URL).
const DefaultBaseURL = "https://api.apple-cloudkit.com/database/1/com.apple.gk.ticket-delivery/production/public/records/lookup"

// DefaultTimeout bounds each lookup, connection and response included.
const DefaultTimeout = 10 * time.Second

// maxResponse bounds the response read (a ticket is a few KB).
const maxResponse = 1 << 20

// Lookup is the one interface inspect uses: whether a CDHash is notarized.
type Lookup interface {
	// Notarized reports whether the notary service has a ticket for the
	// CodeDirectory hash cdhash (hex, the hash truncated to 20 bytes) of
	// CodeDirectory hash type hashType (1 SHA-1, 2 SHA-256 ...). An error means the
	// lookup failed: notarization stays unknown.
	Notarized(ctx context.Context, hashType int, cdhash string) (bool, error)
}

// Client looks tickets up over HTTP.
type Client struct {
	// BaseURL is the lookup endpoint ("" DefaultBaseURL); tests serve a fake.
	BaseURL string
	// HTTP is the client (nil: one with Timeout).
	HTTP *http.Client
	// Timeout bounds each lookup (0: DefaultTimeout).
	Timeout time.Duration
}

var _ Lookup = (*Client)(nil)

// ErrBadCDHash is returned for a CDHash that is not 40 hex digits.
var ErrBadCDHash = errors.New("notary: a CDHash is 40 hex digits")

// LookupError is a lookup that failed: the service's answer was not a ticket nor
// a "not found".
type LookupError struct {
	// Record is the record looked up ("2/2/<cdhash>").
	Record string
	// Reason says what went wrong (redacted).
	Reason string
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("notarization lookup of %s: %s", e.Record, e.Reason)
}

var cdhashRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{40}$`) })

// RecordName is the ticket record of a CDHash: "2/<hash type>/<cdhash>".
func RecordName(hashType int, cdhash string) string {
	return fmt.Sprintf("2/%d/%s", hashType, cdhash)
}

type lookupRequest struct {
	Records []struct {
		RecordName string `json:"recordName"`
	} `json:"records"`
}

type lookupResponse struct {
	Records []struct {
		RecordName string `json:"recordName"`
		Fields     map[string]struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"fields"`
		ServerErrorCode string `json:"serverErrorCode"`
		Reason          string `json:"reason"`
	} `json:"records"`
}

// Notarized looks up the ticket of cdhash.
func (c *Client) Notarized(ctx context.Context, hashType int, cdhash string) (bool, error) {
	if !cdhashRE().MatchString(cdhash) || hashType < 1 || hashType > 4 {
		return false, ErrBadCDHash
	}
	record := RecordName(hashType, cdhash)
	fail := func(format string, a ...any) (bool, error) {
		return false, &LookupError{Record: record, Reason: redact.Text(fmt.Sprintf(format, a...))}
	}
	var req lookupRequest
	req.Records = append(req.Records, struct {
		RecordName string `json:"recordName"`
	}{record})
	body, _ := json.Marshal(req)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := c.BaseURL
	if url == "" {
		url = DefaultBaseURL
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fail("%v", err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return fail("no answer within %s", timeout)
		}
		return fail("%v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fail("reading the answer: %v", err)
	}
	if len(b) > maxResponse {
		return fail("answer larger than %d bytes", maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return fail("HTTP %s", resp.Status)
	}
	ok, why := parseLookup(b, record)
	if why != "" {
		return fail("%s", why)
	}
	return ok, nil
}

// parseLookup reads the service's answer b for record: whether it holds a ticket,
// or why the answer settles nothing ("" when it does).
func parseLookup(b []byte, record string) (bool, string) {
	var lr lookupResponse
	if err := json.Unmarshal(b, &lr); err != nil {
		return false, fmt.Sprintf("answer is not the lookup's JSON: %v", err)
	}
	for _, r := range lr.Records {
		if r.RecordName != record {
			continue
		}
		if t, ok := r.Fields["signedTicket"]; ok && t.Type == "BYTES" && t.Value != "" {
			return true, ""
		}
		if r.ServerErrorCode == "NOT_FOUND" {
			return false, ""
		}
		return false, fmt.Sprintf("record has no ticket and error %q (%q)", r.ServerErrorCode, r.Reason)
	}
	return false, "the answer does not name the record"
}
