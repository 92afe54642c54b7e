package image

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gonative/gonative/internal/finding"
)

// Finding is an image-level fact worth reporting (internal/finding: the one shape
// doctor, netcheck and image report). ID is its code ("arch-mismatch",
// "entrypoint-missing", "glibc-too-old", ...), Title its message, Path the file in
// the image it is about; Fix, when set, is what image build's user runs instead: the
// flag and a base that has what the binary needs.
type Finding = finding.Finding

// Severities of image findings. Problem (finding.Error) means the image will not work
// as built: inspect exits 3, image build writes nothing.
const (
	Problem = finding.Error
	Warning = finding.Warning
	Info    = finding.Info
)

// SeverityWord is the word image's reports use for s: "problem" for finding.Error,
// else the severity's own name.
func SeverityWord(s finding.Severity) string {
	if s == Problem {
		return "problem"
	}
	return string(s)
}

// severityOf is SeverityWord's inverse.
func severityOf(word string) (finding.Severity, error) {
	switch word {
	case "problem":
		return Problem, nil
	case string(Warning), string(Info):
		return finding.Severity(word), nil
	}
	return "", fmt.Errorf("image finding: unknown severity %q", word)
}

// Findings are a platform's findings. Their JSON is image's own shape, kept since
// schema 1: {"severity": "problem"|"warning"|"info", "code", "path", "message",
// "fix": text}.
type Findings []Finding

// wireFinding is one element of Findings' JSON.
type wireFinding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

// MarshalJSON writes fs in image's JSON shape.
func (fs Findings) MarshalJSON() ([]byte, error) {
	if fs == nil {
		return []byte("null"), nil
	}
	out := make([]wireFinding, len(fs))
	for i, f := range fs {
		out[i] = wireFinding{Severity: SeverityWord(f.Severity), Code: f.ID, Path: f.Path, Message: f.Title}
		if f.Fix != nil {
			out[i].Fix = f.Fix.Text
		}
	}
	// Unescaped: the caller's encoder escapes <, > and & when it is set to (compacting
	// what a Marshaler returns), and leaves them as they are when it is not.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads image's JSON shape; an unknown severity is an error.
func (fs *Findings) UnmarshalJSON(b []byte) error {
	var in []wireFinding
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if in == nil {
		*fs = nil
		return nil
	}
	out := make(Findings, len(in))
	for i, w := range in {
		sev, err := severityOf(w.Severity)
		if err != nil {
			return err
		}
		out[i] = Finding{ID: w.Code, Severity: sev, Path: w.Path, Title: w.Message}
		if w.Fix != "" {
			out[i].Fix = &finding.Fix{Text: w.Fix, Needs: finding.NeedsPerson}
		}
	}
	*fs = out
	return nil
}

// hasProblem reports whether one of fs is a problem (the others are warnings).
func hasProblem(fs []Finding) bool { return finding.Worst(fs) == Problem }
