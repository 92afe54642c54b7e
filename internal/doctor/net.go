package doctor

import (
	"context"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/netcheck"
)

// netChecks are the network checks. The offline ones (the settings and the root store
// Go uses) run always; the online ones (Network: true, `doctor --online`) are
// netcheck's probes of the proxy path, the checksum database and TLS.
func netChecks() []Check {
	return []Check{
		{ID: "net.certs", Area: AreaNetwork, Title: "TLS trust settings Go uses (SSL_CERT_FILE, SSL_CERT_DIR, CA bundle)", FixNeeds: []finding.Needs{finding.NeedsMacOS, finding.NeedsWindows, finding.NeedsRoot}, Run: checkNetCerts},
		{ID: "net.settings", Area: AreaNetwork, Title: "Module download settings (GOPROXY, GOSUMDB, GOPRIVATE, HTTPS_PROXY)", FixNeeds: []finding.Needs{finding.NeedsMacOS}, Run: checkNetSettings},
		{ID: "net.online", Area: AreaNetwork, Title: "Module proxy, checksum database and TLS chains, probed (gonative netcheck)", Network: true, FixNeeds: []finding.Needs{finding.NeedsNetwork, finding.NeedsRoot, finding.NeedsMacOS, finding.NeedsWindows}, Run: checkNetOnline},
	}
}

// NetcheckOptions are netcheck's options for the machine of s: its Go settings with
// their layers, its environment and files, and (on macOS) the system proxy that go
// ignores.
func NetcheckOptions(ctx context.Context, s *Session) netcheck.Options {
	goos := s.GOOS(ctx)
	opts := netcheck.Options{
		Env: netcheck.Env{
			GOOS: goos,
			Value: func(name string) (string, bool) {
				if env, err := s.GoEnv(ctx); err == nil {
					if v, ok := env[name]; ok {
						return v, true
					}
				}
				if v, ok := s.Layers(ctx).Get(name); ok {
					return v, true
				}
				// No go ran and no layer sets it: cmd/go's default is unknown here
				// ($GOROOT/go.env is read as a layer when it exists).
				v := s.Value(ctx, name)
				return v, v != ""
			},
			Source:  func(name string) goenv.Source { return s.Layers(ctx).Source(name) },
			Machine: s.M,
		},
	}
	// The toolchain go switches to: netcheck asks the proxies whether it exists.
	if c, g, _, ok := switchTarget(ctx, s); ok && c.Version != "" && !c.PathOnly {
		plat := switchPlatform(ctx, s, g)
		opts.Toolchain, opts.ToolchainPlatform = c.Version, plat.OS+"-"+plat.Arch
	}
	if goos == "darwin" {
		opts.SystemProxy = func(ctx context.Context) (netcheck.SystemProxy, error) {
			out, err := s.Exec(ctx, nil, "scutil", "--proxy")
			if err != nil {
				return netcheck.SystemProxy{}, err
			}
			return netcheck.ParseScutilProxy(out), nil
		}
	}
	return opts
}

func checkNetSettings(ctx context.Context, s *Session) []Finding {
	return asCheck("net.settings", netcheck.Settings(ctx, NetcheckOptions(ctx, s)))
}

// checkNetCerts describes the root store as crypto/x509 reads it: on Linux
// SSL_CERT_FILE replaces only the bundle file list and SSL_CERT_DIR only the directory
// list (root_unix.go); on macOS both are ignored (root_darwin.go).
func checkNetCerts(ctx context.Context, s *Session) []Finding {
	o := NetcheckOptions(ctx, s)
	return asCheck("net.certs", netcheck.RootFindings(netcheck.DescribeRoots(o.Env.GOOS, o.Env.Machine)))
}

// checkNetOnline runs netcheck's probes for the default module; the settings and
// root findings are net.settings' and net.certs', the toolchain go.switch's.
func checkNetOnline(ctx context.Context, s *Session) []Finding {
	o := NetcheckOptions(ctx, s)
	mod, ver, err := netcheck.ResolveModule("", o.Env)
	if err != nil {
		return []Finding{{Severity: Error, Title: err.Error()}}
	}
	o.Module, o.Version = mod, ver
	r := netcheck.Run(ctx, o)
	var out []Finding
	for _, f := range r.Findings {
		if f.Area != netcheck.AreaSettings && f.ID != "tls.roots" && f.ID != "proxy.env" && f.ID != "proxy.system" && f.ID != "proxy.toolchain" {
			out = append(out, f)
		}
	}
	return asCheck("net.online", out)
}

// asCheck makes netcheck's findings the doctor check's: each id qualified by the
// check's ("net.certs:tls.roots"), grouped by the check's area (Run sets Check), not
// netcheck's. It changes fs in place and returns it.
func asCheck(check string, fs []Finding) []Finding {
	for i := range fs {
		fs[i].ID = check + ":" + fs[i].ID
		fs[i].Area = ""
	}
	return fs
}
