package goenv

import (
	"os"
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

// shUnquote undoes ShellQuote as a POSIX shell reads one word: unquoted characters
// as they are, '…' literally; ok is false for anything else (a character the shell
// would interpret).
func shUnquote(q string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'':
			j := strings.IndexByte(q[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(q[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(q):
			b.WriteByte(q[i+1])
			i += 2
		case strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%", c) >= 0:
			b.WriteByte(c)
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}

// FuzzShellQuote: whatever the value, the shell reads back exactly that value as one
// word (no expansion, no splitting, no command).
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "a b", "it's", "$(rm -rf ~)", "`x`", "a|b", "\n", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ShellQuote(s)
		if got, ok := shUnquote(q); !ok || got != s {
			t.Errorf("ShellQuote(%q) = %q, which a shell reads as %q (%v)", s, q, got, ok)
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
