package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gonative/gonative/internal/inspect"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/goenv"
	"github.com/gonative/gonative/internal/image"
	"github.com/gonative/gonative/internal/verdict"
)

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Daemonless multi-platform OCI images, cgo included, checked before they are written",
		Long: `image builds OCI images without a container daemon. To read images, use
gonative inspect REF (registry references, oci-layout:DIR, oci-archive:FILE,
docker-archive:FILE).`,
	}
	cmd.AddCommand(newImageBuildCmd())
	return cmd
}

// imageBuildLong is the long help of image build.
const imageBuildLong = `image build builds PACKAGE (default ".") for every platform as gonative build does
(cgo per platform with its own C toolchain, every output verified), puts each binary
as one layer at /usr/local/bin/NAME on the base image's matching platform and
assembles a multi-platform OCI index.

Before anything is written it checks every platform: the binary's architecture is
the platform's, a dynamically linked (cgo) binary's interpreter exists in the base
and the base's glibc (read from its libc.so.6) is at least the one the binary needs.
A static binary needs nothing.

--base is a registry reference, oci-layout:DIR, oci-archive:FILE, "scratch" or
"static" (the default: /etc/passwd with root and nonroot, /tmp and the public CA
certificates, as distroless static has; no libc: a platform refused for want of a
loader or glibc names a glibc base to use instead, Debian's slim image or the one
GONATIVE_GLIBC_BASE names, and the command line that rebuilds on it). The image runs as --user (default
65532:65532, nonroot); its entrypoint is the binary; OCI labels come from the build
info. It is reproducible: every timestamp is SOURCE_DATE_EPOCH (default 0), so the
same source gives the same digest.

Outputs (any combination): --push to every -t reference, --oci-layout DIR (a new
directory), --tarball FILE (an OCI archive, for docker load, podman load or skopeo).
Registry credentials come from the Docker config file and its credential helpers.

Exit status: 0 built and written, 1 the build or a write failed, 3 a platform's
check failed (nothing was written).`

// imageBuildOptions are image build's flags.
type imageBuildOptions struct {
	platforms  []string
	base       string
	tags       []string
	push       bool
	ociLayout  string
	tarball    string
	user       string
	out        string
	ldflags    string
	buildTags  string
	cgo        string
	cc, sdk    []string
	labels     []string
	jsonOutput bool
	trace      bool
}

func newImageBuildCmd() *cobra.Command {
	var o imageBuildOptions
	cmd := &cobra.Command{
		Use:   "build [PACKAGE]",
		Short: "Build a multi-platform OCI image of a Go program, cgo included, without a daemon",
		Long:  imageBuildLong,
		Example: `  gonative image build ./cmd/server --platform linux/amd64,linux/arm64 -t registry.example.com/server:v1 --push
  gonative image build --base debian:bookworm-slim --oci-layout out/ ./cmd/cgoapp
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) gonative image build --tarball server.tar`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			iopts, wo, cleanup, err := o.options(cmd, args)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			defer cleanup()
			bp := startProgress(ctx, stderr)
			if bp != nil {
				iopts.Build.Progress = buildProgress(bp)
			} else if !o.jsonOutput {
				iopts.Build.Progress = buildPlainProgress(stderr)
			}
			b, err := image.Build(ctx, iopts)
			bp.wait()
			if ce := (*image.CheckError)(nil); errors.As(err, &ce) {
				imageFixCommands(cmd, args, ce.Built)
			}
			if err != nil {
				return imageBuildError(stdout, stderr, err)
			}
			w, err := imageWrite(cmd, b, wo)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: errors.New(Quote(err.Error()))}
			}
			if o.jsonOutput {
				enc := newJSONEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(image.BuildReport{Built: b, Written: w})
			}
			renderImageBuilt(stdout, b, w)
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// flags defines image build's flags on cmd.
func (o *imageBuildOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.platforms, "platform", []string{"linux/amd64", "linux/arm64"}, "platforms as os/arch, comma-separated or repeated")
	f.StringVar(&o.base, "base", image.BaseStatic, "base image: a registry reference, oci-layout:DIR, oci-archive:FILE, scratch or static")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "image reference to push to or name in the layout (repeatable)")
	f.BoolVar(&o.push, "push", false, "push the index to every -t reference")
	f.StringVar(&o.ociLayout, "oci-layout", "", "write an OCI layout into this new directory")
	f.StringVar(&o.tarball, "tarball", "", "write an OCI archive (a tar of the layout) to this file")
	f.StringVar(&o.user, "user", image.DefaultUser, "the user the container runs as")
	f.StringVarP(&o.out, "output", "o", "", "keep the binaries in this directory (default: a temporary one)")
	f.StringVar(&o.ldflags, "ldflags", "", "flags for go build -ldflags")
	f.StringVar(&o.buildTags, "tags", "", "build tags, comma-separated")
	f.StringVar(&o.cgo, "cgo", "auto", "cgo: auto (on where a package needs it), on, or off")
	f.StringArrayVar(&o.cc, "cc", nil, "C compiler for cgo platforms, as OS/ARCH=CC or CC for all (repeatable)")
	f.StringArrayVar(&o.sdk, "sdk", nil, "sysroot for cgo platforms, as OS/ARCH=DIR or DIR for all")
	f.StringArrayVar(&o.labels, "label", nil, "extra label KEY=VALUE (repeatable)")
	f.BoolVar(&o.jsonOutput, "json", false, "print the result as JSON")
	f.BoolVar(&o.trace, "trace", false, "print each step, when it started and how long it took, to stderr")
}

// options checks the flags and every output before anything is compiled, and
// returns what image.Build and image.Write take. cleanup removes the temporary
// output directory, if one was made.
func (o *imageBuildOptions) options(cmd *cobra.Command, args []string) (image.BuildOptions, image.WriteOptions, func(), error) {
	ctx, none := cmd.Context(), func() {}
	bo, wo, err := o.check(cmd)
	if err != nil {
		return image.BuildOptions{}, wo, none, err
	}
	created, err := image.Epoch(os.Getenv)
	if err != nil {
		return image.BuildOptions{}, wo, none, err
	}
	lbl, err := imageLabels(o.labels)
	if err != nil {
		return image.BuildOptions{}, wo, none, err
	}
	if bo.Host, err = thisHost(ctx); err != nil {
		return image.BuildOptions{}, wo, none, err
	}
	bo.CacheDir, _ = build.CacheDir(os.Getenv)               // none: go tool dist list runs every time
	bo.ReuseDir, _ = image.BinariesDir(os.Getenv, ".", args) // none: every binary is linked
	cleanup := none
	if bo.OutDir == "" {
		if bo.OutDir, err = os.MkdirTemp("", "gonative-image-"); err != nil {
			return image.BuildOptions{}, wo, none, err
		}
		cleanup = func() { os.RemoveAll(bo.OutDir) }
	}
	bo.Packages = args
	iopts := image.BuildOptions{Build: bo, Base: o.base, GLIBCBase: os.Getenv("GONATIVE_GLIBC_BASE"), User: o.user, Created: created, Labels: lbl,
		Source: image.VCSSource(ctx, ".")}
	if o.push {
		iopts.PushTo = o.tags
	}
	if d, err := image.LayerCacheDir(os.Getenv); err == nil {
		iopts.LayerCache = d
	}
	if o.trace {
		iopts.Trace = imageTrace(cmd.ErrOrStderr(), time.Now())
		wo.Trace = iopts.Trace
	}
	return iopts, wo, cleanup, nil
}

// check parses the platforms and cgo flags and checks the outputs: the build
// options without host and packages, and the write options.
func (o *imageBuildOptions) check(cmd *cobra.Command) (build.Options, image.WriteOptions, error) {
	wo := image.WriteOptions{Push: o.push, Tags: o.tags, OCILayout: o.ociLayout, Tarball: o.tarball}
	ts, err := build.ParseTargets(o.platforms)
	if err != nil {
		return build.Options{}, wo, err
	}
	mode, ccs, sdks, err := cgoFlags(o.cgo, o.cc, o.sdk)
	if err != nil {
		return build.Options{}, wo, err
	}
	if o.push && len(o.tags) == 0 {
		return build.Options{}, wo, errors.New("--push needs -t REGISTRY/REPO:TAG")
	}
	if file, ok := strings.CutPrefix(o.base, image.PrefixOCIArchive); ok && o.tarball != "" {
		if a, err1 := os.Stat(file); err1 == nil {
			if b, err2 := os.Stat(o.tarball); err2 == nil && os.SameFile(a, b) {
				return build.Options{}, wo, fmt.Errorf("--tarball %s is the base image: write to another file", o.tarball)
			}
		}
	}
	// Every output is checked before anything is compiled.
	if err := image.CheckOutputs(wo); err != nil {
		return build.Options{}, wo, err
	}
	return build.Options{Targets: ts, OutDir: o.out, LDFlags: o.ldflags, Tags: o.buildTags,
		Cgo: mode, CC: ccs, SDK: sdks}, wo, nil
}

// imageLabels parses --label KEY=VALUE flags.
func imageLabels(labels []string) (map[string]string, error) {
	lbl := map[string]string{}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", l)
		}
		lbl[k] = v
	}
	return lbl, nil
}

// imageBuildError reports an image that was not built: a plan's problems, a
// platform's failed check (on stdout, with the image), a failed build (its outputs),
// or a base's error on one line.
func imageBuildError(stdout, stderr io.Writer, err error) error {
	var pe *build.PlanError
	var ce *image.CheckError
	var be *image.BuildError
	switch {
	case errors.As(err, &pe):
		return buildError(stderr, err)
	case errors.As(err, &ce):
		// The problems, quoted, are on stdout.
		renderImageBuilt(stdout, ce.Built, nil)
		return &ExitError{Code: ExitProblems, Err: errors.New("image check failed, nothing written (the problems are above)")}
	case errors.As(err, &be):
		renderBuild(stdout, paletteFor(stdout), be.Result)
		return &ExitError{Code: ExitFailed, Err: err}
	}
	// A base's errors hold what its registry or files say: one line.
	return &ExitError{Code: ExitFailed, Err: errors.New(Quote(err.Error()))}
}

// imageFixCommands gives the fix that names a glibc base (b.FixBase) its command: this
// very command line with --base set to that base, shell-quoted, to be run as printed.
// It needs the network unless the base is a local layout or archive.
func imageFixCommands(cmd *cobra.Command, args []string, b *image.Built) {
	if b == nil || b.FixBase == "" {
		return
	}
	line := imageRebuildCommand(cmd, args, b.FixBase)
	needs := finding.NeedsNetwork
	if strings.HasPrefix(b.FixBase, image.PrefixOCILayout) || strings.HasPrefix(b.FixBase, image.PrefixOCIArchive) {
		needs = ""
	}
	for _, p := range b.Platforms {
		if p == nil {
			continue
		}
		for i, f := range p.Findings {
			if f.Fix != nil && image.NeedsGLIBCBase(f) {
				fix := *f.Fix
				fix.Commands, fix.Needs = []string{line}, needs
				p.Findings[i].Fix = &fix
			}
		}
	}
}

// imageRebuildCommand is the command line of cmd with the flags as given (each as
// --name=value, a list's values one by one), --base replaced by base, and args
// (after "--" when one starts with "-"), every word quoted for sh.
func imageRebuildCommand(cmd *cobra.Command, args []string, base string) string {
	words := append(strings.Fields(cmd.CommandPath()), "--base="+base)
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "base" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				words = append(words, "--"+f.Name+"="+v)
			}
			return
		}
		words = append(words, "--"+f.Name+"="+f.Value.String())
	})
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			words = append(words, "--") // an argument that looks like a flag stays one
			break
		}
	}
	words = append(words, args...)
	for i, w := range words {
		words[i] = goenv.ShellQuote(w)
	}
	return strings.Join(words, " ")
}

// imageWrite writes b to the outputs wo names, a push's bytes on the progress display.
func imageWrite(cmd *cobra.Command, b *image.Built, wo image.WriteOptions) (*image.Written, error) {
	var pp *progress
	if wo.Push {
		pp = startProgress(cmd.Context(), cmd.ErrOrStderr())
	}
	if pp != nil {
		wo.Progress = func(done, total int64) {
			pp.event(progressEvent{Key: "push", Kind: progressBytes, Label: "push", Done: done, Total: total})
		}
	}
	w, err := image.Write(cmd.Context(), b, wo)
	pp.wait()
	return w, err
}

// imageTrace prints each step of image build on w as one line: when it started
// (seconds since start), how long it took, its name, platform and detail.
func imageTrace(w io.Writer, start time.Time) func(image.Step) {
	return func(s image.Step) {
		line := traceLine(s.Start.Sub(start), s.Elapsed, string(s.Name), s.Platform, s.Detail, s.UpToDate, s.Error)
		if s.Reused {
			line += "  (reused from the layer cache)"
		}
		fmt.Fprintln(w, line)
	}
}

// renderImageBuilt prints the index and one line per platform, with its findings.
func renderImageBuilt(w io.Writer, b *image.Built, wr *image.Written) {
	if b.Index != nil {
		fmt.Fprintf(w, "index %s (%d platforms)\n", b.Digest, len(b.Platforms))
	}
	for _, p := range b.Platforms {
		o := p.Output
		facts := []string{buildSize(o.Size)}
		if o.CgoLinked {
			facts = append(facts, "cgo")
		}
		switch {
		case o.Static:
			facts = append(facts, "static")
		case o.Interpreter != "":
			facts = append(facts, "interp "+o.Interpreter)
		}
		if o.GLIBC != "" {
			facts = append(facts, "glibc>="+o.GLIBC)
		}
		status, dig := "ok", p.Digest.String()
		if p.Problems() { // warnings alone do not stop the build
			status, dig = "BAD", "(not built)"
		}
		fmt.Fprintf(w, "%-4s %-14s %s %s %s\n", status, Quote(p.Platform), dig, Quote(p.Binary), Quote(strings.Join(facts, ", ")))
		for _, f := range p.Findings {
			fmt.Fprintf(w, "     %s: %s\n", image.SeverityWord(f.Severity), Quote(f.Title))
			if f.Fix != nil {
				fmt.Fprintf(w, "     fix: %s\n", Quote(f.Fix.Text))
				for _, c := range f.Fix.Commands {
					fmt.Fprintf(w, "     run: %s\n", Quote(c))
				}
			}
		}
	}
	if wr == nil {
		return
	}
	for _, r := range wr.Pushed {
		fmt.Fprintf(w, "pushed %s\n", Quote(r))
	}
	if wr.OCILayout != "" {
		fmt.Fprintf(w, "wrote OCI layout %s\n", Quote(wr.OCILayout))
	}
	if wr.Tarball != "" {
		fmt.Fprintf(w, "wrote OCI archive %s\n", Quote(wr.Tarball))
	}
}

// splitImageArgs separates inspect's arguments that name images (see
// image.LooksLikeReference) from files.
func splitImageArgs(args []string) (images, files []string) {
	for _, a := range args {
		if a != "-" && image.LooksLikeReference(a) {
			images = append(images, a)
		} else {
			files = append(files, a)
		}
	}
	return images, files
}

// runInspectImages inspects images (and then the files among args, as inspect does).
func runInspectImages(cmd *cobra.Command, images, files []string, fl inspectFlags) error {
	o, err := imageInspectOptions(cmd, fl)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	p := startProgress(cmd.Context(), cmd.ErrOrStderr())
	if p != nil {
		registryProgress(p, &o.ReadOptions)
	}
	defer p.wait()
	failed, found := false, false
	for _, ref := range images {
		f, fd := inspectImage(cmd, ref, o, fl)
		failed, found = failed || f, found || fd
	}
	if len(files) > 0 {
		if err := runInspect(cmd, files, fl); err != nil {
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != ExitProblems {
				return err
			}
			found = true
		}
	}
	switch {
	case failed:
		return &ExitError{Code: ExitFailed}
	case found:
		return problems()
	}
	return nil
}

// imageInspectOptions are the options of image.Inspect that inspect's flags ask for.
func imageInspectOptions(cmd *cobra.Command, fl inspectFlags) (image.InspectOptions, error) {
	h, err := inspectHost(cmd.Context(), fl.host)
	if err != nil {
		return image.InspectOptions{}, err
	}
	o := image.InspectOptions{Exe: exe.Options{Deps: fl.deps || fl.verbose}, Host: h}
	if fl.isa || fl.verbose {
		o.Scan = inspect.ScanAlways
	}
	if o.Wants, err = fl.wants(); err != nil {
		return image.InspectOptions{}, err
	}
	return o, nil
}

// inspectImage inspects one image and prints its files, platforms and unmet
// expectations; failed is true when it could not be read, found when it has problems.
func inspectImage(cmd *cobra.Command, ref string, o image.InspectOptions, fl inspectFlags) (failed, found bool) {
	stdout := cmd.OutOrStdout()
	em := image.Emitter{
		File: func(f *image.File) error {
			return writeImageFile(stdout, f, fl)
		},
		Platform: func(r *image.PlatformReport) error {
			failed = failed || r.Error != ""
			found = found || r.Problems() || len(r.Unmet) > 0
			return writeImagePlatform(stdout, r, fl)
		},
	}
	unmet, err := image.Inspect(cmd.Context(), ref, o, em)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "gonative: inspect %s\n", Quote(err.Error())) // the error names the image
		return true, found
	}
	for _, u := range unmet {
		found = true
		if fl.json {
			b, _ := json.Marshal(map[string]string{"report": "image", "image": ref, "unmet": u})
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			fmt.Fprintf(stdout, "%s: UNMET: %s\n", Quote(ref), Quote(u))
		}
	}
	return failed, found
}

func writeImageFile(w io.Writer, f *image.File, fl inspectFlags) error {
	if fl.json {
		b, err := json.Marshal(f.Report())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	r := f.Result
	prefix := fmt.Sprintf("%s [%s] ", Quote(f.Image), Quote(f.Platform))
	if fl.verbose {
		fmt.Fprintf(w, "%s(layer %d, %s)\n", prefix, f.Layer, f.LayerDigest)
		saved := f.File.Path
		f.File.Path = Quote(saved)
		writeVerbose(w, r)
		f.File.Path = saved
		return nil
	}
	_, err := fmt.Fprintf(w, "%s%s: %s\n", prefix, Quote(f.Path), summary(r))
	return err
}

func writeImagePlatform(w io.Writer, r *image.PlatformReport, fl inspectFlags) error {
	if fl.json {
		b, err := json.Marshal(r.Line())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	prefix := fmt.Sprintf("%s [%s]", Quote(r.Image), Quote(r.Platform))
	entry := strings.Join(append(append([]string{}, r.Entrypoint...), r.Cmd...), " ")
	if entry == "" {
		entry = "(none)"
	}
	user := r.User
	if user == "" {
		user = "root (unset)"
	}
	runs := "unknown"
	switch r.Runs {
	case verdict.Native:
		runs = "runs natively on " + r.Host
	case verdict.Emulated:
		runs = "runs emulated on " + r.Host
	case verdict.No:
		runs = "does not run on " + r.Host
	}
	if r.Reason != "" {
		runs += " (" + Quote(r.Reason) + ")"
	}
	fmt.Fprintf(w, "%s: image %s, %d layers, %d files, %d executables, entrypoint %s, user %s => %s\n",
		prefix, r.Digest, r.Layers, r.Files, r.Executables, Quote(entry), Quote(user), runs)
	if r.Error != "" {
		fmt.Fprintf(w, "%s: ERROR: %s\n", prefix, Quote(r.Error))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "%s: %s %s: %s\n", prefix, strings.ToUpper(image.SeverityWord(f.Severity)), Quote(f.ID), Quote(f.Title))
	}
	for _, u := range r.Unmet {
		fmt.Fprintf(w, "%s: UNMET: %s\n", prefix, Quote(u))
	}
	return nil
}

// registryProgress shows on p the bytes received from registries while they come.
func registryProgress(p *progress, o *image.ReadOptions) {
	var n atomic.Int64
	o.Progress = func(k int64) {
		p.event(progressEvent{Key: "fetch", Kind: progressSpinner, Label: "registry", Status: "fetched " + buildSize(n.Add(k))})
	}
}
