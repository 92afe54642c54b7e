package netcheck

import (
	"context"
	"github.com/gonative/gonative/internal/machine"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/netcheck/netchecktest"
)

func startServers(t *testing.T) *netchecktest.Servers {
	t.Helper()
	s, err := netchecktest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// testOptions are options for a run against s with Go settings vars (GOPATH is a
// fresh directory unless vars sets it).
// realWith is this machine with vars as its whole environment.
func realWith(vars map[string]string) machine.Machine {
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	return machine.RealWith(environ)
}

func testOptions(t *testing.T, s *netchecktest.Servers, vars map[string]string) Options {
	t.Helper()
	if vars["GOPATH"] == "" {
		vars["GOPATH"] = t.TempDir()
	}
	if _, ok := vars["GOSUMDB"]; !ok {
		vars["GOSUMDB"] = s.GOSUMDB
	}
	env := Env{
		GOOS:    "linux",
		Value:   func(n string) (string, bool) { v, ok := vars[n]; return v, ok },
		Source:  func(n string) goenv.Source { return goenv.SourceEnv },
		Machine: realWith(vars),
	}
	return Options{
		Env:    env,
		Module: netchecktest.Module, Version: netchecktest.Version,
		RootCAs: s.Trusted, Timeout: 5 * time.Second,
		Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
	}
}

func findingIDs(r Report) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, string(f.Severity)+" "+f.ID)
	}
	return ids
}

func find(r Report, id string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

func TestRun(t *testing.T) {
	s := startServers(t)
	tests := []struct {
		name    string
		goproxy func() string
		vars    map[string]string
		cached  []byte
		want    []string // "severity id" that must be present
		absent  []string // ids that must not be
		worst   Severity
		check   func(t *testing.T, r Report)
	}{
		{name: "good", goproxy: func() string { return s.Good },
			want: []string{"info proxy.ok", "info sumdb.ok", "info tls.private-root"}, worst: OK,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "proxy.ok")
				if !strings.Contains(f.Title, "info, mod, zip from "+s.Good) {
					t.Errorf("proxy.ok title = %q", f.Title)
				}
				steps := map[string]bool{}
				for _, rq := range r.Requests {
					steps[rq.Step+" "+rq.Method] = true
				}
				for _, want := range []string{"info GET", "mod GET", "zip GET", "sumdb supported GET", "sumdb latest GET", "sumdb lookup GET"} {
					if !steps[want] {
						t.Errorf("no %s request; made %v", want, steps)
					}
				}
			}},
		{name: "latest", goproxy: func() string { return s.Good }, vars: map[string]string{"VERSION": "latest"},
			want: []string{"info proxy.ok", "info sumdb.ok"}, worst: OK,
			check: func(t *testing.T, r Report) {
				if r.Resolved != netchecktest.Version {
					t.Errorf("resolved %q", r.Resolved)
				}
			}},
		{name: "404-then-fallback", goproxy: func() string { return s.NotFound + "," + s.Good },
			want: []string{"info proxy.ok"}, worst: OK,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "proxy.ok")
				if !strings.Contains(strings.Join(f.Evidence, "\n"), "404 Not Found: not found, so go tries the next entry") {
					t.Errorf("evidence lacks the 404 fall-through: %q", f.Evidence)
				}
			}},
		{name: "500-comma", goproxy: func() string { return s.Error500 + "," + s.Good },
			want: []string{"error proxy.error", "error sumdb.unreachable"}, absent: []string{"proxy.ok"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "proxy.error")
				if f.Fix == nil || !strings.Contains(strings.Join(f.Fix.Commands, " "), s.Error500+"|"+s.Good) {
					t.Errorf("fix should suggest '|': %+v", f.Fix)
				}
			}},
		// A captive portal answers 200 with HTML: go fails ("invalid character '<'"),
		// so netcheck must too, and blame the proxy, not the checksum database.
		{name: "html", goproxy: func() string { return s.HTML },
			want: []string{"error proxy.error"}, absent: []string{"proxy.ok", "sumdb.gomod-mismatch", "sumdb.zip-mismatch"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "proxy.error")
				if !strings.Contains(f.Title, "invalid response from proxy: invalid character '<'") {
					t.Errorf("proxy.error title = %q", f.Title)
				}
			}},
		{name: "html-pipe", goproxy: func() string { return s.HTML + "|" + s.Good },
			want: []string{"warning proxy.fell-through", "info sumdb.ok"}, absent: []string{"proxy.error"}, worst: Warning},
		// Every answer is well-formed, but the zip is not the one the database records.
		{name: "tampered-zip", goproxy: func() string { return s.Tampered },
			want: []string{"error sumdb.zip-mismatch"}, absent: []string{"proxy.error", "sumdb.ok"}, worst: Error},
		{name: "500-pipe", goproxy: func() string { return s.Error500 + "|" + s.Good },
			want: []string{"warning proxy.fell-through", "info sumdb.ok"}, absent: []string{"proxy.error"}, worst: Warning},
		{name: "corp", goproxy: func() string { return s.Corp },
			want: []string{"error tls.private-root-missing", "error proxy.error"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "tls.private-root-missing")
				if !strings.Contains(f.Title, `"Corp Root CA"`) || !strings.Contains(strings.Join(f.Evidence, "\n"), s.CorpSHA256) {
					t.Errorf("finding does not name the root and its fingerprint: %q %q", f.Title, f.Evidence)
				}
				if f.Fix == nil || !strings.Contains(strings.Join(f.Fix.Commands, "\n"), "update-ca-certificates") || !strings.Contains(f.Fix.Text, s.CorpSHA256) {
					t.Errorf("fix: %+v", f.Fix)
				}
				if len(r.Endpoints) == 0 || r.Endpoints[0].Anchor != AnchorPrivate || r.Endpoints[0].Verified || len(r.Endpoints[0].Chain) != 2 {
					t.Errorf("endpoint: %+v", r.Endpoints)
				}
			}},
		{name: "expired", goproxy: func() string { return s.Expired },
			want: []string{"error tls.expired"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "tls.expired")
				if !strings.Contains(f.Title, "the server's certificate expired on") {
					t.Errorf("title %q", f.Title)
				}
			}},
		{name: "wrong-host", goproxy: func() string { return s.WrongHost },
			want: []string{"error tls.wrong-host"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "tls.wrong-host")
				if !strings.Contains(f.Title, "wrong.example") {
					t.Errorf("title %q", f.Title)
				}
			}},
		{name: "wrong-key", goproxy: func() string { return s.WrongKey },
			want: []string{"info proxy.ok", "error sumdb.signature"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "sumdb.signature")
				if !strings.HasPrefix(f.Title, "SECURITY ERROR") {
					t.Errorf("title %q", f.Title)
				}
			}},
		{name: "forked-smaller", goproxy: func() string { return s.Good }, cached: s.ForkedHead,
			want: []string{"error sumdb.security"}, absent: []string{"sumdb.ok"}, worst: Error,
			check: func(t *testing.T, r Report) {
				f, _ := find(r, "sumdb.security")
				if !strings.HasPrefix(f.Title, "SECURITY ERROR") || !strings.Contains(strings.Join(f.Evidence, "\n"), "the server's tree has hash") {
					t.Errorf("finding %q %q", f.Title, f.Evidence)
				}
			}},
		{name: "forked-same-size", goproxy: func() string { return s.Good }, cached: s.ForkedSameSize,
			want: []string{"error sumdb.security"}, absent: []string{"sumdb.ok"}, worst: Error},
		{name: "sumdb-url", goproxy: func() string { return s.NotFound + ",direct" },
			vars: map[string]string{"GOSUMDB": s.GOSUMDB + " " + s.SumDBURL},
			want: []string{"warning proxy.direct", "info sumdb.ok"}, worst: Warning},
		{name: "private", goproxy: func() string { return s.Good }, vars: map[string]string{"GOPRIVATE": "example.com"},
			want: []string{"info settings.noproxy-match", "info settings.nosumdb-match", "info proxy.noproxy"}, absent: []string{"sumdb.ok"}, worst: OK},
		{name: "not-found", goproxy: func() string { return s.NotFound },
			want: []string{"error proxy.not-found"}, worst: Error},
		{name: "off", goproxy: func() string { return "off" },
			want: []string{"error settings.goproxy-off", "error proxy.off"}, worst: Error},
		{name: "sumdb-off", goproxy: func() string { return s.Good }, vars: map[string]string{"GOSUMDB": "off"},
			want: []string{"warning settings.gosumdb-off", "info proxy.ok"}, absent: []string{"sumdb.ok"}, worst: Warning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"GOPROXY": tt.goproxy()}
			for k, v := range tt.vars {
				vars[k] = v
			}
			o := testOptions(t, s, vars)
			if v := vars["VERSION"]; v != "" {
				o.Version = v
			}
			if tt.cached != nil {
				f := filepath.Join(vars["GOPATH"], "pkg", "sumdb", netchecktest.SumDBName, "latest")
				os.MkdirAll(filepath.Dir(f), 0o755)
				if err := os.WriteFile(f, tt.cached, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := Run(context.Background(), o)
			ids := findingIDs(r)
			for _, f := range r.Findings {
				// The area is always set (finding.Finding leaves an empty one out of the JSON).
				if !slices.Contains(Areas, f.Area) {
					t.Errorf("finding %s has area %q", f.ID, f.Area)
				}
			}
			for _, w := range tt.want {
				if !slices.Contains(ids, w) {
					t.Errorf("missing finding %q; have %q", w, ids)
				}
			}
			for _, a := range tt.absent {
				for _, id := range ids {
					if strings.HasSuffix(id, " "+a) {
						t.Errorf("unexpected finding %q", id)
					}
				}
			}
			if got := r.Worst(); got != tt.worst && !(tt.worst == OK && got == Info) {
				t.Errorf("worst = %s, want %s; findings %q", got, tt.worst, ids)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			if t.Failed() {
				for _, f := range r.Findings {
					t.Logf("%s %s: %s\n\t%s", f.Severity, f.ID, f.Title, strings.Join(f.Evidence, "\n\t"))
				}
			}
		})
	}
}

// TestForwardProxy sends the requests through an HTTPS_PROXY CONNECT proxy. The
// target is named goproxy.test, not 127.0.0.1: http.ProxyFromEnvironment never
// proxies localhost or loopback addresses (vendor/golang.org/x/net/http/httpproxy,
// useProxy), so a loopback URL would bypass the proxy; the forward proxy maps .test
// names to 127.0.0.1. Without the forward proxy the name does not resolve.
func TestForwardProxy(t *testing.T) {
	s := startServers(t)
	o := testOptions(t, s, map[string]string{"GOPROXY": s.ProxiedGood, "HTTPS_PROXY": s.ForwardProxy})
	fwd, _ := url.Parse(s.ForwardProxy)
	o.Proxy = http.ProxyURL(fwd)
	r := Run(context.Background(), o)
	if r.Worst() == Error {
		t.Fatalf("findings %q", findingIDs(r))
	}
	if s.Connects.Load() == 0 {
		t.Fatal("the forward proxy saw no CONNECT")
	}
	for _, rq := range r.Requests {
		if rq.Via != s.ForwardProxy {
			t.Errorf("%s went via %q, want %s", rq.URL, rq.Via, s.ForwardProxy)
		}
	}
	if _, ok := find(r, "proxy.env"); !ok {
		t.Errorf("no proxy.env finding: %q", findingIDs(r))
	}
}

// TestBypassFinding: with HTTPS_PROXY set, a proxy entry on loopback is reached
// directly (net/http never proxies loopback), and the report says so and why.
func TestBypassFinding(t *testing.T) {
	s := startServers(t)
	o := testOptions(t, s, map[string]string{"GOPROXY": s.Good, "HTTPS_PROXY": s.ForwardProxy})
	r := Run(context.Background(), o)
	f, ok := find(r, "proxy.bypass")
	if !ok {
		t.Fatalf("no proxy.bypass finding: %q", findingIDs(r))
	}
	if !strings.Contains(f.Title, "reached directly, not through HTTPS_PROXY") || !strings.Contains(f.Title, "loopback") {
		t.Errorf("proxy.bypass title %q does not say it is reached directly because it is loopback", f.Title)
	}
	if s.Connects.Load() != 0 {
		t.Errorf("the forward proxy saw %d CONNECTs for a loopback GOPROXY", s.Connects.Load())
	}
}

func TestProxyFromEnvironmentSkipsLoopback(t *testing.T) {
	// The rule netcheck reports ("never for loopback") is net/http's; pin it.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	req, _ := http.NewRequest("GET", "https://127.0.0.1:8443/x", nil)
	u, err := http.ProxyFromEnvironment(req)
	if err != nil || u != nil {
		t.Fatalf("ProxyFromEnvironment(loopback) = %v, %v; want no proxy", u, err)
	}
}

// TestNetrc: a proxy that wants credentials gets them from ~/.netrc (GOAUTH=netrc, the
// default), matched on host:port as cmd/go matches them; without them the finding says
// how to add them; with a GOAUTH command netcheck does not run, the result is unknown.
func TestNetrc(t *testing.T) {
	s := startServers(t)
	authProxy := func(next string) http.Handler {
		u, _ := url.Parse(next)
		rp := httputilProxy(u, s)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if user, pass, ok := r.BasicAuth(); !ok || user != "me" || pass != "tok" {
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
			rp.ServeHTTP(w, r)
		})
	}
	srv := httptestTLS(t, authProxy(s.Good), s)
	home := t.TempDir()
	u, _ := url.Parse(srv)
	vars := map[string]string{"GOPROXY": srv, "HOME": home}

	r := Run(context.Background(), testOptions(t, s, vars))
	f, ok := find(r, "proxy.error")
	if !ok || f.Fix == nil || !strings.Contains(strings.Join(f.Fix.Commands, " "), "machine "+u.Host+" login") {
		t.Fatalf("without netrc: %q, fix %+v", findingIDs(r), f.Fix)
	}

	os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine other.example login x password y\nmachine "+u.Host+" login me password tok\n"), 0o600)
	r = Run(context.Background(), testOptions(t, s, vars))
	if _, ok := find(r, "proxy.ok"); !ok {
		t.Fatalf("with netrc: %q", findingIDs(r))
	}

	os.Remove(filepath.Join(home, ".netrc"))
	vars["GOAUTH"] = "netrc;/usr/local/bin/corp-auth"
	r = Run(context.Background(), testOptions(t, s, vars))
	if f, ok := find(r, "proxy.auth"); !ok || f.Severity != Warning {
		t.Fatalf("with a GOAUTH command: %q", findingIDs(r))
	}
}

func TestParseNetrc(t *testing.T) {
	got := parseNetrc("machine a login u password p\nmachine b\n login v\n password q\nmacdef init\nmachine c login x password y\n\nmachine d login w password r\ndefault\nmachine e login e password e\n")
	want := []netrcLine{{"a", "u", "p"}, {"b", "v", "q"}, {"d", "w", "r"}}
	if !slices.Equal(got, want) {
		t.Fatalf("parseNetrc = %v, want %v", got, want)
	}
}

// TestFileProxy: a file:// GOPROXY entry is read from disk (a missing file is "not
// found", so ',' falls through to the next entry).
func TestFileProxy(t *testing.T) {
	s := startServers(t)
	dir := t.TempDir()
	at := filepath.Join(dir, "example.com", "hello", "@v")
	os.MkdirAll(at, 0o755)
	os.WriteFile(filepath.Join(at, "v1.0.0.info"), []byte(`{"Version":"v1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(at, "v1.0.0.mod"), s.GoMod, 0o644)
	// no zip: the next entry serves it
	r := Run(context.Background(), testOptions(t, s, map[string]string{"GOPROXY": "file://" + filepath.ToSlash(dir) + "," + s.Good}))
	f, ok := find(r, "proxy.ok")
	if !ok || !strings.Contains(f.Title, "info, mod from file://") || !strings.Contains(f.Title, "zip from "+s.Good) {
		t.Fatalf("proxy.ok %q; findings %q", f.Title, findingIDs(r))
	}
	if _, ok := find(r, "sumdb.ok"); !ok {
		t.Fatalf("findings %q", findingIDs(r))
	}
}

// BenchmarkRun measures a full healthy run against loopback servers: the settings,
// the proxy path, the checksum database with a consistency proof against a cached
// head, and the TLS diagnosis.
func BenchmarkRun(b *testing.B) {
	s, err := netchecktest.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	gopath := b.TempDir()
	vars := map[string]string{"GOPROXY": s.Good, "GOSUMDB": s.GOSUMDB, "GOPATH": gopath}
	env := Env{GOOS: "linux", Value: func(n string) (string, bool) { v, ok := vars[n]; return v, ok }, Machine: realWith(vars)}
	opts := Options{Env: env, Module: netchecktest.Module, Version: netchecktest.Version,
		RootCAs: s.Trusted, Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }}
	for b.Loop() {
		if r := Run(context.Background(), opts); r.Worst() == Error {
			b.Fatalf("findings %q", findingIDs(r))
		}
	}
}
