package toolchain

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
)

// CachedToolchain is a toolchain that GOTOOLCHAIN downloaded into the module cache.
type CachedToolchain struct {
	Version  string   `json:"version"`
	Platform Platform `json:"platform"`
	// Dir is the extracted GOROOT ("" when only the download is left); Files are its
	// files under cache/download (zip, ziphash, info, mod, lock, partial).
	Dir   string   `json:"dir,omitempty"`
	Files []string `json:"files,omitempty"`
	// Size is the bytes used.
	Size int64 `json:"size"`
	// Failed is true when there is no toolchain, only what a download that did not
	// finish left (a lock file, a partial marker, .info or .mod): GOTOOLCHAIN=go1.99.0
	// for a version that does not exist leaves its lock file. list leaves these out,
	// prune removes them.
	Failed bool `json:"failed,omitempty"`
}

// CachedToolchains lists the toolchains in the module cache gomodcache:
// golang.org/toolchain@v0.0.1-go* directories and their files under
// cache/download/golang.org/toolchain/@v/.
func CachedToolchains(gomodcache string) ([]CachedToolchain, error) {
	if gomodcache == "" {
		return nil, nil
	}
	byMV := map[string]*CachedToolchain{}
	var order []string
	get := func(mv string) *CachedToolchain {
		if c, ok := byMV[mv]; ok {
			return c
		}
		v, p, ok := parseModuleVersion(mv)
		if !ok {
			return nil
		}
		c := &CachedToolchain{Version: v, Platform: p}
		byMV[mv] = c
		order = append(order, mv)
		return c
	}
	parent := filepath.Join(gomodcache, "golang.org")
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		mv, ok := strings.CutPrefix(e.Name(), "toolchain@")
		if !ok || !e.IsDir() {
			continue
		}
		if c := get(mv); c != nil {
			c.Dir = filepath.Join(parent, e.Name())
			c.Size += dirSize(c.Dir)
		}
	}
	dl := filepath.Join(gomodcache, "cache", "download", "golang.org", "toolchain", "@v")
	ents, _ = os.ReadDir(dl)
	for _, e := range ents {
		name := e.Name()
		mv := name
		if i := strings.Index(name, ".zip"); i >= 0 {
			mv = name[:i]
		} else if i := strings.LastIndexByte(name, '.'); i >= 0 && strings.Count(name[:i], ".") >= 2 {
			mv = name[:i]
		}
		if c := get(mv); c != nil {
			p := filepath.Join(dl, name)
			c.Files = append(c.Files, p)
			if fi, err := e.Info(); err == nil {
				c.Size += fi.Size()
			}
		}
	}
	out := make([]CachedToolchain, 0, len(order))
	for _, mv := range order {
		c := byMV[mv]
		c.Failed = c.Dir == "" && !slices.ContainsFunc(c.Files, func(f string) bool { return strings.HasSuffix(f, ".zip") })
		out = append(out, *c)
	}
	return out, nil
}

// Usable are the toolchains of cached that are there (extracted, or a complete zip),
// without the leftovers of failed downloads.
func Usable(cached []CachedToolchain) []CachedToolchain {
	out := make([]CachedToolchain, 0, len(cached))
	for _, c := range cached {
		if !c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// Remove deletes a module-cache toolchain, making its read-only directories writable
// first (the module cache makes them 0555).
func (c CachedToolchain) Remove() error {
	if c.Dir != "" {
		if err := removeAll(c.Dir); err != nil {
			return err
		}
		os.Remove(c.Dir + ".partial")
	}
	for _, f := range c.Files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// CachedZip is the path of the golang.org/toolchain module zip of version v for p that
// cmd/go downloaded into the module cache gomodcache (a GOTOOLCHAIN switch), or ""
// when there is none or it is not a regular file. Its bytes are not trusted: install
// verifies them as it does a download's.
func CachedZip(gomodcache, v string, p Platform) string {
	if gomodcache == "" {
		return ""
	}
	zip := filepath.Join(gomodcache, "cache", "download", "golang.org", "toolchain", "@v", ModuleVersion(v, p)+".zip")
	if fi, err := os.Lstat(zip); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return zip
}

// installCached installs v for p from the module zip cmd/go left in the module cache,
// verified against the checksum database (unless GOSUMDB=off, as a download) while it
// is extracted: nothing is downloaded again. ok is false when there is no such zip.
func (m *Manager) installCached(ctx context.Context, f *Fetcher, v string, p Platform) (res InstallResult, ok bool, err error) {
	zip := CachedZip(m.GoSettings(ctx, "GOMODCACHE")["GOMODCACHE"], v, p)
	if zip == "" {
		return InstallResult{}, false, nil
	}
	res, err = install(ctx, m.Store, f, v, p, func() (*Artifact, error) {
		in, fi, err := atomicfile.OpenInput(zip)
		if err != nil {
			return nil, err
		}
		a := &Artifact{Version: v, Platform: p, Path: zip, Format: "zip", Origin: zip, file: in, size: fi.Size()}
		a.verify = f.moduleVerifier(a, ModuleVersion(v, p))
		return a, nil
	})
	if err == nil && !res.Already {
		res.FromModuleCache = true
	}
	return res, true, err
}
