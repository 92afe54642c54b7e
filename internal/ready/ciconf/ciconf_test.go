package ciconf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

// testNow is the clock of the tests: after macos-13's retirement, before ubuntu-22.04's.
var testNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

var defaultTargets = []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}, {OS: "darwin", Arch: "arm64"}}

// check runs Check on a repository of files at /repo of a fake machine.
func check(t testing.TB, files map[string]string, targets []build.Target, now time.Time) []finding.Finding {
	t.Helper()
	fsys := fstest.MapFS{"repo": &fstest.MapFile{Mode: 0o755 | 1<<31}}
	for name, data := range files {
		fsys["repo/"+name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	m := machine.Fake(fsys, nil)
	m.Clock = func() time.Time { return now }
	fs, err := Check(context.Background(), ready.Input{Machine: m, Dir: "/repo", Targets: targets})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return fs
}

// applyDiff applies a unified diff as patch -p1 would, strictly: every context and
// removed line must match. It returns the new files.
func applyDiff(files map[string]string, diff string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	i := 0
	for i < len(lines) {
		if !strings.HasPrefix(lines[i], "--- a/") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ b/") {
			return nil, fmt.Errorf("line %d: no file header: %q", i+1, lines[i])
		}
		name := strings.TrimSuffix(strings.TrimPrefix(lines[i], "--- a/"), "\n")
		old, ok := out[name]
		if !ok {
			return nil, fmt.Errorf("diff of %q, which is not in the repository", name)
		}
		src := strings.SplitAfter(old, "\n")
		if src[len(src)-1] == "" {
			src = src[:len(src)-1]
		}
		var dst []string
		at := 0 // next source line (0-based)
		i += 2
		for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
			os, oc, _, nc, err := hunkHeader(lines[i])
			if err != nil {
				return nil, err
			}
			start := os - 1
			if oc == 0 {
				start = os
			}
			if start < at || start > len(src) {
				return nil, fmt.Errorf("hunk at %d out of order", os)
			}
			dst = append(dst, src[at:start]...)
			at = start
			i++
			gotOld, gotNew := 0, 0
			for i < len(lines) && (gotOld < oc || gotNew < nc) {
				l := lines[i]
				i++
				body := l[1:]
				if i < len(lines) && strings.HasPrefix(lines[i], "\\ No newline at end of file") {
					body = strings.TrimSuffix(body, "\n")
					i++
				}
				switch l[0] {
				case ' ', '-':
					if at >= len(src) || src[at] != body {
						return nil, fmt.Errorf("hunk at %d: line %d is %q, the diff says %q", os, at+1, lineAt(src, at), body)
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
					return nil, fmt.Errorf("bad diff line %q", l)
				}
			}
			if gotOld != oc || gotNew != nc {
				return nil, fmt.Errorf("hunk at %d: counts %d,%d, header says %d,%d", os, gotOld, gotNew, oc, nc)
			}
		}
		dst = append(dst, src[at:]...)
		out[name] = strings.Join(dst, "")
	}
	return out, nil
}

func lineAt(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<end of file>"
}

// ids returns the findings as "id path:line", sorted.
func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+" "+f.Path+":"+strconv.Itoa(f.Line))
	}
	slices.Sort(out)
	return out
}

type ruleCase struct {
	name    string
	files   map[string]string
	targets []build.Target   // nil: defaultTargets
	want    []string         // "id path:line" of every finding
	diff    bool             // the first finding has a diff, and applying it removes it
	sev     finding.Severity // when set, the first finding's severity
}

func runCases(t *testing.T, cases []ruleCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			targets := tc.targets
			if targets == nil {
				targets = defaultTargets
			}
			fs := check(t, tc.files, targets, testNow)
			if got := ids(fs); !slices.Equal(got, tc.want) {
				t.Fatalf("findings:\n got %q\nwant %q\n%s", got, tc.want, dump(fs))
			}
			for _, f := range fs {
				for _, e := range f.Evidence {
					if strings.ContainsAny(e, "\n\r\x1b") {
						t.Errorf("evidence not on one line: %q", e)
					}
				}
			}
			if tc.sev != "" && fs[0].Severity != tc.sev {
				t.Errorf("severity %s, want %s", fs[0].Severity, tc.sev)
			}
			if !tc.diff {
				return
			}
			f := fs[0]
			if f.Fix == nil || f.Fix.Diff == "" {
				t.Fatalf("%s: no diff\n%s", f.ID, dump(fs))
			}
			fixed, err := applyDiff(tc.files, f.Fix.Diff)
			if err != nil {
				t.Fatalf("the diff does not apply: %v\n%s", err, f.Fix.Diff)
			}
			patchAgrees(t, tc.files, f.Fix.Diff, fixed)
			for _, g := range check(t, fixed, targets, testNow) {
				if g.ID == f.ID && g.Path == f.Path && g.Title == f.Title {
					t.Errorf("after the fix, still %s at %s:%d\n%s\n%s", g.ID, g.Path, g.Line, f.Fix.Diff, fixed[f.Path])
				}
			}
		})
	}
}

// patchAgrees applies the diff with patch -p1, when the machine has it, and checks
// that it writes what applyDiff does: the diff is one a user's tools apply.
func patchAgrees(t *testing.T, files map[string]string, diff string, want map[string]string) {
	t.Helper()
	p, err := exec.LookPath("patch")
	if err != nil {
		return // applyDiff alone (Debian: apt-get install patch)
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

func dump(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s:%d %s\n", f.ID, f.Severity, f.Path, f.Line, f.Title)
		if f.Fix != nil && f.Fix.Diff != "" {
			b.WriteString(f.Fix.Diff)
		}
	}
	return b.String()
}

// hunkHeader reads "@@ -l,s +l,s @@", a count left out meaning 1 (as diff writes a
// one-line range).
func hunkHeader(h string) (oldStart, oldN, newStart, newN int, err error) {
	m := regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`).FindStringSubmatch(h)
	if m == nil {
		return 0, 0, 0, 0, fmt.Errorf("hunk header %q", h)
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
