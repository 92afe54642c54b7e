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

	"github.com/gonative/gonative/internal/atomicfile"
)

// Bounds on what one toolchain archive may unpack to. A real toolchain is far below
// both: go1.26.8 for linux/amd64 unpacks to 240 MB in 15,036 files and 1,667
// directories (measured on /usr/local/go; releases stay under 300 MB and 20,000
// files). The bounds leave a margin of about three times that and stop a
// decompression bomb (a few MB of zip that inflates to GiBs) at the bound, before it
// fills the disk.
const (
	// MaxExtractBytes bounds the total uncompressed size of an archive's files.
	MaxExtractBytes = 1 << 30 // 1 GiB
	// MaxExtractEntries bounds the number of entries (files, directories, links).
	MaxExtractEntries = 64 << 10 // 65,536
)

// ErrArchiveBound is wrapped by extraction errors for an archive past
// MaxExtractBytes or MaxExtractEntries.
var ErrArchiveBound = errors.New("archive exceeds the bounds for a Go toolchain")

// limits are the bounds one extraction enforces (tests make them small).
type limits struct {
	bytes   int64
	entries int
}

var defaultLimits = limits{MaxExtractBytes, MaxExtractEntries}

// extracted says what an extraction found.
type extracted struct {
	// H1 is a zip's h1: hash (golang.org/x/mod/sumdb/dirhash.Hash1 over every entry),
	// computed from the data written, so verification needs no second pass; "" for
	// a .tar.gz.
	H1 string
	// Prefix is the directory every entry is under: "go/", or
	// "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/" in a module zip.
	Prefix string
}

// extractArchive extracts the toolchain archive at archive (format "zip" or
// "tar.gz") into dir, which must exist and be empty. It is the one extractor for
// every source: proxy zips, the download site's .zip and .tar.gz, and install
// --from.
//
// Every file, directory and link is created through an os.Root opened on dir, so the
// operating system refuses any path, link or chain of links that leads out of dir,
// whatever the checks before it miss. On top of that, names that are absolute or
// contain ".." are refused, entries beneath a symbolic link are refused, and every
// symbolic link must resolve to something inside dir when extraction ends. Hard
// links, devices and named pipes are refused. The total size and the number of
// entries are bounded (MaxExtractBytes, MaxExtractEntries); extraction stops at the
// bound.
func extractArchive(ctx context.Context, archive, format, dir string) (extracted, error) {
	return extractWith(ctx, archive, format, dir, defaultLimits)
}

func extractWith(ctx context.Context, archive, format, dir string, lim limits) (extracted, error) {
	f, fi, err := atomicfile.OpenInput(archive)
	if err != nil {
		return extracted{}, err
	}
	defer f.Close()
	return extractFrom(ctx, f, fi.Size(), archive, format, dir, lim, nil)
}

// extractFrom is extractArchive for an archive already open: ra holds size bytes;
// name names it in errors. With sum set (a .tar.gz only), every byte of the archive,
// in order and to its end, is also written to sum as extraction reads it: the hash is
// of the very bytes extracted.
func extractFrom(ctx context.Context, ra io.ReaderAt, size int64, name, format, dir string, lim limits, sum io.Writer) (extracted, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return extracted{}, fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	switch format {
	case "zip":
		if sum != nil {
			return extracted{}, fmt.Errorf("%s: a zip is read out of order and cannot be hashed while it is extracted", name)
		}
		return extractZip(ctx, ra, size, name, root, lim)
	case "tar.gz":
		var r io.Reader = io.NewSectionReader(ra, 0, size)
		if sum == nil {
			return extractTarGz(ctx, r, name, root, lim)
		}
		r = io.TeeReader(r, sum)
		x, err := extractTarGz(ctx, r, name, root, lim)
		if err == nil {
			// Past the end-of-archive marker: hash the rest too.
			_, err = io.Copy(io.Discard, r)
		}
		return x, err
	}
	return extracted{}, fmt.Errorf("%s: unknown archive format %q", name, format)
}

// extractZip extracts a toolchain zip beneath root. Two layouts are accepted: the
// module zip (every entry under "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/")
// and the download site's zip (every entry under "go/"). Entries escaping the prefix
// and symbolic links are refused. Module zips hold no modes, so, as cmd/go does after
// extracting one (cmd/go/internal/toolchain/select.go, allowExec), files under bin/
// and pkg/tool/ are made executable, in any zip; executable bits a zip records are
// kept too. The declared sizes and the entry count are checked against the bounds
// before anything is written (archive/zip refuses data longer than declared).
// Files are written by several goroutines at once.
func extractZip(ctx context.Context, ra io.ReaderAt, size int64, name string, root *os.Root, lim limits) (extracted, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return extracted{}, fmt.Errorf("open %s: %w", name, err)
	}
	if len(zr.File) == 0 {
		return extracted{}, fmt.Errorf("%s: empty zip", name)
	}
	if len(zr.File) > lim.entries {
		return extracted{}, fmt.Errorf("%s: %d entries, more than the %d allowed: %w", name, len(zr.File), lim.entries, ErrArchiveBound)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.bytes) || f.UncompressedSize64 > uint64(lim.bytes) {
			return extracted{}, fmt.Errorf("%s: unpacks to more than %d bytes: %w", name, lim.bytes, ErrArchiveBound)
		}
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
				return extracted{}, fmt.Errorf("%s: bad entry %q", name, first)
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
			return extracted{}, fmt.Errorf("%s: entry %q is outside %q", name, f.Name, prefix)
		}
		if rel == "" || strings.HasSuffix(rel, "/") && f.Mode().IsDir() {
			continue
		}
		if err := checkRel(rel); err != nil {
			return extracted{}, fmt.Errorf("%s: entry %q: %w", name, f.Name, err)
		}
		m := f.Mode()
		if !m.IsRegular() && !m.IsDir() {
			return extracted{}, fmt.Errorf("%s: entry %q is %s, not a regular file: refused", name, f.Name, atomicfile.TypeName(m))
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
		jobs = append(jobs, zipJob{f, rel, mode, &sums[i]})
		if module && path.Base(rel) == "_go.mod" {
			// cmd/go copies every _go.mod back to go.mod after extracting.
			jobs = append(jobs, zipJob{f, path.Join(path.Dir(rel), "go.mod"), 0o644, nil})
		}
	}
	for d := range dirs {
		if d == "." {
			continue
		}
		if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
			return extracted{}, fmt.Errorf("extract %s: %w", name, err)
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
				if ctx.Err() != nil {
					continue
				}
				if err := writeZipFile(root, j, buf); err != nil {
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
		return extracted{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return extracted{}, err
	}
	h1, err := summaryHash(zr.File, sums)
	return extracted{H1: h1, Prefix: prefix}, err
}

// zipJob is one file for the extraction workers.
type zipJob struct {
	f    *zip.File
	rel  string // slash-separated, beneath the root
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

func writeZipFile(root *os.Root, j zipJob, buf []byte) error {
	rc, err := j.f.Open()
	if err != nil {
		return fmt.Errorf("extract %s: %w", j.f.Name, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(filepath.FromSlash(j.rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, j.mode)
	if err != nil {
		return fmt.Errorf("extract %s: %w", j.f.Name, err)
	}
	var w io.Writer = out
	h := sha256.New()
	if j.sum != nil {
		w = io.MultiWriter(out, h)
	}
	// archive/zip fails a file whose data runs past its declared size; the limit is
	// a second stop.
	n, err := io.CopyBuffer(w, io.LimitReader(rc, int64(j.f.UncompressedSize64)+1), buf)
	if err == nil && uint64(n) > j.f.UncompressedSize64 {
		err = fmt.Errorf("more data than its declared %d bytes: %w", j.f.UncompressedSize64, ErrArchiveBound)
	}
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

// extractTarGz extracts the download site's .tar.gz (every entry under "go/") beneath
// root. Absolute or escaping names, hard links, devices, entries beneath a symbolic
// link and symbolic links that leave the tree are refused; the total size and the
// entry count stop at the bounds.
func extractTarGz(ctx context.Context, r io.Reader, name string, root *os.Root, lim limits) (_ extracted, err error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return extracted{}, fmt.Errorf("%s: %w", name, err)
	}
	tr := tar.NewReader(gz)
	buf := make([]byte, 256<<10)
	links := map[string]string{} // symbolic links made: rel → target
	defer func() {
		if err != nil {
			// Whatever stopped the extraction, leave no link that resolves outside.
			for rel := range links {
				if _, serr := root.Stat(filepath.FromSlash(rel)); serr != nil {
					root.Remove(filepath.FromSlash(rel))
				}
			}
		}
	}()
	var total int64
	entries := 0
	for {
		if err := ctx.Err(); err != nil {
			return extracted{}, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return extracted{}, fmt.Errorf("%s: %w", name, err)
		}
		if entries++; entries > lim.entries {
			return extracted{}, fmt.Errorf("%s: more than %d entries: %w", name, lim.entries, ErrArchiveBound)
		}
		rel, ok := strings.CutPrefix(h.Name, "go/")
		if !ok {
			if h.Name == "go" || h.Name == "go/" || h.Typeflag == tar.TypeXGlobalHeader {
				continue
			}
			return extracted{}, fmt.Errorf("%s: entry %q is outside go/", name, h.Name)
		}
		rel = strings.TrimSuffix(rel, "/")
		if rel == "" {
			continue
		}
		if err := checkRel(rel); err != nil {
			return extracted{}, fmt.Errorf("%s: entry %q: %w", name, h.Name, err)
		}
		if l := beneathLink(rel, links); l != "" {
			return extracted{}, fmt.Errorf("%s: entry %q lies beneath the symbolic link go/%s: refused", name, h.Name, l)
		}
		dst := filepath.FromSlash(rel)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(dst, 0o755); err != nil {
				return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
			}
		case tar.TypeReg:
			if h.Size < 0 || h.Size > lim.bytes-total {
				return extracted{}, fmt.Errorf("%s: unpacks to more than %d bytes (at %q): %w", name, lim.bytes, h.Name, ErrArchiveBound)
			}
			total += h.Size
			if d := path.Dir(rel); d != "." {
				if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
					return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
				}
			}
			mode := fs.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			out, err := root.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
			}
			_, err = io.CopyBuffer(out, tr, buf)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
			}
		case tar.TypeSymlink:
			target := h.Linkname
			if target == "" || path.IsAbs(target) || strings.Contains(target, `\`) || !filepath.IsLocal(filepath.FromSlash(path.Join(path.Dir(rel), target))) {
				return extracted{}, fmt.Errorf("%s: symbolic link %q → %q leaves the toolchain: refused", name, h.Name, target)
			}
			if d := path.Dir(rel); d != "." {
				if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
					return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
				}
			}
			if err := root.Symlink(target, dst); err != nil {
				return extracted{}, fmt.Errorf("extract %s: %w", h.Name, err)
			}
			links[rel] = target
		case tar.TypeXGlobalHeader:
		default:
			return extracted{}, fmt.Errorf("%s: entry %q is %s: refused", name, h.Name, tarTypeName(h.Typeflag))
		}
	}
	// Each link on its own stays inside, but links can combine ("a → .." resolved
	// from a deeper link): every link must resolve, through the root, to something
	// inside it.
	for rel, target := range links {
		if _, err := root.Stat(filepath.FromSlash(rel)); err != nil {
			return extracted{}, fmt.Errorf("%s: symbolic link go/%s → %q does not resolve to a file inside the toolchain: refused", name, rel, target)
		}
	}
	return extracted{Prefix: "go/"}, nil
}

// beneathLink returns the symbolic link among links that is a parent directory of
// rel, or "".
func beneathLink(rel string, links map[string]string) string {
	if len(links) == 0 {
		return ""
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' {
			if _, ok := links[rel[:i]]; ok {
				return rel[:i]
			}
		}
	}
	return ""
}

// tarTypeName names a tar entry type in words.
func tarTypeName(t byte) string {
	switch t {
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeFifo:
		return "a named pipe"
	case tar.TypeGNUSparse:
		return "a sparse file"
	}
	return fmt.Sprintf("of type %q", t)
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
