package netcheck

import (
	"context"
	"errors"
	"github.com/gonative/gonative/internal/machine"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/goenv"
	"golang.org/x/mod/semver"
)

func envOf(goos string, vars map[string]string, src map[string]goenv.Source) Env {
	return Env{
		GOOS:  goos,
		Value: func(n string) (string, bool) { v, ok := vars[n]; return v, ok },
		Source: func(n string) goenv.Source {
			if s, ok := src[n]; ok {
				return s
			}
			return goenv.SourceEnv
		},
		Machine: machine.Fake(fstest.MapFS{}, vars),
	}
}

const testKey = "sum.test+01e1b472+AYxCZwkcFcgglrHl2MWDriSFKKStDn2I1ikUQgShtqpV"

func TestSettingsFindings(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		src  map[string]goenv.Source
		mod  string
		want []string // "severity id"
		text string   // in some title
	}{
		{"default", map[string]string{"GOPROXY": "https://proxy.example.com,direct", "GOSUMDB": testKey}, nil, "",
			[]string{"info settings.goproxy", "info settings.gosumdb"}, "https://proxy.example.com,direct"},
		{"bad proxy", map[string]string{"GOPROXY": "ftp://x", "GOSUMDB": testKey}, nil, "",
			[]string{"error settings.goproxy"}, "does not parse"},
		{"empty proxy", map[string]string{"GOPROXY": "", "GOSUMDB": testKey}, nil, "",
			[]string{"error settings.goproxy"}, "contains no entries"},
		{"unknown", map[string]string{}, nil, "",
			[]string{"info settings.goproxy", "info settings.gosumdb"}, "unknown"},
		{"off", map[string]string{"GOPROXY": "off", "GOSUMDB": "off"}, nil, "",
			[]string{"error settings.goproxy-off", "warning settings.gosumdb-off"}, "refuses"},
		{"http", map[string]string{"GOPROXY": "http://mirror.example.com", "GOSUMDB": testKey}, nil, "",
			[]string{"warning settings.goproxy-http"}, "plain HTTP"},
		{"private", map[string]string{"GOPROXY": "https://p.example.com", "GOSUMDB": testKey, "GOPRIVATE": "git.corp.example", "GONOPROXY": "git.corp.example", "GONOSUMDB": "git.corp.example"},
			map[string]goenv.Source{"GONOPROXY": goenv.SourceDefault, "GONOSUMDB": goenv.SourceDefault}, "git.corp.example/x",
			[]string{"info settings.gonoproxy", "info settings.gonosumdb", "info settings.noproxy-match", "info settings.nosumdb-match"}, "takes GOPRIVATE"},
		{"own gonoproxy", map[string]string{"GOPROXY": "https://p.example.com", "GOSUMDB": testKey, "GOPRIVATE": "a.example", "GONOPROXY": "b.example"}, nil, "b.example/x",
			[]string{"info settings.noproxy-match"}, "matches GONOPROXY (b.example)"},
		{"insecure", map[string]string{"GOPROXY": "direct", "GOSUMDB": testKey, "GOINSECURE": "git.corp.example"}, nil, "",
			[]string{"warning settings.goinsecure"}, "does not disable checksum verification"},
		{"goflags", map[string]string{"GOPROXY": "direct", "GOSUMDB": testKey, "GOFLAGS": "-mod=mod -insecure"}, nil, "",
			[]string{"error settings.goflags-insecure"}, "no longer supported"},
		{"goauth", map[string]string{"GOPROXY": "direct", "GOSUMDB": testKey, "GOAUTH": "off"}, nil, "",
			[]string{"info settings.goauth"}, "401/403/404"},
		{"sumdb url", map[string]string{"GOPROXY": "direct", "GOSUMDB": testKey + " https://db.example.com"}, nil, "",
			[]string{"info settings.gosumdb"}, "proxies are bypassed"},
		{"bad sumdb", map[string]string{"GOPROXY": "direct", "GOSUMDB": "a b c"}, nil, "",
			[]string{"error settings.gosumdb"}, "too many fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envOf("linux", tt.vars, tt.src)
			fs := settingsFindings(env, ReadConfig(env), tt.mod)
			var ids []string
			all := ""
			for _, f := range fs {
				ids = append(ids, string(f.Severity)+" "+f.ID)
				all += f.Title + "\n" + strings.Join(f.Evidence, "\n") + "\n"
				if f.Severity.Worse(Info) && f.Fix == nil {
					t.Errorf("%s has no fix", f.ID)
				}
				if f.Area != AreaSettings {
					t.Errorf("%s in area %s", f.ID, f.Area)
				}
			}
			for _, w := range tt.want {
				if !slices.Contains(ids, w) {
					t.Errorf("missing %q in %q", w, ids)
				}
			}
			if !strings.Contains(all, tt.text) {
				t.Errorf("no finding says %q:\n%s", tt.text, all)
			}
		})
	}
}

func pemCerts(n int) string {
	return strings.Repeat("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", n)
}

// mapFS is a machine whose files are files (absolute path → contents) and whose
// environment is vars.
func mapFS(files, vars map[string]string) machine.Machine {
	m := fstest.MapFS{}
	for k, v := range files {
		m[strings.TrimPrefix(k, "/")] = &fstest.MapFile{Data: []byte(v)}
	}
	return machine.Fake(m, vars)
}

func TestDescribeRoots(t *testing.T) {
	files := map[string]string{
		"/etc/ssl/certs/ca-certificates.crt": pemCerts(140),
		"/etc/ssl/certs/a.pem":               pemCerts(1),
		"/etc/pki/tls/certs/ca-bundle.crt":   pemCerts(120),
		"/home/me/corp.pem":                  pemCerts(1),
		"/home/me/certs/corp.pem":            pemCerts(1),
	}
	tests := []struct {
		name        string
		goos        string
		vars        map[string]string
		file        string
		fileN, dirN int
		dirs        []string
		severity    Severity
		title       string
	}{
		{"debian", "linux", nil, "/etc/ssl/certs/ca-certificates.crt", 140, 141 + 120, []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}, Info, "Go trusts 401 certificates"},
		// SSL_CERT_FILE replaces only the file list: the directories are still read.
		{"cert file", "linux", map[string]string{"SSL_CERT_FILE": "/home/me/corp.pem"}, "/home/me/corp.pem", 1, 261, []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}, Info, "from /home/me/corp.pem and /etc/ssl/certs"},
		// SSL_CERT_DIR replaces only the directory list.
		{"cert dir", "linux", map[string]string{"SSL_CERT_DIR": "/home/me/certs:/nonexistent"}, "/etc/ssl/certs/ca-certificates.crt", 140, 1, []string{"/home/me/certs"}, Info, "141 certificates"},
		{"both replaced, missing", "linux", map[string]string{"SSL_CERT_FILE": "/nope.pem", "SSL_CERT_DIR": "/nonexistent"}, "", 0, 0, nil, Error, "no CA bundle"},
		{"file missing, dirs read", "linux", map[string]string{"SSL_CERT_FILE": "/nope.pem"}, "", 0, 261, []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}, Warning, "is not readable"},
		{"mac ignores", "darwin", map[string]string{"SSL_CERT_FILE": "/home/me/corp.pem"}, "", 0, 0, nil, Info, "ignores them"},
		{"windows", "windows", nil, "", 0, 0, nil, Info, "Windows certificate store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DescribeRoots(tt.goos, mapFS(files, tt.vars))
			if r.File != tt.file || r.FileCerts != tt.fileN || r.DirCerts != tt.dirN || !slices.Equal(r.Dirs, tt.dirs) {
				t.Errorf("got file %q (%d), dirs %q (%d); want %q (%d), %q (%d)", r.File, r.FileCerts, r.Dirs, r.DirCerts, tt.file, tt.fileN, tt.dirs, tt.dirN)
			}
			fs := RootFindings(r)
			if len(fs) != 1 || fs[0].Severity != tt.severity || !strings.Contains(fs[0].Title, tt.title) {
				t.Errorf("findings %+v, want one %s saying %q", fs, tt.severity, tt.title)
			}
		})
	}
}

func TestSystemProxyFinding(t *testing.T) {
	out := []byte(`<dictionary> {
  HTTPEnable : 0
  HTTPSEnable : 1
  HTTPSPort : 8080
  HTTPSProxy : 10.0.0.1
  ProxyAutoConfigEnable : 0
}`)
	sp := ParseScutilProxy(out)
	if sp.HTTPS != "10.0.0.1:8080" || sp.PAC != "" || sp.Auto {
		t.Fatalf("ParseScutilProxy = %+v", sp)
	}
	opts := Options{Env: envOf("darwin", map[string]string{}, nil),
		SystemProxy: func(context.Context) (SystemProxy, error) { return sp, nil }}
	fs := proxyEnvFindings(context.Background(), opts)
	if len(fs) != 1 || fs[0].Severity != Warning || fs[0].Fix == nil || fs[0].Fix.Commands[0] != "export HTTPS_PROXY=http://10.0.0.1:8080" {
		t.Fatalf("findings %+v", fs)
	}
	// With HTTPS_PROXY set, the OS proxy is only information.
	opts.Env = envOf("darwin", map[string]string{"HTTPS_PROXY": "http://u:secret@10.0.0.1:8080"}, nil)
	fs = proxyEnvFindings(context.Background(), opts)
	for _, f := range fs {
		if f.Severity != Info {
			t.Errorf("%s: %s", f.Severity, f.Title)
		}
		if strings.Contains(f.Title, "secret") {
			t.Errorf("password leaked: %s", f.Title)
		}
	}
	// A failing scutil says nothing.
	opts.SystemProxy = func(context.Context) (SystemProxy, error) { return SystemProxy{}, errors.New("no scutil") }
	opts.Env = envOf("darwin", map[string]string{}, nil)
	if fs := proxyEnvFindings(context.Background(), opts); len(fs) != 0 {
		t.Errorf("findings %+v", fs)
	}
}

func TestLatestOf(t *testing.T) {
	for list, want := range map[string]string{
		"v1.0.0\nv1.2.0\nv1.10.0\n":  "v1.10.0",
		"v1.0.0\nv2.0.0-beta.1\n":    "v1.0.0",
		"v2.0.0-beta.1\nv2.0.0-rc.1": "v2.0.0-rc.1",
		"":                           "",
		"garbage\nv1\n\x00":          "",
	} {
		if got := latestOf([]byte(list)); got != want {
			t.Errorf("latestOf(%q) = %q, want %q", list, got, want)
		}
	}
}

func TestResolveModule(t *testing.T) {
	gomod := map[string]string{"/w/go.mod": "module x\n\nrequire (\n\tgolang.org/x/text v0.3.0\n\tgolang.org/x/sys v0.1.0\n)\n"}
	env := envOf("linux", map[string]string{"GOMOD": "/w/go.mod"}, nil)
	env.Machine = mapFS(gomod, nil)
	for arg, want := range map[string]string{
		"":                        "golang.org/x/text v0.3.0",
		"example.com/m":           "example.com/m ",
		"example.com/m@latest":    "example.com/m latest",
		"example.com/m@v1.2.3":    "example.com/m v1.2.3",
		"example.com/m@1.2":       "error",
		"Example.com/../m@v1.0.0": "error",
	} {
		m, v, err := ResolveModule(arg, env)
		got := m + " " + v
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ResolveModule(%q) = %q, want %q", arg, got, want)
		}
	}
	env = envOf("linux", map[string]string{"GOMOD": "/dev/null"}, nil)
	env.Machine = mapFS(gomod, nil)
	m, v, _ := ResolveModule("", env)
	if m != DefaultModule || v != "latest" {
		t.Errorf("no main module: %s@%s", m, v)
	}
}

func FuzzParseScutilProxy(f *testing.F) {
	f.Add([]byte("<dictionary> {\n  HTTPSEnable : 1\n  HTTPSProxy : p\n  HTTPSPort : 1\n}\n"))
	f.Add([]byte("ProxyAutoConfigEnable : 1\nProxyAutoConfigURLString : http://x/p.pac\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sp := ParseScutilProxy(b)
		// Values come from one line each: never a newline; set only when enabled.
		for _, v := range []string{sp.HTTPS, sp.PAC} {
			if strings.Contains(v, "\n") {
				t.Fatalf("value with a newline: %q", v)
			}
		}
		if sp.HTTPS != "" && !hasKV(b, "HTTPSEnable", "1") {
			t.Fatalf("HTTPS %q without HTTPSEnable : 1", sp.HTTPS)
		}
		if sp.PAC != "" && !hasKV(b, "ProxyAutoConfigEnable", "1") {
			t.Fatalf("PAC %q without ProxyAutoConfigEnable : 1", sp.PAC)
		}
	})
}

func FuzzLatestOf(f *testing.F) {
	f.Add([]byte("v1.0.0\nv1.1.0-pre\n"))
	f.Add([]byte("v0.0.0-20240101000000-abcdefabcdef\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := latestOf(b)
		if v == "" {
			return
		}
		// The answer is one of the listed versions, and no listed release is higher.
		if !slices.Contains(strings.Fields(string(b)), v) {
			t.Fatalf("latestOf = %q, not in the list", v)
		}
	})
}

// hasKV reports whether some line of b reads "key : value" (any spacing).
func hasKV(b []byte, key, value string) bool {
	for _, line := range strings.Split(string(b), "\n") {
		if slices.Equal(strings.Fields(line), []string{key, ":", value}) {
			return true
		}
	}
	return false
}

func FuzzInfoVersion(f *testing.F) {
	f.Add([]byte(`{"Version":"v1.2.3","Time":"2024-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"Version": "v1.2.3"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := infoVersion(b)
		// Only a canonical semantic version comes out.
		if v != "" && semver.Canonical(v) != v {
			t.Fatalf("infoVersion(%q) = %q", b, v)
		}
	})
}
