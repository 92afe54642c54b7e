package image

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// layerCache keeps compressed layers in a directory, each in a file named by the key
// of its content inputs: the digest of its uncompressed tar (which holds every name,
// mode, time and byte), the compression and the Go version that compressed it. A
// stored layer is used only when it decompresses to exactly that tar, so a reused
// layer is the one a fresh build makes, byte for byte; anything else in the file is
// ignored and replaced.
type layerCache struct{ dir string }

// key is the file name of the layer whose tar has digest diffID.
func (c *layerCache) key(diffID v1.Hash) string {
	h := sha256.New()
	fmt.Fprintf(h, "gonative image layer 1\n%s\n%s\n%s\n", layerCompression, runtime.Version(), diffID)
	return hex.EncodeToString(h.Sum(nil)) + ".tar.gz"
}

// layer returns the compressed layer of the tar tb whose digest is diffID: the cached
// bytes when they verify, else fresh ones, stored for the next build. reused says
// which. The cache's errors never fail a build: a layer that cannot be stored is
// still returned.
func (c *layerCache) layer(tb []byte, diffID v1.Hash) (gz []byte, reused bool) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return compress(tb), false
		}
		if root, err = os.OpenRoot(c.dir); err != nil {
			return compress(tb), false
		}
	}
	defer root.Close()
	name := c.key(diffID)
	if gz, ok := readCached(root, name, int64(len(tb)), diffID); ok {
		now := time.Now()
		root.Chtimes(name, now, now) // recently used
		return gz, true
	}
	gz = compress(tb)
	if storeCached(root, name, gz) == nil {
		trimCache(root, LayerCacheMax)
	}
	return gz, false
}

// maxCompressed bounds a gzip stream of n bytes of input: BestSpeed stores what does
// not compress, in blocks of at most 64 KiB with a few bytes of header each.
func maxCompressed(n int64) int64 { return n + n/1024 + 4096 }

// readCached reads the layer name from root and reports whether it decompresses to a
// tar of size bytes whose digest is diffID. It never blocks on a file that is not a
// regular one and reads at most what such a layer can take.
func readCached(root *os.Root, name string, size int64, diffID v1.Hash) ([]byte, bool) {
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
	if !gunzipsTo(gz, size, diffID) {
		return nil, false
	}
	return gz, true
}

// gunzipsTo reports whether gz is one gzip member that decompresses to exactly size
// bytes whose digest is want, with nothing after it.
func gunzipsTo(gz []byte, size int64, want v1.Hash) bool {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return false
	}
	zr.Multistream(false)
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(zr, size+1))
	if err != nil || n != size {
		return false
	}
	if _, err := zr.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == want.Hex && want.Algorithm == "sha256"
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
	type entry struct {
		name string
		size int64
		used time.Time
	}
	var layers []entry
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
			layers = append(layers, entry{e.Name(), info.Size(), info.ModTime()})
			total += info.Size()
		}
	}
	slices.SortFunc(layers, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, l := range layers {
		if total <= max {
			break
		}
		if root.Remove(l.name) == nil {
			total -= l.size
		}
	}
}
