package build

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMainsPerTarget: with ./..., each target builds the main packages it sees, in
// whatever order the targets are given: a program whose files are all for arm64 is
// built for linux/arm64 (it was left out when linux/amd64 came first, and failed the
// build when it came second), one whose files are all for amd64 only for linux/amd64.
// Named packages and a single target need no list beyond the graph's.
func TestMainsPerTarget(t *testing.T) {
	dir := module(t, "example.com/t", map[string]string{
		"cmd/both/main.go":    "package main\n\nfunc main() {}\n",
		"cmd/onlyarm/main.go": "//go:build arm64\n\npackage main\n\nfunc main() {}\n",
		"cmd/onlyamd/main.go": "//go:build amd64\n\npackage main\n\nfunc main() {}\n",
	})
	amd, arm := Target{"linux", "amd64"}, Target{"linux", "arm64"}
	want := []string{"both_linux_amd64", "both_linux_arm64", "onlyamd_linux_amd64", "onlyarm_linux_arm64"}
	for _, targets := range [][]Target{{amd, arm}, {arm, amd}} {
		t.Run(targets[0].Arch+"-first", func(t *testing.T) {
			o := testOptions(t, dir)
			o.OutDir = t.TempDir()
			o.Targets, o.Cgo, o.Packages = targets, CgoOff, []string{"./..."}
			res, err := Build(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, out := range res.Outputs {
				if out.Error != "" {
					t.Errorf("%s: %s", out.Path, out.Error)
				}
				got = append(got, out.Path[len(o.OutDir)+1:])
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("built %v, want %v", got, want)
			}
			ents, _ := os.ReadDir(o.OutDir)
			for _, e := range ents {
				if strings.Contains(e.Name(), "onlyarm_linux_amd64") || strings.Contains(e.Name(), "onlyamd_linux_arm64") {
					t.Errorf("%s written", e.Name())
				}
			}
		})
	}
	for _, tc := range []struct {
		name     string
		targets  []Target
		patterns []string
	}{
		{"one target", []Target{arm}, []string{"./..."}},
		{"named packages", []Target{amd, arm}, []string{"./cmd/both"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t, dir)
			o.OutDir = t.TempDir()
			o.Targets, o.Cgo, o.Packages = tc.targets, CgoOff, tc.patterns
			var log string
			o.Go, log = countingGo(t)
			if _, err := Build(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			if n := goCalls(t, log, "list"); n != 1 {
				t.Errorf("%d go list runs, want 1", n)
			}
		})
	}
}
