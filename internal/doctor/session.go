package doctor

import (
	"context"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/machine"
)

// Session is one doctor run's view of a machine. What several checks need (the host,
// every go on PATH, `go env -json`, the settings' layers) is computed once, on first
// use, and shared; a Session holds no state between runs.
type Session struct {
	// M is the machine diagnosed: everything is read through it.
	M machine.Machine
	// Online lets checks use the network (doctor --online, Options.Network): go.switch
	// then asks GOPROXY whether the toolchain it switches to exists.
	Online bool

	hostOnce sync.Once
	host     host.Host

	gosOnce sync.Once
	gos     []goenv.Binary

	goRunOnce sync.Once
	goRun     GoRun
	goRunDone atomic.Bool // set after goRun is written

	layersOnce sync.Once
	layers     goenv.Layers

	toolsOnce sync.Once
	tools     []tool
	toolDirs  []string

	inspectMu sync.Mutex
	inspected map[string]inspection
}

type inspection struct {
	f   *exe.File
	err error
}

// NewSession starts a session on m.
func NewSession(m machine.Machine) *Session {
	return &Session{M: m, inspected: map[string]inspection{}}
}

// Host returns the machine's host facts (host.Detect).
func (s *Session) Host(ctx context.Context) host.Host {
	s.hostOnce.Do(func() {
		// Detect fails only when ctx is done; the zero fields then say "unknown".
		// On Linux it reads the hardware past qemu-user (/proc/sys/kernel/arch).
		s.host, _ = host.Detect(ctx, s.M)
	})
	return s.host
}

// GOOS is the machine's OS.
func (s *Session) GOOS(ctx context.Context) string { return s.Host(ctx).OS }

// Lookup describes the machine's PATH for goenv.
func (s *Session) Lookup() goenv.Lookup {
	dir, _ := s.M.Getwd()
	return goenv.Lookup{
		PATH:    s.Getenv("PATH"),
		GOOS:    s.M.Platform().GOOS,
		Dir:     dir,
		Machine: s.M,
		Inspect: s.Inspect,
	}
}

// Inspect reads an executable once per session.
func (s *Session) Inspect(ctx context.Context, name string) (*exe.File, error) {
	s.inspectMu.Lock()
	in, ok := s.inspected[name]
	s.inspectMu.Unlock()
	if ok {
		return in.f, in.err
	}
	f, err := readExe(ctx, s.M, name)
	s.inspectMu.Lock()
	s.inspected[name] = inspection{f, err}
	s.inspectMu.Unlock()
	return f, err
}

// GoBinaries returns every go on PATH, first the one a shell runs.
func (s *Session) GoBinaries(ctx context.Context) []goenv.Binary {
	s.gosOnce.Do(func() { s.gos = goenv.FindAll(ctx, "go", s.Lookup()) })
	return s.gos
}

// ActiveGo returns the go a shell runs, if any.
func (s *Session) ActiveGo(ctx context.Context) (goenv.Binary, bool) {
	gos := s.GoBinaries(ctx)
	if len(gos) == 0 {
		return goenv.Binary{}, false
	}
	return gos[0], true
}

// noSwitch keeps a go command the doctor runs from switching to another toolchain
// (GOTOOLCHAIN or a go.mod toolchain line would otherwise download one: the doctor is
// offline). go.toolchain reads GOTOOLCHAIN from the layers, not from go env.
var noSwitch = []string{"GOTOOLCHAIN=local"}

// GoEnv returns `go env -json` of the active go, run once per session (GoRun). It
// fails when there is no go or it cannot run (a fake machine's binaries never run).
func (s *Session) GoEnv(ctx context.Context) (map[string]string, error) {
	r := s.GoRun(ctx)
	return r.Env, r.envErr
}

// Layers returns every Go setting with the layer that set it. $GOROOT/go.env is read
// from the GOROOT that the environment or go env file sets, else the active go's own.
func (s *Session) Layers(ctx context.Context) goenv.Layers {
	s.layersOnce.Do(func() {
		userFile := goenv.UserEnvFile(s.M.Platform().GOOS, s.Getenv)
		goroot := s.Getenv("GOROOT")
		if goroot == "" && userFile != "" {
			if b, err := s.M.ReadFile(userFile); err == nil {
				goroot = goenv.ParseEnvFile(b)["GOROOT"]
			}
		}
		if goroot == "" {
			if g, ok := s.ActiveGo(ctx); ok {
				goroot = g.GOROOT
			}
		}
		s.layers = goenv.ReadLayers(goenv.LayerInput{
			Machine:  s.M,
			UserFile: userFile,
			GOROOT:   goroot,
		})
	})
	return s.layers
}

// Value returns a Go setting's effective value: `go env`'s answer when the active go
// runs, else the layered value, else the default this package can compute.
func (s *Session) Value(ctx context.Context, name string) string {
	if env, err := s.GoEnv(ctx); err == nil {
		if v, ok := env[name]; ok {
			return v
		}
	}
	if v, ok := s.Layers(ctx).Get(name); ok {
		return v
	}
	return s.defaultValue(ctx, name)
}

// Setting is a Go setting's value from the layers, else the default this package
// computes, without waiting for `go env` (for the settings whose defaults need no
// running go: CC, PKG_CONFIG, CGO_LDFLAGS ...).
func (s *Session) Setting(ctx context.Context, name string) string {
	if v, ok := s.Layers(ctx).Get(name); ok {
		return v
	}
	return s.defaultValue(ctx, name)
}

// defaultValue is cmd/go's default for the settings the checks use, computed without
// running go.
func (s *Session) defaultValue(ctx context.Context, name string) string {
	g, haveGo := s.ActiveGo(ctx)
	switch name {
	case "GOARCH", "GOHOSTARCH":
		if haveGo && g.Arch != "" {
			return g.Arch
		}
		return s.Host(ctx).ProcessArch
	case "GOOS", "GOHOSTOS":
		if haveGo && g.OS != "" {
			return g.OS
		}
		return s.Host(ctx).OS
	case "GOROOT":
		return g.GOROOT
	case "GOPATH":
		if h := s.Getenv("HOME"); h != "" {
			return path.Join(h, "go")
		}
	case "GOTOOLCHAIN":
		return "auto"
	case "CC":
		// cmd/go's default C compiler (cmd/internal/cfg, DefaultCC): clang on
		// darwin, gcc elsewhere.
		if s.Host(ctx).OS == "darwin" {
			return "clang"
		}
		return "gcc"
	}
	return ""
}

// GOPATHs returns the GOPATH list of the machine.
func (s *Session) GOPATHs(ctx context.Context) []string {
	sep := ":"
	if s.GOOS(ctx) == "windows" {
		sep = ";"
	}
	var out []string
	for _, p := range strings.Split(s.Value(ctx, "GOPATH"), sep) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
