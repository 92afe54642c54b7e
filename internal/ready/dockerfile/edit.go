package dockerfile

import (
	"regexp"
	"slices"
	"strings"
)

// editor collects edits of a Dockerfile's physical lines: replacements within a line
// and lines inserted after a line. result applies them.
type editor struct {
	lines  []string         // the original lines, with their endings
	repl   map[int]string   // 1-based line -> new text (with ending)
	insert map[int][]string // after 1-based line -> new lines (without ending)
}

// editor returns an editor of the file being checked.
func (c *fileCheck) editor() *editor {
	return &editor{lines: c.f.Lines, repl: map[int]string{}, insert: map[int][]string{}}
}

// text is line n (1-based) as edited so far.
func (e *editor) text(n int) string {
	if t, ok := e.repl[n]; ok {
		return t
	}
	return e.lines[n-1]
}

// replaceIn replaces the first old in in's lines (here-document bodies included)
// with new, reporting whether old was found.
func (e *editor) replaceIn(in Instruction, old, new string) bool {
	for n := in.Line; n <= in.EndLine && n <= len(e.lines); n++ {
		if t := e.text(n); strings.Contains(t, old) {
			e.repl[n] = strings.Replace(t, old, new, 1)
			return true
		}
	}
	return false
}

// replaceRE replaces the first match of re in in's lines with repl (regexp.Expand
// syntax), reporting whether re matched.
func (e *editor) replaceRE(in Instruction, re *regexp.Regexp, repl string) bool {
	for n := in.Line; n <= in.EndLine && n <= len(e.lines); n++ {
		t := e.text(n)
		if loc := re.FindStringSubmatchIndex(t); loc != nil {
			var out []byte
			out = re.ExpandString(out, repl, t, loc)
			e.repl[n] = t[:loc[0]] + string(out) + t[loc[1]:]
			return true
		}
	}
	return false
}

// prefixMatch inserts prefix before the command that re's match ends with (the
// match may start with a separator).
func (e *editor) prefixMatch(in Instruction, re *regexp.Regexp, prefix string) bool {
	for n := in.Line; n <= in.EndLine && n <= len(e.lines); n++ {
		t := e.text(n)
		loc := re.FindStringIndex(t)
		if loc == nil {
			continue
		}
		at := loc[0]
		for at < loc[1] && strings.ContainsRune(" \t;&|(", rune(t[at])) {
			at++
		}
		e.repl[n] = t[:at] + prefix + t[at:]
		return true
	}
	return false
}

// replaceLine replaces line n's text, keeping its ending.
func (e *editor) replaceLine(n int, text string) bool {
	if n < 1 || n > len(e.lines) {
		return false
	}
	e.repl[n] = text + ending(e.lines[n-1])
	return true
}

// insertAfter inserts a line after line n.
func (e *editor) insertAfter(n int, text string) {
	e.insert[n] = append(e.insert[n], text)
}

// result is the edited file's lines. An inserted line takes the ending of the line
// it follows; after a last line without one, that line gets "\n".
func (e *editor) result() []string {
	var out []string
	for n := 1; n <= len(e.lines); n++ {
		t := e.text(n)
		ins := e.insert[n]
		if len(ins) == 0 {
			out = append(out, t)
			continue
		}
		end := ending(t)
		if end == "" {
			end = "\n"
			if n > 1 {
				if p := ending(e.lines[n-2]); p != "" {
					end = p
				}
			}
			out = append(out, t+end)
			for i, l := range ins {
				if i == len(ins)-1 {
					out = append(out, l)
				} else {
					out = append(out, l+end)
				}
			}
			continue
		}
		out = append(out, t)
		for _, l := range ins {
			out = append(out, l+end)
		}
	}
	return slices.Clip(out)
}

// ending is the line ending of a line: "\r\n", "\n" or "".
func ending(l string) string {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(l, "\n"):
		return "\n"
	}
	return ""
}
