package netcheck

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
)

// netrcLine is one machine entry of a .netrc file.
type netrcLine struct {
	machine, login, password string
}

// parseNetrc parses a .netrc file as cmd/go does (cmd/go/internal/auth/netrc.go,
// parseNetrc): "machine", "login" and "password" tokens in any layout, macdef bodies
// skipped, nothing after "default".
func parseNetrc(data string) []netrcLine {
	var nrc []netrcLine
	var l netrcLine
	inMacro := false
	for _, line := range strings.Split(data, "\n") {
		if inMacro {
			if line == "" {
				inMacro = false
			}
			continue
		}
		f := strings.Fields(line)
		i := 0
		for ; i < len(f)-1; i += 2 {
			switch f[i] {
			case "machine":
				l = netrcLine{machine: f[i+1]}
			case "login":
				l.login = f[i+1]
			case "password":
				l.password = f[i+1]
			case "macdef":
				inMacro = true
			}
			if l.machine != "" && l.login != "" && l.password != "" {
				nrc = append(nrc, l)
				l = netrcLine{}
			}
		}
		if i < len(f) && f[i] == "default" {
			break
		}
	}
	return nrc
}

// netrcPath is $NETRC, else ~/.netrc (~/_netrc first on Windows, when it exists):
// cmd/go/internal/auth/netrc.go, netrcPath.
func netrcPath(env Env) string {
	if p := env.getenv("NETRC"); p != "" {
		return p
	}
	home := env.getenv("HOME")
	if env.GOOS == "windows" {
		home = env.getenv("USERPROFILE")
		if home != "" && env.Machine != nil {
			if _, err := env.readFile(home + `\_netrc`); err == nil {
				return home + `\_netrc`
			}
		}
		if home != "" {
			return home + `\.netrc`
		}
		return ""
	}
	if home == "" {
		return ""
	}
	return home + "/.netrc"
}

// goAuth reads the credentials cmd/go would use from GOAUTH (default "netrc"): the
// netrc lines, and whether GOAUTH also names commands (git, or a program) that
// netcheck does not run.
func goAuth(env Env) (lines []netrcLine, commands bool) {
	v, ok := env.lookup("GOAUTH")
	if !ok || v == "" {
		v = "netrc"
	}
	for _, c := range strings.Split(v, ";") {
		switch w := strings.Fields(c); {
		case len(w) == 0 || w[0] == "off":
		case w[0] == "netrc":
			if p := netrcPath(env); p != "" && env.Machine != nil {
				if b, err := env.readFile(p); err == nil {
					lines = append(lines, parseNetrc(string(b))...)
				}
			}
		default:
			commands = true
		}
	}
	return lines, commands
}

// netrcFindings report a .netrc that go would block on: cmd/go reads it whole
// (auth/netrc.go, readNetrc: os.ReadFile) before its first request, so a named pipe
// there hangs every download.
func netrcFindings(env Env) []Finding {
	v, ok := env.lookup("GOAUTH")
	if ok && v != "" && !slices.ContainsFunc(strings.Split(v, ";"), func(c string) bool { return strings.TrimSpace(c) == "netrc" }) {
		return nil
	}
	p := netrcPath(env)
	if p == "" || env.Machine == nil {
		return nil
	}
	_, err := env.readFile(p)
	if !errors.Is(err, atomicfile.ErrNotRegular) {
		return nil
	}
	return []Finding{{ID: "settings.netrc", Area: AreaSettings, Severity: Error,
		Title:    p + " is not a regular file: go reads its .netrc whole before downloading (GOAUTH=netrc), so it blocks there (a named pipe) or fails",
		Evidence: []string{err.Error(), env.setting("GOAUTH"), "NETRC=" + env.getenv("NETRC")},
		Fix:      &Fix{Text: "Point NETRC at a regular file (or unset it to use ~/.netrc).", Commands: []string{"unset NETRC"}}}}
}

// addCredentials adds the netrc credentials cmd/go would send with req
// (cmd/go/internal/auth/auth.go, loadCredential: the URL without "https://", then each
// shorter path prefix, matched against the machine names; the first entry for a
// machine wins). Plain-HTTP URLs get none, as in cmd/go.
func addCredentials(req *http.Request, lines []netrcLine) {
	if len(lines) == 0 || req.URL.Scheme != "https" || req.URL.User != nil {
		return
	}
	prefix := strings.TrimSuffix(req.URL.Host+req.URL.Path, "/")
	for {
		for _, l := range lines {
			if l.machine == prefix {
				req.SetBasicAuth(l.login, l.password)
				return
			}
		}
		i := strings.LastIndexByte(prefix, '/')
		if i < 0 {
			return
		}
		prefix = prefix[:i]
	}
}
