package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/arch"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/inspect"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/notary"
	"github.com/gonative/gonative/internal/verdict"
	"github.com/spf13/cobra"
)

// inspectFlags are the options of gonative inspect.
type inspectFlags struct {
	verbose bool
	json    bool
	deps    bool
	host    string
	expect  []string
	online  bool
	isa     bool
	noCache bool
}

// wants returns the platforms of every --expect, nil without one.
func (fl inspectFlags) wants() ([]verdict.Want, error) {
	var all []verdict.Want
	for _, e := range fl.expect {
		w, err := verdict.ParseWants(e)
		if err != nil {
			return nil, err
		}
		all = append(all, w...)
	}
	return all, nil
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

The required CPU level comes from GOAMD64/GOARM64 and the ELF ISA note; the machine
code is scanned only where that can change the verdict (x86-64 code that is not Go,
judged for Rosetta 2), or with -v and --isa (JSON: isa.scanned). Results are cached
per file identity in $GONATIVE_CACHE (default: the user cache directory); --no-cache
reads every file afresh.

--expect darwin/arm64,linux/arm64 exits 3 unless every file has all those slices;
conditions on Go build settings may follow a platform: linux/amd64:GOAMD64=v1:cgo=0,
and on the code signature: darwin/arm64:signed=developer-id:team=ABCDE12345:hardened
(signed=adhoc, apple-development, app-store, any). --expect may be given several times.

For macOS slices, -v and --json add the Gatekeeper facts (who signed it, the
certificate chain and whether it ends at Apple's root, team, hardened runtime,
secure time stamp, entitlements) and a launch verdict per way of launching: from a
shell, quarantined (browser download, Homebrew cask), after xattr -d
com.apple.quarantine. Notarization cannot be read from a bare Mach-O: --online
looks its ticket up by CDHash (GONATIVE_NOTARY_URL overrides the service's URL).`,
		Example: `  gonative inspect $(command -v go)
  gonative inspect -v --host darwin/arm64,macos=14.5 dist/
  gonative inspect --json dist/ | jq .verdict
  gonative inspect --expect darwin/arm64,darwin/amd64 dist/app_darwin_universal
  gonative inspect --expect darwin/arm64:signed=developer-id:team=ABCDE12345:hardened dist/app`,
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
	f.StringArrayVar(&fl.expect, "expect", nil, "exit 3 unless every file has these platforms: OS/ARCH[:KEY=VALUE...][:hardened],... (repeatable)")
	f.BoolVar(&fl.online, "online", false, "look up the notarization ticket of every Developer ID signed macOS slice")
	f.BoolVar(&fl.isa, "isa", false, "scan the machine code of every x86-64 and arm64 slice (instruction-set extensions)")
	f.BoolVar(&fl.noCache, "no-cache", false, "do not read or write the result cache")
	return cmd
}

// inspected is one file's report (inspect.Result): what exe read, what inspect
// added (isa's reports, the verdict) and the gate.
type inspected = *inspect.Result

func runInspect(cmd *cobra.Command, args []string, fl inspectFlags) error {
	// Image references (oci-layout:, oci-archive:, docker-archive:, registry refs): image.go.
	if images, files := splitImageArgs(args); len(images) > 0 {
		return runInspectImages(cmd, images, files, fl)
	}
	tuneGC()
	opts, err := inspectOptions(cmd, fl)
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	if opts.Cache != nil {
		defer opts.Cache.Close()
	}
	// A missing or unreadable path is named on stderr and fails the command at the
	// end; every other path is still reported, as file(1) and go version -m do.
	paths, err := expandStdin(args, cmd.InOrStdin())
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: err}
	}
	p := &inspectPrinter{fl: fl, pal: paletteFor(cmd.OutOrStdout()), out: bufio.NewWriter(cmd.OutOrStdout()), stderr: cmd.ErrOrStderr()}
	err = inspect.Walk(cmd.Context(), paths, opts, p.emit)
	p.out.Flush()
	switch {
	case err != nil:
		return &ExitError{Code: ExitFailed, Err: err}
	case p.failed:
		return &ExitError{Code: ExitFailed}
	case p.unmet:
		return problems()
	}
	return nil
}

// inspectOptions returns what inspect's flags ask for: the host, the --expect
// platforms, the scan mode, the cache (the caller closes it) and, on this Linux
// machine, its package manager's libraries.
func inspectOptions(cmd *cobra.Command, fl inspectFlags) (inspect.Options, error) {
	h, err := inspectHost(cmd.Context(), fl.host)
	if err != nil {
		return inspect.Options{}, err
	}
	opts := inspect.Options{Deps: fl.deps || fl.verbose, Host: h}
	if opts.Wants, err = fl.wants(); err != nil {
		return inspect.Options{}, err
	}
	if fl.online {
		opts.Notary = &notary.Client{BaseURL: os.Getenv("GONATIVE_NOTARY_URL")}
	}
	if fl.isa || fl.verbose {
		opts.Scan = inspect.ScanAlways
	}
	var cacheDir string
	if fl.noCache {
		// Every file is read afresh, but the index of the libraries dpkg owns is the
		// host's, not a result, and is checked against dpkg's own state at every run:
		// rebuilt from its 800 file lists, it was 1.3% of an inspect --isa.
		cacheDir, _ = inspect.CacheDir(os.Getenv)
	} else {
		opts.Cache, cacheDir = openInspectCache(cmd.ErrOrStderr(), fl.verbose)
	}
	// On this Linux machine, a library its package manager owns is a system library.
	// Its index is read while the first files are.
	if fl.host == "" && h.OS == "linux" {
		if m, err := thisMachine(); err == nil {
			opts.Libraries = host.NewLibraries(m, cacheDir)
			opts.Libraries.Preload()
		}
	}
	return opts, nil
}

// openInspectCache opens the result cache and returns it and its directory; nil when
// there is no usable one (the cache is an optimisation: files are read afresh). With
// verbose, the packs it ignored are noted on stderr.
func openInspectCache(stderr io.Writer, verbose bool) (*inspect.Cache, string) {
	dir, err := inspect.CacheDir(os.Getenv)
	if err != nil {
		return nil, ""
	}
	c, err := inspect.OpenCache(dir, 0, Version())
	if err != nil {
		return nil, ""
	}
	if verbose {
		for _, ig := range c.Ignored() {
			fmt.Fprintf(stderr, "gonative: note: inspect cache: ignored %s: %s (%s)\n", Quote(ig.Path), ig.Problem, Quote(ig.Detail))
		}
	}
	return c, dir
}

// inspectPrinter prints inspect's results as they come, and remembers whether a
// path failed or a file missed an --expect platform.
type inspectPrinter struct {
	fl            inspectFlags
	pal           palette
	out           *bufio.Writer
	enc           *json.Encoder // on out, made at the first JSON line
	stderr        io.Writer
	failed, unmet bool
}

// emit prints one result: a line, a -v block or a JSON line.
func (p *inspectPrinter) emit(r inspected) error {
	if r.Err != nil {
		p.failed = true
		e := r.ErrorReport()
		fmt.Fprintf(p.stderr, "gonative: inspect %s: %s\n", Quote(e.Path), Quote(e.Error))
		if p.fl.json {
			return p.writeJSON(e)
		}
		return nil
	}
	if r.Skip() {
		return nil // not an executable, found while walking a directory
	}
	if len(r.Unmet) > 0 {
		p.unmet = true
	}
	switch {
	case p.fl.json:
		return p.writeJSON(r.Report())
	case p.fl.verbose:
		writeVerbose(p.out, r)
	default:
		writeLine(p.out, p.pal, r)
	}
	return nil
}

// writeJSON writes v as one JSON line: json.Marshal's bytes, encoded straight into
// the output's buffer (a line per file, not a copy of each).
func (p *inspectPrinter) writeJSON(v any) error {
	if p.enc == nil {
		p.enc = newJSONEncoder(p.out)
	}
	return p.enc.Encode(v)
}

// tuneGC lets inspect's heap grow to 5× its live data between collections instead of
// 2×, bounded by a soft limit, unless the user set GOGC or GOMEMLIMIT. A run allocates
// and drops small reports for every file while keeping only a few megabytes live,
// so Go's default collects dozens of times a run: measured on 1,361 real
// executables (bench/inspect.sh, 2 cores), a first run took 0.13-0.16 s with the
// default and 0.09-0.11 s with 400, at 35 MiB peak RSS instead of 26 MiB.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
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

// writeLine prints the one-line summary, in the manner of file(1).
// On a terminal the verdict is coloured: green native, yellow translated or emulated,
// red when it does not run.
func writeLine(w io.Writer, pal palette, r inspected) {
	what, judged := summaryParts(r)
	line := Quote(what)
	if judged != "" {
		v := Quote(judged)
		switch r.Verdict.Runs {
		case verdict.Native:
			v = pal.good(v)
		case verdict.Translated, verdict.Emulated:
			v = pal.warn(v)
		case verdict.No:
			v = pal.bad(v)
		}
		line += " => " + v
	}
	// A line per file: written piece by piece, without fmt.
	io.WriteString(w, Quote(r.Path))
	io.WriteString(w, ": ")
	io.WriteString(w, line)
	io.WriteString(w, "\n")
}

// summary is the one-line summary: what the file is, then " => " and the verdict.
func summary(r inspected) string {
	what, judged := summaryParts(r)
	if judged != "" {
		return what + " => " + judged
	}
	return what
}

// summaryParts returns the one-line summary's two parts: what the file is, and the
// verdict with the --expect platforms it lacks ("" without a verdict, and for a file
// that is no executable: what it is says it all).
func summaryParts(r inspected) (what, judged string) {
	f := r.File
	if f.Format == exe.FormatUnknown {
		if f.Error != "" {
			return f.Error, "" // exe.ErrNotExecutable's text, or what else the file is
		}
		return "not an executable", ""
	}
	var b strings.Builder
	b.WriteString(formatName(f))
	if f.Kind != "" {
		b.WriteString(" " + string(f.Kind))
	}
	for i := range f.Slices {
		if len(f.Slices) > 1 {
			fmt.Fprintf(&b, " [%d]", i+1)
		}
		b.WriteString(" " + sliceSummary(f.Format, &f.Slices[i], r.SliceISA(i), r.SliceLibraries(i)))
		if i < len(f.Slices)-1 {
			b.WriteString(";")
		}
	}
	if f.Error != "" && (len(f.Slices) != 1 || f.Slices[0].Error != f.Error) {
		b.WriteString("; error: " + f.Error)
	}
	if r.Verdict == nil {
		return b.String(), ""
	}
	var v strings.Builder
	v.WriteString(verdictText(shownVerdict(r.Verdict)))
	for _, u := range r.Unmet {
		v.WriteString("; UNMET: " + u)
	}
	return b.String(), v.String()
}

func formatName(f *exe.File) string {
	switch f.Format {
	case exe.FormatELF:
		return "ELF"
	case exe.FormatMachO:
		return "Mach-O"
	case exe.FormatMachOFat:
		return fmt.Sprintf("Mach-O universal (%d slice%s)", len(f.Slices), plural(int64(len(f.Slices))))
	case exe.FormatPE:
		return "PE"
	}
	return string(f.Format)
}

// machoCPU is the Mach-O name of an architecture's common subtype; others (arm64e,
// x86_64h) are worth showing in the one-line summary.
func machoCPU(goarch string) string {
	if a, _ := arch.ByGOARCH(goarch); a.MachOName != "" {
		return a.MachOName
	}
	return goarch
}

// sliceSummary is a slice's part of the one-line summary; r is isa's report on it
// (nil when none).
func sliceSummary(format exe.Format, s *exe.Slice, r *isa.Report, libs []exe.Library) string {
	var buf [12]string // on the stack: a summary per file
	parts := append(buf[:0], platformText(format, s))
	if s.MinOS != "" {
		parts = append(parts, osName(s.OS)+" "+s.MinOS+"+")
	}
	switch {
	case s.Static:
		parts = append(parts, "static")
	case len(libs) > 0 || s.Interpreter != "":
		parts = append(parts, dynamicText(s, libs))
	}
	for _, f := range [...]struct {
		word string
		fact exe.Fact[bool]
	}{{"PIE", s.PIE}, {"stripped", s.Stripped}} {
		if t := factSummary(f.word, f.fact, s.Error != ""); t != "" {
			parts = append(parts, t)
		}
	}
	if sig := s.Signature; sig != nil {
		parts = append(parts, signatureText(sig))
	}
	if g := s.Go; g != nil {
		parts = append(parts, goSummary(s.Arch, g))
	}
	if lvl, ok := verdict.RequiredLevel(s, r); ok && lvl != "x86-64-v1" && lvl != "v8.0" {
		parts = append(parts, "needs "+lvl)
	}
	if slices.Contains(s.Notes, exe.UPXNote) {
		parts = append(parts, "packed with UPX (not unpacked: Go or not is unknown)")
	}
	if s.Error != "" {
		parts = append(parts, "error: "+s.Error)
	}
	return strings.Join(parts, ", ")
}

// platformText is a slice's OS/arch, with its Mach-O CPU subtype when it is not the
// common one.
func platformText(format exe.Format, s *exe.Slice) string {
	plat := s.Arch
	if s.OS != "" {
		plat = s.OS + "/" + s.Arch
	}
	if (format == exe.FormatMachO || format == exe.FormatMachOFat) && s.CPU != "" && s.CPU != machoCPU(s.Arch) {
		plat += " (" + s.CPU + ")"
	}
	return plat
}

// dynamicText says that a slice is dynamically linked, with its libraries that are
// not the system's or not checked, and the glibc it needs.
func dynamicText(s *exe.Slice, libs []exe.Library) string {
	dyn := "dynamic"
	not, unknown := nonSystem(libs)
	switch {
	case not == 1:
		dyn += " (1 non-system library)"
	case not > 1:
		dyn += fmt.Sprintf(" (%d non-system libraries)", not)
	}
	switch {
	case unknown == 1:
		dyn += " (1 library not checked against the host's packages)"
	case unknown > 1:
		dyn += fmt.Sprintf(" (%d libraries not checked against the host's packages)", unknown)
	}
	if s.GLIBC != "" {
		dyn += ", glibc " + s.GLIBC + "+"
	}
	return dyn
}

// factSummary is the summary's word for a fact: word when it is true, "WORD unknown
// (why)" when it is unknown (unless the slice is damaged: its error says more),
// "" when it is false.
func factSummary(word string, f exe.Fact[bool], damaged bool) string {
	switch {
	case f.Is(true):
		return word
	case !f.Known && !damaged:
		return word + " unknown (" + f.Why + ")"
	}
	return ""
}

// goSummary is the summary's part on a Go slice: version, cgo, CPU level setting.
func goSummary(arch string, g *exe.GoInfo) string {
	goText := "Go " + goVersionText(g)
	switch cgo := g.CgoLinked(); {
	case cgo.Is(true):
		goText += " cgo"
	case !cgo.Known:
		goText += " cgo " + unknownText(cgo.Why)
	}
	for _, k := range []string{"GOAMD64", "GOARM64", "GOARM"} {
		if v := g.Settings[k]; v != "" {
			goText += " " + k + "=" + v
		}
	}
	if k := levelSetting(arch); k != "" && !g.SettingKnown(k) {
		goText += " " + k + " unknown (no build info)"
	}
	return goText
}

func signatureText(sig *exe.Signature) string {
	switch valid := sig.Validity(); {
	case !valid.Known:
		return "signature " + unknownText(valid.Why)
	case !sig.Present:
		return "unsigned"
	case !valid.Value:
		return "signature INVALID"
	case sig.AdHoc:
		return "signed ad hoc (valid)"
	case sig.Kind.Is(exe.SignerDeveloperID) && sig.AppleRoot.Is(true) && sig.CMSVerified.Is(true):
		return "signed Developer ID (valid)"
	}
	return "signed (valid)"
}

// shownVerdict is v as printed after the file's slices: the error that makes a slice
// damaged is printed with the slice already.
func shownVerdict(v *verdict.Verdict) *verdict.Verdict {
	if v.Cause != verdict.Damaged {
		return v
	}
	shown := *v
	shown.Reason = "the file is damaged (the error above)"
	return &shown
}

func verdictText(v *verdict.Verdict) string {
	s := string(v.Runs)
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
	// The reason quotes strings read from the file (an interpreter path, a library).
	return Quote(s)
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

// levelSetting is the Go setting that sets the CPU level of goarch.
func levelSetting(goarch string) string {
	a, _ := arch.ByGOARCH(goarch)
	return a.Level
}

// goVersionText is the Go version, or "version unknown (why)".
func goVersionText(g *exe.GoInfo) string {
	v := g.GoVersion()
	if v.Known {
		return v.Value
	}
	return "version " + unknownText(v.Why)
}

// factText is a tri-state fact: true, false, or "unknown (why)".
func factText(f exe.Fact[bool]) string {
	if !f.Known {
		return "unknown (" + f.Why + ")"
	}
	return fmt.Sprint(f.Value)
}

// unknownText is a fact that the bytes do not settle, and why.
func unknownText(why string) string { return "unknown (" + why + ")" }

// nonSystem counts the libraries known not to be the system's, and those whose
// origin is unknown (a described host's packages are not read).
func nonSystem(libs []exe.Library) (not, unknown int) {
	for _, l := range libs {
		switch {
		case l.NotSystem():
			not++
		case !l.System.Known:
			unknown++
		}
	}
	return not, unknown
}

// kvFunc prints one "key: value" line of a -v block; nothing for an empty value.
type kvFunc func(k, v string)

// writeVerbose prints everything known, a block per file.
func writeVerbose(w io.Writer, r inspected) {
	f := r.File
	fmt.Fprintf(w, "%s\n", Quote(f.Path))
	fmt.Fprintf(w, "  format:  %s", formatName(f))
	if f.Kind != "" {
		fmt.Fprintf(w, " %s", f.Kind)
	}
	fmt.Fprintf(w, ", %d bytes\n", f.Size)
	if f.Error != "" {
		fmt.Fprintf(w, "  error:   %s\n", Quote(f.Error))
	}
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "    %-12s %s\n", k+":", Quote(v))
		}
	}
	for i := range f.Slices {
		writeSliceHead(w, f, i)
		writeSlice(kv, &f.Slices[i], r.SliceLibraries(i), r.SliceISA(i), at(r.ISAProblems, i), at(r.Launch, i), at(r.Notarized, i))
	}
	if r.Verdict != nil {
		fmt.Fprintf(w, "  verdict: %s\n", verdictText(shownVerdict(r.Verdict)))
	}
	switch {
	case r.TeamsAgree.Is(true):
		fmt.Fprintf(w, "  teams:   every signed slice names the same team\n")
	case r.TeamsAgree.Is(false):
		fmt.Fprintf(w, "  teams:   the signed slices name DIFFERENT teams\n")
	}
	for _, u := range r.Unmet {
		fmt.Fprintf(w, "  UNMET:   %s\n", Quote(u))
	}
	fmt.Fprintln(w)
}

// at returns xs[i], the zero value past its end.
func at[T any](xs []T, i int) T {
	var zero T
	if i < len(xs) {
		return xs[i]
	}
	return zero
}

// writeSliceHead prints the first line of slice i's part of a -v block.
func writeSliceHead(w io.Writer, f *exe.File, i int) {
	s := &f.Slices[i]
	sliceOS := s.OS
	if sliceOS == "" {
		sliceOS = "unknown OS"
	}
	layout := "width and byte order unknown"
	if s.Bits != 0 && s.ByteOrder != "" {
		layout = fmt.Sprintf("%d-bit %s-endian", s.Bits, s.ByteOrder)
	}
	fmt.Fprintf(w, "  slice %d: %s/%s (%s), %s, %s", i+1, sliceOS, s.Arch, s.CPU, layout, s.Kind)
	if len(f.Slices) > 1 {
		fmt.Fprintf(w, ", offset %d, %d bytes", s.Offset, s.Size)
	}
	fmt.Fprintln(w)
}

// writeSlice prints the facts of slice s in a -v block: libs are its libraries
// (with this machine's marks), r is isa's report on it (nil when none), problem why
// its analysis failed ("" when it did not), launch its launch verdicts and
// notarized what the notarization lookup found (zero: none was made).
func writeSlice(kv kvFunc, s *exe.Slice, libs []exe.Library, r *isa.Report, problem string, launch []verdict.LaunchVerdict, notarized exe.Fact[bool]) {
	if s.MinOS != "" || s.SDK != "" {
		kv("min os", strings.TrimSpace(osName(s.OS)+" "+s.MinOS))
		kv("sdk", s.SDK)
	}
	writeLinkage(kv, s, libs)
	if s.Align != 0 {
		kv("alignment", fmt.Sprintf("%s (loads on 16K-page kernels: %v, 64K: %v)", alignText(s.Align), s.Loads16K, s.Loads64K))
	}
	if sig := s.Signature; sig != nil {
		kv("signature", signatureDetail(sig))
		if sig.Present {
			writeGatekeeper(kv, sig, notarized)
		}
	}
	for _, v := range launch {
		kv("launch", launchText(v))
	}
	if g := s.Go; g != nil {
		writeGo(kv, g)
	}
	if r != nil {
		writeISA(kv, s, r)
	}
	for _, n := range s.Notes {
		kv("note", n)
	}
	if problem != "" {
		kv("note", "instruction-set analysis: "+problem)
	}
	kv("error", s.Error)
}

// writeLinkage prints how a slice links: static or dynamic, PIE, stripped, the
// interpreter, glibc and each library of libs.
func writeLinkage(kv kvFunc, s *exe.Slice, libs []exe.Library) {
	link := "dynamic"
	switch {
	case s.Static:
		link = "static"
	case s.Error != "" && !s.PIE.Known && len(libs) == 0 && s.Interpreter == "":
		link = "unknown"
	}
	kv("linkage", fmt.Sprintf("%s, PIE %s, stripped %s", link, factText(s.PIE), factText(s.Stripped)))
	kv("interpreter", s.Interpreter)
	if s.GLIBC != "" {
		kv("glibc", s.GLIBC+" or later (newest GLIBC_ symbol version needed)")
	}
	for _, l := range libs {
		tag := "system"
		switch {
		case l.NotSystem():
			tag = "not a system library"
		case !l.System.Known:
			tag = "system library or not: unknown, not checked against the host's packages"
		}
		if l.Weak {
			tag += ", weak"
		}
		kv("needs", fmt.Sprintf("%s (%s)", l.Name, tag))
	}
}

// signatureDetail is the -v line on a code signature.
func signatureDetail(sig *exe.Signature) string {
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
	return t
}

// writeGatekeeper prints a signature's Gatekeeper facts in a -v block.
func writeGatekeeper(kv kvFunc, sig *exe.Signature, notarized exe.Fact[bool]) {
	signer := "unknown (" + sig.Kind.Why + ")"
	if sig.Kind.Known {
		signer = signerText(sig.Kind.Value)
	}
	if sig.CMS {
		team := sig.CertTeamID
		if team == "" {
			team = "none"
		}
		signer += fmt.Sprintf(", certificate team %s, chains to Apple's root: %s, CMS signature verifies: %s",
			team, factText(sig.AppleRoot), factText(sig.CMSVerified))
	}
	kv("signer", signer)
	for _, c := range sig.Chain {
		kv("certificate", c)
	}
	kv("runtime", fmt.Sprintf("hardened %v, secure time stamp %v", sig.Hardened, sig.Timestamp))
	kv("hashes", strings.Join(sig.HashTypes, ", "))
	kv("cdhash", sig.CDHash)
	ent := "none"
	if len(sig.Entitlements) > 0 {
		ent = strings.Join(sig.Entitlements, ", ")
	}
	if sig.GetTaskAllow {
		ent += " (get-task-allow is true: notarization refuses it)"
	}
	kv("entitlements", ent)
	switch {
	case notarized.Known:
		kv("notarized", fmt.Sprintf("%v (Apple's notary service, ticket looked up by CDHash)", notarized.Value))
	case notarized.Why != "":
		kv("notarized", unknownText(notarized.Why))
	}
}

// signerText names a signer kind.
func signerText(k exe.SignerKind) string {
	switch k {
	case exe.SignerLinkerAdHoc:
		return "ad hoc, by the linker"
	case exe.SignerAdHoc:
		return "ad hoc"
	case exe.SignerDeveloperID:
		return "Developer ID Application"
	case exe.SignerAppleDevelopment:
		return "Apple Development"
	case exe.SignerAppStore:
		return "Mac App Store / Apple Distribution"
	}
	return "a certificate of another kind"
}

// launchText is one launch verdict: how it is launched, what macOS does, why.
func launchText(v verdict.LaunchVerdict) string {
	t := string(v.Launch) + ": " + string(v.Outcome)
	if v.Reason != "" {
		t += " (" + v.Reason + ")"
	}
	return t
}

// writeGo prints the Go part of a slice's -v block.
func writeGo(kv kvFunc, g *exe.GoInfo) {
	if v := g.GoVersion(); v.Known {
		kv("go", v.Value+sourceOf(g, "version"))
	} else {
		kv("go", goVersionText(g))
	}
	kv("path", g.Path)
	if g.Module != "" {
		kv("module", strings.TrimSpace(g.Module+" "+g.ModuleVersion))
	}
	if cgo := g.CgoLinked(); cgo.Known {
		kv("cgo linked", fmt.Sprint(cgo.Value)+sourceOf(g, "cgo"))
	} else {
		kv("cgo linked", unknownText(cgo.Why))
	}
	if !g.SettingsKnown() {
		kv("settings", unknownText(g.Why("settings")))
	}
	keys := make([]string, 0, len(g.Settings))
	for k := range g.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kv("setting", k+"="+g.Settings[k]+sourceOf(g, k))
	}
	for _, d := range g.Deps {
		dep := d.Path + " " + d.Version
		if d.Replace != nil {
			dep += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		kv("dep", dep)
	}
}

// writeISA prints the instruction-set part of a slice's -v block.
func writeISA(kv kvFunc, s *exe.Slice, r *isa.Report) {
	switch {
	case verdict.GoSettingsUnknown(s) && (r.RequiredSource == isa.SourceGOAMD64 || r.RequiredSource == isa.SourceGOARM64 || r.RequiredSource == isa.SourceUnknown):
		kv("cpu level", "unknown ("+levelSetting(s.Arch)+" is not readable: no build info)")
	case r.RequiredLevel != "":
		req := r.RequiredLevel
		if r.RequiredSource != "" {
			req += " (from " + r.RequiredSource + ")"
		}
		kv("cpu level", req)
	}
	switch {
	case !r.Scanned:
		kv("code", "not scanned (--isa scans it)")
	case r.MaxLevelUsed != "":
		kv("max used", r.MaxLevelUsed+" (uses behind a run-time check included)")
	}
	for _, e := range r.Extensions {
		t := fmt.Sprintf("%s, %d instruction%s, first at %s", e.Name, e.Count, plural(e.Count), e.FirstAddr)
		if e.Guarded {
			t += ", when the CPU has it (behind a run-time check)"
		}
		if e.Doubtful() {
			t += ", doubtful: most likely data decoded as code, no verdict rests on it (isa note)"
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
