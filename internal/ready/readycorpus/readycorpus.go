// Package readycorpus is a test helper for ready's corpus tests: it fetches real
// modules nobody here wrote through the configured GOPROXY (`go mod download`, the
// module cache serving them after the first time) and compares a checker's findings
// with a truth file reviewed by hand. Imported only by tests.
package readycorpus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// Download fetches mod ("path@version") with go mod download and returns its
// directory in the module cache. It skips the test, with a reason starting
// "offline:", when there is no go or the download fails.
func Download(t testing.TB, mod string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the corpus needs go mod download")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("offline: no go to download the corpus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "mod", "download", "-json", mod)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(out, &info)
	if err != nil || info.Dir == "" {
		t.Skipf("offline: go mod download %s: %v %s %s", mod, err, info.Error, strings.TrimSpace(stderr.String()))
	}
	return info.Dir
}

// Compare returns what differs between got (one finding a line, "module id
// path:line") and the truth file — one finding a line, "#" comments, and the review
// note after " # " on each line: every finding that is new and every one that is gone.
func Compare(got []string, truth string) ([]string, error) {
	want, err := read(truth)
	if err != nil {
		return nil, err
	}
	if len(want) == 0 {
		return nil, errors.New(truth + " lists no findings")
	}
	got = slices.Sorted(slices.Values(got))
	var problems []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			problems = append(problems, "new finding, not in "+truth+": "+g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			problems = append(problems, "finding gone, still in "+truth+": "+w)
		}
	}
	if len(problems) == 0 && !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("findings on the corpus (duplicates differ):\n got %q\nwant %q", got, want))
	}
	return problems, nil
}

// Write rewrites the truth file from got (review every line before committing).
func Write(got []string, truth string) error {
	var b strings.Builder
	b.WriteString("# Findings of Check on the corpus modules (corpus_test.go), reviewed by hand.\n")
	for _, g := range slices.Sorted(slices.Values(got)) {
		b.WriteString(g + "\n")
	}
	return os.WriteFile(truth, []byte(b.String()), 0o644)
}

// read returns the truth file's findings, sorted.
func read(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := sc.Text()
		if i := strings.Index(l, " # "); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out, sc.Err()
}
