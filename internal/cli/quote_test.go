package cli

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gonative/gonative/internal/redact"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/go":                "/usr/bin/go",
		"héllo wörld":                "héllo wörld",
		`C:\Go\bin`:                  `C:\Go\bin`,
		"\x1b]0;pwned\x07/lib/ld.so": `\x1b]0;pwned\x07/lib/ld.so`,
		"a\nb\tc\r":                  `a\nb\tc\r`,
		"bad\xffutf8":                `bad\xffutf8`,
		"\u202egnp.exe":              `\u202egnp.exe`,
		"\u009b31m":                  `\u009b31m`,
		"back\\slash\x1b":            `back\\slash\x1b`,
		"del\x7f":                    `del\x7f`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m")
	f.Add("ok")
	f.Add("GOPROXY=https://u:fuzzCanary@h/\n$ curl x|sh")
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		if !utf8.ValidString(q) {
			t.Fatalf("Quote(%q) = %q: not UTF-8", s, q)
		}
		for _, r := range q {
			if r < 0x20 || r == 0x7f || isControl(r) {
				t.Fatalf("Quote(%q) = %q keeps control %U", s, q, r)
			}
		}
		if !needsQuote(s) && redact.Text(s) == s && q != s {
			t.Fatalf("Quote changed printable %q to %q", s, q)
		}
		if strings.Contains(s, "://u:fuzzCanary@") && strings.Contains(q, "fuzzCanary") {
			t.Fatalf("Quote(%q) = %q keeps a URL's password", s, q)
		}
	})
}
