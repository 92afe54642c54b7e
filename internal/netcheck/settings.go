package netcheck

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/redact"
	"golang.org/x/mod/module"
)

// Env is the Go environment netcheck reads.
type Env struct {
	// GOOS is the machine's OS (it decides the root store and the fixes).
	GOOS string
	// Value returns a Go setting's effective value, as `go env` reports it
	// (GOPROXY, GOSUMDB, GOPRIVATE, GONOPROXY, GONOSUMDB, GOINSECURE, GOAUTH, GOFLAGS,
	// GOPATH, GOMODCACHE, GOMOD), and false when it is unknown: no go ran and no
	// layer sets it (a fake machine). An unknown GOPROXY or GOSUMDB is reported as
	// unknown, never as empty.
	Value func(name string) (string, bool)
	// Source returns the layer that set a Go setting (goenv.Layers.Source).
	Source func(name string) goenv.Source
	// Machine is the machine's environment (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE,
	// SSL_CERT_DIR, HOME, NETRC) and files: the root store, .netrc, the cached
	// checksum database head, go.mod and go.sum, file:// proxies and the shell
	// start-up files a fix edits (goenv.ProfileLine). Its reads never block (a named
	// pipe or a device where a setting names a file is refused with an error
	// wrapping atomicfile.ErrNotRegular). Nil means no variable is set and no file is
	// read.
	Machine machine.Machine
}

func (e Env) value(name string) string {
	v, _ := e.lookup(name)
	return v
}

func (e Env) lookup(name string) (string, bool) {
	if e.Value == nil {
		return "", false
	}
	return e.Value(name)
}

func (e Env) getenv(name string) string {
	if e.Machine == nil {
		return ""
	}
	return machine.Getenv(e.Machine, name)
}

// profileReader reads shell start-up files, nil when there is no machine.
func (e Env) profileReader() func(string) ([]byte, error) {
	if e.Machine == nil {
		return nil
	}
	return e.Machine.ReadFile
}

// readFile reads a file of the machine (an error when there is none).
func (e Env) readFile(name string) ([]byte, error) {
	if e.Machine == nil {
		return nil, errNoFiles
	}
	return e.Machine.ReadFile(name)
}

// errNoFiles is readFile's error for an Env without a machine.
var errNoFiles = errors.New("no file system")

// setting renders "NAME=value (source)" for evidence.
func (e Env) setting(name string) string {
	src := goenv.SourceDefault
	if e.Source != nil {
		src = e.Source(name)
	}
	return fmt.Sprintf("%s=%s (%s)", name, redact.Setting(name, e.value(name)), src)
}

// source is the layer that set name (the default when unknown).
func (e Env) source(name string) goenv.Source {
	if e.Source == nil {
		return goenv.SourceDefault
	}
	return e.Source(name)
}

// resetFix is a fix that takes name out of the layer that set it: unset in the shell,
// go env -u for the go env file (go env -u does not reach the environment).
func (e Env) resetFix(name, text string) *Fix {
	return e.setFix(name, "", text)
}

// setFix is a fix that makes name=value effective in the layer that sets name now
// (value "" takes it out of that layer); a value from $GOROOT/go.env or go's default
// is overridden with go env -w.
func (e Env) setFix(name, value, text string) *Fix {
	src := e.source(name)
	f := &Fix{Text: text, Commands: goenv.SetLines(src, name, value)}
	switch src {
	case goenv.SourceEnv:
		f.Layer = finding.LayerShell
		if file, n, line, ok := goenv.ProfileLine(e.getenv("HOME"), name, e.profileReader()); ok && value == "" {
			f.Text += fmt.Sprintf(" It is set in %s (line %d: %s): that line goes too (sed keeps a copy as %s.bak).", file, n, line, file)
			f.Commands = append(f.Commands, goenv.ProfileRemoveLine(file, name))
			f.Layer = finding.LayerProfile
		} else {
			f.Text += " Change your shell start-up file too (~/.profile, ~/.bashrc, ~/.zshrc)."
		}
	case goenv.SourceUser:
		f.Layer = finding.LayerGoEnv
	default:
		if value != "" {
			f.Layer = finding.LayerGoEnv
		} else {
			f.Layer, f.Needs = finding.LayerGOROOT, finding.NeedsPerson
			f.Text += " " + name + " comes from " + string(src) + ": override it with go env -w " + name + "=…"
		}
	}
	return f
}

// Config is the module-download configuration cmd/go derives from the settings.
type Config struct {
	Proxies []goenv.Proxy
	// ProxyErr is set when GOPROXY does not parse (every download then fails).
	ProxyErr error
	SumDB    goenv.SumDB
	SumDBErr error
	// NoProxy and NoSumDB are the effective GONOPROXY and GONOSUMDB patterns
	// (GOPRIVATE when unset: cmd/go/internal/cfg/cfg.go).
	NoProxy, NoSumDB string
	// ProxyUnknown and SumDBUnknown are set when GOPROXY or GOSUMDB is unknown.
	ProxyUnknown, SumDBUnknown bool
}

// ReadConfig derives the download configuration from env.
func ReadConfig(env Env) Config {
	var c Config
	// `go env` already reports GONOPROXY and GONOSUMDB defaulted from GOPRIVATE
	// (cfg/cfg.go); NoProxyPatterns applies the same rule when they come from layers.
	c.NoProxy = goenv.NoProxyPatterns(env.value)
	c.NoSumDB = goenv.NoSumDBPatterns(env.value)
	gp, ok := env.lookup("GOPROXY")
	gs, sok := env.lookup("GOSUMDB")
	c.ProxyUnknown, c.SumDBUnknown = !ok, !sok
	if sok { // unknown stays unknown (SumDBUnknown), not "off"
		// An empty GOSUMDB fails in modfetch/sumdb.go, dbDial, with "missing GOSUMDB".
		c.SumDB, c.SumDBErr = goenv.ParseGOSUMDB(gs)
	}
	if !ok {
		return c
	}
	c.Proxies, c.ProxyErr = goenv.ParseGOPROXY(gp)
	if c.ProxyErr == nil && len(c.Proxies) == 0 {
		// No layer sets GOPROXY, not even $GOROOT/go.env (cfg/cfg.go defaults it to
		// ""): modfetch/proxy.go, proxyList, then fails every download with this.
		c.ProxyErr = errors.New("GOPROXY list is not the empty string, but contains no entries (no layer sets GOPROXY)")
	}
	return c
}

// UsesProxy reports whether cmd/go fetches modPath through the proxy list: not when
// GONOPROXY matches (modfetch/proxy.go adds the implicit "noproxy" entry, which
// fetches directly) or the list is just "direct".
func (c Config) UsesProxy(modPath string) bool {
	return !module.MatchPrefixPatterns(c.NoProxy, modPath)
}

// settingsFindings are the offline findings about the settings, for module modPath
// ("" for none).
func settingsFindings(env Env, c Config, modPath string) []Finding {
	var fs []Finding
	add := func(f Finding) { f.Area = AreaSettings; fs = append(fs, f) }

	// GOPROXY.
	switch {
	case c.ProxyUnknown:
		add(Finding{ID: "settings.goproxy", Severity: Info,
			Title: "GOPROXY: unknown (no go ran and no layer sets it); the proxy path cannot be judged"})
	case c.ProxyErr != nil:
		add(Finding{ID: "settings.goproxy", Severity: Error,
			Title:    "GOPROXY does not parse: every module download fails",
			Evidence: []string{env.setting("GOPROXY"), c.ProxyErr.Error()},
			Fix:      &Fix{Needs: finding.NeedsPerson, Text: "Set a list of https:// URLs separated by ',' (fall through on 404/410 only) or '|' (on any error), optionally ending in direct.", Commands: []string{"go env -w GOPROXY=https://proxy.example.com,direct"}},
			Links:    []string{"https://go.dev/ref/mod#goproxy-protocol"}})
	default:
		var ev []string
		ev = append(ev, env.setting("GOPROXY"))
		for i := range c.Proxies {
			ev = append(ev, fmt.Sprintf("%d. %s", i+1, describeEntry(c.Proxies, i)))
		}
		add(Finding{ID: "settings.goproxy", Severity: Info, Title: "GOPROXY: " + proxyListSummary(c.Proxies), Evidence: ev,
			Links: []string{"https://go.dev/ref/mod#goproxy-protocol"}})
		if c.Proxies[0].IsOff() {
			add(Finding{ID: "settings.goproxy-off", Severity: Error,
				Title:    "GOPROXY=off: go refuses to download any module",
				Evidence: []string{env.setting("GOPROXY")},
				Fix:      env.resetFix("GOPROXY", "Set a proxy (or direct) if downloads should work.")})
		}
		for _, p := range c.Proxies {
			if strings.HasPrefix(p.URL, "http://") {
				add(Finding{ID: "settings.goproxy-http", Severity: Warning,
					Title:    "GOPROXY entry " + redact.URL(p.URL) + " is plain HTTP: anyone on the path can change what go downloads (only the checksum database still protects you)",
					Evidence: []string{env.setting("GOPROXY")},
					Fix:      &Fix{Text: "Use the proxy's https:// URL."}})
			}
		}
	}

	// GOPRIVATE, GONOPROXY, GONOSUMDB.
	for _, v := range []struct{ name, eff string }{{"GONOPROXY", c.NoProxy}, {"GONOSUMDB", c.NoSumDB}} {
		// `go env` reports the derived value; only a layer setting it is the user's own.
		own := env.value(v.name)
		if env.Source != nil && env.Source(v.name) == goenv.SourceDefault {
			own = ""
		}
		if own == "" && v.eff != "" {
			add(Finding{ID: "settings." + strings.ToLower(v.name), Severity: Info,
				Title:    v.name + " is unset, so it takes GOPRIVATE: " + v.eff,
				Evidence: []string{env.setting("GOPRIVATE")}})
		}
	}
	if modPath != "" {
		if module.MatchPrefixPatterns(c.NoProxy, modPath) && c.ProxyErr == nil && !(len(c.Proxies) == 1 && c.Proxies[0].IsDirect()) {
			add(Finding{ID: "settings.noproxy-match", Severity: Info,
				Title:    modPath + " matches GONOPROXY (" + c.NoProxy + "): go fetches it directly from its origin (version control), not through GOPROXY",
				Evidence: []string{env.setting("GONOPROXY"), env.setting("GOPRIVATE")}})
		}
		if !c.SumDBUnknown && !c.SumDB.Off && module.MatchPrefixPatterns(c.NoSumDB, modPath) {
			add(Finding{ID: "settings.nosumdb-match", Severity: Info,
				Title:    modPath + " matches GONOSUMDB (" + c.NoSumDB + "): go does not check it against the checksum database (only go.sum protects it)",
				Evidence: []string{env.setting("GONOSUMDB"), env.setting("GOPRIVATE")}})
		}
	}

	// GOSUMDB (cmd/go/internal/modfetch/sumdb.go, dbDial).
	switch {
	case c.SumDBUnknown:
		add(Finding{ID: "settings.gosumdb", Severity: Info,
			Title: "GOSUMDB: unknown (no go ran and no layer sets it); the checksum database cannot be judged"})
	case c.SumDBErr != nil:
		add(Finding{ID: "settings.gosumdb", Severity: Error,
			Title:    "GOSUMDB does not parse: every download that needs verifying fails",
			Evidence: []string{env.setting("GOSUMDB"), c.SumDBErr.Error()},
			Fix:      env.resetFix("GOSUMDB", "Restore the default, or give name+hash+key [URL].")})
	case c.SumDB.Off:
		add(Finding{ID: "settings.gosumdb-off", Severity: Warning,
			Title:    "GOSUMDB=off: modules missing from go.sum are not verified by anyone",
			Evidence: []string{env.setting("GOSUMDB")},
			Fix:      env.resetFix("GOSUMDB", "Keep the checksum database on and exclude only private modules with GOPRIVATE (or GONOSUMDB), such as go env -w GOPRIVATE=git.example.com/*."),
			Links:    []string{"https://go.dev/ref/mod#checksum-database"}})
	default:
		ev := []string{env.setting("GOSUMDB"), "name: " + c.SumDB.Name}
		if c.SumDB.BuiltinKey {
			ev = append(ev, "key: built into cmd/go (modfetch/key.go)")
		} else {
			ev = append(ev, "key: "+c.SumDB.Key)
		}
		title := "checksum database " + c.SumDB.Name
		if c.SumDB.URL != "" {
			title += " at " + redact.URL(c.SumDB.URL) + " (proxies are bypassed)"
			ev = append(ev, "URL: "+redact.URL(c.SumDB.URL))
		} else {
			title += " (through the first proxy that supports it, else directly)"
		}
		add(Finding{ID: "settings.gosumdb", Severity: Info, Title: title, Evidence: ev})
	}

	// GOINSECURE: direct fetches only; never the checksum database (cmd/go/alldocs.go).
	if v := env.value("GOINSECURE"); v != "" {
		add(Finding{ID: "settings.goinsecure", Severity: Warning,
			Title: "GOINSECURE=" + v + ": direct fetches of matching modules skip TLS verification (and may use plain HTTP); " +
				"it does not apply to proxies and does not disable checksum verification",
			Evidence: []string{env.setting("GOINSECURE")},
			Fix:      env.resetFix("GOINSECURE", "Trust the server's CA instead (see the TLS findings); to skip the checksum database for private modules use GOPRIVATE."),
			Links:    []string{"https://go.dev/ref/mod#environment-variables"}})
	}

	// GOAUTH (cmd/go/alldocs.go: default "netrc").
	if v := env.value("GOAUTH"); v != "" && v != "netrc" {
		add(Finding{ID: "settings.goauth", Severity: Info,
			Title:    "GOAUTH=" + redact.Setting("GOAUTH", v) + ": credentials for proxies and origins come from " + authSummary(v),
			Evidence: []string{env.setting("GOAUTH")}})
	}

	// GOFLAGS=-insecure: `go get -insecure` was removed (modget/get.go: "-insecure flag
	// is no longer supported; use GOINSECURE instead"); other commands ignore unknown
	// GOFLAGS (base/goflags.go).
	for _, f := range strings.Fields(env.value("GOFLAGS")) {
		name, _, _ := strings.Cut(strings.TrimPrefix(f, "-"), "=")
		if strings.TrimPrefix(name, "-") == "insecure" {
			add(Finding{ID: "settings.goflags-insecure", Severity: Error,
				Title:    "GOFLAGS has -insecure: go get fails with \"-insecure flag is no longer supported\" (other commands ignore it)",
				Evidence: []string{env.setting("GOFLAGS")},
				Fix: env.setFix("GOFLAGS", strings.Join(slices.DeleteFunc(strings.Fields(env.value("GOFLAGS")), func(s string) bool { return strings.Contains(s, "insecure") }), " "),
					"Remove -insecure from GOFLAGS; for a server with a private CA, trust the CA; GOINSECURE only as a last resort.")})
		}
	}
	return fs
}

func authSummary(v string) string {
	switch {
	case v == "off":
		return "nowhere (GOAUTH=off): private proxies answer 401/403/404"
	case v == "netrc":
		return "~/.netrc"
	case v == "git" || strings.HasPrefix(v, "git "):
		return "git credential helpers"
	}
	return "a command: " + redact.Setting("GOAUTH", v)
}

func proxyListSummary(list []goenv.Proxy) string {
	var parts []string
	for i, p := range list {
		s := redact.URL(p.URL)
		if i > 0 {
			sep := ","
			if list[i-1].FallBackOnError {
				sep = "|"
			}
			parts = append(parts, sep)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "")
}

// describeEntry says what entry i of a GOPROXY list does (cmd/go/internal/modfetch/proxy.go,
// proxyList and TryProxies).
func describeEntry(list []goenv.Proxy, i int) string {
	p := list[i]
	p.URL = redact.URL(p.URL)
	switch {
	case p.IsDirect():
		return "direct: fetch from the module's origin (version control); ends the list"
	case p.IsOff():
		return "off: fail; ends the list"
	case i == len(list)-1:
		return p.URL + ": last entry; any failure is final"
	case p.FallBackOnError:
		return p.URL + ": followed by '|': any error moves on to the next entry"
	}
	return p.URL + ": followed by ',': only 404/410 move on to the next entry; other errors are final"
}
