package ready

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready/difftest"
)

func TestRunSortsAndStops(t *testing.T) {
	a := func(context.Context, Input) ([]finding.Finding, error) {
		return []finding.Finding{{ID: "b", Path: "z", Line: 1, Severity: finding.Info}, {ID: "a", Path: "a", Line: 9, Severity: finding.Warning}}, nil
	}
	b := func(context.Context, Input) ([]finding.Finding, error) {
		return []finding.Finding{{ID: "c", Path: "a", Line: 2, Severity: finding.Info}}, nil
	}
	r, err := Run(context.Background(), Input{}, []Checker{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.ID)
	}
	if strings.Join(got, ",") != "c,a,b" {
		t.Errorf("order = %v, want c,a,b (path, line)", got)
	}
	if !r.Found() {
		t.Error("a warning is something found")
	}
	boom := errors.New("boom")
	if _, err := Run(context.Background(), Input{}, []Checker{a, func(context.Context, Input) ([]finding.Finding, error) { return nil, boom }}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

func TestFound(t *testing.T) {
	for _, tt := range []struct {
		sev  []finding.Severity
		want bool
	}{
		{nil, false},
		{[]finding.Severity{finding.Info}, false},
		{[]finding.Severity{finding.Info, finding.Warning}, true},
		{[]finding.Severity{finding.Error}, true},
	} {
		var r Report
		for _, s := range tt.sev {
			r.Findings = append(r.Findings, finding.Finding{Severity: s})
		}
		if r.Found() != tt.want {
			t.Errorf("Found(%v) = %v", tt.sev, !tt.want)
		}
	}
}

func TestWriteSARIF(t *testing.T) {
	r := Report{Findings: []finding.Finding{
		{ID: "dockerfile.platform-constant", Severity: finding.Warning, Title: "pinned", Path: "build dir/Dockerfile", Line: 2,
			Evidence: []string{"e"}, Fix: &finding.Fix{Text: "t", Diff: "--- a/x\n+++ b/x\n"}},
		{ID: "go.asm:amd64", Severity: finding.Error, Title: "no arm64 assembly\nsecond line", Path: "a:b.go", Line: 7, Column: 3},
		{ID: "dockerfile.platform-constant", Severity: finding.Info, Title: "again"},
	}}
	var b bytes.Buffer
	if err := WriteSARIF(&b, r, Tool{Name: "gonative", Version: "v1"}, []Rule{{ID: "dockerfile.platform-constant", Title: "constant", Anchor: "dockerfile-platform-constant"}}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || len(run.Tool.Driver.Rules) != 2 || len(run.Results) != 3 {
		t.Fatalf("log = %s", b.String())
	}
	if run.Tool.Driver.Rules[0].HelpURI != DocsURL+"#dockerfile-platform-constant" || run.Tool.Driver.Rules[1].ID != "go.asm" {
		t.Errorf("rules = %+v", run.Tool.Driver.Rules)
	}
	r0, r1, r2 := run.Results[0], run.Results[1], run.Results[2]
	if r0.Level != "warning" || r0.Locations[0].PhysicalLocation.ArtifactLocation.URI != "build%20dir/Dockerfile" || r0.Locations[0].PhysicalLocation.Region.StartLine != 2 {
		t.Errorf("result 0 = %+v", r0)
	}
	if r1.RuleID != "go.asm" || r1.RuleIndex != 1 || r1.Level != "error" || strings.Contains(r1.Message.Text, "\n") ||
		r1.Locations[0].PhysicalLocation.ArtifactLocation.URI != "./a:b.go" || r1.Locations[0].PhysicalLocation.Region.StartColumn != 3 {
		t.Errorf("result 1 = %+v", r1)
	}
	if r2.Level != "note" || len(r2.Locations) != 0 || r2.RuleIndex != 0 {
		t.Errorf("result 2 = %+v", r2)
	}
}

func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	tests := []struct{ name, old, new string }{
		{"change in the middle", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nX\n"},
		{"insert at the end without newline", "a\nb", "a\nb\nc"},
		{"crlf", "a\r\nb\r\n", "a\r\nB\r\nc\r\n"},
		{"delete all", "a\nb\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := UnifiedDiff("f", lines(tt.old), lines(tt.new))
			difftest.Patch(t, map[string]string{"f": tt.old}, d, map[string]string{"f": tt.new})
		})
	}
}

// lines splits s after each "\n".
func lines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// FuzzUnifiedDiff checks that applying the diff (by a reader of unified diffs
// written here from the format's definition) to old gives new.
func FuzzUnifiedDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("x", "x\ny")
	f.Fuzz(func(t *testing.T, old, new string) {
		if len(old) > 4000 || len(new) > 4000 {
			return
		}
		d := UnifiedDiff("f", lines(old), lines(new))
		if (old == new) != (d == "") {
			t.Fatalf("diff of equal=%v inputs is %q", old == new, d)
		}
		if d == "" {
			return
		}
		got, err := difftest.ApplyFile("f", old, d)
		if err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if got != new {
			t.Fatalf("applied = %q, want %q\n%s", got, new, d)
		}
	})
}
