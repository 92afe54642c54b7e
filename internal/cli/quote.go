package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gonative/gonative/internal/redact"
)

// Quote makes s safe to print on a terminal, on one line: credentials are masked
// first (internal/redact: URL passwords, Authorization headers, registered secrets),
// then control characters (C0, DEL and C1,
// among them ESC, which starts terminal escape sequences), Unicode bidirectional
// controls (which reorder what is displayed) and bytes that are not UTF-8 are written
// as Go escapes (\x1b, \n, \u202e, \xff); a backslash is doubled when anything else
// had to be escaped, so the result reads unambiguously. Text with nothing to escape
// is returned as it is. Text output applies it to every string that comes from a
// file or the file system: paths, interpreters, library names, Go paths, settings.
// JSON output is escaped by encoding/json already (and masked by newJSONEncoder or
// writeJSON).
func Quote(s string) string {
	s = redact.Text(s)
	if !needsQuote(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsQuote(s string) bool {
	// Printable ASCII, byte by byte; from the first byte that is not, rune by rune.
	i := 0
	for i < len(s) && 0x20 <= s[i] && s[i] < 0x7f {
		i++
	}
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || isControl(r) {
			return true
		}
		i += n
	}
	return false
}

// isControl reports C1 controls and the bidirectional formatting characters.
func isControl(r rune) bool {
	return r >= 0x80 && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// QuoteKeeping is Quote applied to the pieces of s between occurrences of sep, which
// stays as it is: newlines in multi-line evidence, tabs in a diff.
func QuoteKeeping(s, sep string) string {
	s = redact.Text(s)
	if !needsQuote(s) {
		return s
	}
	parts := strings.Split(s, sep)
	for i, p := range parts {
		parts[i] = Quote(p)
	}
	return strings.Join(parts, sep)
}

// newJSONEncoder returns a JSON encoder writing to w with credentials masked
// (internal/redact): every JSON output of the commands goes through it or writeJSON.
func newJSONEncoder(w io.Writer) *json.Encoder { return json.NewEncoder(redact.Writer(w)) }

// writeJSON writes v as indented JSON with credentials masked (internal/redact):
// encoding/json escapes control characters, but a password in a URL would pass.
// HTML characters are not escaped, so that a registered secret holding '&' or '<'
// is written as it was registered.
func writeJSON(w io.Writer, v any) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, redact.Text(b.String()))
	return err
}

// printError prints a command's error on stderr: credentials masked and control
// characters escaped (Quote), keeping the newlines of multi-line errors (a usage
// line, a compiler's output).
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "gonative: %s\n", QuoteKeeping(err.Error(), "\n"))
}
