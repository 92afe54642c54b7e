package image

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gonative/gonative/internal/finding"
)

// schema1Finding is image's finding as schema 1 wrote it, before it became
// finding.Finding: the JSON of Findings must stay this, byte for byte.
type schema1Finding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

func TestFindingsJSON(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Findings
		want string
	}{
		{"nil", nil, `null`},
		{"empty", Findings{}, `[]`},
		{"problem with a fix", Findings{{ID: "glibc-too-old", Severity: Problem, Path: "/app", Title: "needs glibc 2.39", Fix: &finding.Fix{Text: "rebuild with --base debian:trixie-slim"}}},
			`[{"severity":"problem","code":"glibc-too-old","path":"/app","message":"needs glibc 2.39","fix":"rebuild with --base debian:trixie-slim"}]`},
		{"warning, no path", Findings{{ID: "no-entrypoint", Severity: Warning, Title: "no entrypoint"}},
			`[{"severity":"warning","code":"no-entrypoint","message":"no entrypoint"}]`},
		{"info, empty fix text", Findings{{ID: "x", Severity: Info, Fix: &finding.Fix{}}}, `[{"severity":"info","code":"x","message":""}]`},
	} {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	// The CLI's encoder does not escape HTML: "->" stays "->", as it did.
	b, err := encode(PlatformReport{Findings: Findings{{ID: "unsafe-path", Severity: Warning, Title: "hard link /a -> /etc/passwd & <x>"}}}, false)
	if err != nil || !bytes.Contains(b, []byte(`"message": "hard link /a -> /etc/passwd & <x>"`)) {
		t.Errorf("unescaped report: %s (%v)", b, err)
	}
	// omitempty leaves out an empty list, as it did for the []Finding field.
	b, _ = json.Marshal(PlatformReport{})
	if bytes.Contains(b, []byte(`"findings"`)) {
		t.Errorf("an empty report has findings: %s", b)
	}
	var fs Findings
	if err := json.Unmarshal([]byte(`[{"severity":"fatal","code":"x","message":""}]`), &fs); err == nil {
		t.Error("an unknown severity was read")
	}
}

// encode is json.Encoder's output for v, indented as the CLI writes it, with or
// without HTML escaping.
func encode(v any, escapeHTML bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(escapeHTML)
	err := enc.Encode(v)
	return b.Bytes(), err
}

// FuzzFindingsJSON: whatever schema 1 wrote reads back into Findings, keeping its
// facts (a problem is finding.Error), and is written again byte for byte as schema 1
// writes what it read.
func FuzzFindingsJSON(f *testing.F) {
	f.Add("problem", "glibc-too-old", "/app", "needs glibc 2.39", "rebuild with --base X")
	f.Add("warning", "unsafe-path", "", "names \"../x\"\n", "")
	f.Add("warning", "unsafe-path", "/a&b", "hard link /shadow -> ../../../etc/shadow <x>", "--base a&b")
	f.Add("info", "", "", "", "")
	f.Fuzz(func(t *testing.T, sev, code, path, msg, fix string) {
		old, err := json.Marshal([]schema1Finding{{sev, code, path, msg, fix}})
		if err != nil {
			t.Skip()
		}
		var ws []schema1Finding // what schema 1's reader sees (invalid UTF-8 is replaced)
		if err := json.Unmarshal(old, &ws); err != nil || len(ws) != 1 {
			t.Fatalf("schema 1 does not read its own %s: %v", old, err)
		}
		w := ws[0]
		var fs Findings
		if err := json.Unmarshal(old, &fs); err != nil {
			if _, serr := severityOf(sev); serr == nil {
				t.Fatalf("%s did not read: %v", old, err)
			}
			return
		}
		if len(fs) != 1 || fs[0].ID != w.Code || fs[0].Path != w.Path || fs[0].Title != w.Message || (fs[0].Severity == Problem) != (w.Severity == "problem") || (fs[0].Fix != nil) != (w.Fix != "") {
			t.Fatalf("%s read as %+v", old, fs)
		}
		for _, escape := range []bool{true, false} {
			again, err := encode(fs, escape)
			want, _ := encode(ws, escape)
			if err != nil || !bytes.Equal(again, want) {
				t.Fatalf("written again (HTML escaped: %v) as %s (%v), want %s", escape, again, err, want)
			}
		}
	})
}
