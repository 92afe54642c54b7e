package inspect

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/exe"
)

// DefaultCacheMax is the default bound on the cache's size: about 30,000 files'
// reports.
const DefaultCacheMax = 64 << 20

// Cache keeps inspect's results between runs, like cmd/go's build cache, keyed by a
// hash of the inspected file's identity (device, inode, size, modification and change
// times, as the OS reports them), gonative's own identity (version and executable)
// and the options that shape the result. A file that changed has another key, so its
// old result is never used.
//
// Creating a file per result costs milliseconds on a busy disk, more than reading
// the executable, so a run writes the results it adds as one pack: the entries, then
// an index of keys and offsets, then a footer. A pack is written to a temporary file
// and renamed, so concurrent runs never see a partial one; every entry carries a
// CRC-32C checksum of its key and its report, so an entry damaged by a crash, or
// moved under another key, reads as a miss. Packs that another user owns, or that
// others may write, are ignored (Ignored says which): in a shared cache directory
// nobody else's verdicts are read. When the packs
// outgrow the bound, the oldest packs are removed at the end of a run that added
// one (a result still in use is written again by the next run that needs it).
type Cache struct {
	dir  string
	max  int64
	salt [32]byte

	ignored []IgnoredPack // packs not loaded, and why

	mu    sync.Mutex
	packs []*pack // this build's packs, newest first
	whole int64   // bytes of packs read whole (packWholeMax)

	pending []byte      // entries of the pack being built
	keys    []packEntry // their index
	wrote   bool
}

// pack is a pack the cache reads. Its index is sorted by key and searched for every
// lookup: nothing is built at open, so a run that looks up a few files costs the
// same with a cache of a hundred files or of thirty thousand. The first lookups
// search the index in the file (a read per step); then it is read whole
// (packIndexWholeAfter). A pack a run looks many entries up in is read whole too,
// once (packWholeAfter).
type pack struct {
	f     *os.File
	count int    // index entries
	end   int64  // where the entries end: the index's offset
	index []byte // the index, once read whole: count entries of packIndexEntry bytes
	finds int    // lookups so far
	data  []byte // the entries, once read whole
	gets  int    // lookups that found an entry; -1: never read whole
}

// find returns where p holds the entry under k: its offset and length; false when
// it holds none, or the index cannot be read.
func (p *pack) find(k cacheKey) (off int64, n uint32, ok bool) {
	if p.finds++; p.index == nil && p.finds > packIndexWholeAfter {
		idx := make([]byte, p.count*packIndexEntry)
		if _, err := p.f.ReadAt(idx, p.end); err != nil {
			p.count = 0 // unreadable: every lookup a miss, without reading it again
			return 0, 0, false
		}
		p.index = idx
	}
	// entry reads index entry i (its first m bytes) from the index or the file.
	var buf [packIndexEntry]byte
	entry := func(i, m int) []byte {
		if p.index != nil {
			return p.index[i*packIndexEntry : i*packIndexEntry+m]
		}
		if _, err := p.f.ReadAt(buf[:m], p.end+int64(i)*packIndexEntry); err != nil {
			return nil
		}
		return buf[:m]
	}
	failed := false
	i := sort.Search(p.count, func(i int) bool {
		e := entry(i, len(k))
		failed = failed || e == nil
		return e == nil || bytes.Compare(e, k[:]) >= 0
	})
	if failed || i == p.count {
		return 0, 0, false
	}
	e := entry(i, packIndexEntry)
	if e == nil || !bytes.Equal(e[:len(k)], k[:]) {
		return 0, 0, false
	}
	off = int64(binary.LittleEndian.Uint64(e[32:]))
	n = binary.LittleEndian.Uint32(e[40:])
	if off < 0 || off+int64(n) > p.end || n < entrySumSize {
		return 0, 0, false // damaged: a miss
	}
	return off, n, true
}

// packIndexWholeAfter is how many lookups in a pack search its index in the file
// before it is read whole: a search costs about 15 reads of 32 bytes in a pack of
// 30,000 entries, reading that index whole about 1 ms.
const packIndexWholeAfter = 8

type packEntry struct {
	key cacheKey
	off int64
	n   uint32
}

// Pack layout: entries (entrySum of the key and the payload, then the payload: an
// entry, the Report of inspect --json, in the codec's encoding), the index (per
// entry: key, offset, length; sorted by key), then the footer: the index's offset,
// the entry count, the build's mark (packBuild) and packMagic. Version 7 sorts the
// index and marks the build (a run reads only its own build's packs). Version 6 sums
// an entry with CRC-32C (4 bytes) instead of SHA-256 (32). Version 5 adds the
// Gatekeeper facts to the signature. Version 4 stores the Report (version 3 an
// exe.File that carried isa's report); version 3 bound each entry's checksum to its
// key (version 2 covered the payload only).
var packMagic = [16]byte{'g', 'o', 'n', 'a', 't', 'i', 'v', 'e', '-', 'p', 'a', 'c', 'k', '-', '7', '\n'}

// entrySum is an entry's checksum: CRC-32C over its key and its payload, so an entry
// read under any other key than its own, or damaged by a crash, fails it. It guards
// against accidents, not attackers: whoever may write a pack could write any sum (an
// unkeyed SHA-256 as well), which is why packs that others may write are never read.
// A cached run checks every entry it uses, so the sum must cost little next to the
// decoding: SHA-256 took a quarter of a cached run's instructions.
func entrySum(k cacheKey, payload []byte) [entrySumSize]byte {
	c := crc32.Update(crc32.Update(0, castagnoli, k[:]), castagnoli, payload)
	var s [entrySumSize]byte
	binary.LittleEndian.PutUint32(s[:], c)
	return s
}

// entrySumSize is the length of an entry's checksum, before its payload.
const entrySumSize = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// PackProblem says why a pack of the cache was not loaded.
type PackProblem int

// Why a pack was ignored.
const (
	// PackNotRegular: the pack is not a regular file (a named pipe, a device).
	PackNotRegular PackProblem = iota + 1
	// PackForeignOwner: another user owns the pack.
	PackForeignOwner
	// PackWritableByOthers: the pack's permissions let its group or others write it.
	PackWritableByOthers
)

func (p PackProblem) String() string {
	switch p {
	case PackNotRegular:
		return "not a regular file"
	case PackForeignOwner:
		return "owned by another user"
	case PackWritableByOthers:
		return "writable by its group or others"
	}
	return fmt.Sprintf("PackProblem(%d)", int(p))
}

// IgnoredPack is a pack of the cache that was not loaded: its path and why.
type IgnoredPack struct {
	Path    string
	Problem PackProblem
	// Detail is the fact behind Problem ("uid 1001", "mode -rw-rw-rw-", "a named
	// pipe").
	Detail string
}

const (
	packIndexEntry = 32 + 8 + 4
	packBuildSize  = 8
	packFooter     = 8 + 4 + packBuildSize + 16
	packMaxEntries = 1 << 20
	packFlushAt    = 4 << 20 // bytes of pending entries that make a pack
	packMaxCount   = 64      // packs kept at most
)

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
// (0: DefaultCacheMax), and reads the index of every pack. version is gonative's
// version; the running executable's size and modification time are added to it, so
// a rebuilt gonative never reads the results of another build. Call Close at the end
// of the run: it writes the new results and trims the cache.
func OpenCache(dir string, max int64, version string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if max <= 0 {
		max = DefaultCacheMax
	}
	h := sha256.New()
	fmt.Fprintf(h, "gonative inspect cache v2\x00%s\x00", version)
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
	names, _ := filepath.Glob(filepath.Join(dir, "*.pack"))
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // newest first: its entry wins
	for _, name := range names {
		c.loadPack(name)
	}
	return c, nil
}

// packBuild marks the packs of this build of gonative (its salt's first bytes):
// every key holds the salt, so another build's packs hold nothing a run could use.
func (c *Cache) packBuild() []byte { return c.salt[:packBuildSize] }

// Ignored returns the packs OpenCache did not load because it could not trust them
// (damaged packs, which read as misses, are not listed).
func (c *Cache) Ignored() []IgnoredPack { return c.ignored }

// loadPack opens a pack and reads its index; a damaged pack and another build's are
// skipped, and one that is not a regular file, that another user owns or that others
// may write is skipped and recorded in c.ignored. The open never blocks (a named pipe
// called *.pack).
func (c *Cache) loadPack(name string) {
	f, st, err := openRegular(name)
	if err != nil {
		var nr *exe.NotRegularFileError
		if errors.As(err, &nr) {
			c.ignored = append(c.ignored, IgnoredPack{name, PackNotRegular, nr.What()})
		}
		return
	}
	if problem, detail := untrusted(st); problem != 0 {
		c.ignored = append(c.ignored, IgnoredPack{name, problem, detail})
		f.Close()
		return
	}
	var foot [packFooter]byte
	if st.Size() < packFooter {
		f.Close()
		return
	}
	if _, err := f.ReadAt(foot[:], st.Size()-packFooter); err != nil || !bytes.Equal(foot[12+packBuildSize:], packMagic[:]) ||
		!bytes.Equal(foot[12:12+packBuildSize], c.packBuild()) {
		f.Close()
		return
	}
	ioff := int64(binary.LittleEndian.Uint64(foot[:]))
	count := int64(binary.LittleEndian.Uint32(foot[8:]))
	if count > packMaxEntries || ioff < 0 || ioff+count*packIndexEntry != st.Size()-packFooter {
		f.Close()
		return
	}
	c.packs = append(c.packs, &pack{f: f, count: int(count), end: ioff})
}

type cacheKey [32]byte

// key returns the key of the file st describes under opts; false when the file
// cannot be identified (no inode on this OS) or changed too recently to trust its
// times (within the file system's timestamp granularity). It is SHA-256 over the
// cache's salt, the file's identity and the options, in a fixed binary layout: it
// is computed for every file of every run, so it allocates nothing.
func (c *Cache) key(st fs.FileInfo, opts Options) (cacheKey, bool) {
	id, ok := identity(st)
	if !ok {
		return cacheKey{}, false
	}
	recent := time.Now().Add(-2 * time.Second).UnixNano()
	if id.mtime > recent || id.ctime > recent {
		return cacheKey{}, false
	}
	return c.keyOf(id, opts), true
}

// keyOf is key for the identity id.
func (c *Cache) keyOf(id fileID, opts Options) cacheKey {
	var buf [256]byte
	b := append(buf[:0], c.salt[:]...)
	b = binary.LittleEndian.AppendUint64(b, id.dev)
	b = binary.LittleEndian.AppendUint64(b, id.ino)
	b = binary.LittleEndian.AppendUint64(b, uint64(id.size))
	b = binary.LittleEndian.AppendUint64(b, uint64(id.mtime))
	b = binary.LittleEndian.AppendUint64(b, uint64(id.ctime))
	// The options that shape a result: the host enters only through whether it makes
	// the automatic mode scan x86-64 code (then the automatic mode scans the non-Go
	// x86-64 code of the host's OS).
	rosetta := ""
	if opts.Scan == ScanAuto && hostTranslatesX86(opts.Host) {
		rosetta = opts.Host.OS
	}
	deps := byte(0)
	if opts.Deps {
		deps = 1
	}
	b = append(b, deps)
	b = binary.LittleEndian.AppendUint64(b, uint64(opts.Scan))
	b = binary.LittleEndian.AppendUint64(b, uint64(opts.MaxScanBytes))
	b = binary.AppendUvarint(b, uint64(len(rosetta)))
	b = append(b, rosetta...) // may outgrow buf (a long OS name): append copies then
	return sha256.Sum256(b)
}

// entryRef is where a pack holds an entry: its offset and length.
type entryRef struct {
	p   *pack
	off int64
	n   uint32
}

// lookup returns where the newest pack that holds an entry under k holds it (the
// entry may still fail its checksum when read); false when none does. The walk
// looks every file up once, to weigh it, and reads the entry through the ref.
func (c *Cache) lookup(k cacheKey) (entryRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.packs {
		if off, n, ok := p.find(k); ok {
			return entryRef{p, off, n}, true
		}
	}
	return entryRef{}, false
}

// get returns the cached entry for k: lookup, then read.
func (c *Cache) get(k cacheKey) (*entry, bool) {
	ref, ok := c.lookup(k)
	if !ok {
		return nil, false
	}
	return c.read(k, ref)
}

// read returns the entry at ref, k's. An entry is read on its own (one pread), or
// from its pack's entries read whole once the run has read packWholeAfter of them:
// a cached run over a tree then costs a read per pack, not per file.
func (c *Cache) read(k cacheKey, ref entryRef) (*entry, bool) {
	p, off, n := ref.p, ref.off, ref.n
	c.mu.Lock()
	data := c.wholeLocked(p)
	c.mu.Unlock()
	if data != nil {
		return c.decode(k, data[off:off+int64(n)])
	}
	bp := entryBufs.Get().(*[]byte)
	defer entryBufs.Put(bp)
	if cap(*bp) < int(n) {
		*bp = make([]byte, n)
	}
	b := (*bp)[:n]
	if _, err := p.f.ReadAt(b, off); err != nil {
		return nil, false
	}
	return c.decode(k, b)
}

// wholeLocked counts a lookup in p and returns its entries when they have been read
// whole, reading them at the packWholeAfter-th lookup (within packWholeMax bytes for
// all packs); nil otherwise. c.mu is held.
func (c *Cache) wholeLocked(p *pack) []byte {
	if p.data != nil || p.gets < 0 {
		return p.data
	}
	if p.gets++; p.gets < packWholeAfter {
		return nil
	}
	p.gets = -1 // one try
	if c.whole+p.end > packWholeMax {
		return nil
	}
	b := make([]byte, p.end)
	if _, err := p.f.ReadAt(b, 0); err != nil {
		return nil
	}
	p.data, c.whole = b, c.whole+p.end
	return b
}

// Reading packs whole.
const (
	packWholeAfter = 64       // lookups in a pack that make a run read it whole
	packWholeMax   = 16 << 20 // bytes of packs read whole at most
)

// decode returns the entry b holds (its checksum, then its payload) under k; false
// when b is damaged or another key's.
func (c *Cache) decode(k cacheKey, b []byte) (*entry, bool) {
	sum, payload := b[:entrySumSize], b[entrySumSize:]
	if s := entrySum(k, payload); !bytes.Equal(s[:], sum) {
		return nil, false
	}
	e, err := unmarshal(payload) // copies what it keeps
	if err != nil {
		return nil, false
	}
	return e, true
}

// entryBufs are the buffers get reads entries into: a cached run reads one entry
// per file.
var entryBufs = sync.Pool{New: func() any { return new([]byte) }}

// put adds e under k to the pack being built; Close (or a full pack) writes it.
// Errors are ignored: the cache is an optimisation.
func (c *Cache) put(k cacheKey, e *entry) {
	payload := marshal(e)
	if len(payload) > 64<<20 {
		return
	}
	sum := entrySum(k, payload)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, packEntry{k, int64(len(c.pending)), uint32(entrySumSize + len(payload))})
	c.pending = append(append(c.pending, sum[:]...), payload...)
	if len(c.pending) >= packFlushAt {
		c.flushLocked()
	}
}

// flushLocked writes the pending entries as a pack.
func (c *Cache) flushLocked() {
	if len(c.keys) == 0 {
		return
	}
	b := c.pending
	ioff := int64(len(b))
	slices.SortStableFunc(c.keys, func(a, b packEntry) int { return bytes.Compare(a.key[:], b.key[:]) })
	for _, e := range c.keys {
		b = append(b, e.key[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.off))
		b = binary.LittleEndian.AppendUint32(b, e.n)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(ioff))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.keys)))
	b = append(b, c.packBuild()...)
	b = append(b, packMagic[:]...)
	var rnd [6]byte
	rand.Read(rnd[:])
	name := filepath.Join(c.dir, fmt.Sprintf("%020d-%x.pack", time.Now().UnixNano(), rnd))
	if writeEntry(name, b) == nil {
		c.wrote = true
	}
	c.pending, c.keys = c.pending[:0], c.keys[:0]
}

// Close writes the results added in this run and trims the cache to its bound.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	for _, p := range c.packs {
		p.f.Close()
	}
	c.packs, c.whole = nil, 0
	if !c.wrote {
		return nil
	}
	c.wrote = false
	return c.trim()
}

// writeEntry writes b to p through a temporary file and a rename. It does not fsync:
// an entry torn by a crash fails its checksum and reads as a miss (the content is
// cheap to recompute), while an fsync per run would cost more than the run.
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

// trim removes the oldest packs until the cache holds at most three quarters of its
// bound (and at most packMaxCount packs), when it holds more. Temporary files of
// runs that died are removed after an hour.
func (c *Cache) trim() error {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return err
	}
	type pack struct {
		path string
		size int64
	}
	var packs []pack
	var total int64
	for _, d := range ents {
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(c.dir, d.Name())
		switch {
		case strings.HasSuffix(d.Name(), ".pack"):
			packs = append(packs, pack{p, info.Size()})
			total += info.Size()
		case strings.HasPrefix(d.Name(), ".tmp-") && time.Since(info.ModTime()) > time.Hour:
			os.Remove(p)
		}
	}
	// Names start with the creation time: sorted, oldest first.
	sort.Slice(packs, func(i, j int) bool { return packs[i].path < packs[j].path })
	limit := c.max
	if total > c.max {
		limit = c.max * 3 / 4
	}
	for i := 0; i < len(packs) && (total > limit || len(packs)-i > packMaxCount); i++ {
		if os.Remove(packs[i].path) == nil {
			total -= packs[i].size
		}
	}
	return nil
}

// Size returns the bytes the cache's packs take.
func (c *Cache) Size() (int64, error) {
	names, err := filepath.Glob(filepath.Join(c.dir, "*.pack"))
	var total int64
	for _, n := range names {
		if st, err := os.Stat(n); err == nil {
			total += st.Size()
		}
	}
	return total, err
}
