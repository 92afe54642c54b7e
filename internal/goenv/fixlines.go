package goenv

import (
	"path"
	"strings"
)

// ResetLines returns the shell lines that take name out of the layer src that set it,
// so that the layers below decide its value again: unset in the shell for
// SourceEnv, go env -u for the go env file. go env -u and -w do not reach the process
// environment (go warns that the OS environment overrides the file, and nothing
// changes), and nothing reaches
// $GOROOT/go.env or the default: for those it returns nil.
func ResetLines(src Source, name string) []string {
	switch src {
	case SourceEnv:
		return []string{"unset " + name}
	case SourceUser:
		return []string{"go env -u " + name}
	}
	return nil
}

// SetLines returns the shell lines that make name=value effective when src is the
// layer that sets it now: export in the shell for SourceEnv (the environment
// overrides every file), go env -w otherwise (the go env file overrides
// $GOROOT/go.env and the default). An empty value resets the layer (ResetLines).
func SetLines(src Source, name, value string) []string {
	if value == "" {
		return ResetLines(src, name)
	}
	if src == SourceEnv {
		return []string{"export " + ShellQuote(name+"="+value)}
	}
	return []string{"go env -w " + ShellQuote(name+"="+value)}
}

// ShellQuote quotes s as one word for a POSIX shell (sh, bash, zsh): as is when it
// holds only characters no shell treats specially anywhere in a word (the set of
// Python's shlex.quote: ASCII letters and digits and -_=.,/:+@%), else in single
// quotes, where a quote is written as quote, backslash, quote, quote. It is the
// module's one shell quoter: every shell line a fix or a message carries quotes its
// words with it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ProfileFiles are the shell start-up files, relative to HOME, that export variables
// for sh, bash and zsh.
var ProfileFiles = []string{".profile", ".bash_profile", ".bash_login", ".bashrc", ".zshenv", ".zprofile", ".zshrc"}

// ProfileLine finds the first line of a shell start-up file under home that sets name
// at the start of a line ("export NAME=…" or "NAME=…", the forms ProfileRemoveLine
// deletes); ok is false when none does.
func ProfileLine(home, name string, readFile func(string) ([]byte, error)) (file string, n int, line string, ok bool) {
	if home == "" || readFile == nil {
		return "", 0, "", false
	}
	for _, p := range ProfileFiles {
		file := path.Join(home, p)
		b, err := readFile(file)
		if err != nil {
			continue
		}
		for i, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "export "+name+"=") || strings.HasPrefix(l, name+"=") {
				return file, i + 1, l, true
			}
		}
	}
	return "", 0, "", false
}

// ProfileRemoveLine is the shell line that deletes the lines setting name from file
// (keeping a copy as file.bak; sed -i.bak works with GNU and BSD sed).
func ProfileRemoveLine(file, name string) string {
	return "sed -i.bak '/^export " + name + "=/d;/^" + name + "=/d' " + ShellQuote(file)
}
