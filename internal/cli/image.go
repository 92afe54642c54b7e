package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gonative/gonative/internal/inspect"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/exe"
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

func newImageBuildCmd() *cobra.Command {
	var (
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
	)
	cmd := &cobra.Command{
		Use:   "build [PACKAGE]",
		Short: "Build a multi-platform OCI image of a Go program, cgo included, without a daemon",
		Long: `image build builds PACKAGE (default ".") for every platform as gonative build does
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
loader or glibc names a glibc base to use instead). The image runs as --user (default
65532:65532, nonroot); its entrypoint is the binary; OCI labels come from the build
info. It is reproducible: every timestamp is SOURCE_DATE_EPOCH (default 0), so the
same source gives the same digest.

Outputs (any combination): --push to every -t reference, --oci-layout DIR (a new
directory), --tarball FILE (an OCI archive, for docker load, podman load or skopeo).
Registry credentials come from the Docker config file and its credential helpers.

Exit status: 0 built and written, 1 the build or a write failed, 3 a platform's
check failed (nothing was written).`,
		Example: `  gonative image build ./cmd/server --platform linux/amd64,linux/arm64 -t registry.example.com/server:v1 --push
  gonative image build --base debian:bookworm-slim --oci-layout out/ ./cmd/cgoapp
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) gonative image build --tarball server.tar`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			ts, err := build.ParseTargets(platforms)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			mode, ccs, sdks, err := cgoFlags(cgo, cc, sdk)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if push && len(tags) == 0 {
				return &ExitError{Code: ExitFailed, Err: errors.New("--push needs -t REGISTRY/REPO:TAG")}
			}
			if file, ok := strings.CutPrefix(base, image.PrefixOCIArchive); ok && tarball != "" {
				if a, err1 := os.Stat(file); err1 == nil {
					if b, err2 := os.Stat(tarball); err2 == nil && os.SameFile(a, b) {
						return &ExitError{Code: ExitFailed, Err: fmt.Errorf("--tarball %s is the base image: write to another file", tarball)}
					}
				}
			}
			// Every output is checked before anything is compiled.
			wo := image.WriteOptions{Push: push, Tags: tags, OCILayout: ociLayout, Tarball: tarball}
			if err := image.CheckOutputs(wo); err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			created, err := image.Epoch(os.Getenv)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			lbl := map[string]string{}
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return &ExitError{Code: ExitFailed, Err: fmt.Errorf("--label %q: want KEY=VALUE", l)}
				}
				lbl[k] = v
			}
			h, err := thisHost(ctx)
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: err}
			}
			if out == "" {
				if out, err = os.MkdirTemp("", "gonative-image-"); err != nil {
					return &ExitError{Code: ExitFailed, Err: err}
				}
				defer os.RemoveAll(out)
			}
			bo := build.Options{Packages: args, Targets: ts, OutDir: out, LDFlags: ldflags, Tags: buildTags,
				Cgo: mode, CC: ccs, SDK: sdks, Host: h}
			var bp *progress
			if progressTTY(stderr) {
				bp = newProgress(ctx, stderr)
				bo.Progress = buildProgress(bp)
			} else if !jsonOutput {
				bo.Progress = buildPlainProgress(stderr)
			}
			iopts := image.BuildOptions{Build: bo, Base: base, User: user, Created: created, Labels: lbl,
				Source: image.VCSSource(ctx, ".")}
			if push {
				iopts.PushTo = tags
			}
			if d, err := image.LayerCacheDir(os.Getenv); err == nil {
				iopts.LayerCache = d
			}
			if trace {
				iopts.Trace = imageTrace(stderr, time.Now())
				wo.Trace = iopts.Trace
			}
			b, err := image.Build(ctx, iopts)
			if bp != nil {
				bp.wait()
			}
			if err != nil {
				var pe *build.PlanError
				var ce *image.CheckError
				var be *image.BuildError
				switch {
				case errors.As(err, &pe):
					fmt.Fprintln(stderr, "gonative: nothing was built:")
					for _, e := range pe.Problems {
						fmt.Fprintf(stderr, "  %s\n", strings.ReplaceAll(e.Error(), "\n", "\n  "))
					}
					return &ExitError{Code: ExitFailed}
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
			var pp *progress
			if push && progressTTY(stderr) {
				pp = newProgress(ctx, stderr)
				wo.Progress = func(done, total int64) {
					pp.event(progressEvent{Key: "push", Kind: progressBytes, Label: "push", Done: done, Total: total})
				}
			}
			w, err := image.Write(ctx, b, wo)
			if pp != nil {
				pp.wait()
			}
			if err != nil {
				return &ExitError{Code: ExitFailed, Err: errors.New(Quote(err.Error()))}
			}
			if jsonOutput {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					*image.Built
					Written *image.Written `json:"written"`
				}{b, w})
			}
			renderImageBuilt(stdout, b, w)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&platforms, "platform", []string{"linux/amd64", "linux/arm64"}, "platforms as os/arch, comma-separated or repeated")
	f.StringVar(&base, "base", image.BaseStatic, "base image: a registry reference, oci-layout:DIR, oci-archive:FILE, scratch or static")
	f.StringArrayVarP(&tags, "tag", "t", nil, "image reference to push to or name in the layout (repeatable)")
	f.BoolVar(&push, "push", false, "push the index to every -t reference")
	f.StringVar(&ociLayout, "oci-layout", "", "write an OCI layout into this new directory")
	f.StringVar(&tarball, "tarball", "", "write an OCI archive (a tar of the layout) to this file")
	f.StringVar(&user, "user", image.DefaultUser, "the user the container runs as")
	f.StringVarP(&out, "output", "o", "", "keep the binaries in this directory (default: a temporary one)")
	f.StringVar(&ldflags, "ldflags", "", "flags for go build -ldflags")
	f.StringVar(&buildTags, "tags", "", "build tags, comma-separated")
	f.StringVar(&cgo, "cgo", "auto", "cgo: auto (on where a package needs it), on, or off")
	f.StringArrayVar(&cc, "cc", nil, "C compiler for cgo platforms, as OS/ARCH=CC or CC for all (repeatable)")
	f.StringArrayVar(&sdk, "sdk", nil, "sysroot for cgo platforms, as OS/ARCH=DIR or DIR for all")
	f.StringArrayVar(&labels, "label", nil, "extra label KEY=VALUE (repeatable)")
	f.BoolVar(&jsonOutput, "json", false, "print the result as JSON")
	f.BoolVar(&trace, "trace", false, "print each step, when it started and how long it took, to stderr")
	return cmd
}

// imageTrace prints each step of image build on w as one line: when it started
// (seconds since start), how long it took, its name, platform and detail.
func imageTrace(w io.Writer, start time.Time) func(image.Step) {
	return func(s image.Step) {
		line := fmt.Sprintf("trace %7.3fs %7.3fs  %-10s", s.Start.Sub(start).Seconds(), s.Elapsed.Seconds(), s.Name)
		if s.Platform != "" {
			line += " " + Quote(s.Platform)
		}
		if s.Detail != "" {
			line += " " + Quote(s.Detail)
		}
		if s.Reused {
			line += " reused from the layer cache"
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
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
			fmt.Fprintf(w, "     %s: %s\n", f.Severity, Quote(f.Message))
			if f.Fix != "" {
				fmt.Fprintf(w, "     fix: %s\n", Quote(f.Fix))
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

// imageFileJSON is one executable in an image, as inspect --json prints it: the
// fields of a file, plus image, platform and layer.
type imageFileJSON struct {
	inspect.Report
	Image       string `json:"image"`
	Platform    string `json:"platform"`
	Layer       int    `json:"layer"`
	LayerDigest string `json:"layer_digest"`
}

// imagePlatformJSON is the per-platform line of inspect --json.
type imagePlatformJSON struct {
	Report string `json:"report"` // "image-platform"
	*image.PlatformReport
}

// runInspectImages inspects images (and then the files among args, as inspect does).
func runInspectImages(cmd *cobra.Command, images, files []string, fl inspectFlags) error {
	ctx := cmd.Context()
	h, err := inspectHost(ctx, fl.host)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	o := image.InspectOptions{Exe: exe.Options{Deps: fl.deps || fl.verbose}, Host: h}
	if fl.isa || fl.verbose {
		o.Scan = inspect.ScanAlways
	}
	if fl.expect != "" {
		if o.Wants, err = verdict.ParseWants(fl.expect); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if progressTTY(stderr) {
		p := newProgress(cmd.Context(), stderr)
		registryProgress(p, &o.ReadOptions)
		defer p.wait()
	}
	failed, found := false, false
	for _, ref := range images {
		em := image.Emitter{
			File: func(f *image.File) error {
				return writeImageFile(stdout, f, fl)
			},
			Platform: func(r *image.PlatformReport) error {
				if r.Error != "" {
					failed = true
				}
				if r.Problems() || len(r.Unmet) > 0 {
					found = true
				}
				return writeImagePlatform(stdout, r, fl)
			},
		}
		unmet, err := image.Inspect(ctx, ref, o, em)
		if err != nil {
			failed = true
			fmt.Fprintf(stderr, "gonative: inspect %s\n", Quote(err.Error())) // the error names the image
			continue
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

func writeImageFile(w io.Writer, f *image.File, fl inspectFlags) error {
	if fl.json {
		b, err := json.Marshal(imageFileJSON{Report: f.Report(), Image: f.Image, Platform: f.Platform, Layer: f.Layer, LayerDigest: f.LayerDigest.String()})
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
		b, err := json.Marshal(imagePlatformJSON{Report: "image-platform", PlatformReport: r})
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
		fmt.Fprintf(w, "%s: %s %s: %s\n", prefix, strings.ToUpper(f.Severity), Quote(f.Code), Quote(f.Message))
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
