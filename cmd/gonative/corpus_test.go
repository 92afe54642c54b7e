package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gonative/gonative/internal/cli"
)

// The real-world corpus: executables nobody in this project built, downloaded from
// Debian and npm by scripts/corpus.sh, with ground truth read by independent tools in
// scripts/corpus/truth.json (see docs/corpus.md).

const truthFile = "../../scripts/corpus/truth.json"

type corpusTruth struct {
	Files []corpusFile `json:"files"`
}

type corpusFile struct {
	ID        string `json:"id"`
	Source    string `json:"source"`
	Package   string `json:"package"`
	Version   string `json:"version"`
	Arch      string `json:"arch"`
	SHA256    string `json:"sha256"`
	Exercises string `json:"exercises"`
	Format    string `json:"format"`
	// Unread names a format gonative recognises and does not read (XCOFF, WebAssembly
	// ...): it reports no slices and names it in its error.
	Unread string `json:"unread"`
	// Built says how a file of the source "built" is produced (scripts/corpus.sh): a
	// pinned third-party tool run on pinned third-party source, for what no registry
	// publishes. SHA256 is "" when two builds in two directories differ: then the
	// facts alone are checked.
	Built *struct {
		Tool         string `json:"tool"`         // the tool and its pinned version
		From         string `json:"from"`         // what it builds: MODULE@VERSION/PACKAGE, or std
		Command      string `json:"command"`      // the build command scripts/corpus.sh runs
		Reproducible string `json:"reproducible"` // what two builds in two directories gave
	} `json:"built"`
	Slices   []truthSlice `json:"slices"`
	Evidence []struct {
		Fact   string   `json:"fact"`
		Cmd    string   `json:"cmd"`
		Line   string   `json:"line"`
		Lines  []string `json:"lines"` // every one must be in the output
		Method string   `json:"method"`
	} `json:"evidence"`
}

type truthSlice struct {
	Arch          string  `json:"arch"`
	OS            string  `json:"os"`
	Kind          string  `json:"kind"`
	PIE           *bool   `json:"pie"`
	Stripped      *bool   `json:"stripped"`
	Static        *bool   `json:"static"`
	Interpreter   *string `json:"interpreter"`    // "": none
	RequiredLevel *string `json:"required_level"` // isa.required_level, where the bytes settle it
	Go            *struct {
		Version string `json:"version"` // "": unknown, and VersionUnknown says why
		// VersionUnknown is a fragment of the reason gonative must give for a null
		// version (sources.version "unknown: ..."): a placeholder in the build info
		// (garble writes "unknown") is no release.
		VersionUnknown string `json:"version_unknown"`
		Cgo            *bool  `json:"cgo"` // null: the bytes do not settle it
		// CgoUnknown is a fragment of the reason gonative must give for a null cgo
		// (sources.cgo "unknown: ..."), e.g. a -linkshared program, whose runtime/cgo
		// is in the Go shared library it loads. With it a false or true fails too.
		CgoUnknown string            `json:"cgo_unknown"`
		Settings   map[string]string `json:"settings"` // absent: no build info
	} `json:"go"` // null: not a Go program
	Signature *struct {
		Present bool   `json:"present"`
		Valid   *bool  `json:"valid"`
		TeamID  string `json:"team_id"`
		AdHoc   *bool  `json:"adhoc"`
	} `json:"signature"` // absent: not Mach-O
	// ISANone lists x86-64 classes objdump's disassembly of the whole image shows no
	// instruction of: inspect --isa may report them only as doubtful
	// (TestCorpusISAObjdump).
	ISANone []string `json:"isa_none"`
	// ABILoader is the loader of the processes a library loads into: on this machine
	// the library runs natively exactly when that file exists.
	ABILoader string `json:"abi_loader"`
}

// inspectOut is the part of gonative inspect --json the corpus checks. Every fact that
// can be unknown is a pointer, so null and false stay apart.
type inspectOut struct {
	Path    string `json:"path"`
	Format  string `json:"format"`
	Error   string `json:"error"`
	Verdict *struct {
		Runs   string `json:"runs"`
		Reason string `json:"reason"`
	} `json:"verdict"`
	Slices []struct {
		Offset      int64  `json:"offset"`
		Arch        string `json:"arch"`
		OS          string `json:"os"`
		Kind        string `json:"kind"`
		PIE         *bool  `json:"pie"`
		Stripped    *bool  `json:"stripped"`
		Static      *bool  `json:"static"`
		Interpreter string `json:"interpreter"`
		ISA         *struct {
			RequiredLevel  string `json:"required_level"`
			RequiredSource string `json:"required_source"`
		} `json:"isa"`
		Go *struct {
			Version  *string           `json:"version"`
			Cgo      *bool             `json:"cgo"`
			Settings map[string]string `json:"settings"`
			Sources  map[string]string `json:"sources"`
		} `json:"go"`
		Signature *struct {
			Present *bool  `json:"present"`
			Valid   *bool  `json:"valid"`
			AdHoc   *bool  `json:"adhoc"`
			TeamID  string `json:"team_id"`
		} `json:"signature"`
	} `json:"slices"`
}

// corpusDir is where scripts/corpus.sh puts the corpus: $GONATIVE_CORPUS, or
// gonative/corpus under the user cache directory.
func corpusDir(t *testing.T) string {
	if d := os.Getenv("GONATIVE_CORPUS"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no user cache directory for the corpus (%v): set GONATIVE_CORPUS", err)
	}
	return filepath.Join(d, "gonative", "corpus")
}

func loadTruth(t *testing.T) corpusTruth {
	t.Helper()
	b, err := os.ReadFile(truthFile)
	if err != nil {
		t.Fatal(err)
	}
	var tr corpusTruth
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var raw struct {
		About []string     `json:"about"`
		Files []corpusFile `json:"files"`
	}
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("%s: %v", truthFile, err)
	}
	tr.Files = raw.Files
	for _, f := range tr.Files {
		if f.SHA256 == "" && f.Built == nil {
			t.Errorf("%s: %s: no sha256: only a built file that is not byte-reproducible may go without", truthFile, f.ID)
		}
	}
	if len(tr.Files) < 25 {
		t.Fatalf("%s: %d files, the corpus must have at least 25", truthFile, len(tr.Files))
	}
	return tr
}

// readTSV reads scripts/corpus.sh's id-keyed tab-separated files.
func readTSV(path string) map[string][]string {
	out := map[string][]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) > 1 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

// requireCorpus skips (or, when CI is set, fails) when scripts/corpus.sh has not run.
func requireCorpus(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		msg := fmt.Sprintf("the real-world corpus is not downloaded to %s: run scripts/corpus.sh", dir)
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set: the test command must run it)")
		}
		t.Skip(msg)
	}
}

// corpusPath returns the path of the corpus file id, or skips (only when the
// registries could not be reached, with the reason scripts/corpus.sh recorded) or
// fails.
func corpusPath(t *testing.T, dir string, f corpusFile) string {
	t.Helper()
	p := filepath.Join(dir, "files", f.ID)
	if _, err := os.Stat(p); err == nil {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); f.SHA256 != "" && hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s is not the file the truth was read from (sha256 %x, truth %s): delete it and run scripts/corpus.sh",
				p, sum, f.SHA256)
		}
		return p
	}
	if why, ok := readTSV(filepath.Join(dir, "unavailable.tsv"))[f.ID]; ok {
		if strings.Contains(why[0], "unreachable") {
			// The one skip the test command cannot avoid: "offline:" as the CI rules expect.
			t.Skipf("offline: %s (%s not downloaded by scripts/corpus.sh)", why[0], f.ID)
		}
		if strings.HasPrefix(why[0], "offline: ") { // a built file: the module proxy
			t.Skipf("%s (%s not built by scripts/corpus.sh)", why[0], f.ID)
		}
		t.Skipf("%s not downloaded by scripts/corpus.sh: %s", f.ID, why[0])
	}
	t.Fatalf("%s is missing from %s although scripts/corpus.sh ran: run it again and read its errors", f.ID, dir)
	return ""
}

// inspectJSON runs gonative inspect --json in process.
func inspectJSON(t *testing.T, path string) inspectOut {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"inspect", "--json", path}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("gonative inspect --json %s: exit %d: %s", path, code, stderr.String())
	}
	var out inspectOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("gonative inspect --json %s: %v\n%s", path, err, stdout.String())
	}
	var generic any
	_ = json.Unmarshal(stdout.Bytes(), &generic)
	for _, e := range falseForUnknown(generic, "") {
		t.Errorf("%s: no false for an unknown: %s", filepath.Base(path), e)
	}
	return out
}

// falseForUnknown walks inspect's JSON and returns every field that is false while
// the object's own account of it ("sources": {field: "unknown..."}, "field_source", or
// "unknown": {field: why}) says the bytes do not settle it: what "Unknown is not false"
// forbids.
func falseForUnknown(v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		srcs, _ := v["sources"].(map[string]any)
		unknown, _ := v["unknown"].(map[string]any) // fact -> why the bytes do not settle it
		for k, x := range v {
			if b, ok := x.(bool); ok && !b {
				why, _ := srcs[k].(string)
				if why == "" {
					why, _ = v[k+"_source"].(string)
				}
				if u, ok := unknown[k].(string); ok {
					why = "unknown: " + u
				}
				if strings.HasPrefix(why, "unknown") {
					out = append(out, fmt.Sprintf("%s.%s is false, its source says %q", at, k, why))
				}
			}
			out = append(out, falseForUnknown(x, at+"."+k)...)
		}
	case []any:
		for i, x := range v {
			out = append(out, falseForUnknown(x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return out
}

// unknownBecause reports whether source, gonative's account of a fact, says the fact
// is unknown ("unknown: why") for a reason that names fragment.
func unknownBecause(source, fragment string) bool {
	return strings.HasPrefix(source, "unknown") && strings.Contains(source, fragment)
}

func fmtString(s *string) string {
	if s == nil {
		return "unknown (not given)"
	}
	return *s
}

func fmtBool(b *bool) string {
	if b == nil {
		return "unknown (null)"
	}
	return fmt.Sprint(*b)
}

// TestCorpus runs gonative inspect --json on every file of the real-world corpus and
// compares every contract fact with the truth: format; each slice's arch, OS, kind, PIE,
// stripped, static and interpreter; the required CPU level where the bytes settle it;
// Go or not, Go version, build settings and cgo linked; signature presence, validity
// and, for a Developer ID signature, the team. Any disagreement fails, naming the file,
// the field, the truth and what gonative says; so does a false for an unknown.
func TestCorpus(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	// Every file scripts/corpus.sh lists has its truth, for the same package.
	byID := map[string]corpusFile{}
	for _, f := range tr.Files {
		byID[f.ID] = f
	}
	for id, m := range readTSV(filepath.Join(dir, "manifest.tsv")) {
		f, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("%s: in the corpus (manifest.tsv) but not in %s", id, truthFile)
		case len(m) < 6 || m[0] != f.Source || m[1] != f.Package || m[2] != f.Version || m[3] != f.Arch || (f.SHA256 != "" && m[5] != f.SHA256) ||
			(f.Built != nil && m[4] != f.Built.From):
			t.Errorf("%s: manifest.tsv says %q, the truth was read from %s %s %s %s (sha256 %s)", id, m, f.Source, f.Package, f.Version, f.Arch, f.SHA256)
		}
	}
	for _, f := range tr.Files {
		t.Run(f.ID, func(t *testing.T) {
			p := corpusPath(t, dir, f)
			got := inspectJSON(t, p)
			bad := func(field, truth, said string) {
				t.Errorf("%s: %s: truth %s, gonative says %s", f.ID, field, truth, said)
			}
			if f.Unread != "" {
				if got.Format != "unknown" || len(got.Slices) != 0 || !strings.HasPrefix(got.Error, f.Unread+": ") {
					t.Errorf("%s: truth: %s, recognised and not read; gonative says format %q, %d slices, error %q",
						f.ID, f.Unread, got.Format, len(got.Slices), got.Error)
				}
				return
			}
			if got.Error != "" {
				t.Fatalf("%s: gonative reports an error: %s", f.ID, got.Error)
			}
			if got.Format != f.Format {
				bad("format", f.Format, got.Format)
			}
			if len(got.Slices) != len(f.Slices) {
				t.Fatalf("%s: slices: truth %d, gonative says %d", f.ID, len(f.Slices), len(got.Slices))
			}
			for i, ts := range f.Slices {
				gs := got.Slices[i]
				at := fmt.Sprintf("slices[%d]", i)
				if gs.Arch != ts.Arch {
					bad(at+".arch", ts.Arch, gs.Arch)
				}
				if gs.OS != ts.OS {
					bad(at+".os", ts.OS, fmt.Sprintf("%q", gs.OS))
				}
				if ts.Kind != "" && gs.Kind != ts.Kind {
					bad(at+".kind", ts.Kind, fmt.Sprintf("%q", gs.Kind))
				}
				if ts.PIE != nil && (gs.PIE == nil || *gs.PIE != *ts.PIE) {
					bad(at+".pie", fmtBool(ts.PIE), fmtBool(gs.PIE))
				}
				if ts.Stripped != nil && (gs.Stripped == nil || *gs.Stripped != *ts.Stripped) {
					bad(at+".stripped", fmtBool(ts.Stripped), fmtBool(gs.Stripped))
				}
				if ts.Static != nil && (gs.Static == nil || *gs.Static != *ts.Static) {
					bad(at+".static", fmtBool(ts.Static), fmtBool(gs.Static))
				}
				if ts.Interpreter != nil && gs.Interpreter != *ts.Interpreter {
					bad(at+".interpreter", fmt.Sprintf("%q", *ts.Interpreter), fmt.Sprintf("%q", gs.Interpreter))
				}
				if ts.ABILoader != "" && got.Verdict != nil {
					_, err := os.Stat(ts.ABILoader)
					want := "native"
					if err != nil {
						want = "no"
					}
					if got.Verdict.Runs != want {
						bad("verdict.runs", fmt.Sprintf("%s (the %s/%s loader %s exists: %v)", want, ts.OS, ts.Arch, ts.ABILoader, err == nil),
							fmt.Sprintf("%s: %s", got.Verdict.Runs, got.Verdict.Reason))
					}
				}
				if ts.RequiredLevel != nil {
					switch {
					case gs.ISA == nil:
						bad(at+".isa.required_level", *ts.RequiredLevel, "no isa")
					case gs.ISA.RequiredLevel != *ts.RequiredLevel:
						bad(at+".isa.required_level", *ts.RequiredLevel, fmt.Sprintf("%q (source %q)", gs.ISA.RequiredLevel, gs.ISA.RequiredSource))
					}
				}
				switch {
				case ts.Go == nil && gs.Go != nil:
					bad(at+".go", "not a Go program", fmt.Sprintf("Go (sources %v)", gs.Go.Sources))
				case ts.Go != nil && gs.Go == nil:
					bad(at+".go", "Go "+ts.Go.Version, "not Go")
				case ts.Go != nil:
					v := ""
					if gs.Go.Version != nil {
						v = *gs.Go.Version
					}
					if v != ts.Go.Version && ts.Go.VersionUnknown == "" {
						want := ts.Go.Version
						if want == "" {
							want = "null (unknown)"
						}
						bad(at+".go.version", want, fmt.Sprintf("%q (source %q)", v, gs.Go.Sources["version"]))
					}
					if w := ts.Go.VersionUnknown; w != "" && (gs.Go.Version != nil || !unknownBecause(gs.Go.Sources["version"], w)) {
						bad(at+".go.version", "null, unknown because of "+w, fmt.Sprintf("%s (source %q)", fmtString(gs.Go.Version), gs.Go.Sources["version"]))
					}
					// Every build setting go version -m reads, with its value. A setting
					// gonative infers from elsewhere (a file without build info) must say
					// where from, and GOAMD64 must match the level the truth settles.
					for k, v := range ts.Go.Settings {
						if gv, ok := gs.Go.Settings[k]; !ok || gv != v {
							bad(at+".go.settings."+k, fmt.Sprintf("%q", v), fmt.Sprintf("%q (present %v)", gv, ok))
						}
					}
					for k, gv := range gs.Go.Settings {
						if _, ok := ts.Go.Settings[k]; ok {
							continue
						}
						switch {
						case gs.Go.Sources[k] == "":
							bad(at+".go.settings."+k, "not in the build info", fmt.Sprintf("%q with no source of its own", gv))
						case k == "GOAMD64" && (ts.RequiredLevel == nil || "x86-64-"+gv != *ts.RequiredLevel):
							bad(at+".go.settings.GOAMD64", fmt.Sprintf("required level %s", fmtString(ts.RequiredLevel)), fmt.Sprintf("%q (source %q)", gv, gs.Go.Sources[k]))
						case k != "GOAMD64":
							bad(at+".go.settings."+k, "not in the build info", fmt.Sprintf("%q (source %q)", gv, gs.Go.Sources[k]))
						}
					}
					switch {
					case ts.Go.CgoUnknown != "" && (gs.Go.Cgo != nil || !unknownBecause(gs.Go.Sources["cgo"], ts.Go.CgoUnknown)):
						bad(at+".go.cgo", "null, unknown because of "+ts.Go.CgoUnknown, fmt.Sprintf("%s (source %q)", fmtBool(gs.Go.Cgo), gs.Go.Sources["cgo"]))
					case ts.Go.Cgo == nil && gs.Go.Cgo != nil && !*gs.Go.Cgo:
						bad(at+".go.cgo", "unknown", "false")
					case ts.Go.Cgo != nil && (gs.Go.Cgo == nil || *gs.Go.Cgo != *ts.Go.Cgo):
						bad(at+".go.cgo", fmtBool(ts.Go.Cgo), fmt.Sprintf("%s (source %q)", fmtBool(gs.Go.Cgo), gs.Go.Sources["cgo"]))
					}
				}
				if ts.Signature == nil {
					continue
				}
				gsig := gs.Signature
				present := gsig != nil && gsig.Present != nil && *gsig.Present
				if present != ts.Signature.Present {
					bad(at+".signature.present", fmt.Sprint(ts.Signature.Present), fmt.Sprint(present))
					continue
				}
				if !present {
					continue
				}
				if ts.Signature.Valid != nil && (gsig.Valid == nil || *gsig.Valid != *ts.Signature.Valid) {
					bad(at+".signature.valid", fmtBool(ts.Signature.Valid), fmtBool(gsig.Valid))
				}
				if ts.Signature.TeamID != "" && gsig.TeamID != ts.Signature.TeamID {
					bad(at+".signature.team_id", ts.Signature.TeamID, fmt.Sprintf("%q", gsig.TeamID))
				}
				if ts.Signature.AdHoc != nil && (gsig.AdHoc == nil || *gsig.AdHoc != *ts.Signature.AdHoc) {
					bad(at+".signature.adhoc", fmtBool(ts.Signature.AdHoc), fmtBool(gsig.AdHoc))
				}
			}
		})
	}
}

// TestCorpusCodeSignatures recomputes, with the reader in corpus_codesign_test.go
// (written apart from internal/exe), the page hashes of every signed Mach-O image of
// the corpus: the truth's validity must hold, and gonative must agree on validity,
// ad hoc or not, and team ID. Then it edits one byte of code in a copy of each signed
// file: both readers must call the signature invalid.
func TestCorpusCodeSignatures(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	signed := 0
	for _, f := range tr.Files {
		if !strings.HasPrefix(f.Format, "macho") {
			continue
		}
		t.Run(f.ID, func(t *testing.T) {
			p := corpusPath(t, dir, f)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			images, err := machoSlices(b)
			if err != nil || len(images) != len(f.Slices) {
				t.Fatalf("%s: independent reader: %d images (%v), truth has %d slices", f.ID, len(images), err, len(f.Slices))
			}
			got := inspectJSON(t, p)
			var tamperAt, devID []int
			for i, im := range images {
				ts := f.Slices[i].Signature
				sig, err := checkCodeSignature(im.data)
				if err != nil {
					t.Fatalf("%s: slice %d: independent reader: %v", f.ID, i, err)
				}
				if ts == nil || sig.present != ts.Present {
					t.Fatalf("%s: slice %d: independent reader finds signature %v, truth %+v", f.ID, i, sig.present, ts)
				}
				if !sig.present {
					continue
				}
				signed++
				if ts.Valid == nil || sig.valid() != *ts.Valid {
					t.Errorf("%s: slice %d: independent page-hash check says valid=%v (%v), truth %s", f.ID, i, sig.valid(), sig.bad, fmtBool(ts.Valid))
				}
				if ts.TeamID != "" {
					if sig.teamID != ts.TeamID || !sig.cms || sig.adhoc {
						t.Errorf("%s: slice %d: independent reader: team %q cms %v adhoc %v, truth: Developer ID of team %s", f.ID, i, sig.teamID, sig.cms, sig.adhoc, ts.TeamID)
					} else {
						devID = append(devID, i)
					}
				}
				t.Logf("%s: slice %d: %d CodeDirectories, %d pages rehashed, ident %q, team %q, adhoc %v, cms %v",
					f.ID, i, sig.dirs, sig.pages, sig.ident, sig.teamID, sig.adhoc, sig.cms)
				gsig := got.Slices[i].Signature
				if gsig == nil {
					t.Errorf("%s: slice %d: gonative reports no signature", f.ID, i)
					continue
				}
				if gsig.Valid == nil || *gsig.Valid != sig.valid() {
					t.Errorf("%s: slice %d: signature valid: page hashes say %v, gonative says %s", f.ID, i, sig.valid(), fmtBool(gsig.Valid))
				}
				if gsig.AdHoc == nil || *gsig.AdHoc != sig.adhoc {
					t.Errorf("%s: slice %d: signature adhoc: CodeDirectory flags say %v, gonative says %s", f.ID, i, sig.adhoc, fmtBool(gsig.AdHoc))
				}
				if gsig.TeamID != sig.teamID {
					t.Errorf("%s: slice %d: signature team: CodeDirectory says %q, gonative says %q", f.ID, i, sig.teamID, gsig.TeamID)
				}
				// One byte inside the first code page of this image, past the headers.
				off := cap(b) - cap(im.data) + 0x800 // im.data is b[offset:offset+size]
				tamperAt = append(tamperAt, off)
			}
			// Last, as it may skip (no openssl): the Developer ID signatures verify.
			defer func() {
				for _, i := range devID {
					sig, _ := checkCodeSignature(images[i].data)
					team := f.Slices[i].Signature.TeamID
					leaf, err := verifyDeveloperID(t, sig)
					switch {
					case err != nil:
						t.Errorf("%s: slice %d: the Developer ID signature does not verify: %v", f.ID, i, err)
					case len(leaf.Subject.OrganizationalUnit) != 1 || leaf.Subject.OrganizationalUnit[0] != team:
						t.Errorf("%s: slice %d: signed by %q, not team %s", f.ID, i, leaf.Subject, team)
					default:
						t.Logf("%s: slice %d: the CMS verifies (openssl) over the CodeDirectory, chained to the Apple Root CA: %s", f.ID, i, leaf.Subject.CommonName)
					}
					// And it is a check: one CodeDirectory byte changed, it fails.
					sig.cd0 = bytes.Clone(sig.cd0)
					sig.cd0[len(sig.cd0)-1] ^= 1
					if _, err := verifyDeveloperID(t, sig); err == nil {
						t.Errorf("%s: slice %d: the CMS still verifies over an edited CodeDirectory", f.ID, i)
					}
				}
			}()
			if len(tamperAt) == 0 {
				return
			}
			// Every signed image edited: both readers must now reject every signature.
			c := bytes.Clone(b)
			for _, off := range tamperAt {
				c[off] ^= 0xff
			}
			tp := filepath.Join(t.TempDir(), f.ID)
			if err := os.WriteFile(tp, c, 0o644); err != nil {
				t.Fatal(err)
			}
			edited := inspectJSON(t, tp)
			cimages, _ := machoSlices(c)
			for i, im := range cimages {
				sig, err := checkCodeSignature(im.data)
				if err != nil || !sig.present {
					continue
				}
				if sig.valid() {
					t.Errorf("%s (one byte edited): slice %d: the independent reader still calls it valid", f.ID, i)
				}
				if gsig := edited.Slices[i].Signature; gsig == nil || gsig.Valid == nil || *gsig.Valid {
					t.Errorf("%s (one byte edited): slice %d: gonative does not say invalid", f.ID, i)
				}
			}
		})
	}
	if signed == 0 && !t.Skipped() {
		t.Log("no signed Mach-O image was checked")
	}
}

// TestCorpusEvidence re-runs every command of the truth file and checks that its
// output still has the line the truth cites: the truth stays tied to what the
// independent tools say about these exact files. An output that agreed before, for the
// same file, command and programs, is read from the fixture cache (evidenceCache).
func TestCorpusEvidence(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	tools := map[string]string{
		"readelf": "binutils", "strings": "binutils", "file": "file", "llvm-objdump-14": "llvm-14",
		"llvm-lipo-14": "llvm-14", "llvm-readobj-14": "llvm-14", "go": "golang", "tar": "tar",
	}
	for tool, pkg := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: apt-get install %s", tool, pkg)
		}
	}
	sem := make(chan struct{}, runtime.NumCPU())
	ec := newEvidenceCache()
	for _, f := range tr.Files {
		t.Run(f.ID, func(t *testing.T) {
			t.Parallel()
			p := corpusPath(t, dir, f)
			sum := ""
			if ec.dir != "" {
				sum = fileSum(t, f, p)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var fails []string
			for _, e := range f.Evidence {
				if e.Cmd == "" {
					if e.Method == "" {
						t.Errorf("%s: %s: evidence with neither command nor method", f.ID, e.Fact)
					}
					continue
				}
				if strings.Contains(e.Cmd, "deb-amd64-go1.19-go") && (runtime.GOOS != "linux" || runtime.GOARCH != "amd64") {
					continue // go1.19's own linux/amd64 cmd/go runs only there
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					// The corpus files the command runs are part of its key.
					key := ""
					if refs, ok := corpusRefs(tr, e.Cmd); ok && sum != "" {
						key = sum + refs
					}
					out, cached := ec.get(key, e.Cmd, p, dir)
					if !cached {
						cmd := exec.Command("sh", "-c", e.Cmd)
						cmd.Env = append(os.Environ(), "F="+p, "CORPUS="+dir)
						out, _ = cmd.Output() // grep -c exits 1 on a count of 0: the output is what counts
					}
					agreed := true
					have := map[string]bool{}
					for _, l := range strings.Split(string(out), "\n") {
						have[strings.Join(strings.Fields(l), " ")] = true
					}
					wants := e.Lines
					if e.Line != "" || len(wants) == 0 {
						wants = append(wants, e.Line)
					}
					for _, w := range wants {
						want := strings.Join(strings.Fields(strings.ReplaceAll(w, "$F", p)), " ")
						if !have[want] {
							agreed = false
							mu.Lock()
							fails = append(fails, fmt.Sprintf("%s: %s: %s\n\tno line %q in its output:\n%s", f.ID, e.Fact, e.Cmd, want, firstLines(out, 12)))
							mu.Unlock()
						}
					}
					if agreed && !cached {
						ec.put(t, key, e.Cmd, p, dir, out)
					}
				}()
			}
			wg.Wait()
			for _, m := range fails {
				t.Error(m)
			}
		})
	}
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// TestFalseForUnknown keeps the corpus's "no false for an unknown" check honest.
func TestFalseForUnknown(t *testing.T) {
	for _, tc := range []struct {
		json string
		want int
	}{
		{`{"slices":[{"go":{"cgo":false,"sources":{"cgo":"unknown: no pclntab found"}}}]}`, 1},
		{`{"slices":[{"go":{"cgo":false,"sources":{"cgo":"pclntab"}}}]}`, 0},
		{`{"slices":[{"go":{"cgo":null,"sources":{"cgo":"unknown: no pclntab found"}}}]}`, 0},
		{`{"slices":[{"pie":false,"unknown":{"pie":"the program headers could not be read"}}]}`, 1},
		{`{"slices":[{"pie":false,"stripped":false,"pie_source":"unknown: damaged"}]}`, 1},
		{`{"slices":[{"pie":true,"unknown":{"pie":"x"}}]}`, 0},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.json), &v); err != nil {
			t.Fatal(err)
		}
		if got := falseForUnknown(v, ""); len(got) != tc.want {
			t.Errorf("%s: %d findings %q, want %d", tc.json, len(got), got, tc.want)
		}
	}
}
