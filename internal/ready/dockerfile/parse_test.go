package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Instruction
	}{
		{"flags, stage name, JSON form", "FROM --platform=$BUILDPLATFORM golang:1.26 AS build\nCMD [\"/app\", \"-v\"]\n", []Instruction{
			{Keyword: "FROM", Flags: []Flag{{"platform", "$BUILDPLATFORM"}}, Args: "golang:1.26 AS build", Line: 1, EndLine: 1},
			{Keyword: "CMD", Args: `["/app", "-v"]`, JSON: []string{"/app", "-v"}, Line: 2, EndLine: 2},
		}},
		{"continuations with comments and blank lines inside", "# comment\nrun echo a \\\n  # inside\n\n  b\n", []Instruction{
			{Keyword: "RUN", Args: "echo a   b", Line: 2, EndLine: 5},
		}},
		{"escape directive", "# escape=`\nRUN dir c:\\ `\n  /b\n", []Instruction{
			{Keyword: "RUN", Args: "dir c:\\   /b", Line: 2, EndLine: 3},
		}},
		{"heredocs", "RUN <<EOF cat <<-'END'\ngo build\nEOF\n\tx\n\tEND\nCOPY a b\n", []Instruction{
			{Keyword: "RUN", Args: "<<EOF cat <<-'END'", Heredocs: []Heredoc{{Name: "EOF", Body: "go build\n"}, {Name: "END", Body: "\tx\n", StripTabs: true}}, Line: 1, EndLine: 5},
			{Keyword: "COPY", Args: "a b", Line: 6, EndLine: 6},
		}},
		{"CRLF and no final newline", "FROM a\r\nRUN b", []Instruction{
			{Keyword: "FROM", Args: "a", Line: 1, EndLine: 1},
			{Keyword: "RUN", Args: "b", Line: 2, EndLine: 2},
		}},
		{"a << inside a word is no heredoc", "RUN echo a<<b\n", []Instruction{
			{Keyword: "RUN", Args: "echo a<<b", Line: 1, EndLine: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Instructions, tt.want) {
				t.Errorf("got  %+v\nwant %+v", f.Instructions, tt.want)
			}
			if strings.Join(f.Lines, "") != tt.src {
				t.Error("lines do not give the file back")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want error
		line int
	}{
		{"# escape=x\nFROM a\n", ErrEscape, 1},
		{"FROM a\nRUN <<EOF\nx\n", ErrHeredoc, 2},
		{"FROM\n", ErrNoArgs, 1},
	} {
		_, err := Parse([]byte(tt.src))
		var se *SyntaxError
		if !errors.Is(err, tt.want) || !errors.As(err, &se) || se.Line != tt.line {
			t.Errorf("Parse(%q) = %v, want %v at line %d", tt.src, err, tt.want, tt.line)
		}
	}
}

// FuzzParse checks, for any input the parser accepts: the lines give the input back;
// instructions are in order, within the file and never overlap; keywords are upper
// case; and each instruction's own lines, parsed alone, give the same instruction.
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedDockerfile))
	f.Add([]byte("# escape=`\nRUN a `\n b\n"))
	f.Add([]byte("RUN <<EOF\nx\nEOF\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Line > strings.Count(string(src), "\n")+1 {
				t.Fatalf("error %v is not a SyntaxError within the file", err)
			}
			return
		}
		if strings.Join(p.Lines, "") != string(src) {
			t.Fatal("lines do not give the file back")
		}
		prev := 0
		for _, in := range p.Instructions {
			if in.Line <= prev || in.EndLine < in.Line || in.EndLine > len(p.Lines) {
				t.Fatalf("instruction %+v out of order or outside %d lines (previous ended at %d)", in, len(p.Lines), prev)
			}
			prev = in.EndLine
			if in.Keyword != strings.ToUpper(in.Keyword) || in.Keyword == "" {
				t.Fatalf("keyword %q not upper case", in.Keyword)
			}
			alone, err := parse([]byte(strings.Join(p.Lines[in.Line-1:in.EndLine], "")), p.Escape)
			if err != nil || len(alone.Instructions) != 1 {
				t.Fatalf("lines %d-%d alone: %v, %d instructions", in.Line, in.EndLine, err, len(alone.Instructions))
			}
			got := alone.Instructions[0]
			got.Line += in.Line - 1
			got.EndLine += in.Line - 1
			if !reflect.DeepEqual(got, in) {
				t.Fatalf("lines %d-%d alone parse as %+v, in the file as %+v", in.Line, in.EndLine, got, in)
			}
		}
	})
}
