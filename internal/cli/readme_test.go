package cli

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTour checks every command of the README's tour against the commands
// themselves: each names a command that exists and gives it flags it accepts, so the
// tour cannot drift from the tool.
func TestReadmeTour(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, tour, ok := strings.Cut(string(b), "## A tour\n")
	if !ok {
		t.Fatal("README.md has no tour (## A tour)")
	}
	_, tour, _ = strings.Cut(tour, "```sh\n")
	tour, _, _ = strings.Cut(tour, "```")
	n := 0
	for _, line := range strings.Split(tour, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, part := range strings.Split(line, "&&") {
			words := strings.Fields(part)
			if len(words) == 0 || words[0] != "gonative" {
				continue
			}
			n++
			root := NewRoot()
			cmd, rest, err := root.Find(words[1:])
			if err != nil || cmd == root {
				t.Errorf("tour: %q: no such command (%v)", part, err)
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("tour: %q: %v", strings.TrimSpace(part), err)
			}
		}
	}
	if n < 8 {
		t.Errorf("the tour has %d gonative commands, want about ten", n)
	}
}
