package toolchain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/machine"
)

// Time-outs of the HTTP client a Manager's Fetcher uses. A download itself has no
// overall limit (a toolchain is 70–100 MB on any link); what hangs is bounded.
const (
	ResponseHeaderTimeout = 30 * time.Second
	TLSHandshakeTimeout   = 15 * time.Second
)

// ErrNoModule is returned by Manager.ModuleVersion when no go.mod or go.work is found
// from the working directory up.
var ErrNoModule = errors.New("no go.mod or go.work here")

// Manager is the toolchain manager as a machine and its environment configure it: the
// store, the Go settings (the environment first, then `go env`), the sources with
// their HTTP client, the version rules and the selection in a directory. Commands
// build one with NewManager and call its methods; it prints nothing.
type Manager struct {
	// Store is $GONATIVE_HOME or the default store.
	Store Store
	// GOOS and GOARCH are the platform gonative runs as (runtime.GOOS, runtime.GOARCH).
	GOOS, GOARCH string
	// Dir is the working directory: where selection looks for pins and modules.
	Dir string
	// Machine is the environment and the files read (nil: this machine).
	Machine machine.Machine
	// GoEnv runs `go env` for the settings the environment does not set (goenv.Run
	// when nil).
	GoEnv func(ctx context.Context, names ...string) map[string]string
}

// NewManager returns the manager of the store that m's environment names
// ($GONATIVE_HOME or the default), working in dir, for the platform gonative runs as.
func NewManager(m machine.Machine, dir string) (*Manager, error) {
	m = orReal(m)
	p := m.Platform()
	getenv := func(k string) string { return machine.Getenv(m, k) }
	root, err := DefaultHome(p.GOOS, getenv)
	if err != nil {
		return nil, err
	}
	return &Manager{Store: Store{Root: root}, GOOS: p.GOOS, GOARCH: p.GOARCH, Dir: dir, Machine: m}, nil
}

// Getenv reads the manager's environment.
func (m *Manager) Getenv(key string) string { return machine.Getenv(orReal(m.Machine), key) }

// GoSettings returns the Go settings names from the environment, else from `go env`.
func (m *Manager) GoSettings(ctx context.Context, names ...string) map[string]string {
	vals := map[string]string{}
	var missing []string
	for _, n := range names {
		if v := m.Getenv(n); v != "" {
			vals[n] = v
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return vals
	}
	run := m.GoEnv
	if run == nil {
		run = func(ctx context.Context, names ...string) map[string]string {
			return goenv.Run(ctx, orReal(m.Machine), names...)
		}
	}
	got := run(ctx, missing...)
	for _, n := range missing {
		if v := got[n]; v != "" {
			vals[n] = v
		}
	}
	return vals
}

// Fetcher returns the sources that GOPROXY and GOSUMDB configure, with an HTTP client
// that honours the proxy environment and bounds what hangs (ResponseHeaderTimeout,
// TLSHandshakeTimeout).
func (m *Manager) Fetcher(ctx context.Context) (*Fetcher, error) {
	env := m.GoSettings(ctx, "GOPROXY", "GOSUMDB")
	proxies, err := goenv.ParseGOPROXY(env["GOPROXY"])
	if err != nil {
		return nil, err
	}
	f := &Fetcher{
		Proxies: proxies,
		DLURL:   m.Getenv(DLURLEnv),
		Client: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: ResponseHeaderTimeout,
			TLSHandshakeTimeout:   TLSHandshakeTimeout,
		}},
		Store: m.Store,
	}
	if v := env["GOSUMDB"]; v != "" {
		db, err := goenv.ParseGOSUMDB(v)
		if err != nil {
			return nil, err
		}
		f.SumDB = db
	}
	return f, nil
}

// ModuleVersion is the version the module of the working directory asks for
// (ModuleAsks); ErrNoModule when there is none.
func (m *Manager) ModuleVersion() (string, error) {
	mf, err := goenv.FindModFile(m.Dir, m.Getenv("GOWORK"), orReal(m.Machine).ReadFile)
	if err != nil {
		return "", err
	}
	if mf.File == "" {
		return "", ErrNoModule
	}
	return ModuleAsks(mf)
}

// Resolve turns a query into one version that f offers for p (ResolveOffered); an
// exact query is its version, without asking the source.
func (m *Manager) Resolve(ctx context.Context, f *Fetcher, q Query, p Platform) (string, error) {
	if q.Exact() {
		return q.Version, nil
	}
	rels, err := f.Releases(ctx)
	if err != nil {
		return "", fmt.Errorf("list versions from %s: %w", f.Describe(), err)
	}
	return ResolveOffered(q, rels, p, f.Describe())
}

// Offered lists the versions f offers for p, oldest first.
func (m *Manager) Offered(ctx context.Context, f *Fetcher, p Platform) ([]string, error) {
	rels, err := f.Releases(ctx)
	if err != nil {
		return nil, fmt.Errorf("list versions from %s: %w", f.Describe(), err)
	}
	return Offered(rels, p), nil
}

// Install resolves q for p, installs it (from the module zip cmd/go left in the
// module cache when there is one that verifies, else downloading it), and when the source has no such archive
// explains why: an unknown version, or one not offered for p (ExplainMissing). A
// checksum mismatch and a cancellation are returned as they are.
func (m *Manager) Install(ctx context.Context, f *Fetcher, q Query, p Platform) (InstallResult, error) {
	v, err := m.Resolve(ctx, f, q, p)
	if err != nil {
		return InstallResult{}, err
	}
	res, cached, err := m.installCached(ctx, f, v, p)
	var mm *MismatchError
	if !cached || errors.As(err, &mm) {
		// None in the module cache, or its bytes are not the toolchain's: download.
		res, err = Install(ctx, m.Store, f, v, p)
	}
	if err != nil && !errors.As(err, &mm) && !errors.Is(err, context.Canceled) {
		// 404/410, but also proxies that answer 403 for what they lack.
		err = m.explainMissing(ctx, f, v, p, err)
	}
	return res, err
}

// explainMissing turns "not found" for version v into "unknown version" or "not
// offered for this platform"; err as it is when the source cannot list its versions.
func (m *Manager) explainMissing(ctx context.Context, f *Fetcher, v string, p Platform, err error) error {
	rels, lerr := f.Releases(ctx)
	if lerr != nil {
		return err
	}
	return ExplainMissing(rels, v, p, f.Describe(), err)
}

// WhichInput is what Which reads for the working directory. modCache asks `go env`
// for GOMODCACHE when the environment does not set it (only a go.mod selection of a
// version gonative has not installed needs it; the shell hook never asks).
func (m *Manager) WhichInput(ctx context.Context, modCache bool) WhichInput {
	gomodcache := m.Getenv("GOMODCACHE")
	if modCache {
		gomodcache = m.GoSettings(ctx, "GOMODCACHE")["GOMODCACHE"]
	}
	return WhichInput{
		Dir:         m.Dir,
		Machine:     orReal(m.Machine),
		Store:       m.Store,
		Platform:    m.defaultPlatform(),
		GOMODCACHE:  gomodcache,
		UserEnvFile: goenv.UserEnvFile(m.GOOS, m.Getenv),
	}
}

// defaultPlatform is the global default's platform, else the one gonative runs as.
func (m *Manager) defaultPlatform() Platform {
	p := Platform{OS: m.GOOS, Arch: m.GOARCH}
	if def, _ := m.Store.Default(); def != "" {
		if in, err := m.Store.Lookup(def); err == nil && in.Platform.OS != "" {
			p = in.Platform
		}
	}
	return p
}

// Which decides which go gonative selects in the working directory.
func (m *Manager) Which(ctx context.Context) (Selection, error) {
	return Which(m.WhichInput(ctx, true))
}

// ModuleCache lists the toolchains GOTOOLCHAIN downloaded into the module cache.
func (m *Manager) ModuleCache(ctx context.Context) ([]CachedToolchain, error) {
	return CachedToolchains(m.GoSettings(ctx, "GOMODCACHE")["GOMODCACHE"])
}

// PathState says whether the store's bin directory is on PATH and, when it is, which
// go PATH finds first.
type PathState struct {
	// BinDir is the store's bin directory; OnPath is whether PATH holds it.
	BinDir string
	OnPath bool
	// Shadow is the go PATH finds before BinDir's ("" when gonative's comes first).
	Shadow string
}

// PathState reads PATH for the store's bin directory.
func (m *Manager) PathState() PathState {
	ps := PathState{BinDir: m.Store.BinDir()}
	path := m.Getenv("PATH")
	for _, d := range filepath.SplitList(path) {
		if filepath.Clean(d) == ps.BinDir {
			ps.OnPath = true
			if g := m.Store.FindGo(path, m.Dir, m.Machine); g.Path != "" && !g.Managed() {
				ps.Shadow = g.Path
			}
			return ps
		}
	}
	return ps
}
