package cli

import (
	"io"
	"os"

	"github.com/gonative/gonative/internal/doctor"
)

// palette colours marks and verdicts with ANSI escapes when it is on: when the output
// is a terminal, NO_COLOR (https://no-color.org) is not set and TERM is not "dumb".
// CLICOLOR_FORCE=1 turns it on for any output (NO_COLOR still wins).
type palette struct{ on bool }

// ANSI SGR sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

// paletteFor decides whether output to w is coloured.
func paletteFor(w io.Writer) palette {
	return palette{on: colourWanted(w, os.Getenv)}
}

func colourWanted(w io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	if getenv("CLICOLOR_FORCE") != "" && getenv("CLICOLOR_FORCE") != "0" {
		return true
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	_, ok := isTerminal(w)
	return ok
}

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return code + s + ansiReset
}

// severity colours s as a doctor severity: errors red, warnings yellow, OK green.
func (p palette) severity(sev doctor.Severity, s string) string {
	switch sev {
	case doctor.Error:
		return p.paint(ansiRed, s)
	case doctor.Warning:
		return p.paint(ansiYellow, s)
	case doctor.OK:
		return p.paint(ansiGreen, s)
	}
	return s
}

// good, bad and warn colour a verdict: ok/native green, FAIL red, a problem yellow.
func (p palette) good(s string) string { return p.paint(ansiGreen, s) }
func (p palette) bad(s string) string  { return p.paint(ansiRed, s) }
func (p palette) warn(s string) string { return p.paint(ansiYellow, s) }
func (p palette) bold(s string) string { return p.paint(ansiBold, s) }
