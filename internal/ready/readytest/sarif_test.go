package readytest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
	"github.com/gonative/gonative/internal/ready/dockerfile"
)

// schemaFile is the SARIF 2.1.0 schema, errata 01, from the OASIS TC's repository
// (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json at e0583813;
// sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e).
const schemaFile = "testdata/sarif-schema-2.1.0.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(ready.SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(ready.SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// repo is a repository with a finding of every Dockerfile rule that needs no
// registry, in files whose names need escaping in a URI.
var repo = map[string]string{
	"Dockerfile":                "FROM --platform=linux/arm64 golang AS b\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n",
	"deploy dir/api.Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH=amd64\nRUN GOARCH=amd64 go build -o /app .\nRUN curl -fsSLO https://example.invalid/tool-linux-amd64.tgz\nFROM scratch\nCOPY --from=b /app /app\n",
	"x/Containerfile":           "FROM golang AS b\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n",
	"y/Dockerfile.cgo":          "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\nRUN CGO_ENABLED=1 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n",
	"z/Dockerfile.broken":       "FROM a\nRUN <<EOF\n",
}

func report(t *testing.T) ready.Report {
	t.Helper()
	dir := t.TempDir()
	for name, body := range repo {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := ready.Input{Machine: machine.Real(), Dir: dir, Targets: []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}}
	r, err := ready.Run(context.Background(), in, []ready.Checker{dockerfile.Check})
	if err != nil {
		t.Fatal(err)
	}
	// Findings of the other checkers' shapes: a qualified id, a column, no file.
	r.Findings = append(r.Findings,
		finding.Finding{ID: "go.asm-no-arm64:example.com/m/sum", Area: finding.AreaGo, Severity: finding.Warning, Title: "amd64 assembly only", Path: "sum/sum_amd64.s", Line: 1, Column: 1},
		finding.Finding{ID: "go.module", Area: finding.AreaGo, Severity: finding.Info, Title: "whole module note"})
	return r
}

func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	s := compileSchema(t)
	r := report(t)
	if len(r.Findings) < 8 {
		t.Fatalf("only %d findings", len(r.Findings))
	}
	var b bytes.Buffer
	if err := ready.WriteSARIF(&b, r, ready.Tool{Name: "gonative", Version: "(devel)"}, dockerfile.Rules); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate: %v\n%s", err, b.String())
	}
	checkGitHub(t, b.Bytes(), len(r.Findings))
}

// The schema rejects what it should: the validation above is not vacuous.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	for name, doc := range map[string]string{
		"version 2.0.0":  `{"version": "2.0.0", "runs": []}`,
		"no driver name": `{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		"line 0":         `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "g"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]}`,
		"level fatal":    `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "g"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(inst) == nil {
			t.Errorf("%s: validates", name)
		}
	}
}

// checkGitHub checks what GitHub code scanning requires beyond the schema
// ("SARIF support for code scanning", docs.github.com): version 2.1.0 with $schema;
// every result has a ruleId that tool.driver.rules defines, and message.text;
// locations with a relative artifactLocation.uri (checkouts are resolved against the
// repository's root) and a 1-based startLine; at most 25,000 results per run; rules
// have shortDescription and helpUri. partialFingerprints are optional (the upload
// action computes them).
func checkGitHub(t *testing.T, data []byte, n int) {
	t.Helper()
	var log struct {
		Schema  string `json:"$schema"`
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct {
						ID               string
						ShortDescription struct{ Text string }
						HelpURI          string
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
						Region           *struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name == "" || len(run.Results) != n || n > 25000 {
		t.Fatalf("driver %q, %d results, want %d", run.Tool.Driver.Name, len(run.Results), n)
	}
	ids := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if ids[r.ID] || r.ShortDescription.Text == "" {
			t.Errorf("rule %q repeated or without a short description", r.ID)
		}
		ids[r.ID] = true
		if strings.HasPrefix(r.ID, "dockerfile.") {
			u, err := url.Parse(r.HelpURI)
			if err != nil || !u.IsAbs() || u.Fragment == "" {
				t.Errorf("rule %s helpUri %q is not an absolute URL to an anchor", r.ID, r.HelpURI)
			}
		}
	}
	located := 0
	for _, res := range run.Results {
		if res.RuleID == "" || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID || res.Message.Text == "" {
			t.Errorf("result %+v: ruleId, ruleIndex or message missing", res)
		}
		for _, l := range res.Locations {
			located++
			u, err := url.Parse(l.PhysicalLocation.ArtifactLocation.URI)
			if err != nil || u.IsAbs() || strings.HasPrefix(u.Path, "/") {
				t.Errorf("uri %q is not relative", l.PhysicalLocation.ArtifactLocation.URI)
			}
			if reg := l.PhysicalLocation.Region; reg != nil && reg.StartLine < 1 {
				t.Errorf("startLine %d", reg.StartLine)
			}
		}
	}
	if located < n-1 {
		t.Errorf("%d of %d results have a location", located, n)
	}
}
