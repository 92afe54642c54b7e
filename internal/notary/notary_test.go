package notary

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const cdhash = "316b642db08134a14aadcbb6bc8c96922ef5b7aa"

// fakeService answers lookups as the ticket service does: a ticket for the records
// in tickets, NOT_FOUND for the others. It checks the request's shape.
func fakeService(t *testing.T, tickets map[string]bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Records []struct {
				RecordName string `json:"recordName"`
			} `json:"records"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &req) != nil || len(req.Records) != 1 {
			t.Errorf("request %s %q %s", r.Method, r.Header.Get("Content-Type"), b)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		name := req.Records[0].RecordName
		if tickets[name] {
			json.NewEncoder(w).Encode(map[string]any{"records": []any{map[string]any{
				"recordName": name, "recordType": "DeveloperIDTicket", "deleted": false,
				"fields": map[string]any{"signedTicket": map[string]any{"type": "BYTES", "value": "czhjaAEAAAA="}},
			}}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"records": []any{map[string]any{
			"recordName": name, "reason": "Record not found", "serverErrorCode": "NOT_FOUND"}}})
	}))
}

// TestNotarized: a ticket, none, and every way the lookup fails (an error, so that
// notarization stays unknown, never false).
func TestNotarized(t *testing.T) {
	srv := fakeService(t, map[string]bool{"2/2/" + cdhash: true})
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	if ok, err := c.Notarized(context.Background(), 2, cdhash); !ok || err != nil {
		t.Errorf("ticket: %v %v", ok, err)
	}
	if ok, err := c.Notarized(context.Background(), 2, strings.Repeat("de", 20)); ok || err != nil {
		t.Errorf("no ticket: %v %v, want false, nil", ok, err)
	}
	if _, err := c.Notarized(context.Background(), 2, "../../etc"); !errors.Is(err, ErrBadCDHash) {
		t.Errorf("bad cdhash: %v", err)
	}

	for name, h := range map[string]http.HandlerFunc{
		"500":     func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"garbage": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") },
		"other": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"records":[{"recordName":"2/2/x"}]}`)
		},
		"quota": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"records":[{"recordName":"2/2/`+cdhash+`","serverErrorCode":"THROTTLED","reason":"line1\nline2"}]}`)
		},
		"hangs": nil, // answers only after the client gave up
	} {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) { <-release }
			}
			s := httptest.NewServer(h)
			defer s.Close()
			defer close(release)
			c := &Client{BaseURL: s.URL, Timeout: 200 * time.Millisecond}
			ok, err := c.Notarized(context.Background(), 2, cdhash)
			var le *LookupError
			if ok || !errors.As(err, &le) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%v %v: want a one-line LookupError", ok, err)
			}
		})
	}
}

// TestNotarizedRedacts: a base URL with credentials never reaches the error.
func TestNotarizedRedacts(t *testing.T) {
	c := &Client{BaseURL: "http://user:s3cret-pass@127.0.0.1:1/lookup", Timeout: time.Second}
	_, err := c.Notarized(context.Background(), 2, cdhash)
	if err == nil || strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("error %v", err)
	}
}

// FuzzParseLookup: any answer is read without panic; a ticket is reported only when
// the answer names the very record with a non-empty signedTicket of type BYTES, and
// a failure's reason is one line.
func FuzzParseLookup(f *testing.F) {
	rec := RecordName(2, cdhash)
	f.Add([]byte(`{"records":[{"recordName":"`+rec+`","fields":{"signedTicket":{"type":"BYTES","value":"czhjaA=="}}}]}`), rec)
	f.Add([]byte(`{"records":[{"recordName":"`+rec+`","serverErrorCode":"NOT_FOUND","reason":"Record not found"}]}`), rec)
	f.Add([]byte(`{"records":[{"recordName":"2/2/x","fields":{"signedTicket":{"type":"BYTES","value":"AA=="}}}]}`), rec)
	f.Fuzz(func(t *testing.T, b []byte, record string) {
		ok, why := parseLookup(b, record)
		if strings.ContainsAny(why, "\n\r") {
			t.Fatalf("reason %q spans lines", why)
		}
		if !ok {
			return
		}
		var lr lookupResponse
		if json.Unmarshal(b, &lr) != nil {
			t.Fatal("a ticket from an answer that is not JSON")
		}
		found := false
		for _, r := range lr.Records {
			if t, has := r.Fields["signedTicket"]; r.RecordName == record && has && t.Type == "BYTES" && t.Value != "" {
				found = true
			}
		}
		if !found {
			t.Fatalf("a ticket for %q the answer does not hold: %s", record, b)
		}
	})
}
