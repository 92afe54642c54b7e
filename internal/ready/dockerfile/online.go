package dockerfile

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/redact"
)

// Registry reads which platforms an image reference publishes.
type Registry interface {
	// Platforms returns "os/arch" (with "/variant" when there is one) of every
	// entry of ref's index, or the one platform of a single image.
	Platforms(ctx context.Context, ref string) ([]string, error)
}

// RequestTimeout bounds each registry read of the default Registry.
const RequestTimeout = 30 * time.Second

// remoteRegistry is the Registry of the real registries.
type remoteRegistry struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	timeout   time.Duration
}

// NewRemote returns the Registry that reads registries with go-containerregistry:
// credentials from the Docker config (never printed), every request bounded by
// RequestTimeout; loopback registries are spoken to over plain HTTP.
func NewRemote() Registry {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = RequestTimeout
	return &remoteRegistry{keychain: authn.DefaultKeychain, transport: t, timeout: RequestTimeout}
}

// Platforms implements Registry.
func (r *remoteRegistry) Platforms(ctx context.Context, ref string) ([]string, error) {
	var opts []name.Option
	if host, _, _ := strings.Cut(ref, "/"); isLoopback(host) {
		opts = append(opts, name.Insecure)
	}
	n, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ro := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(r.keychain), remote.WithTransport(r.transport)}
	desc, err := remote.Get(n, ro...)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS != "unknown" {
				out = append(out, platformName(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant))
			}
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	return []string{platformName(cf.OS, cf.Architecture, cf.Variant)}, nil
}

// isLoopback reports whether a registry host (with its port) is this machine.
func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func platformName(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// basePlatforms checks every stage's base image (not a stage, not scratch) for an
// entry per target platform the stage is built for.
func (c *fileCheck) basePlatforms(ctx context.Context, reg Registry) error {
	seen := map[string][]string{}
	errs := map[string]error{}
	for _, s := range c.stages {
		if s.parent != nil || strings.EqualFold(s.base, "scratch") || s.base == "" {
			continue
		}
		var want []string
		switch s.kind {
		case onTarget:
			for _, t := range c.linux {
				want = append(want, t.String())
			}
		case onConstant:
			want = []string{s.platform}
		default:
			continue // the builder's platform, or a variable: not known here
		}
		if len(want) == 0 {
			continue
		}
		ref, ok := expand(s.base, c.global)
		if !ok {
			c.add(finding.Finding{ID: RuleBaseUnknown, Severity: finding.Info, Line: s.from.Line,
				Title:    fmt.Sprintf("%s: the base image names a variable without a default; its platforms were not checked", s.label()),
				Evidence: []string{"line " + fmt.Sprint(s.from.Line) + ": FROM " + s.from.Args}})
			continue
		}
		plats, done := seen[ref]
		if !done {
			if err := ctx.Err(); err != nil {
				return err
			}
			p, err := reg.Platforms(ctx, ref)
			if err != nil && errors.Is(err, ctx.Err()) && ctx.Err() != nil {
				return ctx.Err()
			}
			plats, errs[ref] = p, err
			seen[ref] = p
		}
		if err := errs[ref]; err != nil {
			c.add(finding.Finding{ID: RuleBaseUnknown, Severity: finding.Warning, Line: s.from.Line,
				Title:    fmt.Sprintf("%s: the platforms of %s could not be read; unknown, not checked", s.label(), ref),
				Evidence: []string{redact.Text(err.Error())}})
			continue
		}
		var missing []string
		for _, w := range want {
			if !hasPlatform(plats, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			continue
		}
		c.add(finding.Finding{ID: RuleBaseNoPlatform, Severity: finding.Error, Line: s.from.Line,
			Title: fmt.Sprintf("%s: %s publishes no image for %s", s.label(), ref, strings.Join(missing, ", ")),
			Evidence: []string{"published: " + strings.Join(plats, ", "),
				"the build for " + strings.Join(missing, ", ") + " fails (no match for platform in manifest), or runs another platform's image under emulation"},
			Fix: &finding.Fix{Text: "Choose a base image (or tag) that publishes every target platform, or drop the missing targets.", Needs: finding.NeedsPerson}})
	}
	return nil
}

// hasPlatform reports whether plats holds want ("linux/arm64" matches
// "linux/arm64/v8").
func hasPlatform(plats []string, want string) bool {
	return slices.ContainsFunc(plats, func(p string) bool {
		return p == want || strings.HasPrefix(p, want+"/") || strings.HasPrefix(want, p+"/")
	})
}

// expand substitutes $NAME, ${NAME} and ${NAME:-default} from vars; false when a
// variable has no value.
func expand(s string, vars map[string]string) (string, bool) {
	ok := true
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		var name, def string
		hasDef := false
		if s[i+1] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return "", false
			}
			inner := s[i+2 : i+j]
			if k := strings.Index(inner, ":-"); k >= 0 {
				name, def, hasDef = inner[:k], inner[k+2:], true
			} else {
				name = inner
			}
			i += j
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
			i = j - 1
		}
		if v, found := vars[name]; found && v != "" {
			b.WriteString(v)
		} else if hasDef {
			b.WriteString(def)
		} else {
			ok = false
		}
	}
	return b.String(), ok
}
