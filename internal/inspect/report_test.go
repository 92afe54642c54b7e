package inspect

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/verdict"
)

// TestReportUnknownIsNull checks the JSON of a slice's unknown facts: null with the
// reason beside it ("unknown"), never false or "", and known facts as they are.
func TestReportUnknownIsNull(t *testing.T) {
	f := &exe.File{Path: "p", Format: exe.FormatELF, Slices: []exe.Slice{{Arch: "amd64",
		PIE: exe.UnknownFact[bool]("the ELF headers could not be read"), Stripped: exe.KnownFact(false)}}}
	b, err := json.Marshal(&Result{File: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"pie":null`, `"stripped":false`, `"unknown":{"pie":"the ELF headers could not be read"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

// TestReportOrder checks that inspect --json keeps its field order: what inspect adds
// (isa's report, an analysis problem, the verdict) sits where exe's record carried it.
func TestReportOrder(t *testing.T) {
	f := &exe.File{Path: "p", Format: exe.FormatELF, Kind: exe.KindExecutable, Size: 9, Slices: []exe.Slice{
		{Arch: "amd64", Go: &exe.GoInfo{Version: "go1.26.8"}, Notes: []string{"exe's"}, PIE: exe.UnknownFact[bool]("why")},
		{Arch: "arm64", Notes: []string{"exe's"}},
	}}
	r := &Result{File: f, ISA: []*isa.Report{{Arch: "amd64"}}, ISAProblems: []string{"", "no code"},
		Verdict: &verdict.Verdict{Runs: verdict.No, Cause: verdict.Damaged, Reason: "r", Slice: -1, Host: "linux/amd64"}, Unmet: []string{"u"}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"path":"p","format":"elf","kind":"executable","size":9,"slices":[` +
		`{"offset":0,"size":0,"arch":"amd64","cpu":"","bits":0,"byte_order":"","os":"","kind":"","pie":null,"stripped":null,"static":false,"go":{"version":"go1.26.8","cgo":null},"isa":{"arch":"amd64","scanned":false,"extensions":null,"required_level":""},"unknown":{"pie":"why"},"notes":["exe's"]},` +
		`{"offset":0,"size":0,"arch":"arm64","cpu":"","bits":0,"byte_order":"","os":"","kind":"","pie":null,"stripped":null,"static":false,"notes":["exe's","instruction-set analysis: no code"]}],` +
		`"verdict":{"runs":"no","reason":"r","slice":-1,"host":"linux/amd64","cause":"damaged"},"unmet":["u"]}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
	if len(f.Slices[1].Notes) != 1 {
		t.Errorf("the report wrote into exe's record: notes %q", f.Slices[1].Notes)
	}
}

// TestErrorReport checks the JSON line of a path that could not be read: the error
// without the path a *fs.PathError repeats.
func TestErrorReport(t *testing.T) {
	r := &Result{File: &exe.File{Path: "d"}, Err: &fs.PathError{Op: "inspect", Path: "d", Err: exe.NotRegularError(fs.ModeDir)}}
	if got := r.ErrorReport(); got != (ErrorReport{Path: "d", Error: "is a directory"}) {
		t.Errorf("ErrorReport = %+v", got)
	}
	if !errors.Is(r.Err, syscall.EISDIR) {
		t.Errorf("%v is not EISDIR", r.Err)
	}
}

// TestLibrariesMarkedInResult checks that this machine's system-library marks are the
// result's (Libraries, the report's "system"), and that exe's record keeps what the
// file says (unknown), so the cache stores the file's facts, not the machine's.
func TestLibrariesMarkedInResult(t *testing.T) {
	owned := "/usr/lib/x86_64-linux-gnu/libfoo.so.1"
	p := machine.Fake(fstest.MapFS{owned[1:]: {Data: []byte("lib")}}, nil)
	f := &exe.File{Path: "/bin/x", Format: exe.FormatELF, Slices: []exe.Slice{{Arch: "amd64", OS: "linux",
		Libraries: []exe.Library{{Name: "libfoo.so.1"}, {Name: "libbar.so.2"}}}}}
	r := &Result{File: f, Libraries: host.NewLibraries(p, "").Marked(f)}
	if got := r.SliceLibraries(0); len(got) != 2 || !got[0].IsSystem() || !got[1].NotSystem() {
		t.Errorf("marked libraries %+v", got)
	}
	if f.Slices[0].Libraries[0].System.Known {
		t.Errorf("exe's record was marked: %+v", f.Slices[0].Libraries)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"libraries":[{"name":"libfoo.so.1","system":true},{"name":"libbar.so.2","system":false}]`) {
		t.Errorf("JSON %s", b)
	}
	if (&Result{File: f}).SliceLibraries(0)[0].System.Known {
		t.Error("without marks, SliceLibraries is not the file's")
	}
}

// TestNestedUnknownIsNull checks the JSON of the unknown facts of exe's nested types
// (the Go info and the signature): null with the reason beside it, never false or "".
func TestNestedUnknownIsNull(t *testing.T) {
	s := &exe.Slice{Arch: "amd64", Go: &exe.GoInfo{Sources: map[string]string{"cgo": "unknown: no pclntab found", "version": "unknown: no build info and no pclntab"}},
		Signature: &exe.Signature{Present: true, Problem: "unsupported CodeDirectory hash type 9"}}
	b, err := json.Marshal(sliceReport(s, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"valid":null`, `"go":{"version":null`, `"cgo":null`, `"cgo":"unknown: no pclntab found"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	b, _ = json.Marshal(goReport(&exe.GoInfo{Version: "go1.19.8", Cgo: exe.KnownFact(false)}))
	if !strings.Contains(string(b), `"version":"go1.19.8"`) || !strings.Contains(string(b), `"cgo":false`) {
		t.Errorf("known facts: %s", b)
	}
}

// TestNestedFactsRoundTrip: the typed facts of exe's nested types (GoInfo.Cgo,
// Signature.Valid, Library.System) come back from their report as they were, an
// unknown with its reason; true, false and unknown print as true, false and null.
func TestNestedFactsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		fact exe.Fact[bool]
		json string
	}{
		{"true", exe.KnownFact(true), "true"},
		{"false", exe.KnownFact(false), "false"},
		{"unknown", exe.UnknownFact[bool]("no pclntab found"), "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &exe.GoInfo{Version: "go1.26.8", Cgo: tc.fact, Sources: map[string]string{"cgo": "pclntab"}}
			sig := &exe.Signature{Present: true, Valid: tc.fact}
			if !tc.fact.Known {
				g.Sources["cgo"] = "unknown: " + tc.fact.Why
				sig.Problem = tc.fact.Why
			}
			lib := []exe.Library{{Name: "libfoo.so.1", System: tc.fact}}
			if got := goInfo(goReport(g)).Cgo; got != tc.fact {
				t.Errorf("GoInfo.Cgo %+v, want %+v", got, tc.fact)
			}
			if got := signature(signatureReport(sig)).Valid; got != tc.fact {
				t.Errorf("Signature.Valid %+v, want %+v", got, tc.fact)
			}
			if got := libraries(librariesReport(lib))[0].System; got.Known != tc.fact.Known || got.Value != tc.fact.Value {
				t.Errorf("Library.System %+v, want %+v", got, tc.fact)
			}
			for what, v := range map[string]any{"cgo": goReport(g), "valid": signatureReport(sig), "system": librariesReport(lib)[0]} {
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if want := `"` + what + `":` + tc.json; !strings.Contains(string(b), want) {
					t.Errorf("JSON %s lacks %s", b, want)
				}
			}
		})
	}
}
