package ready

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"

	"github.com/gonative/gonative/internal/finding"
)

// SARIF 2.1.0 (OASIS, errata 01): the schema and version every log names.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

// DocsURL is the page each rule's helpUri points into (a rule's Anchor after "#").
const DocsURL = "https://github.com/gonative/gonative/blob/main/docs/ready.md"

// Tool names the program that wrote a SARIF log.
type Tool struct {
	Name, Version string
}

// The SARIF objects ready writes: the subset of the schema it needs, each with the
// schema's property names.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string       `json:"id"`
		ShortDescription sarifMessage `json:"shortDescription"`
		HelpURI          string       `json:"helpUri,omitempty"`
		DefaultConfig    *sarifConfig `json:"defaultConfiguration,omitempty"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID     string          `json:"ruleId"`
		RuleIndex  int             `json:"ruleIndex"`
		Level      string          `json:"level"`
		Message    sarifMessage    `json:"message"`
		Locations  []sarifLocation `json:"locations,omitempty"`
		Properties *sarifProps     `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifProps struct {
		ID       string   `json:"gonative/id,omitempty"`
		Evidence []string `json:"gonative/evidence,omitempty"`
		Fix      string   `json:"gonative/fix,omitempty"`
		Diff     string   `json:"gonative/diff,omitempty"`
	}
)

// SARIFLevel is a severity as SARIF's result.level: error, warning, note (info and
// anything else).
func SARIFLevel(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "error"
	case finding.Warning:
		return "warning"
	}
	return "note"
}

// RuleID is a finding's rule: its ID before any ':' qualifier.
func RuleID(f finding.Finding) string {
	id, _, _ := strings.Cut(f.ID, ":")
	return id
}

// WriteSARIF writes r as one SARIF 2.1.0 run of tool: tool.driver.rules holds every
// rule of rules that a finding names, then any rule a finding names that rules lack
// (described by its title); each finding is a result with ruleId, level, message,
// and its file (a URI relative to %SRCROOT%, the repository) with the 1-based line
// when it has one. The evidence, the fix and its diff go in the result's properties.
func WriteSARIF(w io.Writer, r Report, tool Tool, rules []Rule) error {
	known := map[string]Rule{}
	for _, rl := range rules {
		known[rl.ID] = rl
	}
	index := map[string]int{}
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: DocsURL}},
		Results: []sarifResult{},
	}
	run.Tool.Driver.Rules = []sarifRule{}
	for _, f := range r.Findings {
		id := RuleID(f)
		i, ok := index[id]
		if !ok {
			rl, found := known[id]
			if !found {
				rl = Rule{ID: id, Title: f.Title}
			}
			sr := sarifRule{ID: id, ShortDescription: sarifMessage{Text: oneLine(rl.Title)}}
			if rl.Anchor != "" {
				sr.HelpURI = DocsURL + "#" + rl.Anchor
			}
			i = len(run.Tool.Driver.Rules)
			index[id] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
		}
		res := sarifResult{RuleID: id, RuleIndex: i, Level: SARIFLevel(f.Severity), Message: sarifMessage{Text: message(f)}}
		if f.Path != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: relURI(f.Path), URIBaseID: "%SRCROOT%"}}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
				if f.Column > 0 {
					loc.PhysicalLocation.Region.StartColumn = f.Column
				}
			}
			res.Locations = []sarifLocation{loc}
		}
		p := &sarifProps{ID: f.ID, Evidence: f.Evidence}
		if f.Fix != nil {
			p.Fix, p.Diff = f.Fix.Text, f.Fix.Diff
		}
		res.Properties = p
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

// message is a result's text: the title, and the fix.
func message(f finding.Finding) string {
	m := oneLine(f.Title)
	if m == "" {
		m = f.ID
	}
	if f.Fix != nil && f.Fix.Text != "" {
		m += ". Fix: " + oneLine(f.Fix.Text)
	}
	return m
}

// oneLine replaces line breaks with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// relURI is a relative, slash-separated path as a URI reference: escaped, and never
// read as a scheme ("a:b" becomes "./a:b").
func relURI(p string) string {
	return (&url.URL{Path: p}).String()
}
