package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/toolchain"
	"github.com/spf13/cobra"
)

// installLong is the long help of install.
const installLong = `install downloads a Go toolchain for this machine's hardware and installs it
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
first version installed becomes the global default.`

func newInstallCmd() *cobra.Command {
	var o installOptions
	cmd := &cobra.Command{
		Use:   "install [VERSION]",
		Short: "Install a native, verified Go toolchain",
		Long:  installLong,
		Example: `  gonative install 1.27.3
  gonative install latest
  gonative install            # what go.mod asks for
  gonative install --arch amd64 1.15.15
  gonative install --from v0.0.1-go1.27.3.darwin-arm64.zip`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeVersions(false, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.from != "" && len(args) > 0 {
				return &ExitError{Code: ExitFailed, Err: errors.New("install: give either VERSION or --from FILE")}
			}
			m, err := newManager()
			if err != nil {
				return err
			}
			f, err := tcFetcher(cmd, m)
			if err != nil {
				return err
			}
			res, err := o.install(cmd, m, f, args)
			for _, w := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "gonative: WARNING: %s\n", w)
			}
			if err != nil {
				return err
			}
			renderInstalled(cmd.OutOrStdout(), res, m.PathState())
			return nil
		},
	}
	cmd.Flags().StringVar(&o.goos, "os", "", "install for this GOOS instead of the host's")
	cmd.Flags().StringVar(&o.goarch, "arch", "", "install for this GOARCH instead of the hardware's")
	cmd.Flags().StringVar(&o.from, "from", "", "install this toolchain zip or archive (air-gapped machines)")
	cmd.Flags().StringVar(&o.sum, "sha256", "", "with --from: the archive's expected SHA-256")
	return cmd
}

// installOptions are install's flags.
type installOptions struct {
	goos, goarch, from, sum string
}

// install installs --from FILE, else the version args name (or the current module
// asks for) for the platform of --os/--arch or the hardware.
func (o installOptions) install(cmd *cobra.Command, m *toolchain.Manager, f *toolchain.Fetcher, args []string) (toolchain.InstallResult, error) {
	ctx := cmd.Context()
	if o.from != "" {
		return toolchain.InstallFile(ctx, m.Store, f, o.from, o.sum)
	}
	p, err := tcPlatform(ctx, o.goos, o.goarch, cmd.ErrOrStderr())
	if err != nil {
		return toolchain.InstallResult{}, err
	}
	arg, err := installArg(cmd, m, args)
	if err != nil {
		return toolchain.InstallResult{}, err
	}
	q, err := toolchain.ParseQuery(arg)
	if err != nil {
		return toolchain.InstallResult{}, err
	}
	return m.Install(ctx, f, q, p)
}

// installArg is the VERSION argument, else the version the current module asks for
// (said on stderr).
func installArg(cmd *cobra.Command, m *toolchain.Manager, args []string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	v, err := m.ModuleVersion()
	switch {
	case errors.Is(err, toolchain.ErrNoModule):
		return "", &ExitError{Code: ExitFailed, Err: errors.New("install: no VERSION given and no go.mod or go.work here (try: gonative install latest)")}
	case err != nil:
		return "", fmt.Errorf("install: %w; give a VERSION", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "gonative: the current module asks for go%s\n", v)
	return v, nil
}

// renderInstalled prints what install did, and how to reach it on PATH.
func renderInstalled(out io.Writer, res toolchain.InstallResult, ps toolchain.PathState) {
	if res.Already {
		fmt.Fprintf(out, "go%s (%s) is already installed in %s\n", res.Version, res.Platform, res.GOROOT)
		return
	}
	fmt.Fprintf(out, "installed go%s (%s) in %s\n", res.Version, res.Platform, res.GOROOT)
	if res.FromModuleCache {
		fmt.Fprintf(out, "from the module cache (downloaded there by GOTOOLCHAIN): %s\n", Quote(res.Source))
	}
	if res.Verified != "" {
		fmt.Fprintf(out, "verified: %s (%s)\n", res.Verified, res.Hash)
	}
	if res.Default {
		fmt.Fprintf(out, "go%s is the global default\n", res.Version)
	}
	tcPathHint(out, ps)
}

// newManager is the toolchain manager of this machine, its environment and the
// working directory.
func newManager() (*toolchain.Manager, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return toolchain.NewManager(machine.Real(), wd)
}

// tcFetcher is m's sources, showing downloads on cmd's stderr and warning there when
// nothing will be verified.
func tcFetcher(cmd *cobra.Command, m *toolchain.Manager) (*toolchain.Fetcher, error) {
	f, err := m.Fetcher(cmd.Context())
	if err != nil {
		return nil, err
	}
	f.Progress = tcProgress(cmd.Context(), cmd.ErrOrStderr())
	f.OnPhase = tcPhases(cmd.ErrOrStderr())
	if f.SumDB.Off {
		fmt.Fprintln(cmd.ErrOrStderr(), "gonative: WARNING: GOSUMDB=off: toolchains will NOT be verified against a checksum database")
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

// tcPathHint tells the user how to put the store's links on PATH when they are not.
// When they are, but another go comes first, it says that instead.
func tcPathHint(w io.Writer, ps toolchain.PathState) {
	switch {
	case !ps.OnPath:
		fmt.Fprintf(w, "to use it, add %s to PATH: eval \"$(gonative env)\"\n", ps.BinDir)
	case ps.Shadow != "":
		fmt.Fprintf(w, "but PATH finds %s first, before %s: eval \"$(gonative env)\" (last in your shell start-up file)\n", ps.Shadow, ps.BinDir)
	}
}

// tcPhases names the steps after the download on stderr, so that a finished bar at
// 100% is not the last word for the seconds verifying and extracting take.
func tcPhases(w io.Writer) func(toolchain.Phase) {
	return func(p toolchain.Phase) {
		switch p {
		case toolchain.PhaseVerifying:
			fmt.Fprintln(w, "gonative: verifying the toolchain's hash")
		case toolchain.PhaseExtracting:
			fmt.Fprintln(w, "gonative: extracting")
		}
	}
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
