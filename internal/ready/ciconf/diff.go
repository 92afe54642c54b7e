package ciconf

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gonative/gonative/internal/ready"
)

// A file is one file of the repository, split in lines that keep their terminators.
type file struct {
	path  string // relative to the repository, with forward slashes
	data  []byte
	lines []string
}

func newFile(path string, data []byte) *file {
	f := &file{path: path, data: data}
	s := string(data)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			f.lines = append(f.lines, s)
			break
		}
		f.lines = append(f.lines, s[:i+1])
		s = s[i+1:]
	}
	return f
}

// text returns line n (1-based) without its terminator ("" outside the file).
func (f *file) text(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	return strings.TrimRight(f.lines[n-1], "\r\n")
}

// eol is the file's line terminator: "\r\n" when its first line ends so.
func (f *file) eol() string {
	if len(f.lines) > 0 && strings.HasSuffix(f.lines[0], "\r\n") {
		return "\r\n"
	}
	return "\n"
}

// An edit replaces the lines from..to-1 (1-based; from == to inserts before from)
// with the lines of with (without terminators).
type edit struct {
	from, to int
	with     []string
}

// diffable reports whether the file's name can stand in a diff header as it is.
func diffable(path string) bool {
	if !utf8.ValidString(path) || path == "" {
		return false
	}
	for _, r := range path {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

// diff returns the edits as a unified diff that `patch -p1` applies in the
// repository, or "" when there is nothing to change or the name cannot be written.
func (f *file) diff(edits ...edit) string {
	if len(edits) == 0 || !diffable(f.path) {
		return ""
	}
	edits = slices.Clone(edits)
	slices.SortFunc(edits, func(a, b edit) int { return a.from - b.from })
	n := len(f.lines)
	for i, e := range edits {
		if e.from < 1 || e.to < e.from || e.to > n+1 || (i > 0 && e.from < edits[i-1].to) {
			return ""
		}
	}
	eol := f.eol()
	old := f.lines
	var lines []string
	at := 1
	for _, e := range edits {
		lines = append(lines, old[at-1:e.from-1]...)
		if len(e.with) > 0 && len(lines) > 0 && !strings.HasSuffix(lines[len(lines)-1], "\n") {
			// a last line without a terminator gets one when a line follows it
			lines[len(lines)-1] += eol
		}
		for _, w := range e.with {
			lines = append(lines, w+eol)
		}
		at = e.to
	}
	lines = append(lines, old[at-1:]...)
	return ready.UnifiedDiff(f.path, old, lines)
}

// quote returns text from outside as one line that shows every byte: Go's quoting,
// at most max runes of it.
func quote(s string) string {
	const max = 200
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// loc is a file's name in evidence: as it is when a diff header could hold it,
// else quoted, so that evidence stays one line whatever the repository names a file.
func loc(path string) string {
	if diffable(path) {
		return path
	}
	return quote(path)
}

// indentOf returns the leading spaces of s.
func indentOf(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " "))]
}
