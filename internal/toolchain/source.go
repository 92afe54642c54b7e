package toolchain

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/goenv"
	redactpkg "github.com/gonative/gonative/internal/redact"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// DLURLEnv names the variable that overrides the download site's base URL.
const DLURLEnv = "GONATIVE_DL_URL"

// DefaultDLURL is the official download site, used when no module proxy is
// configured (GOPROXY=direct). Its JSON index lists every release with its SHA-256.
const DefaultDLURL = "https://go.dev/dl/"

// ErrNotFound is wrapped by errors for a version or platform that no source offers.
var ErrNotFound = errors.New("not found")

// Progress receives download progress; a nil Progress reports nothing.
type Progress interface {
	// Start begins a transfer of total bytes (-1 when unknown) of which done are
	// already present (a resumed download).
	Start(label string, done, total int64)
	// Add reports n more bytes.
	Add(n int)
	// Finish ends the transfer.
	Finish()
}

// Fetcher finds and downloads toolchains from the configured sources: the GOPROXY list
// (module golang.org/toolchain, checked against GOSUMDB), and the download site for
// "direct" or when no proxy is configured.
type Fetcher struct {
	// Proxies is the parsed GOPROXY list; empty means no proxy: the download site.
	Proxies []goenv.Proxy
	// SumDB is the parsed GOSUMDB. With Off set nothing from a proxy is verified.
	SumDB goenv.SumDB
	// DLURL is the download site's base URL (DefaultDLURL when empty).
	DLURL string
	// Client makes the HTTP requests (http.DefaultClient when nil).
	Client *http.Client
	// Store holds downloads (tmp/) and the checksum database client's state.
	Store Store
	// Progress reports downloads; may be nil.
	Progress Progress
	// OnPhase, when set, is called as an install enters each Phase (tests use it to
	// stop an install inside a phase).
	OnPhase func(Phase)
}

// Release is one toolchain a source offers.
type Release struct {
	Version  string   `json:"version"`
	Platform Platform `json:"platform"`
}

// Artifact is a downloaded (or local) toolchain archive, not yet verified.
type Artifact struct {
	Version  string
	Platform Platform
	// Path is the archive on disk, Format "zip" or "tar.gz".
	Path, Format string
	// Origin is the URL or file it came from.
	Origin string
	// Download is true when Path is a download in the store's tmp/ that may be
	// deleted after a failed verification.
	Download bool
	// file is the archive, opened once (nil until the first read opens Path): every
	// hash and every extraction reads this descriptor, never Path again, so a file
	// put at Path after the archive was checked is never read. size is its size when
	// opened; nothing past it is read.
	file *os.File
	size int64
	// sum, when set, is the SHA-256 the archive must have, known before it is read
	// (--sha256, the download site's index): nothing is extracted from an archive
	// that does not match it.
	sum *sumCheck
	// verify checks a module zip and returns its hash and how it was checked. The h1:
	// hash computed while extracting arrives on extracted ("" when extraction
	// failed).
	verify func(ctx context.Context, extracted <-chan string) (hash, how string, err error)
}

// sumCheck is a SHA-256 an archive must have: want (lowercase hex), who says so
// (for a MismatchError) and how a match is described.
type sumCheck struct {
	want, by, how string
}

// open opens the archive at Path once, without blocking and only if it is a regular
// file; later calls return the same descriptor.
func (a *Artifact) open() (*os.File, int64, error) {
	if a.file != nil {
		return a.file, a.size, nil
	}
	f, fi, err := atomicfile.OpenInput(a.Path)
	if err != nil {
		return nil, 0, err
	}
	a.file, a.size = f, fi.Size()
	return f, a.size, nil
}

// Close closes the archive's descriptor, if it was opened.
func (a *Artifact) Close() error {
	if a.file == nil {
		return nil
	}
	err := a.file.Close()
	a.file = nil
	return err
}

// sha256 hashes the archive's bytes, read through its one descriptor.
func (a *Artifact) sha256() (string, error) {
	f, size, err := a.open()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return "", fmt.Errorf("hash %s: %w", a.Path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// checkSum compares the archive's SHA-256 with a.sum.
func (a *Artifact) checkSum() (hash, how string, err error) {
	got, err := a.sha256()
	if err != nil {
		return "", "", err
	}
	if want := "sha256:" + a.sum.want; got != want {
		return got, "", &MismatchError{File: a.Origin, Want: want, Got: got, By: a.sum.by}
	}
	return got, a.sum.how, nil
}

// pinCopy copies the archive into a private file in dir while hashing it, checks
// the hash against a.sum, and from then on reads only the copy: a zip is read at
// random places, so its bytes cannot be hashed as extraction reads them, and the
// original, even through the same descriptor, can be rewritten in place.
func (a *Artifact) pinCopy(dir string) (hash, how string, err error) {
	f, size, err := a.open()
	if err != nil {
		return "", "", err
	}
	cp, err := os.CreateTemp(dir, "archive-*")
	if err != nil {
		return "", "", diskError(err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(cp, h), io.NewSectionReader(f, 0, size))
	if err != nil {
		cp.Close()
		return "", "", fmt.Errorf("copy %s: %w", a.Path, diskError(err))
	}
	f.Close()
	a.file, a.size = cp, n
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if want := "sha256:" + a.sum.want; got != want {
		return got, "", &MismatchError{File: a.Origin, Want: want, Got: got, By: a.sum.by}
	}
	return got, a.sum.how, nil
}

// Verify checks the archive against its source's trust root (the checksum database,
// or the download site's SHA-256) and returns its hash and a description of the check;
// how is "" when nothing was checked (GOSUMDB=off). extracted may deliver the zip's h1:
// hash computed during extraction (nil: Verify computes what it needs).
func (a *Artifact) Verify(ctx context.Context, extracted <-chan string) (hash, how string, err error) {
	if a.sum != nil {
		return a.checkSum()
	}
	if a.verify == nil {
		return "", "", nil
	}
	if extracted == nil {
		ch := make(chan string)
		close(ch)
		extracted = ch
	}
	return a.verify(ctx, extracted)
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return http.DefaultClient
}

func (f *Fetcher) dlURL() string {
	u := f.DLURL
	if u == "" {
		u = DefaultDLURL
	}
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// Describe names the sources in order, for messages.
func (f *Fetcher) Describe() string {
	if len(f.Proxies) == 0 {
		return "download site " + f.dlURL()
	}
	var s []string
	for _, p := range f.Proxies {
		s = append(s, redact(p.URL))
	}
	return "GOPROXY=" + strings.Join(s, ",")
}

// walk calls try for each source in GOPROXY order with cmd/go's fall-through rules;
// "direct" (or an empty list) means the download site (p.URL == "").
func (f *Fetcher) walk(try func(p goenv.Proxy) error) error {
	if len(f.Proxies) == 0 {
		return try(goenv.Proxy{})
	}
	var last error
	for _, p := range f.Proxies {
		if p.IsOff() {
			if last != nil {
				return last
			}
			return errors.New("GOPROXY=off: downloads are disabled (set GOPROXY, or use install --from FILE)")
		}
		if p.IsDirect() {
			p = goenv.Proxy{}
		}
		err := try(p)
		if err == nil {
			return nil
		}
		last = err
		if p.URL == "" || !p.Next(errors.Is(err, ErrNotFound)) {
			return err
		}
	}
	return last
}

// Releases lists what the sources offer, for every platform, from the first source that
// answers.
func (f *Fetcher) Releases(ctx context.Context) ([]Release, error) {
	var out []Release
	err := f.walk(func(p goenv.Proxy) error {
		var err error
		if p.URL == "" {
			out, err = f.dlReleases(ctx)
		} else {
			out, err = f.proxyReleases(ctx, p)
		}
		return err
	})
	return out, err
}

func (f *Fetcher) proxyReleases(ctx context.Context, p goenv.Proxy) ([]Release, error) {
	esc, _ := module.EscapePath(ModulePath)
	data, err := f.get(ctx, p.URL+"/"+esc+"/@v/list")
	if err != nil && p.IsFile() && errors.Is(err, ErrNotFound) {
		// A file:// proxy without a list file: list its zips.
		dir, derr := goenv.FileProxyDir(p.URL)
		if derr == nil {
			ents, _ := os.ReadDir(filepath.Join(dir, filepath.FromSlash(esc), "@v"))
			var b strings.Builder
			for _, e := range ents {
				if v, ok := strings.CutSuffix(e.Name(), ".zip"); ok {
					b.WriteString(v + "\n")
				}
			}
			data, err = []byte(b.String()), nil
		}
	}
	if err != nil {
		return nil, err
	}
	var out []Release
	for _, line := range strings.Split(string(data), "\n") {
		if v, plat, ok := parseModuleVersion(strings.TrimSpace(line)); ok {
			out = append(out, Release{v, plat})
		}
	}
	return out, nil
}

// dlFile is one file of the download site's JSON index.
type dlFile struct {
	Filename string `json:"filename"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Version  string `json:"version"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Kind     string `json:"kind"`
}

func (f *Fetcher) dlIndex(ctx context.Context) ([]dlFile, error) {
	data, err := f.get(ctx, f.dlURL()+"?mode=json&include=all")
	if err != nil {
		return nil, err
	}
	var rels []struct {
		Version string   `json:"version"`
		Files   []dlFile `json:"files"`
	}
	if err := json.Unmarshal(data, &rels); err != nil {
		return nil, fmt.Errorf("download site index %s: %w", f.dlURL(), err)
	}
	var files []dlFile
	for _, r := range rels {
		files = append(files, r.Files...)
	}
	return files, nil
}

func (f *Fetcher) dlReleases(ctx context.Context) ([]Release, error) {
	files, err := f.dlIndex(ctx)
	if err != nil {
		return nil, err
	}
	var out []Release
	for _, d := range files {
		if d.Kind == "archive" && goenv.ToolchainVersion(d.Version) != "" {
			out = append(out, Release{goenv.ToolchainVersion(d.Version), Platform{d.OS, d.Arch}})
		}
	}
	return out, nil
}

// Fetch downloads version v for platform p from the first source that has it.
func (f *Fetcher) Fetch(ctx context.Context, v string, p Platform) (*Artifact, error) {
	var a *Artifact
	err := f.walk(func(px goenv.Proxy) error {
		var err error
		if px.URL == "" {
			a, err = f.fetchDL(ctx, v, p)
		} else {
			a, err = f.fetchProxy(ctx, px, v, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (f *Fetcher) fetchProxy(ctx context.Context, px goenv.Proxy, v string, p Platform) (*Artifact, error) {
	mv := ModuleVersion(v, p)
	esc, _ := module.EscapePath(ModulePath)
	u := px.URL + "/" + esc + "/@v/" + mv + ".zip"
	a := &Artifact{Version: v, Platform: p, Format: "zip", Origin: u}
	if px.IsFile() {
		// Read the zip where it is: no copy.
		dir, err := goenv.FileProxyDir(px.URL)
		if err != nil {
			return nil, err
		}
		a.Path = filepath.Join(dir, filepath.FromSlash(esc), "@v", mv+".zip")
		if _, _, err := a.open(); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: %w", a.Path, ErrNotFound)
			}
			return nil, err
		}
	} else {
		path, fh, size, err := f.download(ctx, u, mv+".zip", "go"+v+" "+p.String())
		if err != nil {
			return nil, err
		}
		a.Path, a.Download, a.file, a.size = path, true, fh, size
	}
	a.verify = f.moduleVerifier(a, mv)
	return a, nil
}

// moduleVerifier checks a module zip's h1: hash (golang.org/x/mod/sumdb/dirhash, as
// cmd/go computes it) against the checksum database, unless GOSUMDB=off.
func (f *Fetcher) moduleVerifier(a *Artifact, mv string) func(context.Context, <-chan string) (string, string, error) {
	return func(ctx context.Context, extracted <-chan string) (string, string, error) {
		// Ask the database while the zip is being extracted.
		var want string
		var werr error
		switch {
		case f.SumDB.Off:
		case f.SumDB.Key == "":
			werr = errors.New("no checksum database to verify against: set GOSUMDB (or GOSUMDB=off to install unverified)")
		default:
			want, werr = f.sumdbLookup(ctx, mv)
		}
		h := <-extracted
		if h == "" && ctx.Err() != nil {
			return "", "", ctx.Err() // extraction failed: the caller reports why
		}
		if werr != nil {
			return h, "", werr
		}
		if h == "" {
			var err error
			if h, err = a.hashZip(); err != nil {
				return "", "", fmt.Errorf("hash %s: %w", a.Path, err)
			}
		}
		if f.SumDB.Off {
			return h, "", nil
		}
		if want != h {
			return h, "", &MismatchError{File: a.Origin, Want: want, Got: h, By: "checksum database " + f.SumDB.Name}
		}
		return h, "checksum database " + f.SumDB.Name, nil
	}
}

func (f *Fetcher) fetchDL(ctx context.Context, v string, p Platform) (*Artifact, error) {
	files, err := f.dlIndex(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range files {
		if d.Version != "go"+v || d.OS != p.OS || d.Arch != p.Arch || d.Kind != "archive" {
			continue
		}
		if strings.ContainsAny(d.Filename, `/\`) {
			return nil, fmt.Errorf("download site index: bad file name %q", d.Filename)
		}
		format := "tar.gz"
		if strings.HasSuffix(d.Filename, ".zip") {
			format = "zip"
		}
		u := f.dlURL() + url.PathEscape(d.Filename)
		path, fh, size, err := f.download(ctx, u, d.Filename, "go"+v+" "+p.String())
		if err != nil {
			return nil, err
		}
		a := &Artifact{Version: v, Platform: p, Path: path, Format: format, Origin: u, Download: true, file: fh, size: size,
			sum: &sumCheck{want: strings.ToLower(d.SHA256), by: "download site index", how: "SHA-256 from the download site index"}}
		return a, nil
	}
	return nil, fmt.Errorf("go%s for %s: not on the download site: %w", v, p, ErrNotFound)
}

// MismatchError is a verification failure: the archive's hash is not the trusted one.
type MismatchError struct {
	File, Want, Got, By string
	// Deleted is true when the archive (a download) was deleted; an archive the user
	// gave (--from, a file:// proxy) is left where it is.
	Deleted bool
}

func (e *MismatchError) Error() string {
	what := "the archive was left in place"
	if e.Deleted {
		what = "the download was deleted"
	}
	return fmt.Sprintf("checksum mismatch for %s:\n\texpected (%s): %s\n\tactual: %s\n%s and nothing was installed", e.File, e.By, e.Want, e.Got, what)
}

// hashZip computes a zip's h1: hash (dirhash.Hash1, as cmd/go does) from the
// archive's one descriptor.
func (a *Artifact) hashZip() (string, error) {
	f, size, err := a.open()
	if err != nil {
		return "", err
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return "", err
	}
	files := make([]string, 0, len(zr.File))
	byName := make(map[string]*zip.File, len(zr.File))
	for _, zf := range zr.File {
		files = append(files, zf.Name)
		byName[zf.Name] = zf
	}
	return dirhash.Hash1(files, func(name string) (io.ReadCloser, error) { return byName[name].Open() })
}

// maxDocument bounds a document get reads: a version list, the download site's
// index, a checksum database answer.
const maxDocument = 64 << 20

// ReadInput reads a file that nobody named on the command line (a .go-version,
// .tool-versions, go.mod or go.work found by walking up from a directory, the go env
// files, the store's own files) as os.ReadFile would, but without ever blocking on it
// and only if it is a regular file of at most 64 MiB: a named pipe put in a cloned
// repository must not hang `which`, or the shell hook on every cd.
func ReadInput(path string) ([]byte, error) { return readInput(path, maxDocument) }

// readInput reads a file that nobody named on the command line (a file:// proxy's
// documents, the checksum database client's state): opened without blocking and only
// if it is a regular file, at most max bytes of it.
func readInput(path string, max int64) ([]byte, error) {
	f, fi, err := atomicfile.OpenInput(path)
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			// As os.ReadFile says it: a search for go.mod steps over a directory.
			return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
		}
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d it may hold", path, fi.Size(), max)
	}
	return io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
}

// get fetches a small document from an http(s) or file URL. A 404 or 410, or a missing
// file, wraps ErrNotFound.
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, error) {
	if strings.HasPrefix(u, "file://") {
		path, err := goenv.FileProxyDir(strings.SplitN(u, "?", 2)[0])
		if err != nil {
			return nil, err
		}
		b, err := readInput(path, maxDocument)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
		}
		return b, err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, netError(u, err)
	}
	defer resp.Body.Close()
	if err := statusError(u, resp); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument))
	if err != nil {
		return nil, netError(u, err)
	}
	return b, nil
}

func statusError(u string, resp *http.Response) error {
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("%s: %s: %w", redact(u), resp.Status, ErrNotFound)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s: %s", redact(u), resp.Status)
	}
	return nil
}

// redact masks a URL's password (internal/redact).
func redact(u string) string { return redactpkg.URL(u) }

// netError explains a transport failure.
func netError(u string, err error) error {
	var dns *net.DNSError
	var op *net.OpError
	if errors.As(err, &dns) || errors.As(err, &op) {
		return fmt.Errorf("cannot reach %s: %w (no network? check the connection, GOPROXY and HTTPS_PROXY)", redact(u), err)
	}
	return fmt.Errorf("%s: %w", redact(u), err)
}

// download fetches u into the store's tmp/downloads/name, resuming a partial download
// left by an interrupted run with an HTTP Range request. The caller holds the version's
// lock. It returns the download's path and the descriptor it was written through,
// rewound: the caller hashes and extracts through it, never reopening the path.
func (f *Fetcher) download(ctx context.Context, u, name, label string) (_ string, _ *os.File, _ int64, err error) {
	dir := filepath.Join(f.Store.TmpDir(), "downloads")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, 0, fmt.Errorf("download: %w", err)
	}
	final := filepath.Join(dir, name)
	partial := final + ".partial"
	out, err := openPartial(partial)
	if err != nil {
		return "", nil, 0, fmt.Errorf("download: %w", err)
	}
	defer func() {
		if err != nil {
			// An empty partial download has nothing to resume: leave none behind.
			if fi, serr := out.Stat(); serr == nil && fi.Size() == 0 {
				os.Remove(partial)
			}
			out.Close()
		}
	}()
	have, _ := out.Seek(0, io.SeekEnd)
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", nil, 0, err
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return "", nil, 0, netError(u, err)
	}
	defer resp.Body.Close()
	total := resp.ContentLength
	switch {
	case have > 0 && resp.StatusCode == http.StatusPartialContent:
		if total >= 0 {
			total += have
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// Already complete (or the server disagrees): start over once.
		resp.Body.Close()
		out.Close()
		os.Remove(partial)
		return f.download(ctx, u, name, label)
	default:
		if err := statusError(u, resp); err != nil {
			return "", nil, 0, err
		}
		have = 0
		if err := out.Truncate(0); err != nil {
			return "", nil, 0, err
		}
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return "", nil, 0, err
		}
	}
	if f.Progress != nil {
		f.Progress.Start(label, have, total)
		defer f.Progress.Finish()
	}
	buf := make([]byte, 256<<10)
	first := true
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				return "", nil, 0, fmt.Errorf("download %s: write %s: %w", label, partial, diskError(err))
			}
			if first {
				first = false
				f.phase(PhaseDownloading)
			}
			if f.Progress != nil {
				f.Progress.Add(n)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", nil, 0, netError(u, fmt.Errorf("download interrupted (run again to resume): %w", rerr))
		}
	}
	size, err := out.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", nil, 0, err
	}
	if err := os.Rename(partial, final); err != nil {
		return "", nil, 0, err
	}
	return final, out, size, nil
}

// openPartial opens (creating it) a partial download for reading and appending. It
// never follows a symbolic link at partial and never blocks on one that is not a
// regular file: anything but a regular file is removed and a new file created.
func openPartial(partial string) (*os.File, error) {
	for range 2 {
		out, err := os.OpenFile(partial, os.O_RDWR|os.O_CREATE|noFollow|nonBlock, 0o644)
		if err == nil {
			fi, serr := out.Stat()
			if serr == nil && fi.Mode().IsRegular() {
				return out, nil
			}
			out.Close()
			err = serr
		}
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			if rerr := os.Remove(partial); rerr != nil {
				return nil, rerr
			}
			continue
		}
		return nil, err
	}
	return nil, fmt.Errorf("%s: not a regular file and cannot be replaced", partial)
}
