package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gonative/gonative/internal/exe"
)

// DefaultCacheMax is the default bound on the cache's size: about 30,000 files'
// reports.
const DefaultCacheMax = 64 << 20

// Cache keeps inspect's results between runs, like cmd/go's build cache: one file per
// result, named by a hash of the inspected file's identity (device, inode, size,
// modification and change times, as the OS reports them), gonative's own identity
// (version and executable) and the options that shape the result. A file that
// changed has another key, so its old result is never used. Entries are written to a
// temporary file and renamed, so concurrent runs never see a partial entry, and carry
// a checksum, so an entry damaged by a crash reads as a miss. The cache is trimmed to
// its bound, oldest entries first, at the end of a run that added to it.
type Cache struct {
	dir     string
	max     int64
	salt    [32]byte
	written atomic.Int64
}

// CacheDir returns the cache directory: $GONATIVE_CACHE, else "gonative/inspect" in
// the user cache directory.
func CacheDir(getenv func(string) string) (string, error) {
	if d := getenv("GONATIVE_CACHE"); d != "" {
		return filepath.Join(d, "inspect"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set GONATIVE_CACHE or use --no-cache): %w", err)
	}
	return filepath.Join(d, "gonative", "inspect"), nil
}

// OpenCache opens (creating it if needed) the cache in dir, bounded to max bytes
// (0: DefaultCacheMax). version is gonative's version; the running executable's size
// and modification time are added to it, so a rebuilt gonative never reads the
// results of another build.
func OpenCache(dir string, max int64, version string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if max <= 0 {
		max = DefaultCacheMax
	}
	h := sha256.New()
	fmt.Fprintf(h, "gonative inspect cache v1\x00%s\x00", version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(h, "%s=%s\x00", s.Key, s.Value)
			}
		}
	}
	if p, err := os.Executable(); err == nil {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, st.Size(), st.ModTime().UnixNano())
		}
	}
	c := &Cache{dir: dir, max: max}
	h.Sum(c.salt[:0])
	return c, nil
}

type cacheKey [32]byte

// key returns the key of the file st describes under opts; false when the file
// cannot be identified (no inode on this OS) or changed too recently to trust its
// times (within the file system's timestamp granularity).
func (c *Cache) key(st fs.FileInfo, opts Options) (cacheKey, bool) {
	id, ok := identity(st)
	if !ok {
		return cacheKey{}, false
	}
	recent := time.Now().Add(-2 * time.Second).UnixNano()
	if id.mtime > recent || id.ctime > recent {
		return cacheKey{}, false
	}
	h := sha256.New()
	h.Write(c.salt[:])
	fmt.Fprintf(h, "%+v\x00", id)
	// The options that shape a result: the host enters only through whether it makes
	// the automatic mode scan x86-64 code.
	fmt.Fprintf(h, "deps=%v scan=%d max=%d rosetta=%v", opts.Deps, opts.Scan, opts.MaxScanBytes,
		opts.Scan == ScanAuto && hostJudgesRosetta(opts))
	var k cacheKey
	h.Sum(k[:0])
	return k, true
}

// hostJudgesRosetta reports whether the automatic mode scans non-Go x86-64 code for
// opts.Host.
func hostJudgesRosetta(opts Options) bool {
	return hostTranslatesX86(opts.Host)
}

func (c *Cache) path(k cacheKey) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, h[:2], h)
}

// Entry layout: magic, SHA-256 of the payload, payload (the exe.File as JSON).
var entryMagic = []byte("gonative-inspect-1\n")

// get returns the cached report for k.
func (c *Cache) get(k cacheKey) (*exe.File, bool) {
	p := c.path(k)
	b, err := os.ReadFile(p)
	if err != nil || len(b) < len(entryMagic)+32 || !bytes.HasPrefix(b, entryMagic) {
		return nil, false
	}
	sum, payload := b[len(entryMagic):len(entryMagic)+32], b[len(entryMagic)+32:]
	if s := sha256.Sum256(payload); !bytes.Equal(s[:], sum) {
		return nil, false
	}
	var f exe.File
	if err := json.Unmarshal(payload, &f); err != nil {
		return nil, false
	}
	// Mark use for trimming, at most once an hour (as cmd/go does).
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Hour {
		t := time.Now()
		os.Chtimes(p, t, t)
	}
	return &f, true
}

// put stores f under k. Errors are ignored: the cache is an optimisation.
func (c *Cache) put(k cacheKey, f *exe.File, _ fs.FileInfo) {
	payload, err := json.Marshal(f)
	if err != nil {
		return
	}
	sum := sha256.Sum256(payload)
	b := make([]byte, 0, len(entryMagic)+32+len(payload))
	b = append(append(append(b, entryMagic...), sum[:]...), payload...)
	p := c.path(k)
	if err := writeEntry(p, b); err != nil {
		if errors.Is(err, fs.ErrNotExist) && os.MkdirAll(filepath.Dir(p), 0o755) == nil {
			err = writeEntry(p, b)
		}
		if err != nil {
			return
		}
	}
	c.written.Add(int64(len(b)))
}

// writeEntry writes b to p through a temporary file and a rename. It does not fsync:
// an entry torn by a crash fails its checksum and reads as a miss (the content is
// cheap to recompute), while an fsync per file would cost more than reading it.
func writeEntry(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Trim removes the oldest entries (by modification time, refreshed on use) until the
// cache holds at most three quarters of its bound, when it holds more than the
// bound. It runs only when this process added entries: a run over an unchanged tree
// does no extra I/O.
func (c *Cache) Trim() error {
	if c.written.Load() == 0 {
		return nil
	}
	c.written.Store(0)
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var entries []entry
	var total int64
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if name := d.Name(); len(name) > 5 && name[:5] == ".tmp-" && time.Since(info.ModTime()) < time.Hour {
			return nil // another run's entry being written
		}
		entries = append(entries, entry{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil || total <= c.max {
		return err
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.mod.Compare(b.mod) })
	for _, e := range entries {
		if total <= c.max*3/4 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
	return nil
}

// Size returns the bytes the cache's entries take.
func (c *Cache) Size() (int64, error) {
	var total int64
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, err
}
