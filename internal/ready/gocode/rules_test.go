package gocode

import (
	"os"
	"regexp"
	"testing"
)

// TestRulesListEveryID: every finding ID constant of the package is one of Rules
// (SARIF's results name a rule of tool.driver.rules, as GitHub code scanning needs).
func TestRulesListEveryID(t *testing.T) {
	known := map[string]bool{}
	for _, r := range Rules {
		known[r.ID] = true
	}
	b, err := os.ReadFile("gocode.go")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`(?m)^\tID[A-Za-z]+ += "([^"]+)"`).FindAllStringSubmatch(string(b), -1)
	if len(ids) == 0 {
		t.Fatal("no ID constants found in gocode.go")
	}
	for _, m := range ids {
		if !known[m[1]] {
			t.Errorf("finding %s is not in Rules", m[1])
		}
	}
	if len(ids) != len(Rules) {
		t.Errorf("%d ID constants, %d rules", len(ids), len(Rules))
	}
}
