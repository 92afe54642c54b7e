package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// InstallResult says what Install did.
type InstallResult struct {
	Installed
	// Already is true when the version was already installed (nothing was done).
	Already bool `json:"already,omitempty"`
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
	return install(ctx, s, v, p, func() (*Artifact, error) { return f.Fetch(ctx, v, p) })
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
	return install(ctx, s, v, p, func() (*Artifact, error) {
		a := &Artifact{Version: v, Platform: p, Path: abs, Format: format, Origin: abs}
		switch {
		case wantSHA256 != "":
			a.verify = func(ctx context.Context, _ <-chan string) (string, string, error) {
				got, err := sha256File(abs)
				if err != nil {
					return "", "", err
				}
				if !strings.EqualFold(got, strings.TrimPrefix(wantSHA256, "sha256:")) {
					return "sha256:" + got, "", &MismatchError{File: abs, Want: "sha256:" + wantSHA256, Got: "sha256:" + got, By: "--sha256"}
				}
				return "sha256:" + got, "SHA-256 given with --sha256", nil
			}
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

func install(ctx context.Context, s Store, v string, p Platform, fetch func() (*Artifact, error)) (InstallResult, error) {
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
	// Verify and extract at the same time; publish only if both succeed. Extracting a
	// zip computes its h1: hash on the way, so the zip is decompressed only once.
	type vres struct {
		hash, how string
		err       error
	}
	vch := make(chan vres, 1)
	hashes := make(chan string, 1)
	go func() {
		h, how, err := a.Verify(ctx, hashes)
		vch <- vres{h, how, err}
	}()
	var xerr error
	if a.Format == "zip" {
		var h1 string
		h1, xerr = extractZip(ctx, a.Path, root)
		hashes <- h1
	} else {
		xerr = extractTarGz(ctx, a.Path, root)
		hashes <- ""
	}
	vr := <-vch
	if vr.err != nil {
		var mm *MismatchError
		if errors.As(vr.err, &mm) && a.Download {
			os.Remove(a.Path)
		}
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, vr.err)
	}
	if xerr != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %w", v, diskError(xerr))
	}
	if _, err := os.Stat(filepath.Join(root, "bin", s.exe("go"))); err != nil {
		return InstallResult{}, fmt.Errorf("install go%s: %s has no bin/%s: not a Go toolchain", v, a.Origin, s.exe("go"))
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
