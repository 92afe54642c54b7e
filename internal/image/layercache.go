package image

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayerCacheMax is how many bytes of layers the layer cache keeps: the least
// recently used go first.
const LayerCacheMax = 512 << 20

// LayerCacheDir returns the directory image build keeps binary layers in:
// $GONATIVE_CACHE/image-layers, else gonative/image-layers in the user cache directory.
func LayerCacheDir(getenv func(string) string) (string, error) {
	if d := getenv("GONATIVE_CACHE"); d != "" {
		return filepath.Join(d, "image-layers"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set GONATIVE_CACHE): %w", err)
	}
	return filepath.Join(d, "gonative", "image-layers"), nil
}

// BinariesDir returns the directory image build keeps the binaries of the module in
// dir (built from pkgs) in, for build.Options.ReuseDir: go build finds them up to
// date next time and links nothing. All modules together keep at most BinariesMax
// bytes there. $GONATIVE_CACHE/image-binaries/KEY, else
// gonative/image-binaries/KEY in the user cache directory; KEY names the absolute
// module directory and the packages.
func BinariesDir(getenv func(string) string, dir string, pkgs []string) (string, error) {
	layers, err := LayerCacheDir(getenv)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q\n%q\n", abs, pkgs)
	return filepath.Join(filepath.Dir(layers), "image-binaries", hex.EncodeToString(h.Sum(nil))[:24]), nil
}

// BinariesMax is how many bytes of binaries image build keeps for all modules
// together (BinariesDir): the binaries of the modules built longest ago go first.
const BinariesMax = 512 << 20

// trimBinaries removes the directories beside keep (BinariesDir's, one per module
// and packages) of the modules built longest ago — by the newest file each holds —
// until the rest take at most max bytes. keep itself stays, whatever its size.
func trimBinaries(keep string, max int64) {
	root, err := os.OpenRoot(filepath.Dir(keep))
	if err != nil {
		return
	}
	defer root.Close()
	ents, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return
	}
	var mods []cacheEntry
	var total int64
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m := cacheEntry{name: e.Name()}
		files, _ := fs.ReadDir(root.FS(), e.Name())
		for _, f := range files {
			if info, err := f.Info(); err == nil && info.Mode().IsRegular() {
				m.size += info.Size()
				if info.ModTime().After(m.used) {
					m.used = info.ModTime()
				}
			}
		}
		total += m.size
		if m.name != filepath.Base(keep) {
			mods = append(mods, m)
		}
	}
	evictOldest(mods, total, max, root.RemoveAll)
}

// cacheEntry is a file or directory of a cache, its size and when it was last used.
type cacheEntry struct {
	name string
	size int64
	used time.Time
}

// evictOldest removes entries, least recently used first, until the total of the
// rest is at most max.
func evictOldest(es []cacheEntry, total, max int64, remove func(name string) error) {
	slices.SortFunc(es, func(a, b cacheEntry) int { return a.used.Compare(b.used) })
	for _, e := range es {
		if total <= max {
			return
		}
		if remove(e.name) == nil {
			total -= e.size
		}
	}
}

// layerCache keeps compressed layers in a directory, each in a file named by the key
// of its content inputs — the digest of its uncompressed tar (which holds every name,
// mode, time and byte), the compression and the Go version that compressed it — and
// by the digest of its compressed bytes: KEY-DIGEST.tar.gz. A stored layer is used
// only when its bytes have that digest, so a file that was cut, flipped or replaced is
// never used; and since the bytes were made by the same compression of the same tar,
// a reused layer is the one a fresh build makes, byte for byte.
type layerCache struct{ dir string }

// key is the start of the file name of the layer whose tar has digest diffID.
func (c *layerCache) key(diffID v1.Hash) string {
	h := sha256.New()
	fmt.Fprintf(h, "gonative image layer 1\n%s\n%s\n%s\n", layerCompression, runtime.Version(), diffID)
	return hex.EncodeToString(h.Sum(nil))
}

// fileName is the name of the layer of key whose compressed bytes have digest gz.
func fileName(key string, gz v1.Hash) string { return key + "-" + gz.Hex + ".tar.gz" }

// layer returns the compressed layer of the tar tb whose digest is diffID, and its
// digest: the cached bytes when they verify, else fresh ones, stored for the next
// build. reused says which. The cache's errors never fail a build: a layer that
// cannot be stored is still returned.
func (c *layerCache) layer(tb []byte, diffID v1.Hash) (gz []byte, digest v1.Hash, reused bool) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		if err = os.MkdirAll(c.dir, 0o755); err == nil {
			root, err = os.OpenRoot(c.dir)
		}
		if err != nil {
			gz = compress(tb)
			return gz, sha256Hash(gz), false
		}
	}
	defer root.Close()
	key := c.key(diffID)
	if gz, digest, name, ok := readCached(root, key, int64(len(tb))); ok {
		now := time.Now()
		root.Chtimes(name, now, now) // recently used
		return gz, digest, true
	}
	gz = compress(tb)
	digest = sha256Hash(gz)
	if storeCached(root, fileName(key, digest), gz) == nil {
		trimCache(root, LayerCacheMax)
	}
	return gz, digest, false
}

// sha256Hash is the digest of b.
func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// maxCompressed bounds a gzip stream of n bytes of input: BestSpeed stores what does
// not compress, in blocks of at most 64 KiB with a few bytes of header each.
func maxCompressed(n int64) int64 { return n + n/1024 + 4096 }

// readCached finds a layer of key in root whose bytes have the digest its name gives
// (for a tar of size bytes), and returns them with that digest and the file's name.
// It never blocks on a file that is not a regular one and reads at most what such a
// layer can take.
func readCached(root *os.Root, key string, size int64) ([]byte, v1.Hash, string, bool) {
	names, err := fs.Glob(root.FS(), key+"-*.tar.gz")
	if err != nil {
		return nil, v1.Hash{}, "", false
	}
	for _, name := range names {
		want := strings.TrimSuffix(strings.TrimPrefix(name, key+"-"), ".tar.gz")
		if gz, ok := readVerified(root, name, size, want); ok {
			return gz, v1.Hash{Algorithm: "sha256", Hex: want}, name, true
		}
	}
	return nil, v1.Hash{}, "", false
}

// readVerified reads name from root and reports whether its bytes have the sha256
// digest wantHex.
func readVerified(root *os.Root, name string, size int64, wantHex string) ([]byte, bool) {
	f, err := root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxCompressed(size) {
		return nil, false
	}
	gz := make([]byte, st.Size())
	if _, err := io.ReadFull(f, gz); err != nil {
		return nil, false
	}
	return gz, sha256Hash(gz).Hex == wantHex
}

// storeCached writes gz as name in root: to a temporary file first, renamed into
// place, so a reader never sees half a layer.
func storeCached(root *os.Root, name string, gz []byte) error {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(gz)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

// trimCache removes the least recently used layers until the rest take at most max
// bytes, and temporary files older than an hour (a build that was killed).
func trimCache(root *os.Root, max int64) {
	ents, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return
	}
	var layers []cacheEntry
	var total int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		switch {
		case strings.HasPrefix(e.Name(), ".tmp-"):
			if time.Since(info.ModTime()) > time.Hour {
				root.Remove(e.Name())
			}
		case strings.HasSuffix(e.Name(), ".tar.gz"):
			layers = append(layers, cacheEntry{e.Name(), info.Size(), info.ModTime()})
			total += info.Size()
		}
	}
	evictOldest(layers, total, max, root.Remove)
}

// Layers by binary. The layer of a binary built here is a function of the binary's
// bytes (build's sha256 of them), where it goes, the image's time and the tar and
// compression code (the Go version): binaryKey names it without reading the binary
// or making its tar. Its cache file, bin-KEY-DIFFID-DIGEST.tar.gz, is a hard link to
// the layer's KEY-DIGEST.tar.gz (no second copy), made when the layer was made from
// the binary's bytes; as for every cached layer, it is used only when its bytes have
// DIGEST.

// binaryKey is the key of the layer holding the binary whose sha256 is sum (hex),
// size bytes, at binPath, at time mtime.
func binaryKey(mtime time.Time, binPath, sum string, size int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "gonative image binary layer 1\n%s\n%s\n%q 0755 0:0\n%d\n%s %d\n", layerCompression, runtime.Version(), binPath, mtime.Unix(), sum, size)
	return hex.EncodeToString(h.Sum(nil))
}

// binaryName is the cache file of the layer of binary key, whose tar has digest
// diffID and whose compressed bytes have digest gz.
func binaryName(key string, diffID, gz v1.Hash) string {
	return "bin-" + key + "-" + diffID.Hex + "-" + gz.Hex + ".tar.gz"
}

// byBinary returns the cached layer of binary key (of size bytes): its compressed
// bytes, which have the digest its name gives, that digest and its diff_id.
func (c *layerCache) byBinary(key string, size int64) (gz []byte, digest, diffID v1.Hash, ok bool) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, v1.Hash{}, v1.Hash{}, false
	}
	defer root.Close()
	names, err := fs.Glob(root.FS(), "bin-"+key+"-*-*.tar.gz")
	if err != nil {
		return nil, v1.Hash{}, v1.Hash{}, false
	}
	for _, name := range names {
		d, g, found := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(name, "bin-"+key+"-"), ".tar.gz"), "-")
		if !found || !isHex64(d) || !isHex64(g) {
			continue
		}
		// The tar of one file holds its bytes and at most a few KiB of headers.
		if gz, ok := readVerified(root, name, size+64<<10, g); ok {
			now := time.Now()
			root.Chtimes(name, now, now)
			return gz, v1.Hash{Algorithm: "sha256", Hex: g}, v1.Hash{Algorithm: "sha256", Hex: d}, true
		}
	}
	return nil, v1.Hash{}, v1.Hash{}, false
}

// linkBinary names the cached layer of diffID and digest also as the layer of binary
// key. Errors are not the build's: the next build makes the tar again.
func (c *layerCache) linkBinary(key string, diffID, digest v1.Hash) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return
	}
	defer root.Close()
	name := binaryName(key, diffID, digest)
	root.Remove(name) // a damaged one
	root.Link(fileName(c.key(diffID), digest), name)
}

// isHex64 reports whether s is 64 lowercase hex digits (a sha256).
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
