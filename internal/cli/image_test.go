package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/image"
	"github.com/gonative/gonative/internal/inspect"
)

func TestSplitImageArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app")
	os.WriteFile(file, nil, 0o644)
	images, files := splitImageArgs([]string{"oci-layout:out", file, "-", "127.0.0.1:5000/app:v1", "docker-archive:x.tar", "missing"})
	if !slices.Equal(images, []string{"oci-layout:out", "127.0.0.1:5000/app:v1", "docker-archive:x.tar"}) || !slices.Equal(files, []string{file, "-", "missing"}) {
		t.Errorf("images %q files %q", images, files)
	}
}

// TestImageOutputOneLine: what an image says about itself (index platform fields,
// reasons, findings, unmet wants) is quoted on one line: an ESC sequence or a newline
// in it never reaches the terminal raw, and every platform line has a verdict.
func TestImageOutputOneLine(t *testing.T) {
	evil := "linux/arm64\x1b[2J\n[ok] fake line"
	r := &image.PlatformReport{Image: "oci-layout:x", Platform: evil, Host: "linux/amd64", Runs: image.RunsUnknown,
		Reason:   "reason\nfake",
		Findings: []image.Finding{{Severity: image.Warning, ID: "code\x1b[0m", Title: "msg\n$ curl x|sh"}},
		Unmet:    []string{"unmet\x1b]0;title\x07"}}
	f := &image.File{Result: &inspect.Result{File: &exe.File{Path: "/app\nx", Format: exe.FormatELF}}, Image: "oci-layout:x", Platform: evil}
	for _, fl := range []inspectFlags{{}, {verbose: true}, {json: true}} {
		var b strings.Builder
		if err := writeImagePlatform(&b, r, fl); err != nil {
			t.Fatal(err)
		}
		if err := writeImageFile(&b, f, fl); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") {
			t.Errorf("%+v: raw control characters in %q", fl, out)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if fl.verbose {
				break // the file's block is inspect's -v block, its path quoted
			}
			if !strings.HasPrefix(l, "oci-layout:x") && !strings.HasPrefix(l, "{") && !strings.HasPrefix(l, "  ") {
				t.Errorf("%+v: a line of its own: %q", fl, l)
			}
		}
		if !fl.json && (strings.Contains(out, "=> \n") || strings.Contains(out, "=>  ")) {
			t.Errorf("empty verdict: %q", out)
		}
	}
	var b strings.Builder
	renderImageBuilt(&b, &image.Built{Platforms: []*image.BuiltPlatform{{Platform: evil, Output: &build.Output{}, Binary: "/b",
		Findings: []image.Finding{{Severity: image.Problem, Title: "m\nx"}}}}}, nil)
	if out := b.String(); strings.Contains(out, "\x1b") || strings.Count(out, "\n") != 2 {
		t.Errorf("image build output %q", out)
	}
}
