package cli

import (
	"os/exec"
	"testing"
)

// TestShQuoteShell: inside double quotes (the PATH line's dialect, where $PATH must
// still expand), a real shell reads back exactly the escaped value: no expansion, no
// command, no splitting.
func TestShQuoteShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh: the round trip needs a POSIX shell")
	}
	for _, s := range []string{"", "/home/me/.local/share/gonative/bin", "a b", `$(touch pwned)`, "`id`", `$HOME`, `"`, `\`, `a\"b`, "it's", "*", "~", "!x", "line\nbreak", "\xff"} {
		out, err := exec.Command(sh, "-c", `printf '[%s]' "`+shQuote(s)+`"`).Output()
		if err != nil || string(out) != "["+s+"]" {
			t.Errorf("shQuote(%q) = %q, which sh reads as %q (%v)", s, shQuote(s), out, err)
		}
	}
}
