package ciconf

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestRulesListEveryID: every finding ID this package's code writes is one of Rules
// (SARIF's results name a rule of tool.driver.rules, as GitHub code scanning needs).
func TestRulesListEveryID(t *testing.T) {
	known := map[string]bool{}
	for _, r := range Rules {
		known[r.ID] = true
	}
	id := regexp.MustCompile(`"((?:ci|scripts)\.[a-z0-9-]+)"`)
	files, _ := os.ReadDir(".")
	seen := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") || f.Name() == "rules.go" {
			continue
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range id.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !known[m[1]] {
				t.Errorf("%s writes finding %s, which Rules does not list", f.Name(), m[1])
			}
		}
	}
	if seen == 0 {
		t.Fatal("no finding IDs found in the package's code")
	}
}
