package ciconf

import (
	"context"
	"fmt"
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
	"github.com/gonative/gonative/internal/ready/difftest"
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
			fixed, err := difftest.Apply(tc.files, f.Fix.Diff)
			if err != nil {
				t.Fatalf("the diff does not apply: %v\n%s", err, f.Fix.Diff)
			}
			for _, g := range check(t, fixed, targets, testNow) {
				if g.ID == f.ID && g.Path == f.Path && g.Title == f.Title {
					t.Errorf("after the fix, still %s at %s:%d\n%s\n%s", g.ID, g.Path, g.Line, f.Fix.Diff, fixed[f.Path])
				}
			}
			// Last: without patch(1) it skips, and the checks above must still run.
			difftest.Patch(t, tc.files, f.Fix.Diff, fixed)
		})
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
