package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

func newInstallCmd() *cobra.Command {
	var goos, goarch, from, sum string
	cmd := &cobra.Command{
		Use:   "install [VERSION]",
		Short: "Install a native, verified Go toolchain",
		Long: `install downloads a Go toolchain for this machine's hardware and installs it
completely or not at all.

VERSION is 1.27.3 or go1.27.3 (exact), 1.27 (its newest patch), latest (the newest
stable release), or nothing: the version the current module asks for (the toolchain
line of go.work or go.mod, else its go line).

The platform is the hardware's: an Apple Silicon Mac gets darwin/arm64 even when
gonative runs under Rosetta 2. --os and --arch override it.

Sources follow the Go command: the module golang.org/toolchain from GOPROXY (the
environment, else 'go env GOPROXY'), checked against GOSUMDB exactly as cmd/go
checks it; "direct" (or no proxy) uses the download site's index and its SHA-256
(GONATIVE_DL_URL overrides the site). GOSUMDB=off installs unverified, loudly.
--from FILE installs a toolchain zip (v0.0.1-go1.27.3.linux-amd64.zip, as a module
proxy serves it) or a download-site archive (go1.27.3.linux-amd64.tar.gz) on an
air-gapped machine; --sha256 gives the archive's expected hash.

The store is $GONATIVE_HOME (default: gonative in the user's data directory). The
first version installed becomes the global default.`,
		Example: `  gonative install 1.27.3
  gonative install latest
  gonative install            # what go.mod asks for
  gonative install --arch amd64 1.15.15
  gonative install --from v0.0.1-go1.27.3.darwin-arm64.zip`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeVersions(false, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			stderr := cmd.ErrOrStderr()
			st, err := tcStore()
			if err != nil {
				return err
			}
			f, err := tcFetcher(ctx, st)
			if err != nil {
				return err
			}
			f.Progress = tcProgress(ctx, stderr)
			if f.SumDB.Off {
				fmt.Fprintln(stderr, "gonative: WARNING: GOSUMDB=off: toolchains will NOT be verified against a checksum database")
			}
			var res toolchain.InstallResult
			if from != "" {
				if len(args) > 0 {
					return &ExitError{Code: ExitFailed, Err: errors.New("install: give either VERSION or --from FILE")}
				}
				res, err = toolchain.InstallFile(ctx, st, f, from, sum)
			} else {
				p, err2 := tcPlatform(ctx, goos, goarch, stderr)
				if err2 != nil {
					return err2
				}
				arg := ""
				if len(args) > 0 {
					arg = args[0]
				} else {
					arg, err = tcModuleVersion()
					if err != nil {
						return err
					}
					fmt.Fprintf(stderr, "gonative: the current module asks for go%s\n", arg)
				}
				q, err2 := toolchain.ParseQuery(arg)
				if err2 != nil {
					return err2
				}
				v, err2 := tcResolve(ctx, f, q, p)
				if err2 != nil {
					return err2
				}
				res, err = toolchain.Install(ctx, st, f, v, p)
				var mm *toolchain.MismatchError
				if err != nil && !errors.As(err, &mm) && !errors.Is(err, context.Canceled) {
					// 404/410, but also proxies that answer 403 for what they lack.
					err = tcExplainMissing(ctx, f, v, p, err)
				}
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(stderr, "gonative: WARNING: %s\n", w)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if res.Already {
				fmt.Fprintf(out, "go%s (%s) is already installed in %s\n", res.Version, res.Platform, res.GOROOT)
				return nil
			}
			fmt.Fprintf(out, "installed go%s (%s) in %s\n", res.Version, res.Platform, res.GOROOT)
			if res.Verified != "" {
				fmt.Fprintf(out, "verified: %s (%s)\n", res.Verified, res.Hash)
			}
			if res.Default {
				fmt.Fprintf(out, "go%s is the global default\n", res.Version)
			}
			tcPathHint(out, st)
			return nil
		},
	}
	cmd.Flags().StringVar(&goos, "os", "", "install for this GOOS instead of the host's")
	cmd.Flags().StringVar(&goarch, "arch", "", "install for this GOARCH instead of the hardware's")
	cmd.Flags().StringVar(&from, "from", "", "install this toolchain zip or archive (air-gapped machines)")
	cmd.Flags().StringVar(&sum, "sha256", "", "with --from: the archive's expected SHA-256")
	return cmd
}

// tcStore opens the toolchain store ($GONATIVE_HOME or the default).
func tcStore() (toolchain.Store, error) {
	root, err := toolchain.DefaultHome(runtime.GOOS, os.Getenv)
	if err != nil {
		return toolchain.Store{}, err
	}
	return toolchain.Store{Root: root}, nil
}

// tcGoEnv returns Go settings from the environment, else from `go env` when a go is on
// PATH (run with GOTOOLCHAIN=local so it never switches or downloads).
func tcGoEnv(ctx context.Context, names ...string) map[string]string {
	vals := map[string]string{}
	var missing []string
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			vals[n] = v
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return vals
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return vals
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, gobin, append([]string{"env"}, missing...)...)
	c.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	c.WaitDelay = time.Second
	out, err := c.Output()
	if err != nil {
		return vals
	}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	for i, n := range missing {
		if i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			vals[n] = strings.TrimSpace(lines[i])
		}
	}
	return vals
}

// tcFetcher builds the sources from GOPROXY and GOSUMDB.
func tcFetcher(ctx context.Context, st toolchain.Store) (*toolchain.Fetcher, error) {
	env := tcGoEnv(ctx, "GOPROXY", "GOSUMDB")
	proxies, err := goenv.ParseGOPROXY(env["GOPROXY"])
	if err != nil {
		return nil, err
	}
	f := &toolchain.Fetcher{
		Proxies: proxies,
		DLURL:   os.Getenv(toolchain.DLURLEnv),
		Client:  &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 30 * time.Second, TLSHandshakeTimeout: 15 * time.Second}},
		Store:   st,
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

// tcPlatform is the platform to install for: the hardware's, unless overridden.
func tcPlatform(ctx context.Context, goos, goarch string, stderr io.Writer) (toolchain.Platform, error) {
	h, err := thisHost(ctx)
	if err != nil {
		return toolchain.Platform{}, err
	}
	p := toolchain.Platform{OS: h.OS, Arch: h.Arch}
	if h.Translated && goarch == "" {
		fmt.Fprintf(stderr, "gonative: this process runs translated (Rosetta 2, as %s); installing for the hardware: %s/%s\n", h.ProcessArch, h.OS, h.Arch)
	}
	if goos != "" {
		p.OS = goos
	}
	if goarch != "" {
		p.Arch = goarch
	}
	return p, nil
}

// tcModuleVersion is the version the current module asks for (toolchain.ModuleAsks).
func tcModuleVersion() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	m, err := goenv.FindModFile(wd, os.Getenv("GOWORK"), toolchain.ReadInput)
	if err != nil {
		return "", err
	}
	if m.File == "" {
		return "", &ExitError{Code: ExitFailed, Err: errors.New("install: no VERSION given and no go.mod or go.work here (try: gonative install latest)")}
	}
	v, err := toolchain.ModuleAsks(m)
	if err != nil {
		return "", fmt.Errorf("install: %w; give a VERSION", err)
	}
	return v, nil
}

// tcResolve turns a query into one version offered for p (toolchain.ResolveOffered).
func tcResolve(ctx context.Context, f *toolchain.Fetcher, q toolchain.Query, p toolchain.Platform) (string, error) {
	if q.Exact() {
		return q.Version, nil
	}
	rels, err := f.Releases(ctx)
	if err != nil {
		return "", fmt.Errorf("list versions from %s: %w", f.Describe(), err)
	}
	return toolchain.ResolveOffered(q, rels, p, f.Describe())
}

// tcExplainMissing turns "not found" for version v into "unknown version" or "not
// offered for this platform" (toolchain.ExplainMissing).
func tcExplainMissing(ctx context.Context, f *toolchain.Fetcher, v string, p toolchain.Platform, err error) error {
	rels, lerr := f.Releases(ctx)
	if lerr != nil {
		return err
	}
	return toolchain.ExplainMissing(rels, v, p, f.Describe(), err)
}

// tcPathHint tells the user how to put the store's links on PATH when they are not.
// When they are, but another go comes first, it says that instead.
func tcPathHint(w io.Writer, st toolchain.Store) {
	path := os.Getenv("PATH")
	for _, d := range filepath.SplitList(path) {
		if filepath.Clean(d) == st.BinDir() {
			wd, _ := os.Getwd()
			if g := st.FindGo(path, wd, toolchain.FS{}); g.Path != "" && !g.Managed() {
				fmt.Fprintf(w, "but PATH finds %s first, before %s: eval \"$(gonative env)\" (last in your shell start-up file)\n", g.Path, st.BinDir())
			}
			return
		}
	}
	fmt.Fprintf(w, "to use it, add %s to PATH: eval \"$(gonative env)\"\n", st.BinDir())
}

// tcProgress shows a download as a live bar on a terminal (progressTTY) and as plain
// lines elsewhere (CI, pipes, files).
func tcProgress(ctx context.Context, w io.Writer) toolchain.Progress {
	if progressTTY(w) {
		return &tcBar{ctx: ctx, w: w}
	}
	return &tcLines{w: w}
}

type tcLines struct {
	w     io.Writer
	label string
	start time.Time
	n     int64
}

func (p *tcLines) Start(label string, done, total int64) {
	p.label, p.start, p.n = label, time.Now(), done
	size := ""
	if total > 0 {
		size = fmt.Sprintf(" (%.1f MB)", float64(total)/1e6)
	}
	resumed := ""
	if done > 0 {
		resumed = fmt.Sprintf(", resuming at %.1f MB", float64(done)/1e6)
	}
	fmt.Fprintf(p.w, "gonative: downloading %s%s%s\n", label, size, resumed)
}
func (p *tcLines) Add(n int) { p.n += int64(n) }
func (p *tcLines) Finish() {
	fmt.Fprintf(p.w, "gonative: downloaded %s: %.1f MB in %.1fs\n", p.label, float64(p.n)/1e6, time.Since(p.start).Seconds())
}

// tcBar shows one download at a time on a progress display.
type tcBar struct {
	ctx   context.Context
	w     io.Writer
	p     *progress
	label string
	total int64
	done  atomic.Int64
}

func (b *tcBar) Start(label string, done, total int64) {
	b.p, b.label, b.total = newProgress(b.ctx, b.w), Quote(label), total
	b.done.Store(done)
	b.show(false)
}

func (b *tcBar) Add(n int) {
	b.done.Add(int64(n))
	b.show(false)
}

func (b *tcBar) Finish() {
	b.show(true)
	b.p.wait()
}

func (b *tcBar) show(end bool) {
	b.p.event(progressEvent{Key: b.label, Kind: progressBytes, Label: b.label, Done: b.done.Load(), Total: b.total, End: end})
}
