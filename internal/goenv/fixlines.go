package goenv

import "strings"

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

// ShellQuote quotes s for a POSIX shell: as is when it holds only characters no shell
// treats specially, else in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
