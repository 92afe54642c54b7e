package toolchain

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// extractZip extracts a toolchain zip into dir, which must exist and be empty. Two
// layouts are accepted: the module zip (every entry under
// "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/") and the download site's zip
// (every entry under "go/"). Entries escaping the prefix (absolute, "..", a different
// prefix) and symbolic links are refused. Module zips hold no modes, so, as cmd/go does
// after extracting one (cmd/go/internal/toolchain/select.go, allowExec), files under
// bin/ and pkg/tool/ are made executable, in any zip; executable bits a zip records
// are kept too.
// Files are written by several goroutines at once. It returns the zip's h1: hash
// (golang.org/x/mod/sumdb/dirhash.Hash1 over every entry), computed from the data it
// decompresses, so verification needs no second pass.
func extractZip(ctx context.Context, zipPath, dir string) (string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", zipPath, err)
	}
	defer zr.Close()
	if len(zr.File) == 0 {
		return "", fmt.Errorf("%s: empty zip", zipPath)
	}
	prefix, module := "go/", false
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if first := f.Name; strings.HasPrefix(first, ModulePath+"@") {
			i := strings.IndexByte(first, '/')
			j := strings.IndexByte(first[i+1:], '/')
			if j < 0 {
				return "", fmt.Errorf("%s: bad entry %q", zipPath, first)
			}
			prefix, module = first[:i+1+j+1], true
		}
		break
	}
	var jobs []zipJob
	sums := make([][sha256.Size]byte, len(zr.File))
	dirs := map[string]bool{}
	for i, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			sums[i] = sha256.Sum256(nil)
		}
		rel, ok := strings.CutPrefix(f.Name, prefix)
		if !ok && strings.HasSuffix(f.Name, "/") && strings.HasPrefix(prefix, f.Name) {
			continue // a directory entry above the prefix ("golang.org/")
		}
		if !ok {
			return "", fmt.Errorf("%s: entry %q is outside %q", zipPath, f.Name, prefix)
		}
		if rel == "" || strings.HasSuffix(rel, "/") && f.Mode().IsDir() {
			continue
		}
		if err := checkRel(rel); err != nil {
			return "", fmt.Errorf("%s: entry %q: %w", zipPath, f.Name, err)
		}
		m := f.Mode()
		if m&fs.ModeSymlink != 0 || !m.IsRegular() && !m.IsDir() && m.Type() != 0 {
			return "", fmt.Errorf("%s: entry %q is a %v, not a regular file: refused", zipPath, f.Name, m.Type())
		}
		if m.IsDir() {
			dirs[rel] = true
			continue
		}
		mode := fs.FileMode(0o644)
		if m&0o111 != 0 || strings.HasPrefix(rel, "bin/") || strings.HasPrefix(rel, "pkg/tool/") {
			mode = 0o755
		}
		dirs[path.Dir(rel)] = true
		jobs = append(jobs, zipJob{f, filepath.Join(dir, filepath.FromSlash(rel)), mode, &sums[i]})
		if module && path.Base(rel) == "_go.mod" {
			// cmd/go copies every _go.mod back to go.mod after extracting.
			jobs = append(jobs, zipJob{f, filepath.Join(dir, filepath.FromSlash(path.Dir(rel)), "go.mod"), 0o644, nil})
		}
	}
	for d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return "", fmt.Errorf("extract: %w", err)
		}
	}
	workers := max(2, runtime.GOMAXPROCS(0)+1)
	ch := make(chan zipJob)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for j := range ch {
				if err := writeZipFile(j, buf); err != nil {
					fail(err)
				}
			}
		}()
	}
	// Largest files first, so the tail is short.
	for _, j := range sortBySize(jobs) {
		select {
		case ch <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return summaryHash(zr.File, sums)
}

// zipJob is one file for the extraction workers.
type zipJob struct {
	f    *zip.File
	dst  string
	mode fs.FileMode
	sum  *[sha256.Size]byte // where to store the SHA-256 of the content; nil: don't
}

// sortBySize puts files over 1 MiB first (keeping their order), so the last worker
// does not start a large file at the end.
func sortBySize(jobs []zipJob) []zipJob {
	var big, small []zipJob
	for _, j := range jobs {
		if j.f.UncompressedSize64 > 1<<20 {
			big = append(big, j)
		} else {
			small = append(small, j)
		}
	}
	return append(big, small...)
}

func writeZipFile(j zipJob, buf []byte) error {
	rc, err := j.f.Open()
	if err != nil {
		return fmt.Errorf("extract %s: %w", j.f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(j.dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, j.mode)
	if err != nil {
		return fmt.Errorf("extract %s: %w", j.f.Name, err)
	}
	var w io.Writer = out
	h := sha256.New()
	if j.sum != nil {
		w = io.MultiWriter(out, h)
	}
	_, err = io.CopyBuffer(w, rc, buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extract %s: %w", j.f.Name, err)
	}
	if j.sum != nil {
		h.Sum(j.sum[:0])
	}
	return nil
}

// summaryHash computes dirhash.Hash1 from per-file SHA-256 sums: the SHA-256 of the
// sorted lines "<hex sha256>  <name>\n", base64-encoded after "h1:"
// (golang.org/x/mod/sumdb/dirhash/hash.go).
func summaryHash(files []*zip.File, sums [][sha256.Size]byte) (string, error) {
	idx := make([]int, len(files))
	for i := range idx {
		idx[i] = i
		if strings.Contains(files[i].Name, "\n") {
			return "", errors.New("dirhash: filenames with newlines are not supported")
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return files[idx[a]].Name < files[idx[b]].Name })
	h := sha256.New()
	for _, i := range idx {
		fmt.Fprintf(h, "%x  %s\n", sums[i], files[i].Name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// extractTarGz extracts the download site's .tar.gz (every entry under "go/") into
// dir. Absolute or escaping names, hard links, devices and symbolic links that leave
// the tree are refused.
func extractTarGz(ctx context.Context, tgzPath, dir string) error {
	f, err := os.Open(tgzPath)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgzPath, err)
	}
	tr := tar.NewReader(gz)
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgzPath, err)
		}
		rel, ok := strings.CutPrefix(h.Name, "go/")
		if !ok {
			if h.Name == "go" || h.Name == "go/" {
				continue
			}
			return fmt.Errorf("%s: entry %q is outside go/", tgzPath, h.Name)
		}
		rel = strings.TrimSuffix(rel, "/")
		if rel == "" {
			continue
		}
		if err := checkRel(rel); err != nil {
			return fmt.Errorf("%s: entry %q: %w", tgzPath, h.Name, err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return fmt.Errorf("extract %s: %w", h.Name, err)
			}
			_, err = io.CopyBuffer(out, tr, buf)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extract %s: %w", h.Name, err)
			}
		case tar.TypeSymlink:
			target := h.Linkname
			if path.IsAbs(target) || !filepath.IsLocal(filepath.FromSlash(path.Join(path.Dir(rel), target))) {
				return fmt.Errorf("%s: symbolic link %q → %q leaves the toolchain: refused", tgzPath, h.Name, target)
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case tar.TypeXGlobalHeader:
		default:
			return fmt.Errorf("%s: entry %q has type %q: refused", tgzPath, h.Name, h.Typeflag)
		}
	}
}

// checkRel refuses names that are absolute, contain "..", backslashes or drive
// letters: everything must land inside the staging directory.
func checkRel(rel string) error {
	if strings.Contains(rel, `\`) || strings.Contains(rel, ":") || path.IsAbs(rel) || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return errors.New("path escapes the toolchain directory: refused")
	}
	for _, el := range strings.Split(rel, "/") {
		if el == ".." || el == "." || el == "" {
			return errors.New("path escapes the toolchain directory: refused")
		}
	}
	return nil
}
