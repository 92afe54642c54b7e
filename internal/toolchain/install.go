package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/goenv"
)

// Phase names a step of an install, in order: downloading (entered once the first
// bytes are on disk; a local archive skips it), verifying, extracting, renaming the
// staging directory into place. A module zip is extracted while its hash is
// verified: extracting is entered first, verifying when extraction is done and the
// checksum database's answer is awaited.
type Phase string

// Phases of an install.
const (
	PhaseDownloading Phase = "downloading"
	PhaseVerifying   Phase = "verifying"
	PhaseExtracting  Phase = "extracting"
	PhaseRenaming    Phase = "renaming"
)

func (f *Fetcher) phase(p Phase) {
	if f != nil && f.OnPhase != nil {
		f.OnPhase(p)
	}
}

// checkToolchain looks at what was extracted into root before it is published: a
// module zip's directory must name version v for platform p; go/VERSION must say
// "go"+v; bin/go must be a regular file, an executable for p built by go v, as
// internal/exe reads it. origin names the archive in errors.
func checkToolchain(ctx context.Context, root, v string, p Platform, prefix, origin string) error {
	if strings.HasPrefix(prefix, ModulePath+"@") {
		if want := ModulePath + "@" + ModuleVersion(v, p) + "/"; prefix != want {
			return fmt.Errorf("%s holds %s, not go%s for %s: refused", origin, strings.TrimSuffix(prefix, "/"), v, p)
		}
	}
	got, err := goenv.VersionFile(os.ReadFile, root)
	if err != nil {
		return fmt.Errorf("%s has no readable VERSION file: not a Go toolchain (%v)", origin, err)
	}
	if got != "go"+v {
		return fmt.Errorf("%s: its VERSION file says %q, not %q: refused", origin, quoteShort(got), "go"+v)
	}
	name := "go"
	if p.OS == "windows" {
		name = "go.exe"
	}
	bin := filepath.Join(root, "bin", name)
	fi, err := os.Lstat(bin)
	if err != nil {
		return fmt.Errorf("%s has no bin/%s: not a Go toolchain", origin, name)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: bin/%s is %s, not an executable: refused", origin, name, atomicfile.TypeName(fi.Mode()))
	}
	if p.OS != "windows" && fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s: bin/%s is not executable: refused", origin, name)
	}
	x, err := exe.Inspect(ctx, bin, exe.Options{})
	if err != nil {
		return fmt.Errorf("%s: bin/%s: %w", origin, name, err)
	}
	if x.Error != "" || len(x.Slices) != 1 {
		why := x.Error
		if why == "" {
			why = fmt.Sprintf("%d slices", len(x.Slices))
		}
		return fmt.Errorf("%s: bin/%s is not an executable for %s (%s): refused", origin, name, p, why)
	}
	s := x.Slices[0]
	if s.Kind != exe.KindExecutable || s.OS != p.OS || s.Arch != p.Arch {
		return fmt.Errorf("%s: bin/%s is a %s/%s %s, not an executable for %s: refused", origin, name, s.OS, s.Arch, s.Kind, p)
	}
	switch {
	case s.Go == nil || s.Go.Version == "":
		return fmt.Errorf("%s: bin/%s carries no Go version: cannot confirm it is go%s: refused", origin, name, v)
	case s.Go.Version != "go"+v:
		return fmt.Errorf("%s: bin/%s was built by %s, not go%s: refused", origin, name, quoteShort(s.Go.Version), v)
	}
	return nil
}

// quoteShort keeps a string read from an archive printable and short for a message.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

// ErrChanged is wrapped by the error of an install whose archive changed while it
// was read: its bytes when extracted were not those that were checked.
var ErrChanged = errors.New("the archive changed after it was checked: nothing was installed")

// InstallResult says what Install did.
type InstallResult struct {
	Installed
	// Already is true when the version was already installed (nothing was done).
	Already bool `json:"already,omitempty"`
	// FromModuleCache is true when the module zip cmd/go had downloaded into the
	// module cache was installed (verified as a download is) instead of downloading it
	// again; Source is its path.
	FromModuleCache bool `json:"from_module_cache,omitempty"`
	// Warnings are things the user must hear (an unverified install).
	Warnings []string `json:"warnings,omitempty"`
}

// Install makes version v for platform p available in the store, completely or not at
// all: it takes the version's lock (a second install of the same version waits, then
// finds it installed), fetches the archive (resuming a partial download), verifies it
// while extracting it into a staging directory under tmp/, and renames the staging
// directory into versions/ only when both succeeded. A kill at any moment leaves at most
// a staging directory or a partial download, which nothing lists and the next install
// removes or resumes.
func Install(ctx context.Context, s Store, f *Fetcher, v string, p Platform) (InstallResult, error) {
	return install(ctx, s, f, v, p, func() (*Artifact, error) { return f.Fetch(ctx, v, p) })
}

// InstallFile installs the toolchain archive at path (a golang.org/toolchain module
// zip, or a download site .zip/.tar.gz), for air-gapped machines. A module zip is
// checked against the checksum database when f has one and it is reachable; an
// archive from the download site is checked against wantSHA256 when given. The version
// and platform come from the file's name.
func InstallFile(ctx context.Context, s Store, f *Fetcher, path, wantSHA256 string) (InstallResult, error) {
	v, p, format, err := parseArchiveName(filepath.Base(path))
	if err != nil {
		return InstallResult{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return InstallResult{}, err
	}
	// A named pipe or a device would block the reads below while the version's lock
	// is held: refuse anything but a regular file, before taking the lock.
	// It is opened once, here: every check and every read goes through this
	// descriptor, so a file put at the path later is never read.
	in, fi, err := atomicfile.OpenInput(abs)
	if err != nil {
		return InstallResult{}, fmt.Errorf("install --from: %w", err)
	}
	defer in.Close()
	return install(ctx, s, f, v, p, func() (*Artifact, error) {
		a := &Artifact{Version: v, Platform: p, Path: abs, Format: format, Origin: abs, file: in, size: fi.Size()}
		switch {
		case wantSHA256 != "":
			a.sum = &sumCheck{want: strings.ToLower(strings.TrimPrefix(wantSHA256, "sha256:")), by: "--sha256", how: "SHA-256 given with --sha256"}
		case format == "zip" && strings.HasPrefix(filepath.Base(path), "v0.0.1-go"):
			a.verify = f.moduleVerifier(a, ModuleVersion(v, p))
		}
		return a, nil
	})
}

// parseArchiveName reads version, platform and format from a toolchain file name:
// "v0.0.1-go1.27.3.linux-amd64.zip" (module zip) or "go1.27.3.linux-amd64.tar.gz" /
// ".zip" (download site).
func parseArchiveName(name string) (string, Platform, string, error) {
	format := ""
	base := name
	switch {
	case strings.HasSuffix(name, ".tar.gz"):
		format, base = "tar.gz", strings.TrimSuffix(name, ".tar.gz")
	case strings.HasSuffix(name, ".zip"):
		format, base = "zip", strings.TrimSuffix(name, ".zip")
	default:
		return "", Platform{}, "", fmt.Errorf("%s: not a toolchain archive (want v0.0.1-go1.27.3.linux-amd64.zip or go1.27.3.linux-amd64.tar.gz)", name)
	}
	if !strings.HasPrefix(base, "v0.0.1-") {
		base = "v0.0.1-" + base
	}
	v, p, ok := parseModuleVersion(base)
	if !ok {
		return "", Platform{}, "", fmt.Errorf("%s: cannot read the version and platform from the file name (want v0.0.1-go1.27.3.linux-amd64.zip or go1.27.3.linux-amd64.tar.gz)", name)
	}
	return v, p, format, nil
}

// vres is what verification found.
type vres struct {
	hash, how string
	err       error
}

func install(ctx context.Context, s Store, f *Fetcher, v string, p Platform, fetch func() (*Artifact, error)) (InstallResult, error) {
	if err := checkWritable(s.Root); err != nil {
		return InstallResult{}, err
	}
	unlock, err := s.Lock(v)
	if err != nil {
		return InstallResult{}, err
	}
	defer unlock()
	if in, err := s.Lookup(v); err == nil {
		if in.Platform != (Platform{}) && in.Platform != p {
			return InstallResult{}, fmt.Errorf("go%s is already installed for %s; uninstall it first to install %s", v, in.Platform, p)
		}
		return InstallResult{Installed: in, Already: true}, nil
	}
	// Staging directories left by a killed install of this version.
	if old, _ := filepath.Glob(filepath.Join(s.TmpDir(), "stage-go"+v+"-*")); len(old) > 0 {
		for _, d := range old {
			removeAll(d)
		}
	}
	a, err := fetch()
	if err != nil {
		return InstallResult{}, err
	}
	defer a.Close()
	src, size, err := a.open()
	if err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, err)
	}
	if err := os.MkdirAll(s.TmpDir(), 0o755); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(err))
	}
	stage, err := os.MkdirTemp(s.TmpDir(), "stage-go"+v+"-")
	if err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(err))
	}
	ok := false
	defer func() {
		if !ok {
			removeAll(stage)
		}
	}()
	root := filepath.Join(stage, "go")
	if err := os.Mkdir(root, 0o755); err != nil {
		return InstallResult{}, err
	}
	var vr vres
	var x extracted
	var xerr error
	extractedSum := "" // the SHA-256 of the bytes extracted, when it was computed
	if a.sum != nil {
		// The hash is known up front (--sha256, the download site's index): nothing
		// is extracted from an archive that does not match it, and what is
		// extracted is what was hashed. A .tar.gz is read in order: it is hashed
		// again as it is extracted, and refused if those bytes differ (rewritten in
		// place after the check). A zip is read at random places: it is checked as
		// it is copied to a private file in the staging directory, and only the copy
		// is extracted.
		f.phase(PhaseVerifying)
		if a.Format == "zip" {
			vr.hash, vr.how, vr.err = a.pinCopy(stage)
		} else {
			vr.hash, vr.how, vr.err = a.checkSum()
		}
		if vr.err == nil {
			f.phase(PhaseExtracting)
			src, size, _ = a.open()
			if a.Format == "zip" {
				x, xerr = extractFrom(ctx, src, size, a.Path, a.Format, root, defaultLimits, nil)
			} else {
				h := sha256.New()
				x, xerr = extractFrom(ctx, src, size, a.Path, a.Format, root, defaultLimits, h)
				got := "sha256:" + hex.EncodeToString(h.Sum(nil))
				if xerr != nil {
					// Refused part way: say so if it is because the file changed.
					got, _ = a.sha256()
				}
				if got != vr.hash && (xerr == nil || got != "") {
					xerr = fmt.Errorf("%s changed while it was installed (its SHA-256 was %s when checked, %s when extracted): %w", a.Path, vr.hash, got, ErrChanged)
				}
			}
		}
	} else {
		// A module zip's h1: hash covers its content: extract into staging (beneath
		// an os.Root, so nothing outside it is ever written) while the checksum
		// database is asked; extracting computes the hash on the way, so the zip is
		// decompressed only once. Publish only if both succeed.
		f.phase(PhaseExtracting)
		vctx, vcancel := context.WithCancel(ctx)
		defer vcancel()
		vch := make(chan vres, 1)
		hashes := make(chan string, 1)
		go func() {
			h, how, err := a.Verify(vctx, hashes)
			vch <- vres{h, how, err}
		}()
		// A .tar.gz is hashed as it is extracted, so an unverified install records
		// the hash of the very bytes it extracted.
		var tgzSum hash.Hash
		if a.Format == "tar.gz" {
			tgzSum = sha256.New()
		}
		x, xerr = extractFrom(ctx, src, size, a.Path, a.Format, root, defaultLimits, writerOrNil(tgzSum))
		if tgzSum != nil && xerr == nil {
			extractedSum = "sha256:" + hex.EncodeToString(tgzSum.Sum(nil))
		}
		if xerr != nil {
			// Refused (a bound, an escape): don't hash the rest of it.
			vcancel()
		}
		hashes <- x.H1
		f.phase(PhaseVerifying)
		vr = <-vch
		if xerr != nil {
			return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(xerr))
		}
	}
	if vr.err != nil {
		var mm *MismatchError
		if errors.As(vr.err, &mm) && a.Download {
			if os.Remove(a.Path) == nil {
				mm.Deleted = true
			}
		}
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, vr.err)
	}
	if xerr != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(xerr))
	}
	if err := checkToolchain(ctx, root, v, p, x.Prefix, a.Origin); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, err)
	}
	if vr.hash == "" {
		// Nothing to check against (GOSUMDB=off, or an archive without --sha256):
		// still record what was installed.
		if extractedSum != "" {
			vr.hash = extractedSum
		} else if h, err := a.sha256(); err == nil {
			vr.hash = h
		}
	}
	res := InstallResult{}
	if vr.how == "" {
		res.Warnings = append(res.Warnings, fmt.Sprintf("go%s was NOT verified (GOSUMDB=off or no checksum given): its hash is %s", v, vr.hash))
	}
	meta := Meta{Version: v, Platform: p, Source: a.Origin, Hash: vr.hash, Verified: vr.how, Time: time.Now().UTC().Truncate(time.Second)}
	if err := writeMeta(root, meta); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(err))
	}
	if err := os.MkdirAll(s.VersionsDir(), 0o755); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(err))
	}
	f.phase(PhaseRenaming)
	if err := os.Rename(root, s.GOROOT(v)); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, err)
	}
	ok = true
	removeAll(stage)
	if a.Download {
		os.Remove(a.Path)
	}
	if d, _ := s.Default(); d == "" {
		if err := s.SetDefault(v); err != nil {
			return res, err
		}
	} else if err := s.Relink(); err != nil {
		return res, err
	}
	in, err := s.Lookup(v)
	res.Installed = in
	return res, err
}

// writerOrNil returns h as an io.Writer, or a nil io.Writer when h is nil.
func writerOrNil(h hash.Hash) io.Writer {
	if h == nil {
		return nil
	}
	return h
}

func writeMeta(root string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, metaFile), b, 0o644)
}

// checkWritable creates the store's root if needed and says clearly when it cannot.
func checkWritable(root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("toolchain store %s is not writable: %w (set %s to a writable directory)", root, err, HomeEnv)
	}
	f, err := os.CreateTemp(root, ".write-test")
	if err != nil {
		return fmt.Errorf("toolchain store %s is not writable: %w (set %s to a writable directory)", root, diskError(err), HomeEnv)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// diskError adds advice to "no space left on device".
func diskError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: the disk is full (a toolchain needs about 250 MB; free space or set %s)", err, HomeEnv)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (set %s to a writable directory)", err, HomeEnv)
	}
	return err
}
