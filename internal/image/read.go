package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/inspect"
	"github.com/gonative/gonative/internal/verdict"
)

// InspectOptions says how Inspect reads an image.
type InspectOptions struct {
	ReadOptions
	Exe exe.Options
	// Scan is the instruction-set scan policy for the executables found, as for files
	// (internal/inspect).
	Scan inspect.ScanMode
	// Host is the machine that would run the containers: a Linux host runs them in its
	// kernel; macOS and Windows hosts (Docker Desktop) in a Linux VM of their
	// architecture (see ContainerHost).
	Host host.Host
	// MemBuffer is the size up to which an executable is read into memory; larger ones
	// go through a temporary file. Default 4 MiB.
	MemBuffer int64
	// MaxFile is the largest executable read at all; default 512 MiB.
	MaxFile int64
	// TempDir holds the temporary files; default os.TempDir().
	TempDir string
	// Wants gate the image (inspect --expect): each names a platform the image must
	// have, whose entrypoint must meet the want's conditions.
	Wants []verdict.Want
}

func (o InspectOptions) withDefaults() InspectOptions {
	if o.MemBuffer <= 0 {
		o.MemBuffer = 4 << 20
	}
	if o.MaxFile <= 0 {
		o.MaxFile = 512 << 20
	}
	return o
}

// File is one executable found in an image: inspect's result on it (Path is the path
// in the image; Verdict is how the container host, ContainerHost of
// InspectOptions.Host, runs it) and where in the image it is.
type File struct {
	*inspect.Result
	Image       string
	Platform    string
	Layer       int // 0 = the bottom layer
	LayerDigest v1.Hash
}

// PlatformReport is what Inspect learns about one platform of an image.
type PlatformReport struct {
	Image       string   `json:"image"`
	Platform    string   `json:"platform"`
	Digest      v1.Hash  `json:"digest"`
	Entrypoint  []string `json:"entrypoint,omitempty"`
	Cmd         []string `json:"cmd,omitempty"`
	User        string   `json:"user"`
	Layers      int      `json:"layers"`
	Files       int      `json:"files"`
	Executables int      `json:"executables"`
	// Runs says how Host would run this platform's containers: native, emulated (and
	// by what) or no.
	Runs     verdict.Runs `json:"runs"`
	Handler  string       `json:"handler,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Host     string       `json:"host"`
	Findings Findings     `json:"findings,omitempty"`
	// Unmet says, for each of InspectOptions.Wants for this platform, why the
	// entrypoint does not meet it.
	Unmet []string `json:"unmet,omitempty"`
	// Error says why the platform could not be read completely (a truncated or corrupt
	// layer); what was read before is reported.
	Error string `json:"error,omitempty"`
}

// Problems reports whether a finding is a problem.
func (r *PlatformReport) Problems() bool { return hasProblem(r.Findings) }

// Emitter receives Inspect's results in order: each platform's files, then its report.
type Emitter struct {
	File     func(*File) error
	Platform func(*PlatformReport) error
}

// Inspect opens ref and reads every platform. It returns an error when ref cannot be
// opened; a platform that cannot be read completely has PlatformReport.Error. unmet
// lists the wants (InspectOptions.Wants) for platforms the image does not have.
func Inspect(ctx context.Context, ref string, o InspectOptions, em Emitter) (unmet []string, err error) {
	o = o.withDefaults()
	op, err := Open(ctx, ref, o.ReadOptions)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	var have []string
	for _, p := range op.Platforms {
		have = append(have, p.String())
	}
	for _, w := range o.Wants {
		found := false
		for _, p := range op.Platforms {
			found = found || (p.Platform.OS == w.OS && p.Platform.Architecture == w.Arch)
		}
		if !found {
			unmet = append(unmet, fmt.Sprintf("no %s/%s platform (has %s)", w.OS, w.Arch, strings.Join(have, ", ")))
		}
	}
	for _, p := range op.Platforms {
		rep, err := inspectPlatform(ctx, ref, p, o, em.File)
		if err != nil {
			return unmet, err
		}
		if em.Platform != nil {
			if err := em.Platform(rep); err != nil {
				return unmet, err
			}
		}
	}
	return unmet, nil
}

// entryUnmet checks the entrypoint against the wants for platform p.
func entryUnmet(p v1.Platform, entry *exe.File, wants []verdict.Want) []string {
	var mine []verdict.Want
	for _, w := range wants {
		if w.OS == p.OS && w.Arch == p.Architecture {
			mine = append(mine, w)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	if entry == nil {
		var out []string
		for _, w := range mine {
			out = append(out, fmt.Sprintf("%s: the entrypoint is not an executable that could be read", w))
		}
		return out
	}
	// ELF files often leave the OS unsaid: the image's platform says it.
	f := *entry
	f.Slices = slices.Clone(entry.Slices)
	for i := range f.Slices {
		if f.Slices[i].OS == "" {
			f.Slices[i].OS = p.OS
		}
	}
	return verdict.Unmet(&f, mine)
}

// exeSummary is what the findings need of one executable.
type exeSummary struct {
	path   string
	format exe.Format
	kind   exe.Kind
	arch   string
	static bool
	interp string
	glibc  string // needed
	libc   bool   // needs libc.so.6
	layer  int
}

func inspectPlatform(ctx context.Context, ref string, p Platform, o InspectOptions, emit func(*File) error) (*PlatformReport, error) {
	rep := &PlatformReport{Image: ref, Platform: p.String(), Digest: p.Digest}
	ch := ContainerHost(o.Host)
	rep.Host = o.Host.String()
	cf, err := configFile(p.Image)
	if err != nil {
		rep.Error = fmt.Sprintf("config: %v", registryError(err))
		rep.Runs, rep.Handler, rep.Reason = platformVerdict(rep, p.Platform, o.Host, ch)
		return rep, nil
	}
	rep.Entrypoint, rep.Cmd, rep.User = cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User
	if m, err := p.Image.Manifest(); err == nil {
		rep.Layers = len(m.Layers)
	}
	if cf.OS != p.Platform.OS || cf.Architecture != p.Platform.Architecture {
		rep.Findings = append(rep.Findings, Finding{ID: "config-platform-mismatch", Severity: Problem,
			Title: fmt.Sprintf("the index says %s but the image's config says %s/%s", p, cf.OS, cf.Architecture)})
	}

	// What the walk learns is kept per layer: a layer's entries count only once its
	// blob was read whole and its digests matched (verified), so nothing is reported
	// from a corrupt or substituted layer.
	t := tree{}
	type layered struct {
		layer int
		what  string
	}
	type found struct {
		layer int
		file  *inspect.Result
		path  string
	}
	var (
		exes    []exeSummary
		files   []found
		escapes []layered
		counts  = map[int]int{} // entries per layer
	)
	// Executables that may be the entrypoint (by name), for --expect.
	entryNames := map[string]bool{}
	for _, a := range [][]string{cf.Config.Entrypoint, cf.Config.Cmd} {
		if len(a) > 0 {
			entryNames[path.Base(a[0])] = true
		}
	}
	lowest := math.MaxInt // the lowest layer verified so far: the walk goes top down
	err = WalkLayers(ctx, p.Image, func(e *Entry) error {
		counts[e.Layer]++
		n := &node{typ: e.Type, mode: e.Mode, link: e.Linkname, layer: e.Layer}
		t[e.Path] = n
		if e.RawName != "" {
			escapes = append(escapes, layered{e.Layer, fmt.Sprintf("%q in layer %d", e.RawName, e.Layer)})
		}
		if e.Type == tar.TypeSymlink && escapesRoot(e.Path, e.Linkname) {
			escapes = append(escapes, layered{e.Layer, fmt.Sprintf("symlink %s -> %s in layer %d", e.Path, e.Linkname, e.Layer)})
		}
		if e.Type == tar.TypeLink && hardLinkEscapes(e.RawLinkname) {
			escapes = append(escapes, layered{e.Layer, fmt.Sprintf("hard link %s -> %s in layer %d", e.Path, e.RawLinkname, e.Layer)})
		}
		if e.Type != tar.TypeReg {
			return nil
		}
		c, err := readCandidate(ctx, e, o)
		if err != nil {
			return err
		}
		n.shebang, n.glibc = c.shebang, c.glibc
		f := c.file
		if f == nil {
			return nil
		}
		f.Path = e.Path
		s := exeSummary{path: e.Path, format: f.Format, kind: f.Kind, layer: e.Layer}
		if len(f.Slices) == 1 {
			sl := &f.Slices[0]
			s.arch, s.static, s.interp, s.glibc = sl.Arch, sl.Static, sl.Interpreter, sl.GLIBC
			for _, l := range sl.Libraries {
				if l.Name == "libc.so.6" {
					s.libc = true
				}
			}
			n.arch = sl.Arch
		}
		exes = append(exes, s)
		files = append(files, found{layer: e.Layer, file: f, path: e.Path})
		return nil
	}, func(layer int) error {
		lowest = layer
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Error = err.Error()
		// Forget everything from the layers that were not verified.
		maps.DeleteFunc(t, func(_ string, n *node) bool { return n.layer < lowest })
		exes = slices.DeleteFunc(exes, func(s exeSummary) bool { return s.layer < lowest })
		files = slices.DeleteFunc(files, func(f found) bool { return f.layer < lowest })
		escapes = slices.DeleteFunc(escapes, func(e layered) bool { return e.layer < lowest })
		maps.DeleteFunc(counts, func(l, _ int) bool { return l < lowest })
	}
	for _, n := range counts {
		rep.Files += n
	}
	rep.Executables = len(files)
	partial := rep.Error != ""
	if len(escapes) > 0 {
		var say []string
		for _, e := range escapes[:min(len(escapes), 5)] {
			say = append(say, e.what)
		}
		if len(escapes) > 5 {
			say = append(say, fmt.Sprintf("and %d more", len(escapes)-5))
		}
		rep.Findings = append(rep.Findings, Finding{ID: "unsafe-path", Severity: Warning,
			Title: "names or links that lead outside the root when extracted naively (read here within the image): " + strings.Join(say, ", ")})
	}
	findings, entry := checkFiles(p.Platform, t, exes, cf, partial)
	rep.Findings = append(rep.Findings, findings...)
	var entryFile *exe.File
	for _, f := range files {
		if f.path == entry && entryNames[path.Base(f.path)] {
			entryFile = f.file.File
		}
	}
	rep.Unmet = entryUnmet(p.Platform, entryFile, o.Wants)
	rep.Runs, rep.Handler, rep.Reason = platformVerdict(rep, p.Platform, o.Host, ch)
	if emit == nil {
		return rep, nil
	}
	// Each file is judged inside the container: its loader is the image's, not the
	// host's (unknown when a layer could not be read).
	ich := ch
	ich.Exists = nil
	if !partial {
		ich.Exists = func(p string) bool {
			_, n, err := t.resolve(p)
			return err == nil && n.typ == tar.TypeReg
		}
	}
	// What keeps a program from starting in this image (its loader, its glibc) is its
	// verdict too: the image's libc, not the host's.
	type cannotRun struct {
		cause verdict.Cause
		why   string
	}
	cannot := map[string]cannotRun{}
	for _, f := range findings {
		cause := verdict.NoInterpreter
		switch f.ID {
		case "glibc-missing", "glibc-too-old":
			cause = verdict.NoLibc
		case "interpreter-missing":
		default:
			continue
		}
		if _, ok := cannot[f.Path]; !ok {
			cannot[f.Path] = cannotRun{cause, f.Title}
		}
	}
	digests := layerDigests(p.Image)
	for _, fd := range files {
		v := judgeInImage(fd.file, ich, t, partial)
		if c, ok := cannot[fd.path]; ok && v.Runs != verdict.No {
			v = verdict.Verdict{Runs: verdict.No, Cause: c.cause, Reason: c.why}
		}
		var ld v1.Hash
		if fd.layer < len(digests) {
			ld = digests[fd.layer]
		}
		fd.file.Verdict = &v
		if err := emit(&File{Result: fd.file, Image: ref, Platform: p.String(), Layer: fd.layer, LayerDigest: ld}); err != nil {
			return nil, err // the emitter failed, not the image
		}
	}
	return rep, nil
}

// hardLinkEscapes reports whether a hard link's target as written in a layer (relative
// to the root the layer is extracted into) leads outside that root when extracted
// naively: an absolute path or one that climbs above the root with "..".
func hardLinkEscapes(raw string) bool {
	return raw != "" && (strings.HasPrefix(raw, "/") || escapesRoot("/", raw))
}

func layerDigests(img v1.Image) []v1.Hash {
	layers, err := img.Layers()
	if err != nil {
		return nil
	}
	out := make([]v1.Hash, len(layers))
	for i, l := range layers {
		out[i], _ = l.Digest()
	}
	return out
}

// escapesRoot reports whether a symlink's target, resolved naively on a host
// from where it sits, leaves the directory it is extracted into.
func escapesRoot(at, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false // absolute: inside a container it means the image's root
	}
	depth := strings.Count(strings.Trim(path.Dir(at), "/"), "/") + 1
	if path.Dir(at) == "/" {
		depth = 0
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		case "", ".":
		default:
			depth++
		}
	}
	return false
}

func isLibcName(base string) bool {
	return base == "libc.so.6" || (strings.HasPrefix(base, "libc-2.") && strings.HasSuffix(base, ".so"))
}

// isExeMagic reports whether b starts like an ELF, Mach-O (thin or universal) or PE file.
func isExeMagic(b []byte) bool {
	if bytes.HasPrefix(b, []byte("\x7fELF")) || bytes.HasPrefix(b, []byte("MZ")) {
		return true
	}
	if len(b) < 4 {
		return false
	}
	switch string(b[:4]) {
	case "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe", "\xca\xfe\xba\xbf":
		return true
	}
	return false
}

// candidate is what readCandidate learns of one regular file.
type candidate struct {
	file    *inspect.Result // nil when the file is not an executable
	shebang string          // a script's interpreter
	glibc   string          // for a file named like glibc's libc: the newest GLIBC_ it defines
}

// readCandidate reads a regular file's first bytes and, when they are an executable's,
// the whole file (in memory up to o.MemBuffer, else through a temporary file) and
// inspects it.
func readCandidate(ctx context.Context, e *Entry, o InspectOptions) (candidate, error) {
	f, shebang, err := readCandidateFile(ctx, e, o, func(ra io.ReaderAt, size int64) string {
		if !isLibcName(path.Base(e.Path)) {
			return ""
		}
		v, _ := exe.GLIBCProvided(ra, size)
		return v
	})
	if err != nil {
		return candidate{}, err
	}
	c := candidate{shebang: shebang}
	if f != nil {
		c.file, c.glibc = f.file, f.glibc
	}
	return c, nil
}

type readResult struct {
	file  *inspect.Result
	glibc string
}

func readCandidateFile(ctx context.Context, e *Entry, o InspectOptions, libc func(io.ReaderAt, int64) string) (*readResult, string, error) {
	var head [256]byte
	n, err := io.ReadFull(e.Reader, head[:min(int64(len(head)), e.Size)])
	if err != nil {
		return nil, "", err
	}
	h := head[:n]
	if bytes.HasPrefix(h, []byte("#!")) {
		line, _, _ := bytes.Cut(h[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) > 0 {
			return nil, fields[0], nil
		}
		return nil, "", nil
	}
	if !isExeMagic(h) {
		return nil, "", nil
	}
	if e.Size > o.MaxFile {
		return &readResult{file: &inspect.Result{File: &exe.File{Format: exe.FormatUnknown, Size: e.Size,
			Error: fmt.Sprintf("not read: %d bytes, more than the %d-byte limit for one file in an image", e.Size, o.MaxFile)}}}, "", nil
	}
	if e.Size <= o.MemBuffer {
		buf := make([]byte, e.Size)
		copy(buf, h)
		if _, err := io.ReadFull(e.Reader, buf[n:]); err != nil {
			return nil, "", err
		}
		return readExe(ctx, bytes.NewReader(buf), e.Size, o, libc), "", nil
	}
	tmp, err := os.CreateTemp(o.TempDir, "gonative-image-*")
	if err != nil {
		return nil, "", err
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(h); err != nil {
		return nil, "", err
	}
	if _, err := io.CopyN(tmp, e.Reader, e.Size-int64(n)); err != nil {
		return nil, "", err
	}
	return readExe(ctx, tmp, e.Size, o, libc), "", nil
}

// readExe inspects the bytes of ra, while they can still be read (a temporary file
// is removed after).
func readExe(ctx context.Context, ra io.ReaderAt, size int64, o InspectOptions, libc func(io.ReaderAt, int64) string) *readResult {
	f := exe.Read(ctx, ra, size, o.Exe)
	if f.Format == exe.FormatUnknown {
		return nil
	}
	res := &inspect.Result{File: f}
	res.ISA, res.ISAProblems = inspect.Analyze(ctx, f, inspect.Options{Host: o.Host, Scan: o.Scan})
	r := &readResult{file: res}
	if f.Format == exe.FormatELF {
		r.glibc = libc(ra, size)
	}
	return r
}

// findLibc returns the glibc version the image provides for arch, and the libc's path;
// "" when there is no glibc for arch. unreadable is the path of a libc.so.6 whose
// version could not be read, when that is all there is.
func findLibc(t tree, arch, interpDir string) (version, at, unreadable string) {
	// The loader's own directory first, then where the loader looks (host.LibDirs).
	var dirs []string
	if interpDir != "" {
		dirs = append(dirs, interpDir)
	}
	dirs = append(dirs, host.LibDirs(arch)...)
	for _, d := range dirs {
		p, n, err := t.resolve(path.Join(d, "libc.so.6"))
		if err != nil || n.typ != tar.TypeReg {
			continue
		}
		if n.arch != "" && arch != "" && n.arch != arch {
			continue
		}
		if n.glibc == "" {
			if unreadable == "" {
				unreadable = p
			}
			continue
		}
		return n.glibc, p, ""
	}
	return "", "", unreadable
}

// checkFiles finds what keeps the image's programs from running: the entrypoint,
// and every ELF executable's architecture, interpreter and glibc.
// It returns the entrypoint's path in the image when it is there.
func checkFiles(p v1.Platform, t tree, exes []exeSummary, cf *v1.ConfigFile, partial bool) ([]Finding, string) {
	var out []Finding
	byPath := map[string]*exeSummary{}
	for i := range exes {
		byPath[exes[i].path] = &exes[i]
	}
	// The entrypoint.
	argv := slices.Concat(cf.Config.Entrypoint, cf.Config.Cmd)
	if len(cf.Config.Entrypoint) == 0 && len(cf.Config.Cmd) == 0 {
		out = append(out, Finding{ID: "no-entrypoint", Severity: Warning, Title: "the image has no entrypoint and no cmd: a container needs a command"})
	}
	entry := ""
	if len(argv) > 0 {
		at, n, err := t.lookPath(argv[0], cf.Config.Env)
		switch {
		case err != nil && partial:
			out = append(out, Finding{ID: "entrypoint-unknown", Severity: Warning, Path: argv[0], Title: fmt.Sprintf("entrypoint %s not found in the layers that could be read", argv[0])})
		case err != nil:
			out = append(out, Finding{ID: "entrypoint-missing", Severity: Problem, Path: argv[0], Title: fmt.Sprintf("entrypoint %s: %v", argv[0], err)})
		case n.typ != tar.TypeReg:
			out = append(out, Finding{ID: "entrypoint-not-executable", Severity: Problem, Path: at, Title: fmt.Sprintf("entrypoint %s is not a regular file", at)})
		case n.mode&0o111 == 0:
			out = append(out, Finding{ID: "entrypoint-not-executable", Severity: Problem, Path: at, Title: fmt.Sprintf("entrypoint %s has mode %v: no execute permission", at, n.mode.Perm())})
		default:
			entry = at
			if n.shebang != "" {
				if _, in, err := t.resolve(n.shebang); err != nil || in.typ != tar.TypeReg {
					out = append(out, Finding{ID: "interpreter-missing", Severity: Problem, Path: at, Title: fmt.Sprintf("entrypoint %s is a script for %s, which is not in the image", at, n.shebang)})
				}
			} else if byPath[at] == nil {
				out = append(out, Finding{ID: "entrypoint-not-executable", Severity: Problem, Path: at, Title: fmt.Sprintf("entrypoint %s is neither an executable nor a script", at)})
			}
		}
	}
	// Every ELF executable (and the entrypoint above all).
	for _, s := range exes {
		if s.format != exe.FormatELF || s.kind != exe.KindExecutable {
			continue
		}
		sev := Warning
		if s.path == entry {
			sev = Problem
		}
		for _, f := range checkBinary(p, t, s.path, s.arch, s.static, s.interp, s.glibc, s.libc, sev) {
			if partial && (f.ID == "interpreter-missing" || f.ID == "glibc-missing") {
				// What is missing may be in the layer that could not be read.
				f.Severity, f.ID = Warning, f.ID+"-unknown"
				f.Title += " (unknown: not every layer could be read)"
			}
			out = append(out, f)
		}
	}
	return out, entry
}

// checkBinary checks that a Linux ELF executable at path in the image can start on the
// platform: its architecture is the platform's, its interpreter exists and the image's
// glibc is at least the one it needs. A static binary needs nothing.
func checkBinary(p v1.Platform, t tree, at, arch string, static bool, interp, glibc string, needsLibc bool, sev finding.Severity) []Finding {
	var out []Finding
	if arch != p.Architecture {
		out = append(out, Finding{ID: "arch-mismatch", Severity: sev, Path: at,
			Title: fmt.Sprintf("%s is %s %s binary in a %s image: it fails with \"exec format error\" (or runs emulated)", at, article(arch), arch, platformString(p))})
		return out
	}
	if static || interp == "" {
		return out
	}
	_, in, err := t.resolve(interp)
	if err != nil || in.typ != tar.TypeReg {
		out = append(out, Finding{ID: "interpreter-missing", Severity: sev, Path: at,
			Title: fmt.Sprintf("%s needs the dynamic loader %s, which is not in the image: it fails with \"no such file or directory\" %s", at, interp, loaderAdvice(t, arch))})
		return out
	}
	if glibc == "" && !needsLibc {
		return out
	}
	have, libc, unreadable := findLibc(t, arch, path.Dir(interp))
	switch {
	case have == "" && unreadable != "":
		out = append(out, Finding{ID: "glibc-unknown", Severity: Warning, Path: at,
			Title: fmt.Sprintf("%s needs glibc %s; the image's %s defines no GLIBC_ version that could be read, so whether it is new enough is unknown", at, orAny(glibc), unreadable)})
	case have == "":
		out = append(out, Finding{ID: "glibc-missing", Severity: sev, Path: at,
			Title: fmt.Sprintf("%s needs glibc %s but the image has no glibc libc.so.6 for %s", at, orAny(glibc), arch)})
	case glibc != "" && exe.GLIBCLess(have, glibc):
		out = append(out, Finding{ID: "glibc-too-old", Severity: sev, Path: at,
			Title: fmt.Sprintf("%s needs glibc %s but the image's %s is glibc %s: it fails with \"version `GLIBC_%s' not found\" (use a newer base, or build against an older glibc)", at, glibc, libc, have, glibc)})
	}
	return out
}

func orAny(v string) string {
	if v == "" {
		return "(any version)"
	}
	return v
}

// article is "an" before a vowel ("an amd64 binary"), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
