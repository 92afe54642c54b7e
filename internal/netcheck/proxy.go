package netcheck

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
)

// proxyResult is what the proxy path learned: the version "latest" resolved to and the
// go.mod the proxy served (the checksum database check compares its hash).
type proxyResult struct {
	version string
	gomod   []byte
	// ziphash is the h1: hash of the module zip the proxy served ("" when none was
	// fetched or it was invalid).
	ziphash string
}

// step is one walk of the GOPROXY list for one file, as cmd/go does for every file it
// fetches (modfetch/proxy.go, TryProxies: each Stat, GoMod and Zip walks the list
// again from the start).
type step struct {
	name     string
	method   string
	path     string // below the proxy's base URL
	answered string // the entry that answered
	failed   string // the entry whose error ended the walk
	body     []byte
	// outcome, when nothing answered: "direct", "off", "not found", or the error that ended the walk
	err     error
	trail   []string // what each entry did
	direct  bool
	fellErr bool // fell through on an error after '|'
	// validate judges a 200 answer as cmd/go does before using it; an answer it
	// rejects is an error of that entry (after ',' go stops, after '|' it goes on).
	validate func(body []byte) error
}

// errInvalid marks an answer cmd/go rejects although the status was 200 OK.
var errInvalid = errors.New("invalid response from proxy")

func (r *run) walk(ctx context.Context, s *step) {
	for i, p := range r.cfg.Proxies {
		switch {
		case p.IsDirect():
			s.direct = true
			s.trail = append(s.trail, "direct: go fetches from the module's origin (version control); netcheck does not probe origins")
			return
		case p.IsOff():
			s.err = errLookupDisabled
			s.trail = append(s.trail, "off: fails")
			return
		}
		u := joinURL(p.URL, s.path)
		body, err := r.get(ctx, s.name, p.URL, s.method, u)
		if err == nil && s.validate != nil {
			if verr := s.validate(body); verr != nil {
				err = fmt.Errorf("%w: %v", errInvalid, verr)
			}
		}
		if err == nil {
			s.answered, s.body = p.URL, body
			s.trail = append(s.trail, fmt.Sprintf("%s %s: 200 OK", s.method, redactURL(u)))
			return
		}
		nf := errors.Is(err, errNotFound)
		last := i == len(r.cfg.Proxies)-1
		switch {
		case nf && !last:
			s.trail = append(s.trail, fmt.Sprintf("%s %s: %v: not found, so go tries the next entry", s.method, redactURL(u), shortErr(err)))
		case !nf && p.FallBackOnError && !last:
			s.fellErr = true
			s.trail = append(s.trail, fmt.Sprintf("%s %s: %v: the entry is followed by '|', so go tries the next entry", s.method, redactURL(u), shortErr(err)))
		default:
			s.trail = append(s.trail, fmt.Sprintf("%s %s: %v", s.method, redactURL(u), shortErr(err)))
			if !nf && !last {
				s.trail[len(s.trail)-1] += ": the entry is followed by ',', so go stops here"
			}
			s.err = &entryError{index: i, entry: redactURL(p.URL), err: err}
			s.failed = p.URL
			return
		}
	}
}

func shortErr(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return fmt.Sprintf("%d %s", se.status, http.StatusText(se.status))
	}
	return err.Error()
}

// proxyPath makes the requests `go mod download -json MOD@VERSION` makes through the
// proxy list (modfetch/proxy.go): /@v/list (and /@latest when the list has no release)
// to resolve "latest", /@v/VERSION.info, .mod and the .zip, and judges each 200 answer
// as cmd/go does (infoValidator, modValidator, zipHash): a captive portal's HTML page
// is an error, not a module.
func (r *run) proxyPath(ctx context.Context, mod, version string) proxyResult {
	var res proxyResult
	if !r.cfg.UsesProxy(mod) {
		r.add(Finding{ID: "proxy.noproxy", Area: AreaProxy, Severity: Info,
			Title: mod + " matches GONOPROXY=" + r.cfg.NoProxy + ": go fetches it from its origin (version control) without a proxy; netcheck does not probe origins"})
		if semver.IsValid(version) {
			res.version = version
		}
		return res
	}
	esc, err := module.EscapePath(mod)
	if err != nil {
		r.add(Finding{ID: "proxy.module", Area: AreaProxy, Severity: Error, Title: "bad module path \"" + mod + "\": " + err.Error()})
		return res
	}
	var steps []*step
	if version == "latest" {
		list := &step{name: "list", method: http.MethodGet, path: esc + "/@v/list"}
		r.walk(ctx, list)
		steps = append(steps, list)
		if list.answered != "" {
			version = latestOf(list.body)
			if version == "" {
				lat := &step{name: "latest", method: http.MethodGet, path: esc + "/@latest"}
				r.walk(ctx, lat)
				steps = append(steps, lat)
				version = infoVersion(lat.body)
			}
		}
		if !semver.IsValid(version) {
			r.reportSteps(mod, "latest", steps)
			if list.answered != "" {
				r.add(Finding{ID: "proxy.no-version", Area: AreaProxy, Severity: Error,
					Title: "the proxy lists no version of " + mod + ": check the module path"})
			}
			return res
		}
		r.mu.Lock()
		r.resolved = version
		r.mu.Unlock()
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		r.add(Finding{ID: "proxy.module", Area: AreaProxy, Severity: Error, Title: "bad version \"" + version + "\": " + err.Error()})
		return res
	}
	res.version = version
	info := &step{name: "info", method: http.MethodGet, path: esc + "/@v/" + ev + ".info", validate: infoValidator(version)}
	r.walk(ctx, info)
	steps = append(steps, info)
	if info.err != nil || info.direct {
		// go mod download stops at the failed Stat (modfetch/repo.go).
		r.reportSteps(mod, version, steps)
		return res
	}
	gomod := &step{name: "mod", method: http.MethodGet, path: esc + "/@v/" + ev + ".mod", validate: modValidator(mod)}
	var ziphash string
	zip := &step{name: "zip", method: http.MethodGet, path: esc + "/@v/" + ev + ".zip", validate: func(b []byte) error {
		h, err := zipHash(b, mod, version)
		ziphash = h
		return err
	}}
	var wg sync.WaitGroup
	wg.Go(func() { r.walk(ctx, gomod) })
	wg.Go(func() { r.walk(ctx, zip) })
	wg.Wait()
	steps = append(steps, gomod, zip)
	res.gomod = gomod.body
	if zip.answered != "" {
		res.ziphash = ziphash
	}
	r.reportSteps(mod, version, steps)
	return res
}

// latestOf picks what cmd/go picks from /@v/list for "latest": the highest release,
// else the highest pre-release (modload/query.go); pseudo-versions in the list are
// ignored (modfetch/proxy.go, Versions), and so are non-canonical ones.
func latestOf(list []byte) string {
	var rel, pre string
	for _, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		v := f[0]
		if !semver.IsValid(v) || semver.Canonical(v) != v || module.IsPseudoVersion(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			if rel == "" || semver.Compare(v, rel) > 0 {
				rel = v
			}
		} else if pre == "" || semver.Compare(v, pre) > 0 {
			pre = v
		}
	}
	if rel != "" {
		return rel
	}
	return pre
}

// infoVersion reads the Version of a .info answer ({"Version": ..., "Time": ...}, the
// proxy protocol's Info), "" unless it is a canonical semantic version.
func infoVersion(b []byte) string {
	var info struct{ Version string }
	if json.Unmarshal(b, &info) != nil || semver.Canonical(info.Version) != info.Version {
		return ""
	}
	return info.Version
}

// reportSteps turns the walks into findings.
func (r *run) reportSteps(mod, version string, steps []*step) {
	target := mod + "@" + version
	var answered []string
	var trail []string
	worst := Info
	for _, s := range steps {
		for _, t := range s.trail {
			trail = append(trail, s.name+": "+t)
		}
		switch {
		case s.err != nil && errors.Is(s.err, errNotFound):
			r.add(Finding{ID: "proxy.not-found", Area: AreaProxy, Severity: Error,
				Title:    fmt.Sprintf("no entry of GOPROXY has %s (%s): go fails with \"not found\"", target, s.name),
				Evidence: s.trail,
				Fix: &Fix{Needs: finding.NeedsNetwork, Text: "Check the module path and version; for a private module, set GOPRIVATE so go fetches it from its origin.",
					Commands: []string{"go env -w GOPRIVATE=" + privatePattern(mod)}}})
			worst = Error
		case errors.Is(s.err, errLookupDisabled):
			r.add(Finding{ID: "proxy.off", Area: AreaProxy, Severity: Error,
				Title: fmt.Sprintf("%s (%s): the GOPROXY list reaches off: module lookup disabled", target, s.name), Evidence: s.trail})
			worst = Error
		case s.err != nil && r.authCommands && isAuthStatus(s.err):
			// go would run the GOAUTH commands and retry: unknown, not a failure.
			r.add(Finding{ID: "proxy.auth", Area: AreaProxy, Severity: Warning,
				Title:    fmt.Sprintf("%s (%s): the proxy wants credentials that only GOAUTH's commands can give, which netcheck does not run: whether go gets in is unknown", target, s.name),
				Evidence: s.trail,
				Fix:      &Fix{Text: "Check that the GOAUTH command prints credentials for this URL (go help gitauth, go help goauth)."}})
			if worst == Info {
				worst = Warning
			}
		case s.err != nil:
			f := Finding{ID: "proxy.error", Area: AreaProxy, Severity: Error,
				Title:    fmt.Sprintf("%s (%s) fails: %s", target, s.name, s.err),
				Evidence: s.trail}
			f.Fix = r.errorFix(s)
			r.add(f)
			worst = Error
		case s.direct:
			if worst == Info {
				worst = Warning
			}
			r.add(Finding{ID: "proxy.direct", Area: AreaProxy, Severity: Warning,
				Title:    fmt.Sprintf("no proxy answered %s (%s): go falls back to direct (the module's version control), which netcheck does not probe", target, s.name),
				Evidence: s.trail})
		case s.fellErr:
			r.add(Finding{ID: "proxy.fell-through", Area: AreaProxy, Severity: Warning,
				Title:    fmt.Sprintf("%s (%s): an entry failed and '|' let go try the next one, which answered", target, s.name),
				Evidence: s.trail,
				Fix:      &Fix{Text: "The failing entry slows every download; fix or remove it."}})
		default:
			answered = append(answered, s.name+" from "+redactURL(s.answered))
		}
	}
	if worst == Info && len(answered) == len(steps) {
		r.add(Finding{ID: "proxy.ok", Area: AreaProxy, Severity: Info,
			Title:    fmt.Sprintf("%s: %s", target, strings.Join(groupByEntry(answered), ", ")),
			Evidence: trail})
	}
}

// groupByEntry folds "list from X", "info from X" ... into "list, info from X".
func groupByEntry(s []string) []string {
	var out []string
	var names []string
	last := ""
	for _, a := range s {
		n, from, _ := strings.Cut(a, " from ")
		if from != last && last != "" {
			out = append(out, strings.Join(names, ", ")+" from "+last)
			names = nil
		}
		names = append(names, n)
		last = from
	}
	if len(names) > 0 {
		out = append(out, strings.Join(names, ", ")+" from "+last)
	}
	return out
}

// errorFix suggests a fix for a walk that ended on an error.
func (r *run) errorFix(s *step) *Fix {
	switch {
	case viaForwardProxy(s.err):
		return &Fix{Text: "The forward proxy (HTTPS_PROXY) refused or failed the connection: check its address and credentials (http://user:pass@host:port), or exempt the host with NO_PROXY."}
	case tlsFailure(s.err):
		return &Fix{Text: "TLS failed: see the TLS trust findings."}
	case hostNotFound(s.err):
		return &Fix{Text: "The proxy's host name does not resolve: check the GOPROXY spelling and DNS; behind a company proxy, set HTTPS_PROXY."}
	}
	var se *statusError
	if errors.As(s.err, &se) {
		switch se.status {
		case http.StatusUnauthorized, http.StatusForbidden:
			host := "HOST"
			if u, err := url.Parse(s.failed); err == nil && u.Host != "" {
				host = u.Host // netrc machines match the URL's host[:port] (auth.go, loadCredential)
			}
			return &Fix{Needs: finding.NeedsNetwork, Text: "The proxy wants credentials (none were sent, or they were refused): go sends them from GOAUTH, by default ~/.netrc (or $NETRC), matched on the host.", Commands: []string{"printf 'machine " + host + " login USER password TOKEN\\n' >> ~/.netrc && chmod 600 ~/.netrc"}}
		}
	}
	i := -1
	if ee := (*entryError)(nil); errors.As(s.err, &ee) {
		i = ee.index
	}
	if i >= 0 && i < len(r.cfg.Proxies)-1 && !r.cfg.Proxies[i].FallBackOnError {
		alt := make([]goenv.Proxy, len(r.cfg.Proxies))
		copy(alt, r.cfg.Proxies)
		alt[i].FallBackOnError = true
		// In the layer that set GOPROXY: go env -w does not override the environment.
		fix := r.opts.Env.setFix("GOPROXY", proxyListSummary(alt), "After ',' go stops at any error other than 404/410. Fix the proxy, or separate it with '|' so go tries the next entry on any error.")
		fix.Needs = finding.NeedsNetwork // only a probe of the failing proxy shows the effect
		return fix
	}
	return &Fix{Text: "The proxy failed; nothing follows it in GOPROXY that go could fall back to."}
}

func privatePattern(mod string) string {
	host, _, _ := strings.Cut(mod, "/")
	return host
}

// SystemProxy is a proxy configured in the OS (macOS: System Settings > Network >
// Proxies) that go does not read.
type SystemProxy struct {
	HTTPS string `json:"https,omitempty"` // host:port
	PAC   string `json:"pac,omitempty"`   // the auto-configuration URL
	Auto  bool   `json:"auto,omitempty"`  // WPAD auto-discovery
}

// ParseScutilProxy reads the output of macOS `scutil --proxy` (a dictionary of
// HTTPSEnable, HTTPSProxy, HTTPSPort, ProxyAutoConfigEnable,
// ProxyAutoConfigURLString, ProxyAutoDiscoveryEnable).
func ParseScutilProxy(out []byte) SystemProxy {
	kv := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " : ")
		if ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	var sp SystemProxy
	if kv["HTTPSEnable"] == "1" && kv["HTTPSProxy"] != "" {
		sp.HTTPS = kv["HTTPSProxy"]
		if p := kv["HTTPSPort"]; p != "" {
			sp.HTTPS = net.JoinHostPort(sp.HTTPS, p)
		}
	}
	if kv["ProxyAutoConfigEnable"] == "1" {
		sp.PAC = kv["ProxyAutoConfigURLString"]
		if sp.PAC == "" {
			sp.PAC = "(no URL)"
		}
	}
	sp.Auto = kv["ProxyAutoDiscoveryEnable"] == "1"
	return sp
}

// proxyEnvFindings describe the forward proxy go uses (environment only) and an OS
// proxy it ignores.
func proxyEnvFindings(ctx context.Context, opts Options) []Finding {
	var fs []Finding
	env := opts.Env
	var set []string
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		if x := env.getenv(v); x != "" {
			set = append(set, v+"="+redactURL(x))
		}
	}
	https := env.getenv("HTTPS_PROXY")
	if https == "" {
		https = env.getenv("https_proxy")
	}
	if len(set) > 0 {
		title := "forward proxy from the environment: " + strings.Join(set, " ")
		if https == "" {
			title = "no HTTPS_PROXY: https requests go out directly (" + strings.Join(set, " ") + ")"
		}
		fs = append(fs, Finding{ID: "proxy.env", Area: AreaProxy, Severity: Info, Title: title,
			Evidence: []string{"go reads only the environment (cmd/go/internal/web/http.go uses http.DefaultClient: http.ProxyFromEnvironment), once, and never proxies localhost or loopback addresses"}})
		if https != "" {
			if u, err := url.Parse(https); err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" {
				fs = append(fs, Finding{ID: "proxy.env-scheme", Area: AreaProxy, Severity: Warning,
					Title: "HTTPS_PROXY has scheme " + u.Scheme + ": Go supports http, https and socks5"})
			}
		}
	}
	if opts.SystemProxy != nil {
		sp, err := opts.SystemProxy(ctx)
		if err == nil && (sp.HTTPS != "" || sp.PAC != "" || sp.Auto) {
			var what []string
			if sp.HTTPS != "" {
				what = append(what, "HTTPS proxy "+sp.HTTPS)
			}
			if sp.PAC != "" {
				what = append(what, "auto-configuration (PAC) "+sp.PAC)
			}
			if sp.Auto {
				what = append(what, "auto-discovery (WPAD)")
			}
			f := Finding{ID: "proxy.system", Area: AreaProxy,
				Title:    "the OS has a proxy configured (" + strings.Join(what, ", ") + "), which go ignores: it reads only HTTPS_PROXY",
				Evidence: []string{"scutil --proxy"}}
			if https == "" {
				f.Severity = Warning
				fix := &Fix{Text: "If the network requires that proxy, give it to go through the environment (a PAC file names it: ask IT for host:port).", Needs: finding.NeedsMacOS}
				if sp.HTTPS != "" {
					fix.Commands = []string{"export HTTPS_PROXY=http://" + sp.HTTPS}
				}
				f.Fix = fix
			} else {
				f.Severity = Info
			}
			fs = append(fs, f)
		}
	}
	return fs
}

// goModSum is the go.sum hash of a go.mod file (cmd/go/internal/modfetch/fetch.go,
// goModSum).
func goModSum(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// isAuthStatus reports whether err is a 401 or 403 answer.
func isAuthStatus(err error) bool {
	var se *statusError
	return errors.As(err, &se) && (se.status == http.StatusUnauthorized || se.status == http.StatusForbidden)
}

// infoValidator checks a .info answer as modfetch/proxy.go's Stat does: JSON holding
// the proxy protocol's Info ({"Version": ..., "Time": RFC 3339}), for the version asked.
func infoValidator(version string) func([]byte) error {
	return func(b []byte) error {
		var info struct {
			Version string
			Time    time.Time
		}
		if err := json.Unmarshal(b, &info); err != nil {
			return err
		}
		if info.Version != version {
			return fmt.Errorf("proxy returned info for version %q instead of requested version %s", info.Version, version)
		}
		return nil
	}
}

// modValidator checks a .mod answer: it parses as a go.mod file (modfile.ParseLax, as
// cmd/go reads dependencies' go.mod files) and declares the module path asked for.
func modValidator(mod string) func([]byte) error {
	return func(b []byte) error {
		f, err := modfile.ParseLax("go.mod", b, nil)
		if err != nil {
			return err
		}
		if f.Module == nil {
			return errors.New("go.mod has no module line")
		}
		if f.Module.Mod.Path != mod {
			return fmt.Errorf("go.mod declares its path as %q, not %s", f.Module.Mod.Path, mod)
		}
		return nil
	}
}

// zipHash checks a .zip answer as golang.org/x/mod/zip does before extracting it (a
// zip archive whose every file lies under MOD@VERSION/) and returns its h1: hash, the
// one go.sum and the checksum database record (dirhash.HashZip).
func zipHash(b []byte, mod, version string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", fmt.Errorf("not a zip archive: %w", err)
	}
	prefix := mod + "@" + version + "/"
	var names []string
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) {
			return "", fmt.Errorf("zip file %q is not below %s", f.Name, prefix)
		}
		if _, dup := files[f.Name]; dup {
			return "", fmt.Errorf("zip holds %q twice", f.Name)
		}
		names = append(names, f.Name)
		files[f.Name] = f
	}
	if len(names) == 0 {
		return "", errors.New("zip holds no files")
	}
	return dirhash.Hash1(names, func(name string) (io.ReadCloser, error) { return files[name].Open() })
}
