package gocode

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// corpusTruth is testdata/corpus-truth.json: for each module of the Go-module corpus
// (scripts/corpus-gomod.sh), every finding Check must report for the three targets,
// each reviewed by hand against the go command's own output in
// testdata/corpus-evidence (scripts/corpus-gomod-truth.sh), with the reason.
type corpusTruth struct {
	Targets []string `json:"targets"`
	// Cgo says what the truth assumes of this machine: a C compiler for linux/amd64
	// and linux/arm64 (gcc, aarch64-linux-gnu-gcc), none for darwin/arm64.
	Cgo     string         `json:"cgo"`
	Modules []corpusModule `json:"modules"`
}

type corpusModule struct {
	ID      string `json:"id"`
	Module  string `json:"module"`
	Version string `json:"version"`
	Why     string `json:"why"` // what it exercises
	// Vet says whether the test runs go vet on it (see TestCorpus); the others' go vet
	// results are in testdata/corpus-evidence.
	Vet      bool          `json:"vet,omitempty"`
	Review   string        `json:"review"` // the hand review, from the evidence
	Findings []truthResult `json:"findings"`
}

type truthResult struct {
	ID      string `json:"id"`
	Target  string `json:"target"`
	Package string `json:"package"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Reason  string `json:"reason"`
}

func (r truthResult) key() string { return r.ID + " " + r.Target + " " + r.Package }

// gomodCorpus is where scripts/corpus-gomod.sh puts the modules.
func gomodCorpus(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GONATIVE_CORPUS")
	if base == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("no user cache directory for the corpus (%v): set GONATIVE_CORPUS", err)
		}
		base = filepath.Join(d, "gonative", "corpus")
	}
	return filepath.Join(base, "gomod")
}

func readTSV(path string) map[string][]string {
	m := map[string][]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) > 1 {
			m[cols[0]] = cols[1:]
		}
	}
	return m
}

// TestCorpus runs check on every module of the Go-module corpus for linux/amd64,
// linux/arm64 and darwin/arm64 and compares its findings with the reviewed truth.
// go vet runs for the modules the truth marks "vet" (small ones, with no dependency
// to compile): cold, go vet for all 18 compiles their dependencies for three targets
// and the SQLite amalgamation twice, minutes of CPU that the CI budget has not; the
// others' go vet results are the evidence the truth was reviewed from, and go list
// (cheap) runs for all.
// The machine is this one: the truth assumes the cross compiler that
// scripts/test.sh installs (gcc-aarch64-linux-gnu) and a Linux host.
func TestCorpus(t *testing.T) {
	needGo(t)
	if testing.Short() {
		t.Skip("-short: the corpus runs go vet for 18 modules")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "corpus-truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth corpusTruth
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth.Modules) < 15 {
		t.Fatalf("%d modules in the truth, want at least 15", len(truth.Modules))
	}
	dir := gomodCorpus(t)
	manifest := readTSV(filepath.Join(dir, "manifest.tsv"))
	unavailable := readTSV(filepath.Join(dir, "unavailable.tsv"))
	for _, m := range truth.Modules {
		t.Run(m.ID, func(t *testing.T) {
			if why, ok := unavailable[m.ID]; ok {
				t.Skipf("%s (%s not downloaded by scripts/corpus-gomod.sh)", why[0], m.ID)
			}
			row, ok := manifest[m.ID]
			if !ok {
				t.Skipf("%s is not downloaded: run scripts/corpus.sh (it runs scripts/corpus-gomod.sh)", m.ID)
			}
			if row[0] != m.Module || row[1] != m.Version {
				t.Fatalf("the corpus holds %s@%s for %s, the truth %s@%s: run scripts/corpus.sh", row[0], row[1], m.ID, m.Module, m.Version)
			}
			if err := checkHost(); err != nil {
				t.Skip(err)
			}
			rs := checkDirWith(t, filepath.Join(dir, "src", m.ID), options{vet: m.Vet})
			got := map[string]result{}
			for _, r := range rs {
				got[truthResult{ID: r.ID, Target: r.Target.String(), Package: r.Package}.key()] = r
			}
			want := map[string]truthResult{}
			for _, w := range m.Findings {
				want[w.key()] = w
			}
			for k, w := range want {
				r, ok := got[k]
				if !ok {
					t.Errorf("missing %s (truth: %s)", k, w.Reason)
					continue
				}
				if w.Path != "" && (r.Path != w.Path || r.Line != w.Line) {
					t.Errorf("%s at %s:%d, want %s:%d", k, r.Path, r.Line, w.Path, w.Line)
				}
			}
			for k, r := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("not in the truth: %s at %s:%d: %s %q", k, r.Path, r.Line, r.Title, r.Evidence)
				}
			}
		})
	}
}

// checkHost says why this machine is not the one the truth assumes.
func checkHost() error {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return fmt.Errorf("the corpus truth is this project's CI machine's: linux/amd64 with gcc-aarch64-linux-gnu, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if _, err := exec.LookPath("aarch64-linux-gnu-gcc"); err != nil {
		return fmt.Errorf("aarch64-linux-gnu-gcc not found (apt-get install gcc-aarch64-linux-gnu): the corpus truth assumes it")
	}
	return nil
}

// BenchmarkCheck runs check on one module for the three targets: $GONATIVE_READY_BENCH_DIR,
// or the corpus' urfave-cli (a CLI-sized module). bench/ready-go.sh compares it with
// go vet ./... run once per target.
func BenchmarkCheck(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command on PATH")
	}
	dir := os.Getenv("GONATIVE_READY_BENCH_DIR")
	if dir == "" {
		base := os.Getenv("GONATIVE_CORPUS")
		if base == "" {
			d, err := os.UserCacheDir()
			if err != nil {
				b.Skip(err)
			}
			base = filepath.Join(d, "gonative", "corpus")
		}
		dir = filepath.Join(base, "gomod", "src", "urfave-cli")
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		b.Skipf("no module at %s: run scripts/corpus.sh or set GONATIVE_READY_BENCH_DIR", dir)
	}
	for b.Loop() {
		checkDir(b, dir)
	}
}
