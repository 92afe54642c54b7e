// Package difftest applies the unified diffs ready's fixes carry, for tests: strictly
// (every context and removed line must match, the hunk counts must agree) with Apply,
// and with the patch(1) users run with Patch. It is imported only by tests; the diffs
// are written by ready.UnifiedDiff.
package difftest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Apply applies diff, a unified diff of one or more files ("--- a/NAME", "+++ b/NAME",
// hunks), to files (name → content) as patch -p1 would, strictly, and returns the new
// files. A file the diff names that files lacks is an error.
func Apply(files map[string]string, diff string) (map[string]string, error) {
	out := make(map[string]string, len(files))
	for k, v := range files {
		out[k] = v
	}
	lines := splitLines(diff)
	for i := 0; i < len(lines); {
		if !strings.HasPrefix(lines[i], "--- a/") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ b/") {
			return nil, fmt.Errorf("line %d: no file header: %q", i+1, lines[i])
		}
		name := strings.TrimSuffix(strings.TrimPrefix(lines[i], "--- a/"), "\n")
		old, ok := out[name]
		if !ok {
			return nil, fmt.Errorf("a diff of %q, which is not among the files", name)
		}
		next, data, err := applyFile(splitLines(old), lines, i+2)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name], i = data, next
	}
	return out, nil
}

// ApplyFile applies diff, a unified diff of the one file name, to src.
func ApplyFile(name, src, diff string) (string, error) {
	out, err := Apply(map[string]string{name: src}, diff)
	if err != nil {
		return "", err
	}
	return out[name], nil
}

// applyFile applies the hunks of one file, from lines[i] on, to src; it returns the
// index of the first line after them and the new content.
func applyFile(src, lines []string, i int) (int, string, error) {
	var dst []string
	at := 0 // the next line of src
	for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
		os, oc, _, nc, err := hunkHeader(lines[i])
		if err != nil {
			return 0, "", err
		}
		start := os - 1
		if oc == 0 {
			start = os // "-N,0": the lines are added after line N
		}
		if start < at || start > len(src) {
			return 0, "", fmt.Errorf("the hunk at line %d is out of order", os)
		}
		dst = append(dst, src[at:start]...)
		at = start
		i++
		gotOld, gotNew := 0, 0
		for i < len(lines) && (gotOld < oc || gotNew < nc) {
			l := lines[i]
			i++
			body := l[1:]
			if i < len(lines) && strings.HasPrefix(lines[i], `\ No newline at end of file`) {
				body = strings.TrimSuffix(body, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if at >= len(src) || src[at] != body {
					return 0, "", fmt.Errorf("the hunk at %d: line %d is %q, the diff says %q", os, at+1, lineAt(src, at), body)
				}
				at++
				gotOld++
				if l[0] == ' ' {
					dst = append(dst, body)
					gotNew++
				}
			case '+':
				dst = append(dst, body)
				gotNew++
			default:
				return 0, "", fmt.Errorf("a diff line that is not context, removed or added: %q", l)
			}
		}
		if gotOld != oc || gotNew != nc {
			return 0, "", fmt.Errorf("the hunk at %d has %d old and %d new lines, its header says %d and %d", os, gotOld, gotNew, oc, nc)
		}
	}
	return i, strings.Join(append(dst, src[at:]...), ""), nil
}

// Patch applies diff with patch -p1 to files written into a temporary directory and
// checks that it writes want (name → content) for every file of want; it skips the
// test when the machine has no patch (Debian: patch), so call it after the test's
// other checks.
func Patch(t testing.TB, files map[string]string, diff string, want map[string]string) {
	t.Helper()
	p, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch(1) not installed (Debian package patch): the fix diffs are applied with it")
	}
	dir := t.TempDir()
	for name, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(p, "-p1", "--batch", "--no-backup-if-mismatch", "-r", "-")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1: %v\n%s\n%s", err, out, diff)
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(got) != data {
			t.Errorf("patch -p1 wrote %s as %q, want %q (%v)", name, got, data, err)
		}
	}
}

// splitLines splits s after each "\n" (the last line may lack one).
func splitLines(s string) []string {
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

func lineAt(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<end of file>"
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// hunkHeader reads "@@ -l,s +l,s @@", a count left out meaning 1 (as diff writes a
// one-line range).
func hunkHeader(h string) (oldStart, oldN, newStart, newN int, err error) {
	m := hunkRE.FindStringSubmatch(h)
	if m == nil {
		return 0, 0, 0, 0, fmt.Errorf("not a hunk header: %q", h)
	}
	n := func(s string) int {
		if s == "" {
			return 1
		}
		v, _ := strconv.Atoi(s)
		return v
	}
	return n(m[1]), n(m[2]), n(m[3]), n(m[4]), nil
}
