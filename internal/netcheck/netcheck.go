package netcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/redact"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// DefaultTimeout bounds each request.
const DefaultTimeout = 10 * time.Second

// DefaultModule is the module probed when neither the command line nor the main
// module names one.
const DefaultModule = "golang.org/x/mod"

// Options configure a run.
type Options struct {
	// Env is the Go settings and the machine (environment and files) read.
	Env Env
	// Module and Version are the module to probe; Version "" or "latest" resolves
	// the latest release through the proxy (/@v/list, as `go mod download M@latest`).
	Module, Version string
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// RootCAs are the roots TLS is verified with; nil means the system's, as cmd/go
	// (crypto/tls's default). Verification is never turned off.
	RootCAs *x509.CertPool
	// Proxy chooses the forward proxy for a request; nil means
	// http.ProxyFromEnvironment, which is what cmd/go's http.DefaultClient uses
	// (cmd/go/internal/web/http.go): HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the
	// environment, read once, never for localhost or a loopback address.
	Proxy func(*http.Request) (*url.URL, error)
	// DialContext dials TCP connections; nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// SystemProxy reads the OS's proxy settings that go ignores (macOS: scutil
	// --proxy); nil means none.
	SystemProxy func(ctx context.Context) (SystemProxy, error)
	// PublicRoots is the public root set (a zero value is loaded on first use).
	PublicRoots *PublicRoots
	// Now is the time chains are judged at (time.Now when zero).
	Now time.Time
	// Toolchain is the toolchain go switches to (GOTOOLCHAIN, a go.mod go or toolchain
	// line) when it is not installed here: a Go version ("1.99.0"), whose
	// golang.org/toolchain module for ToolchainPlatform Run asks the proxies about, as
	// cmd/go does before downloading it. "" when go runs the local toolchain.
	Toolchain string
	// ToolchainPlatform is GOOS-GOARCH of that toolchain (the local go's platform).
	ToolchainPlatform string
}

// Offline returns the findings that need no network: the settings (for module, ""
// for none), the root store and the proxy settings of the environment and the OS.
func Offline(ctx context.Context, opts Options) []Finding {
	fs := Settings(ctx, opts)
	return append(fs, RootFindings(DescribeRoots(opts.Env.GOOS, opts.Env.Machine))...)
}

// Settings returns the findings about the settings (for opts.Module, "" for none) and
// the forward proxies of the environment and the OS.
func Settings(ctx context.Context, opts Options) []Finding {
	fs := settingsFindings(opts.Env, ReadConfig(opts.Env), opts.Module)
	fs = append(fs, netrcFindings(opts.Env)...)
	return append(fs, proxyEnvFindings(ctx, opts)...)
}

// ResolveModule returns the module to probe: path[@version] when given, else the main
// module's first requirement (GOMOD), else DefaultModule@latest.
func ResolveModule(arg string, env Env) (mod, version string, err error) {
	if arg != "" {
		mod, version, _ = strings.Cut(arg, "@")
		if err := module.CheckPath(mod); err != nil {
			return "", "", fmt.Errorf("bad module %q: %w", arg, err)
		}
		if version != "" && version != "latest" && module.CanonicalVersion(version) != version {
			return "", "", fmt.Errorf("bad version %q: want a canonical semantic version (v1.2.3) or latest", version)
		}
		return mod, version, nil
	}
	if gomod, _ := env.lookup("GOMOD"); gomod != "" && gomod != "/dev/null" && gomod != "NUL" && env.Machine != nil {
		if b, err := env.readFile(gomod); err == nil {
			if f, err := modfile.ParseLax(gomod, b, nil); err == nil && len(f.Require) > 0 {
				r := f.Require[0].Mod
				return r.Path, r.Version, nil
			}
		}
	}
	return DefaultModule, "latest", nil
}

// run is one netcheck run's state.
type run struct {
	opts   Options
	cfg    Config
	roots  RootStore
	pub    *PublicRoots
	client *http.Client
	proxy  func(*http.Request) (*url.URL, error)

	mu        sync.Mutex
	requests  []Request
	endpoints []Endpoint
	seen      map[string]bool
	findings  []Finding
	resolved  string
	// netrc holds the credentials GOAUTH=netrc gives go; authCommands is true when
	// GOAUTH also names commands netcheck does not run.
	netrc        []netrcLine
	authCommands bool
}

func (r *run) add(fs ...Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings = append(r.findings, fs...)
}

// newRun prepares a run for opts (with its defaults filled in): the settings, the root
// store, credentials and an HTTP client as cmd/go's; done releases its connections.
func newRun(opts Options) (*run, Options, func()) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PublicRoots == nil {
		opts.PublicRoots = &PublicRoots{}
	}
	if opts.Version == "" {
		opts.Version = "latest"
	}
	r := &run{opts: opts, cfg: ReadConfig(opts.Env), pub: opts.PublicRoots, seen: map[string]bool{}}
	r.roots = DescribeRoots(opts.Env.GOOS, opts.Env.Machine)
	r.netrc, r.authCommands = goAuth(opts.Env)
	registerSecrets(opts.Env, r.netrc)
	r.proxy = opts.Proxy
	if r.proxy == nil {
		r.proxy = http.ProxyFromEnvironment
	}
	rootCAs := opts.RootCAs
	if _, blocks := r.roots.Blocking(); blocks && rootCAs == nil {
		// crypto/x509 would block on that file for ever (go does): probe with the
		// roots it would load without it; the tls.roots finding says why.
		rootCAs = r.roots.pool(opts.Env.Machine)
	}
	dial := opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:               r.proxy,
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{RootCAs: rootCAs},
		TLSHandshakeTimeout: opts.Timeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
	}
	// cmd/go refuses a redirect from https to http (web/http.go,
	// securityPreservingHTTPClient) and stops after 10.
	r.client = &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirected from secure URL %s to insecure URL %s", redactURL(via[len(via)-1].URL.String()), redactURL(req.URL.String()))
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}}

	return r, opts, tr.CloseIdleConnections
}

// Run checks module downloads for opts.Module end to end and returns the report.
func Run(ctx context.Context, opts Options) Report {
	start := time.Now()
	r, opts, done := newRun(opts)
	defer done()
	r.add(Offline(ctx, opts)...)

	r.add(r.bypassFindings()...)

	rep := Report{SchemaVersion: SchemaVersion, Module: opts.Module, Version: opts.Version, Roots: r.roots}
	if r.cfg.ProxyUnknown {
		r.add(Finding{ID: "proxy.unknown", Area: AreaProxy, Severity: Warning,
			Title: "GOPROXY is unknown (no go on PATH ran, no layer sets it): nothing was probed",
			Fix:   &Fix{Needs: finding.NeedsNetwork, Text: "Install Go, or set GOPROXY.", Commands: []string{"gonative install"}}})
	} else if r.cfg.ProxyErr == nil {
		resolved := make(chan proxyResult, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			res := r.proxyPath(ctx, opts.Module, opts.Version)
			resolved <- res
		})
		wg.Go(func() { r.sumdbPath(ctx, opts.Module, resolved) })
		if opts.Toolchain != "" {
			wg.Go(func() { r.add(r.toolchainPath(ctx, opts.Toolchain)) })
		}
		wg.Wait()
	}
	rep.Resolved = r.resolved
	rep.Requests = r.requests
	if rep.Requests == nil {
		rep.Requests = []Request{}
	}
	rep.Endpoints = r.endpoints
	if rep.Endpoints == nil {
		rep.Endpoints = []Endpoint{}
	}
	rep.Findings = r.findings
	sortFindings(rep.Findings)
	rep.Areas = areas(rep.Findings)
	rep.Millis = ms(time.Since(start))
	return rep
}

// errNotFound marks a 404 or 410 answer: the only failure after which a ','-separated
// GOPROXY list moves on (cmd/go/internal/web/http.go maps them to fs.ErrNotExist).
var errNotFound = errors.New("not found")

// statusError is a non-200 answer.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("%d %s", e.status, http.StatusText(e.status))
	if e.body != "" {
		s += ": " + e.body
	}
	return s
}

func (e *statusError) Is(target error) bool {
	return target == errNotFound && (e.status == http.StatusNotFound || e.status == http.StatusGone)
}

// get makes one request, records it and the TLS chain of its host, and returns the body
// of a 200 answer (nothing for HEAD).
func (r *run) get(ctx context.Context, step, entry, method, rawURL string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	rq := Request{Step: step, Method: method, URL: redactURL(rawURL), Entry: redactURL(entry)}
	if strings.HasPrefix(rawURL, "file://") {
		return r.getFile(rq, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	addCredentials(req, r.netrc)
	via := ""
	if u, err := r.proxy(req); err == nil && u != nil {
		via = redactURL(u.String())
	}
	rq.Via = via
	start := time.Now()
	resp, err := r.client.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the request's URL is in the report already
	}
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		rq.Status = resp.StatusCode
		if err == nil && resp.StatusCode != http.StatusOK {
			msg := strings.TrimSpace(string(body))
			if len(msg) > 200 {
				msg = msg[:200] + "..."
			}
			// A server may echo the credentials it was sent.
			err = &statusError{status: resp.StatusCode, body: redact.Text(msg)}
		}
	}
	rq.Millis = ms(time.Since(start))
	if err != nil {
		rq.Error = redact.Text(err.Error())
	}
	r.mu.Lock()
	r.requests = append(r.requests, rq)
	r.mu.Unlock()
	r.observeTLS(req.URL, via, resp, err)
	if err != nil {
		return nil, err
	}
	return body, nil
}

func (r *run) getFile(rq Request, rawURL string) ([]byte, error) {
	start := time.Now()
	dir, err := goenv.FileProxyDir(rawURL)
	var b []byte
	if err == nil {
		if b, err = r.opts.Env.readFile(dir); errors.Is(err, fs.ErrNotExist) {
			// Only a missing file is "not found" (cmd/go/internal/web, file URLs);
			// a named pipe or a device there is an error (go would block on it).
			err = fmt.Errorf("%w: %v", errNotFound, err)
		}
	}
	rq.Millis = ms(time.Since(start))
	if err != nil {
		rq.Error = err.Error()
	} else {
		rq.Status = http.StatusOK
	}
	r.mu.Lock()
	r.requests = append(r.requests, rq)
	r.mu.Unlock()
	return b, err
}

// observeTLS records the chain the host of u presented, once per host.
func (r *run) observeTLS(u *url.URL, via string, resp *http.Response, err error) {
	if u.Scheme != "https" {
		return
	}
	var state *tls.ConnectionState
	if resp != nil { // any answer, 404 included, completed the handshake
		state = resp.TLS
		if resp.Request != nil && resp.Request.URL.Host != u.Host {
			u = resp.Request.URL // after a redirect the chain is the last host's
		}
	}
	var cve *tls.CertificateVerificationError
	if state == nil && !errors.As(err, &cve) && !tlsFailure(err) {
		return // no handshake to judge (a refused connection, a DNS failure)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":443"
	}
	r.mu.Lock()
	if r.seen[host] {
		r.mu.Unlock()
		return
	}
	r.seen[host] = true
	r.mu.Unlock()
	ep, fs := diagnoseTLS(tlsContext{host: host, via: via, goos: r.opts.Env.GOOS, roots: r.roots, pub: r.pub, now: r.opts.Now}, state, err)
	if state == nil && cve == nil {
		fs = []Finding{{ID: "tls.handshake", Area: AreaTLS, Severity: Error, Title: host + ": TLS handshake failed: " + err.Error()}}
	}
	r.mu.Lock()
	r.endpoints = append(r.endpoints, ep)
	r.findings = append(r.findings, fs...)
	r.mu.Unlock()
}

// redactURL masks a URL's password (internal/redact: url.URL.Redacted's rule).
func redactURL(s string) string { return redact.URL(s) }

// registerSecrets tells internal/redact every credential this run may send or show:
// the passwords in GOPROXY, GOSUMDB and the forward proxy variables, GOAUTH's command
// arguments and the .netrc passwords (with the Basic authorization made of them), so
// that one echoed back by a server is masked too.
func registerSecrets(env Env, netrc []netrcLine) {
	for _, name := range []string{"GOPROXY", "GOSUMDB", "GOAUTH"} {
		redact.RegisterSetting(name, env.value(name))
	}
	for _, name := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		redact.RegisterSetting(name, env.getenv(name))
	}
	for _, l := range netrc {
		redact.RegisterBasic(l.login, l.password)
	}
}

// joinURL appends a path to a base URL.
func joinURL(base, p string) string {
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(p, "/")
}

// bypassFindings say which proxy entries go reaches without the HTTPS_PROXY that is
// set: loopback hosts (never proxied: net/http's ProxyFromEnvironment) and hosts
// NO_PROXY matches.
func (r *run) bypassFindings() []Finding {
	if r.opts.Env.getenv("HTTPS_PROXY") == "" && r.opts.Env.getenv("https_proxy") == "" {
		return nil
	}
	var fs []Finding
	seen := map[string]bool{}
	for _, p := range r.cfg.Proxies {
		u, err := url.Parse(p.URL)
		if err != nil || u.Scheme != "https" || seen[u.Host] {
			continue
		}
		seen[u.Host] = true
		req, err := http.NewRequest(http.MethodGet, p.URL, nil)
		if err != nil {
			continue
		}
		if via, err := r.proxy(req); err != nil || via != nil {
			continue
		}
		why := "NO_PROXY matches it"
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			why = "go never proxies localhost or loopback addresses"
		}
		fs = append(fs, Finding{ID: "proxy.bypass", Area: AreaProxy, Severity: Info,
			Title: u.Host + " is reached directly, not through HTTPS_PROXY: " + why})
	}
	return fs
}
