package dockerfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// File is a parsed Dockerfile: its physical lines and its instructions in order.
type File struct {
	// Escape is the escape character (`\` unless a `# escape=` directive says "`").
	Escape byte
	// Lines are the physical lines, each with its line ending ("\n", "\r\n" or none
	// for a last line without one), so that joining them gives the file back.
	Lines []string
	// Instructions are the instructions, in order.
	Instructions []Instruction
}

// Instruction is one Dockerfile instruction, its continuation lines joined.
type Instruction struct {
	// Keyword is the instruction's name in upper case ("FROM", "RUN").
	Keyword string
	// Flags are the leading --name=value options (--platform, --from, --mount), in
	// order; a flag without "=" has an empty Value.
	Flags []Flag
	// Args is the text after the flags: continuation lines joined with the escape
	// and the line break removed, comment lines inside dropped, trimmed.
	Args string
	// JSON is the exec form's list when Args is a JSON array of strings, else nil.
	JSON []string
	// Heredocs are the here-documents the instruction line opens (RUN, COPY, ADD).
	Heredocs []Heredoc
	// Line and EndLine are the 1-based first and last physical lines, here-document
	// bodies included.
	Line, EndLine int
}

// Flag is one --name=value option of an instruction.
type Flag struct {
	Name, Value string
}

// Heredoc is one here-document: `<<EOF` ... `EOF`.
type Heredoc struct {
	// Name is the delimiter word.
	Name string
	// Body is the text between the instruction line and the delimiter line, each
	// line with "\n", as written (with StripTabs, `<<-`, the shell removes leading
	// tabs when it runs; the delimiter line may have them).
	Body      string
	StripTabs bool
}

// Flag returns the value of the flag name and whether it is present.
func (in Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Script is what a RUN instruction runs as text: the shell form's command, the exec
// form's words joined by spaces, and each here-document's body after it.
func (in Instruction) Script() string {
	s := in.Args
	if in.JSON != nil {
		s = strings.Join(in.JSON, " ")
	}
	for _, h := range in.Heredocs {
		s += "\n" + h.Body
	}
	return s
}

// Errors of Parse, wrapped in a *SyntaxError.
var (
	// ErrEscape is an escape directive naming a character other than \ and `.
	ErrEscape = errors.New("escape directive must be \\ or `")
	// ErrHeredoc is a here-document whose delimiter line never comes.
	ErrHeredoc = errors.New("here-document not terminated")
	// ErrNoArgs is an instruction with nothing after its keyword where one is needed.
	ErrNoArgs = errors.New("instruction has no arguments")
)

// SyntaxError is a Dockerfile that cannot be parsed, at Line.
type SyntaxError struct {
	Line int
	Err  error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *SyntaxError) Unwrap() error { return e.Err }

var (
	directiveRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`)
	})
	keywordRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]+`) })
	heredocRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[ \t])<<(-?)(["']?)([A-Za-z0-9_.-]+)(["']?)`) })
)

// heredocKeywords are the instructions whose line may open here-documents.
var heredocKeywords = map[string]bool{"RUN": true, "COPY": true, "ADD": true}

// Parse parses a Dockerfile as the Dockerfile reference describes it: parser
// directives (escape), comments, line continuations, here-documents, flags, and the
// exec (JSON) and shell forms. It never evaluates variables.
func Parse(src []byte) (*File, error) {
	return parse(src, 0)
}

// parse parses src; a non-zero escape skips the directives (a part of a file).
func parse(src []byte, escape byte) (*File, error) {
	f := &File{Escape: '\\', Lines: splitLines(string(src))}
	text := make([]string, len(f.Lines))
	for i, l := range f.Lines {
		text[i] = strings.TrimRight(l, "\r\n")
	}
	i := 0
	if escape != 0 {
		f.Escape = escape
	} else {
		for ; i < len(text); i++ {
			m := directiveRE().FindStringSubmatch(strings.TrimLeft(text[i], " \t"))
			if m == nil {
				break
			}
			if strings.EqualFold(m[1], "escape") {
				if m[2] != "\\" && m[2] != "`" {
					return nil, &SyntaxError{Line: i + 1, Err: ErrEscape}
				}
				f.Escape = m[2][0]
			}
		}
	}
	for i < len(text) {
		t := strings.TrimLeft(text[i], " \t")
		if t == "" || t[0] == '#' {
			i++
			continue
		}
		start := i
		var joined strings.Builder
		for {
			line := text[i]
			trimmed := strings.TrimRight(line, " \t")
			// A continuation ends with the escape that is the line's only character
			// or follows another (BuildKit: a doubled escape is not one).
			n := len(trimmed)
			if cont := n > 0 && trimmed[n-1] == f.Escape && (n == 1 || trimmed[n-2] != f.Escape); cont {
				joined.WriteString(trimmed[:len(trimmed)-1])
				i++
				// Comment and empty lines inside a continuation are dropped.
				for i < len(text) {
					u := strings.TrimLeft(text[i], " \t")
					if u != "" && u[0] != '#' {
						break
					}
					i++
				}
				if i < len(text) {
					continue
				}
				break
			}
			joined.WriteString(line)
			i++
			break
		}
		logical := strings.TrimSpace(joined.String())
		if logical == "" {
			continue // only escapes and blanks: nothing to run
		}
		in, err := instruction(logical, start+1)
		if err != nil {
			return nil, err
		}
		in.EndLine = i
		if heredocKeywords[in.Keyword] && in.JSON == nil {
			for _, m := range heredocRE().FindAllStringSubmatch(in.Args, -1) {
				if m[2] != m[4] {
					continue
				}
				h := Heredoc{Name: m[3], StripTabs: m[1] == "-"}
				var body strings.Builder
				for {
					if i >= len(text) {
						return nil, &SyntaxError{Line: start + 1, Err: fmt.Errorf("%w: %s", ErrHeredoc, h.Name)}
					}
					l := text[i]
					i++
					if l == h.Name || h.StripTabs && strings.TrimLeft(l, "\t") == h.Name {
						break
					}
					body.WriteString(l + "\n")
				}
				h.Body = body.String()
				in.Heredocs = append(in.Heredocs, h)
				in.EndLine = i
			}
		}
		f.Instructions = append(f.Instructions, in)
	}
	return f, nil
}

// instruction parses one logical line (continuations joined) starting at line.
func instruction(s string, line int) (Instruction, error) {
	kw := keywordRE().FindString(s)
	in := Instruction{Keyword: strings.ToUpper(kw), Line: line}
	rest := strings.TrimLeft(s[len(kw):], " \t")
	if kw == "" {
		// Not a keyword: keep the first word, so the checks see the line.
		w, r, _ := strings.Cut(s, " ")
		in.Keyword, rest = strings.ToUpper(w), strings.TrimSpace(r)
	}
	for strings.HasPrefix(rest, "--") {
		word, after, _ := strings.Cut(rest, " ")
		if j := strings.IndexByte(word, '\t'); j >= 0 {
			word, after = word[:j], word[j+1:]+" "+after
		}
		if word == "--" { // the end of the flags
			rest = strings.TrimLeft(after, " \t")
			break
		}
		name, value, _ := strings.Cut(word[2:], "=")
		in.Flags = append(in.Flags, Flag{Name: strings.ToLower(name), Value: value})
		rest = strings.TrimLeft(after, " \t")
	}
	in.Args = strings.TrimSpace(rest)
	if strings.HasPrefix(in.Args, "[") {
		var words []string
		if json.Unmarshal([]byte(in.Args), &words) == nil && words != nil {
			in.JSON = words
		}
	}
	if in.Args == "" && in.Keyword == "FROM" {
		return in, &SyntaxError{Line: line, Err: fmt.Errorf("%w: FROM", ErrNoArgs)}
	}
	return in, nil
}

// splitLines splits s after each "\n", keeping the line endings.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		j := strings.IndexByte(s, '\n')
		if j < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:j+1])
		s = s[j+1:]
	}
	return out
}
