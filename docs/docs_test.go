package docs

// The tests of this file keep the README and the pages under docs/ true: the README's
// size and the commands it gives, and every relative link.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadme holds the README to what it is for: at most 200 lines, the two commands
// a newcomer needs, and the test command that CI really runs.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > 200 {
		t.Errorf("README.md has %d lines, want at most 200: move the detail to the docs page of its command", n)
	}
	for _, want := range []string{"go run ./cmd/gonative doctor", "scripts/test.sh", "docs/reference/"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^exec scripts/test\.sh\b`).Match(ci) {
		t.Errorf(".ci/run does not run scripts/test.sh, as the README says it does:\n%s", ci)
	}
}

// TestLinks checks that every relative link of the README and the docs leads to a
// file that exists.
func TestLinks(t *testing.T) {
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := filepath.Glob("reference/*.md")
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, page := range append(append([]string{"../README.md"}, pages...), refs...) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(page), filepath.FromSlash(target))); err != nil {
				t.Errorf("%s links to %s, which does not exist", page, target)
			}
		}
	}
}
