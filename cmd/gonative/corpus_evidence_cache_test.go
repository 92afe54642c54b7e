package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// The evidence of the corpus's truth is re-read by independent tools on every run
// (TestCorpusEvidence), and some of it is costly: llvm-objdump -d of biome's 35 MB
// and the strings of sentry-cli's universal binary took 29 s each, a tenth of the
// native stage's CPU. The files are pinned by their digests, so a command's output can
// change only with the command or with a tool it runs: evidenceCache keeps the output
// of each command that agreed with the truth, keyed by the file's digest, the command,
// and the path, size and modification time of every program the command names, in the
// fixture cache (GONATIVE_FIXTURE_CACHE; no cache without it). A disagreement is never
// kept, so it is read again, by the tools, on the next run.
type evidenceCache struct {
	dir string // "" when there is no fixture cache

	mu    sync.Mutex
	stamp map[string]string // program name -> "path size mtime", or "" when not on PATH
}

// newEvidenceCache returns the cache in the fixture cache directory, if one is set.
func newEvidenceCache() *evidenceCache {
	c := &evidenceCache{stamp: map[string]string{}}
	if d := os.Getenv(fixture.CacheEnv); d != "" {
		c.dir = filepath.Join(d, "corpus-evidence")
	}
	return c
}

// commandWord matches the words of a shell command that may name a program.
var commandWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9._+-]*`)

// key returns the cache key of the command cmd run on the file whose sha256 is sum.
func (c *evidenceCache) key(sum, cmd string) string {
	h := sha256.New()
	fmt.Fprintf(h, "corpus-evidence v1\x00%s\x00%s\x00", sum, cmd)
	words := commandWord.FindAllString(cmd, -1)
	sort.Strings(words)
	for i, w := range words {
		if i > 0 && words[i-1] == w {
			continue
		}
		fmt.Fprintf(h, "%s=%s\x00", w, c.program(w))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// program returns the stamp of the program name on PATH: its path, size and
// modification time (a new version of a tool is a new stamp).
func (c *evidenceCache) program(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stamp[name]; ok {
		return s
	}
	s := ""
	if p, err := exec.LookPath(name); err == nil {
		if fi, err := os.Stat(p); err == nil {
			s = fmt.Sprintf("%s %d %d", p, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	c.stamp[name] = s
	return s
}

// The paths of one run are not kept: the output is stored with the file's path and
// the corpus directory replaced by these, and put back when read.
const evidenceF, evidenceCorpus = "\x00F\x00", "\x00CORPUS\x00"

// get returns the kept output of cmd on the file p (digest sum) in the corpus dir.
func (c *evidenceCache) get(sum, cmd, p, dir string) ([]byte, bool) {
	if c.dir == "" || sum == "" {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(c.dir, c.key(sum, cmd)))
	if err != nil {
		return nil, false
	}
	s := strings.ReplaceAll(string(b), evidenceF, p)
	return []byte(strings.ReplaceAll(s, evidenceCorpus, dir)), true
}

// put keeps out, the output of cmd that agreed with the truth.
func (c *evidenceCache) put(t *testing.T, sum, cmd, p, dir string, out []byte) {
	if c.dir == "" || sum == "" {
		return
	}
	s := strings.ReplaceAll(string(out), p, evidenceF)
	s = strings.ReplaceAll(s, dir, evidenceCorpus)
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		t.Logf("evidence cache: %v", err)
		return
	}
	f, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		t.Logf("evidence cache: %v", err)
		return
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(c.dir, c.key(sum, cmd)))
	}
	if err != nil {
		os.Remove(f.Name())
		t.Logf("evidence cache: %v", err)
	}
}

// fileSum returns the sha256 of the corpus file p: the truth's, which corpusPath
// checked, or the file's own when the truth has none (a built file).
func fileSum(t *testing.T, f corpusFile, p string) string {
	if f.SHA256 != "" {
		return f.SHA256
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestEvidenceCache: an output comes back with this run's paths, and a changed
// command, file or program misses.
func TestEvidenceCache(t *testing.T) {
	t.Setenv(fixture.CacheEnv, t.TempDir())
	c := newEvidenceCache()
	const sum, cmd = "00ff", `llvm-objdump-14 -d "$F" | grep -c cpuid`
	c.put(t, sum, cmd, "/old/corpus/files/x", "/old/corpus", []byte("/old/corpus/files/x: 3\n/old/corpus/other\n"))
	out, ok := c.get(sum, cmd, "/new/c/files/x", "/new/c")
	if want := "/new/c/files/x: 3\n/new/c/other\n"; !ok || string(out) != want {
		t.Errorf("get = %q, %v; want %q", out, ok, want)
	}
	if _, ok := c.get("00fe", cmd, "/new/c/files/x", "/new/c"); ok {
		t.Error("another file's digest hit")
	}
	if _, ok := c.get(sum, cmd+" -w", "/new/c/files/x", "/new/c"); ok {
		t.Error("another command hit")
	}
	c.mu.Lock()
	c.stamp["grep"] += " upgraded"
	c.mu.Unlock()
	if _, ok := c.get(sum, cmd, "/new/c/files/x", "/new/c"); ok {
		t.Error("a changed program hit")
	}
	t.Setenv(fixture.CacheEnv, "")
	if _, ok := newEvidenceCache().get(sum, cmd, "/new/c/files/x", "/new/c"); ok {
		t.Error("no fixture cache, yet a hit")
	}
}

// corpusRef matches a corpus file a command runs: "$CORPUS/files/ID".
var corpusRef = regexp.MustCompile(`\$CORPUS/files/([A-Za-z0-9._+-]+)`)

// corpusRefs returns the truth's digests of the corpus files cmd names (Go 1.19's own go
// command, say), for the cache key: a command's output changes with them too. ok is
// false when one has no digest in the truth: then the output is not kept.
func corpusRefs(tr corpusTruth, cmd string) (refs string, ok bool) {
	for _, m := range corpusRef.FindAllStringSubmatch(cmd, -1) {
		i := slices.IndexFunc(tr.Files, func(f corpusFile) bool { return f.ID == m[1] })
		if i < 0 || tr.Files[i].SHA256 == "" {
			return "", false
		}
		refs += "+" + m[1] + "=" + tr.Files[i].SHA256
	}
	return refs, true
}

func TestCorpusRefs(t *testing.T) {
	tr := corpusTruth{Files: []corpusFile{{ID: "deb-go", SHA256: "aa"}, {ID: "built-x"}}}
	for _, tt := range []struct {
		cmd, refs string
		ok        bool
	}{
		{`strings -a "$F"`, "", true},
		{`GOROOT=/tmp "$CORPUS/files/deb-go" version "$F"`, "+deb-go=aa", true},
		{`"$CORPUS/files/built-x" "$F"`, "", false}, // no digest: not kept
		{`"$CORPUS/files/missing" "$F"`, "", false}, // not in the truth
	} {
		if refs, ok := corpusRefs(tr, tt.cmd); refs != tt.refs || ok != tt.ok {
			t.Errorf("%s: %q, %v; want %q, %v", tt.cmd, refs, ok, tt.refs, tt.ok)
		}
	}
}
