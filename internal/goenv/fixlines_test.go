package goenv

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestFixLines(t *testing.T) {
	tests := []struct {
		src         Source
		name, value string
		want        []string
	}{
		{SourceEnv, "GOPROXY", "", []string{"unset GOPROXY"}},
		{SourceUser, "GOPROXY", "", []string{"go env -u GOPROXY"}},
		{SourceGOROOT, "GOPROXY", "", nil}, // nothing resets $GOROOT/go.env
		{SourceDefault, "GOPROXY", "", nil},
		{SourceEnv, "GOFLAGS", "-mod=mod -trimpath", []string{"export 'GOFLAGS=-mod=mod -trimpath'"}},
		{SourceUser, "GOFLAGS", "-mod=mod", []string{"go env -w GOFLAGS=-mod=mod"}},
		{SourceGOROOT, "GOTOOLCHAIN", "auto", []string{"go env -w GOTOOLCHAIN=auto"}},
		{SourceEnv, "GOPROXY", "https://a|https://b", []string{"export 'GOPROXY=https://a|https://b'"}},
	}
	for _, tt := range tests {
		if got := SetLines(tt.src, tt.name, tt.value); !slices.Equal(got, tt.want) {
			t.Errorf("SetLines(%s, %s, %q) = %q, want %q", tt.src, tt.name, tt.value, got, tt.want)
		}
	}
}

// shellReads is the word q as a POSIX shell reads it: `sh -c 'printf "[%s]" Q'`,
// whose output is one bracketed string per word.
func shellReads(t *testing.T, q string) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh: the round trip needs a POSIX shell")
	}
	out, err := exec.Command(sh, "-c", `printf '[%s]' `+q).Output()
	if err != nil {
		t.Fatalf("sh -c 'printf [%%s] %s': %v", q, err)
	}
	return string(out)
}

// TestShellQuote: hostile values come back from a real shell as exactly one word with
// exactly their bytes (no expansion, no splitting, no command, no globbing); values of
// safe characters only are written bare.
func TestShellQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "''"},
		{"plain", "plain"},
		{"/usr/local/go/bin/go", "/usr/local/go/bin/go"},
		{"GOFLAGS=-mod=mod", "GOFLAGS=-mod=mod"},
		{"user@host:1,2+3%4", "user@host:1,2+3%4"},
		{"-n", "-n"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$(touch pwned)", "'$(touch pwned)'"},
		{"`id`", "'`id`'"},
		{"a|b;c&d>e<f", "'a|b;c&d>e<f'"},
		{`\n`, `'\n'`},
		{`\\`, `'\\'`},
		{"*", "'*'"},
		{"~", "'~'"},
		{"~root/x", "'~root/x'"},
		{"{a,b}", "'{a,b}'"},
		{"$HOME", "'$HOME'"},
		{`"`, `'"'`},
		{"!x", "'!x'"},
		{"#x", "'#x'"},
		{"'", `''\'''`},
		{"''", `''\'''\'''`},
		{"é", "'é'"},
		{"\xff\xfe", "'\xff\xfe'"},
		{" lead\ttab\n", "' lead\ttab\n'"},
	} {
		q := ShellQuote(tt.in)
		if q != tt.want {
			t.Errorf("ShellQuote(%q) = %q, want %q", tt.in, q, tt.want)
		}
		if got := shellReads(t, q); got != "["+tt.in+"]" {
			t.Errorf("ShellQuote(%q) = %q, which sh reads as %q", tt.in, q, got)
		}
	}
}

// FuzzShellQuote: whatever the value, a real shell reads back exactly that value as
// one word (no expansion, no splitting, no command). A NUL cannot be on a command
// line at all.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "a b", "it's", "$(rm -rf ~)", "`x`", "a|b", "\n", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			t.Skip("a NUL cannot be passed to sh")
		}
		q := ShellQuote(s)
		if got := shellReads(t, q); got != "["+s+"]" {
			t.Errorf("ShellQuote(%q) = %q, which sh reads as %q", s, q, got)
		}
	})
}

func TestProfileLine(t *testing.T) {
	files := map[string]string{
		"/home/me/.profile": "PATH=$PATH:/x\n",
		"/home/me/.bashrc":  "# mine\n  export GOPROXY=indented\nexport GOPROXY=off\n",
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	file, n, line, ok := ProfileLine("/home/me", "GOPROXY", read)
	if !ok || file != "/home/me/.bashrc" || n != 3 || line != "export GOPROXY=off" {
		t.Errorf("ProfileLine = %q %d %q %v", file, n, line, ok)
	}
	if _, _, _, ok := ProfileLine("/home/me", "GOFLAGS", read); ok {
		t.Error("found a GOFLAGS line that is not there")
	}
	if got, want := ProfileRemoveLine("/home/my files/.bashrc", "GOPROXY"), `sed -i.bak '/^export GOPROXY=/d;/^GOPROXY=/d' '/home/my files/.bashrc'`; got != want {
		t.Errorf("ProfileRemoveLine = %s, want %s", got, want)
	}
}
