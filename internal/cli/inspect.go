package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/verdict"
	"github.com/spf13/cobra"
)

// inspectFlags are the options of gonative inspect.
type inspectFlags struct {
	verbose bool
	json    bool
	deps    bool
	host    string
	expect  string
}

func newInspectCmd() *cobra.Command {
	var fl inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect PATH...",
		Short: "Tell what executables really are: arch of every slice, Go build, cgo, signature, and whether this host runs them",
		Long: `inspect reads executables, shared libraries and objects (ELF, Mach-O, universal
Mach-O, PE) and reports, for every slice: architecture, OS, minimum OS, linkage,
code signature (verified), the Go version and build settings that built it, whether
cgo is really linked, and how a host would run it: native, translated (Rosetta 2),
emulated (a binfmt_misc handler) or not at all, and why.

Directories are searched recursively (files that are not executables are skipped);
"-" reads paths from standard input, one per line.

The host is this machine's hardware, or --host OS/ARCH[,macos=14.5][,page=16k]
[,rosetta=no][,binfmt=ARCH:INTERPRETER] to judge for another machine.

--expect darwin/arm64,linux/arm64 exits 3 unless every file has all those slices;
conditions on Go build settings may follow a platform: linux/amd64:GOAMD64=v1:cgo=0.`,
		Example: `  gonative inspect $(command -v go)
  gonative inspect -v --host darwin/arm64,macos=14.5 dist/
  gonative inspect --json dist/ | jq .verdict
  gonative inspect --expect darwin/arm64,darwin/amd64 dist/app_darwin_universal`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd, args, fl)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "print everything known about every slice")
	f.BoolVar(&fl.json, "json", false, "print one JSON object per file (JSON Lines)")
	f.BoolVarP(&fl.deps, "deps", "m", false, "include Go module dependencies")
	f.StringVar(&fl.host, "host", "", "judge for this host instead of this machine: OS/ARCH[,macos=VER][,page=16k]...")
	f.StringVar(&fl.expect, "expect", "", "exit 3 unless every file has these platforms: OS/ARCH[:KEY=VALUE...],...")
	return cmd
}

// inspected is one file's report: what exe read, plus the verdict and the gate.
type inspected struct {
	*exe.File
	Verdict *verdict.Verdict `json:"verdict,omitempty"`
	Unmet   []string         `json:"unmet,omitempty"` // with --expect: the platforms it lacks
	named   bool             // named on the command line (not found in a directory)
	openErr error            // the file could not be opened at all
}

func runInspect(cmd *cobra.Command, args []string, fl inspectFlags) error {
	// Image references (oci-layout:, oci-archive:, docker-archive:, registry refs): image.go.
	if images, files := splitImageArgs(args); len(images) > 0 {
		return runInspectImages(cmd, images, files, fl)
	}
	ctx := cmd.Context()
	h, err := inspectHost(ctx, fl.host)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	var wants []verdict.Want
	if fl.expect != "" {
		if wants, err = verdict.ParseWants(fl.expect); err != nil {
			return &ExitError{Code: ExitFailed, Err: err}
		}
	}
	// Missing paths are the command's failure: say so before reading anything.
	paths, err := expandStdin(args, cmd.InOrStdin())
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return &ExitError{Code: ExitFailed, Err: fmt.Errorf("inspect %s: %w", p, unwrapPathError(err))}
		}
	}

	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	opts := exe.Options{Deps: fl.deps || fl.verbose, ISA: true}
	failed, unmet := false, false
	err = inspectAll(ctx, paths, opts, func(r inspected) error {
		if r.openErr != nil {
			failed = true
			fmt.Fprintf(cmd.ErrOrStderr(), "gonative: inspect %s: %v\n", r.Path, unwrapPathError(r.openErr))
			return nil
		}
		if r.Format == exe.FormatUnknown && !r.named {
			return nil // not an executable, found while walking a directory
		}
		v := verdict.Judge(r.File, h)
		r.Verdict = &v
		if wants != nil {
			r.Unmet = verdict.Unmet(r.File, wants)
			if len(r.Unmet) > 0 {
				unmet = true
			}
		}
		switch {
		case fl.json:
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			out.Write(b)
			out.WriteByte('\n')
		case fl.verbose:
			writeVerbose(out, r)
		default:
			writeLine(out, r)
		}
		return nil
	})
	out.Flush()
	switch {
	case err != nil:
		return &ExitError{Code: ExitFailed, Err: err}
	case failed:
		return &ExitError{Code: ExitFailed}
	case unmet:
		return problems()
	}
	return nil
}

// inspectHost returns the host to judge against: --host, or this machine's hardware.
func inspectHost(ctx context.Context, spec string) (host.Host, error) {
	if spec != "" {
		return host.Parse(spec)
	}
	return thisHost(ctx)
}

// expandStdin replaces the argument "-" with the paths read from stdin, one per line.
func expandStdin(args []string, stdin io.Reader) ([]string, error) {
	var paths []string
	for _, a := range args {
		if a != "-" {
			paths = append(paths, a)
			continue
		}
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if line := strings.TrimRight(sc.Text(), "\r"); line != "" {
				paths = append(paths, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("inspect: reading paths from stdin: %w", err)
		}
	}
	return paths, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// inspectAll inspects the named paths, walking directories, with workers in parallel,
// and calls emit with the results in walk order.
func inspectAll(ctx context.Context, paths []string, opts exe.Options, emit func(inspected) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		i     int
		path  string
		named bool
	}
	jobs := make(chan job)
	results := make(chan struct {
		i int
		r inspected
	})
	var walkErr error
	go func() {
		defer close(jobs)
		i := 0
		send := func(p string, named bool) bool {
			select {
			case jobs <- job{i, p, named}:
				i++
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil || !st.IsDir() {
				if !send(p, true) {
					return
				}
				continue
			}
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					if path == p {
						return err
					}
					return nil // unreadable subdirectory: skip it, as find(1) would warn
				}
				if !d.Type().IsRegular() {
					return nil // directories, symlinks, devices, FIFOs, sockets
				}
				if !send(path, false) {
					return ctx.Err()
				}
				return nil
			})
			if err != nil {
				walkErr = fmt.Errorf("inspect %s: %w", p, err)
				return
			}
		}
	}()

	workers := 2 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := inspectOne(ctx, j.path, opts, j.named)
				select {
				case results <- struct {
					i int
					r inspected
				}{j.i, r}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	// Emit in order: hold early results until their predecessors arrive.
	pending := map[int]inspected{}
	next := 0
	var emitErr error
	for res := range results {
		pending[res.i] = res.r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if emitErr == nil {
				if emitErr = emit(r); emitErr != nil {
					cancel()
				}
			}
		}
	}
	if emitErr != nil {
		return emitErr
	}
	if walkErr != nil {
		return walkErr
	}
	return ctx.Err()
}

// inspectOne reads one file; it never panics.
func inspectOne(ctx context.Context, path string, opts exe.Options, named bool) (r inspected) {
	r.named = named
	defer func() {
		if p := recover(); p != nil {
			r.File = &exe.File{Path: path, Format: exe.FormatUnknown, Error: fmt.Sprintf("internal error (a gonative bug, please report it): %v", p)}
		}
	}()
	f, err := exe.Inspect(ctx, path, opts)
	if err != nil {
		if !named {
			return inspected{File: &exe.File{Path: path, Format: exe.FormatUnknown}}
		}
		return inspected{File: &exe.File{Path: path, Format: exe.FormatUnknown}, named: true, openErr: err}
	}
	return inspected{File: f, named: named}
}

// writeLine prints the one-line summary, in the manner of file(1).
func writeLine(w io.Writer, r inspected) {
	fmt.Fprintf(w, "%s: %s\n", r.Path, summary(r))
}

func summary(r inspected) string {
	f := r.File
	if f.Format == exe.FormatUnknown {
		if f.Error != "" && f.Error != exe.ErrNotExecutable.Error() {
			return f.Error
		}
		return "not an executable"
	}
	var b strings.Builder
	b.WriteString(formatName(f))
	if f.Kind != "" {
		b.WriteString(" " + string(f.Kind))
	}
	for i := range f.Slices {
		s := &f.Slices[i]
		if len(f.Slices) > 1 {
			fmt.Fprintf(&b, " [%d]", i+1)
		}
		b.WriteString(" " + sliceSummary(f.Format, s))
		if i < len(f.Slices)-1 {
			b.WriteString(";")
		}
	}
	if f.Error != "" && (len(f.Slices) != 1 || f.Slices[0].Error != f.Error) {
		b.WriteString("; error: " + f.Error)
	}
	if r.Verdict != nil {
		b.WriteString(" => " + verdictText(r.Verdict))
	}
	for _, u := range r.Unmet {
		b.WriteString("; UNMET: " + u)
	}
	return b.String()
}

func formatName(f *exe.File) string {
	switch f.Format {
	case exe.FormatELF:
		return "ELF"
	case exe.FormatMachO:
		return "Mach-O"
	case exe.FormatMachOFat:
		return fmt.Sprintf("Mach-O universal (%d slices)", len(f.Slices))
	case exe.FormatPE:
		return "PE"
	}
	return string(f.Format)
}

// machoCPU is the Mach-O name of an architecture's common subtype; others (arm64e,
// x86_64h) are worth showing in the one-line summary.
func machoCPU(arch string) string {
	switch arch {
	case "amd64":
		return "x86_64"
	case "386":
		return "i386"
	}
	return arch
}

func sliceSummary(format exe.Format, s *exe.Slice) string {
	var parts []string
	plat := s.Arch
	if s.OS != "" {
		plat = s.OS + "/" + s.Arch
	}
	if (format == exe.FormatMachO || format == exe.FormatMachOFat) && s.CPU != "" && s.CPU != machoCPU(s.Arch) {
		plat += " (" + s.CPU + ")"
	}
	parts = append(parts, plat)
	if s.MinOS != "" {
		parts = append(parts, osName(s.OS)+" "+s.MinOS+"+")
	}
	switch {
	case s.Static:
		parts = append(parts, "static")
	case len(s.Libraries) > 0 || s.Interpreter != "":
		dyn := "dynamic"
		if n := nonSystem(s.Libraries); n > 0 {
			dyn += fmt.Sprintf(" (%d non-system libraries)", n)
		}
		if s.GLIBC != "" {
			dyn += ", glibc " + s.GLIBC + "+"
		}
		parts = append(parts, dyn)
	}
	if s.PIE {
		parts = append(parts, "PIE")
	}
	if s.Stripped {
		parts = append(parts, "stripped")
	}
	if sig := s.Signature; sig != nil {
		parts = append(parts, signatureText(sig))
	}
	if g := s.Go; g != nil {
		goText := "Go " + orUnknown(g.Version)
		if g.Cgo {
			goText += " cgo"
		}
		for _, k := range []string{"GOAMD64", "GOARM64", "GOARM"} {
			if v := g.Settings[k]; v != "" {
				goText += " " + k + "=" + v
			}
		}
		parts = append(parts, goText)
	}
	if r := s.ISA; r != nil && r.RequiredLevel != "" && r.RequiredLevel != "x86-64-v1" && r.RequiredLevel != "v8.0" {
		parts = append(parts, "needs "+r.RequiredLevel)
	}
	if s.Error != "" {
		parts = append(parts, "error: "+s.Error)
	}
	return strings.Join(parts, ", ")
}

func signatureText(sig *exe.Signature) string {
	switch {
	case !sig.Present:
		return "unsigned"
	case !sig.Valid:
		return "signature INVALID"
	case sig.AdHoc:
		return "signed ad hoc (valid)"
	}
	return "signed (valid)"
}

func verdictText(v *verdict.Verdict) string {
	s := v.Runs
	switch v.Runs {
	case verdict.Native:
		s = "runs natively on " + v.Host
	case verdict.Translated:
		s = "runs translated by " + v.Handler + " on " + v.Host
	case verdict.Emulated:
		s = "runs emulated by " + v.Handler + " on " + v.Host
	case verdict.No:
		s = "does not run on " + v.Host
	}
	if v.Reason != "" {
		s += ": " + v.Reason
	}
	return s
}

func osName(goos string) string {
	switch goos {
	case "darwin":
		return "macOS"
	case "ios":
		return "iOS"
	}
	return goos
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown version)"
	}
	return s
}

func nonSystem(libs []exe.Library) int {
	n := 0
	for _, l := range libs {
		if !l.System {
			n++
		}
	}
	return n
}

// writeVerbose prints everything known, a block per file.
func writeVerbose(w io.Writer, r inspected) {
	f := r.File
	fmt.Fprintf(w, "%s\n", f.Path)
	fmt.Fprintf(w, "  format:  %s", formatName(f))
	if f.Kind != "" {
		fmt.Fprintf(w, " %s", f.Kind)
	}
	fmt.Fprintf(w, ", %d bytes\n", f.Size)
	if f.Error != "" {
		fmt.Fprintf(w, "  error:   %s\n", f.Error)
	}
	for i := range f.Slices {
		s := &f.Slices[i]
		fmt.Fprintf(w, "  slice %d: %s/%s (%s), %d-bit %s-endian, %s", i+1, orUnknown(s.OS), s.Arch, s.CPU, s.Bits, s.ByteOrder, s.Kind)
		if len(f.Slices) > 1 {
			fmt.Fprintf(w, ", offset %d, %d bytes", s.Offset, s.Size)
		}
		fmt.Fprintln(w)
		kv := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "    %-12s %s\n", k+":", v)
			}
		}
		if s.MinOS != "" || s.SDK != "" {
			kv("min os", strings.TrimSpace(osName(s.OS)+" "+s.MinOS))
			kv("sdk", s.SDK)
		}
		link := "dynamic"
		if s.Static {
			link = "static"
		}
		kv("linkage", fmt.Sprintf("%s, PIE %v, stripped %v", link, s.PIE, s.Stripped))
		kv("interpreter", s.Interpreter)
		if s.GLIBC != "" {
			kv("glibc", s.GLIBC+" or later (newest GLIBC_ symbol version needed)")
		}
		for _, l := range s.Libraries {
			tag := "system"
			if !l.System {
				tag = "NOT SYSTEM"
			}
			if l.Weak {
				tag += ", weak"
			}
			kv("needs", fmt.Sprintf("%s (%s)", l.Name, tag))
		}
		if s.Align != 0 {
			kv("alignment", fmt.Sprintf("%s (loads on 16K-page kernels: %v, 64K: %v)", alignText(s.Align), s.Loads16K, s.Loads64K))
		}
		if sig := s.Signature; sig != nil {
			t := signatureText(sig)
			if sig.LinkerSigned {
				t += ", linker-signed"
			}
			if sig.Identifier != "" {
				t += ", identifier " + sig.Identifier
			}
			if sig.TeamID != "" {
				t += ", team " + sig.TeamID
			}
			if sig.Problem != "" {
				t += ": " + sig.Problem
			}
			kv("signature", t)
		}
		if g := s.Go; g != nil {
			kv("go", orUnknown(g.Version)+sourceOf(g, "version"))
			kv("path", g.Path)
			if g.Module != "" {
				kv("module", strings.TrimSpace(g.Module+" "+g.ModuleVersion))
			}
			kv("cgo linked", fmt.Sprint(g.Cgo)+sourceOf(g, "cgo"))
			keys := make([]string, 0, len(g.Settings))
			for k := range g.Settings {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				kv("setting", k+"="+g.Settings[k])
			}
			for _, d := range g.Deps {
				dep := d.Path + " " + d.Version
				if d.Replace != nil {
					dep += " => " + d.Replace.Path + " " + d.Replace.Version
				}
				kv("dep", dep)
			}
		}
		if r := s.ISA; r != nil {
			writeISA(kv, r)
		}
		for _, n := range s.Notes {
			kv("note", n)
		}
		kv("error", s.Error)
	}
	if r.Verdict != nil {
		fmt.Fprintf(w, "  verdict: %s\n", verdictText(r.Verdict))
	}
	for _, u := range r.Unmet {
		fmt.Fprintf(w, "  UNMET:   %s\n", u)
	}
	fmt.Fprintln(w)
}

// writeISA prints the instruction-set part of a slice's -v block.
func writeISA(kv func(k, v string), r *isa.Report) {
	if r.RequiredLevel != "" {
		req := r.RequiredLevel
		if r.RequiredSource != "" {
			req += " (from " + r.RequiredSource + ")"
		}
		kv("cpu level", req)
	}
	for _, e := range r.Extensions {
		t := fmt.Sprintf("%s, %d instruction%s, first at %s", e.Name, e.Count, plural(e.Count), e.FirstAddr)
		if e.Guarded {
			t += ", behind a run-time CPU check"
		}
		kv("uses", t)
	}
	if v := r.Rosetta; v != nil {
		t := "Rosetta 2: " + v.Runs
		if v.MinMacOS != "" {
			t += " (macOS " + v.MinMacOS + "+)"
		}
		if v.Reason != "" {
			t += ": " + v.Reason
		}
		kv("rosetta", t)
	}
	for _, n := range r.Notes {
		kv("isa note", n)
	}
}

func sourceOf(g *exe.GoInfo, fact string) string {
	if src := g.Sources[fact]; src != "" {
		return " (from " + src + ")"
	}
	return ""
}

func alignText(n uint64) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
