package cli

import (
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready"
)

func TestQuoteDiffLine(t *testing.T) {
	for in, want := range map[string]string{
		"+\tgo build\r":         "+\tgo build\r",
		"-RUN echo \x1b[31mred": `-RUN echo \x1b[31mred`,
		" plain":                " plain",
		"+a\u202eb\tc":          `+a\u202eb` + "\tc",
	} {
		if got := quoteDiffLine(in); got != want {
			t.Errorf("quoteDiffLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderReady(t *testing.T) {
	r := ready.Report{Dir: "/repo", Targets: []build.Target{{OS: "linux", Arch: "arm64"}}, Findings: []finding.Finding{
		{ID: "dockerfile.x", Area: finding.AreaDockerfile, Severity: finding.Error, Title: "bad\x1b]0;title\x07", Path: "Dockerfile", Line: 3,
			Evidence: []string{"e"}, Fix: &finding.Fix{Text: "do it", Diff: "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-a\n+b\n"}},
		{ID: "go.note", Area: finding.AreaGo, Severity: finding.Info, Title: "not judged"},
	}}
	var b strings.Builder
	renderReady(&b, palette{}, r)
	out := b.String()
	for _, want := range []string{
		"Ready for linux/arm64? /repo\n",
		"[•] Go code\n", // an area of notes only
		"[✗] Dockerfiles\n",
		`    ✗ Dockerfile:3: bad\x1b]0;title\x07` + "\n",
		"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-a\n+b\n",
		"! 1 error, 0 warnings.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("an escape reached the output")
	}
}
