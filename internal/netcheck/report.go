package netcheck

import (
	"slices"
	"time"

	"github.com/gonative/gonative/internal/finding"
)

// SchemaVersion is the version of the JSON report.
const SchemaVersion = 1

// Severity orders findings: doctor's scale (internal/finding).
type Severity = finding.Severity

// Severities, least severe first.
const (
	OK      = finding.OK
	Info    = finding.Info
	Warning = finding.Warning
	Error   = finding.Error
)

// Area groups findings in the report (internal/finding: one vocabulary with doctor).
type Area = finding.Area

// Areas, in report order.
const (
	AreaSettings = finding.AreaSettings
	AreaProxy    = finding.AreaProxy
	AreaSumDB    = finding.AreaSumDB
	AreaTLS      = finding.AreaTLS
)

// Areas lists every area in report order.
var Areas = []Area{AreaSettings, AreaProxy, AreaSumDB, AreaTLS}

// Fix says how to make a finding go away (internal/finding).
type Fix = finding.Fix

// Finding is one thing netcheck found (internal/finding: the one shape doctor,
// netcheck and image report). Its Area is always set; Check and StopsGo stay empty.
type Finding = finding.Finding

// Request is one HTTP request netcheck made.
type Request struct {
	// Step is what cmd/go would be doing ("list", "info", "mod", "zip", "sumdb supported",
	// "sumdb latest", "sumdb lookup", "sumdb tile").
	Step   string `json:"step"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Entry is the GOPROXY entry (or checksum database URL) the request went to.
	Entry string `json:"entry"`
	// Via is the forward proxy (HTTPS_PROXY/HTTP_PROXY) it went through, "" for none.
	Via    string  `json:"via,omitempty"`
	Status int     `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
	Millis float64 `json:"duration_ms"`
}

// Cert describes one certificate of a presented chain.
type Cert struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	SHA256    string    `json:"sha256"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DNSNames  []string  `json:"dns_names,omitempty"`
	IPs       []string  `json:"ips,omitempty"`
	IsCA      bool      `json:"is_ca,omitempty"`
}

// Anchor says what kind of root a chain leads to.
type Anchor string

// Anchors. AnchorUnknown means the bytes did not settle it (no chain was presented).
const (
	AnchorPublic  Anchor = "public"  // a root of the public (NSS) set Go's fallback bundle carries
	AnchorPrivate Anchor = "private" // a root outside the public set: a company or intercepting CA
	AnchorUnknown Anchor = "unknown"
)

// Endpoint is what the TLS handshake with one host presented.
type Endpoint struct {
	Host string `json:"host"`
	// Via is the forward proxy the connection was tunnelled through ("" for none).
	Via string `json:"via,omitempty"`
	// Chain is the chain the server presented, leaf first.
	Chain    []Cert `json:"chain"`
	Verified bool   `json:"verified"`
	// Root is the root the chain verified to (or, when it did not, the issuer that is
	// missing from Go's root store).
	Root string `json:"root,omitempty"`
	// Anchor says whether that root is public or private.
	Anchor Anchor `json:"anchor"`
	Error  string `json:"error,omitempty"`
}

// AreaResult is one line of the summary.
type AreaResult struct {
	Area   Area     `json:"area"`
	Title  string   `json:"title"`
	Status Severity `json:"status"`
}

// Report is netcheck's result, the same for text and JSON.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	Module        string `json:"module"`
	// Version is the version asked for; Resolved the one the proxy answered for "latest".
	Version   string       `json:"version"`
	Resolved  string       `json:"resolved,omitempty"`
	Roots     RootStore    `json:"roots"`
	Areas     []AreaResult `json:"areas"`
	Requests  []Request    `json:"requests"`
	Endpoints []Endpoint   `json:"endpoints"`
	Findings  []Finding    `json:"findings"`
	Millis    float64      `json:"duration_ms"`
}

// Worst returns the most severe finding's severity (OK when there is none).
func (r Report) Worst() Severity { return finding.Worst(r.Findings) }

// areas folds findings into one line per area (Areas order); an area without
// findings is OK.
func areas(fs []Finding) []AreaResult {
	var out []AreaResult
	for _, a := range Areas {
		st := OK
		for _, f := range fs {
			if f.Area == a && f.Severity.Worse(st) {
				st = f.Severity
			}
		}
		if st == Info {
			st = OK
		}
		out = append(out, AreaResult{Area: a, Title: a.Title(), Status: st})
	}
	return out
}

// sortFindings orders findings by area (Areas order), keeping the order within one,
// and settles their fixes (finding.Fix.Settle).
func sortFindings(fs []Finding) {
	for i := range fs {
		fs[i].Fix = fs[i].Fix.Settle()
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return slices.Index(Areas, a.Area) - slices.Index(Areas, b.Area)
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
