package image

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/build"
)

// cacheFiles is a layer's content: a program-sized file that compresses as programs
// do (half random, half text).
func cacheFiles(seed uint64) []tarFile {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]byte, 1<<20)
	for i := range data {
		if i%2 == 0 {
			data[i] = byte(r.Uint32())
		} else {
			data[i] = "func main() {}\n"[i%15]
		}
	}
	return []tarFile{{name: "/usr/local/bin/app", mode: 0o755, data: data}}
}

// layerBytes is a layer's compressed bytes and digests.
func layerBytes(t *testing.T, l v1.Layer) ([]byte, v1.Hash, v1.Hash) {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	b.ReadFrom(rc)
	d, _ := l.Digest()
	diff, _ := l.DiffID()
	return b.Bytes(), d, diff
}

// TestLayerCacheReuse: the first build stores the layer, the second reuses it, and
// the reused layer is byte for byte the one a build without the cache makes.
func TestLayerCacheReuse(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	files := cacheFiles(1)
	fresh, err := tarLayer(mtime, files)
	if err != nil {
		t.Fatal(err)
	}
	want, wantD, wantDiff := layerBytes(t, fresh)
	// The cache directory is made by the first build that stores a layer.
	o := BuildOptions{Created: mtime, LayerCache: filepath.Join(t.TempDir(), "new", "layers")}
	for i, wantReused := range []bool{false, true, true} {
		l, reused, err := binaryLayer(o, files)
		if err != nil {
			t.Fatal(err)
		}
		got, d, diff := layerBytes(t, l)
		if reused != wantReused || !bytes.Equal(got, want) || d != wantD || diff != wantDiff {
			t.Errorf("build %d: reused %v (want %v), digest %s diff_id %s (want %s %s), same bytes %v",
				i, reused, wantReused, d, diff, wantD, wantDiff, bytes.Equal(got, want))
		}
	}
	// Another content, or the same content at another time, is another layer.
	for _, c := range []struct {
		mtime time.Time
		files []tarFile
	}{{mtime, cacheFiles(2)}, {mtime.Add(time.Second), files}} {
		o.Created = c.mtime
		if _, reused, _ := binaryLayer(o, c.files); reused {
			t.Errorf("a layer of other inputs (%s) was reused", c.mtime)
		}
	}
}

// TestLayerCacheCorrupt: a cached layer that does not decompress to exactly the tar
// the inputs make is never used: the build makes it afresh, the same bytes as
// without the cache, and replaces the bad copy. Nothing in the cache blocks a build.
func TestLayerCacheCorrupt(t *testing.T) {
	mtime := time.Unix(0, 0).UTC()
	files := cacheFiles(3)
	fresh, _ := tarLayer(mtime, files)
	want, wantD, _ := layerBytes(t, fresh)
	other := compress([]byte("another layer entirely"))
	tb, diffID, _ := tarBytes(mtime, files)
	longer := compress(append(append([]byte{}, tb...), make([]byte, 1024)...))
	var other9 bytes.Buffer // the same tar, compressed otherwise
	zw, _ := gzip.NewWriterLevel(&other9, gzip.BestCompression)
	zw.Write(tb)
	zw.Close()
	for _, c := range []struct {
		name    string
		corrupt func(t *testing.T, path string, good []byte)
	}{
		{"flipped byte in the middle", func(t *testing.T, p string, good []byte) {
			b := bytes.Clone(good)
			b[len(b)/2] ^= 0x40
			os.WriteFile(p, b, 0o644)
		}},
		{"flipped byte in the gzip trailer", func(t *testing.T, p string, good []byte) {
			b := bytes.Clone(good)
			b[len(b)-3] ^= 1
			os.WriteFile(p, b, 0o644)
		}},
		{"truncated", func(t *testing.T, p string, good []byte) { os.WriteFile(p, good[:len(good)*2/3], 0o644) }},
		{"empty", func(t *testing.T, p string, good []byte) { os.WriteFile(p, nil, 0o644) }},
		{"bytes after the stream", func(t *testing.T, p string, good []byte) {
			os.WriteFile(p, append(bytes.Clone(good), good...), 0o644)
		}},
		{"another layer", func(t *testing.T, p string, good []byte) { os.WriteFile(p, other, 0o644) }},
		{"the tar with more after it", func(t *testing.T, p string, good []byte) { os.WriteFile(p, longer, 0o644) }},
		{"the same tar compressed otherwise", func(t *testing.T, p string, good []byte) { os.WriteFile(p, other9.Bytes(), 0o644) }},
		{"a directory", func(t *testing.T, p string, good []byte) { os.Remove(p); os.Mkdir(p, 0o755) }},
		{"a named pipe", func(t *testing.T, p string, good []byte) {
			os.Remove(p)
			if err := mkfifo(p); err != nil {
				t.Skip(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := BuildOptions{Created: mtime, LayerCache: t.TempDir()}
			if _, _, err := binaryLayer(o, files); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(o.LayerCache, fileName((&layerCache{}).key(diffID), wantD))
			good, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(good, want) {
				t.Fatalf("stored layer: %v, same bytes %v", err, bytes.Equal(good, want))
			}
			c.corrupt(t, p, good)
			l, reused, err := binaryLayer(o, files)
			if err != nil {
				t.Fatal(err)
			}
			got, d, _ := layerBytes(t, l)
			if reused || !bytes.Equal(got, want) || d != wantD {
				t.Errorf("reused %v, digest %s (want %s)", reused, d, wantD)
			}
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
				if _, reused, _ := binaryLayer(o, files); !reused {
					t.Errorf("the corrupt copy was not replaced by a good one")
				}
			}
		})
	}
}

// TestLayerCacheTrim: the cache keeps at most its bound, the least recently used
// layers going first.
func TestLayerCacheTrim(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i, name := range []string{"a.tar.gz", "b.tar.gz", "c.tar.gz", ".tmp-x"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, make([]byte, 1000), 0o644)
		at := old.Add(time.Duration(i) * time.Minute)
		if name == ".tmp-x" {
			at = old.Add(-time.Hour)
		}
		os.Chtimes(p, at, at)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	trimCache(root, 2000)
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if len(left) != 2 || left[0] != "b.tar.gz" || left[1] != "c.tar.gz" {
		t.Errorf("left %q, want b.tar.gz and c.tar.gz", left)
	}
}

// FuzzLayerCache: whatever the cache holds under a layer's name, the layer returned
// is the one a fresh build makes (it decompresses to exactly the layer's tar, and its
// bytes are compress's), and the cached bytes are used only when they are those.
func FuzzLayerCache(f *testing.F) {
	mtime := time.Unix(0, 0).UTC()
	files := []tarFile{{name: "/app", mode: 0o755, data: []byte("#!/bin/sh\necho hello\n")}}
	tb, diffID, _ := tarBytes(mtime, files)
	good := compress(tb)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{0x1f, 0x8b})
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(tb)
	zw.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, cached []byte) {
		dir := t.TempDir()
		c := &layerCache{dir: dir}
		os.WriteFile(filepath.Join(dir, fileName(c.key(diffID), sha256Hash(good))), cached, 0o644)
		gz, d, reused := c.layer(tb, diffID)
		if !gunzipsTo(gz, int64(len(tb)), diffID) {
			t.Fatalf("the layer does not decompress to its tar")
		}
		if !bytes.Equal(gz, good) || d != sha256Hash(good) {
			t.Fatalf("the layer (reused %v) is not the one a fresh build makes", reused)
		}
		if reused != bytes.Equal(cached, good) {
			t.Fatalf("reused %v, but the cached bytes are %sthe layer's", reused, map[bool]string{true: "", false: "not "}[bytes.Equal(cached, good)])
		}
	})
}

// gunzipsTo, the oracle of FuzzLayerCache, reports whether gz is one gzip member that decompresses to exactly size
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

// TestLayerCacheByBinary: the layer of a built binary is found by the binary's
// sha256 without reading it, and is byte for byte the layer a build without the
// cache makes; other bytes, another path or time, a damaged cache file, or a binary
// changed since build verified it never get a stale layer.
func TestLayerCacheByBinary(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	dir := t.TempDir()
	o := BuildOptions{Created: mtime, LayerCache: filepath.Join(t.TempDir(), "layers")}
	output := func(seed uint64) (*build.Output, []byte) {
		data := cacheFiles(seed)[0].data
		p := filepath.Join(dir, fmt.Sprint("app", seed))
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		return &build.Output{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, data
	}
	fresh := func(mtime time.Time, bin string, data []byte) ([]byte, v1.Hash, v1.Hash) {
		l, err := tarLayer(mtime, []tarFile{{name: bin, mode: 0o755, data: data}})
		if err != nil {
			t.Fatal(err)
		}
		return layerBytes(t, l)
	}
	check := func(what string, o BuildOptions, out *build.Output, bin string, data []byte, wantReused bool) {
		t.Helper()
		l, reused, err := outputLayer(o, out, bin)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, d, diff := layerBytes(t, l)
		want, wd, wdiff := fresh(o.Created, bin, data)
		if reused != wantReused || !bytes.Equal(got, want) || d != wd || diff != wdiff {
			t.Errorf("%s: reused %v (want %v), same bytes %v, digest %v diff_id %v", what, reused, wantReused, bytes.Equal(got, want), d == wd, diff == wdiff)
		}
	}
	out, data := output(1)
	check("first", o, out, "/usr/local/bin/app", data, false)
	check("second", o, out, "/usr/local/bin/app", data, true)
	// Found by its sha256: the binary is not read.
	if err := os.Remove(out.Path); err != nil {
		t.Fatal(err)
	}
	check("binary gone", o, out, "/usr/local/bin/app", data, true)
	if err := os.WriteFile(out.Path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// Other bytes, another path, another time: other layers.
	out2, data2 := output(2)
	check("other bytes", o, out2, "/usr/local/bin/app", data2, false)
	check("other path", o, out, "/app", data, false)
	later := o
	later.Created = mtime.Add(time.Second)
	check("other time", later, out, "/usr/local/bin/app", data, false)
	// A damaged cache file is not used, and is replaced.
	names, _ := filepath.Glob(filepath.Join(o.LayerCache, "bin-"+binaryKey(mtime, "/usr/local/bin/app", out.SHA256, out.Size)+"-*"))
	if len(names) != 1 {
		t.Fatalf("cache files by binary %v, want one", names)
	}
	gz, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	gz[len(gz)/2] ^= 1
	os.Remove(names[0]) // a hard link: write a new file, not the shared one
	if err := os.WriteFile(names[0], gz, 0o644); err != nil {
		t.Fatal(err)
	}
	check("damaged by binary, intact by tar", o, out, "/usr/local/bin/app", data, true)
	check("link made again", o, out, "/usr/local/bin/app", data, true)
	if b, _ := os.ReadFile(names[0]); bytes.Equal(b, gz) {
		t.Error("the damaged file was kept")
	}
	// A binary changed since build verified it: an error, not a layer of other bytes.
	out3, _ := output(3)
	if err := os.WriteFile(out3.Path, data2, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := outputLayer(o, out3, "/usr/local/bin/app"); err == nil || !strings.Contains(err.Error(), "changed since it was verified") {
		t.Errorf("binary changed after verification: %v", err)
	}
}

// TestTrimBinaries: the binaries of the modules built longest ago go first, until the
// rest fit the bound; the directory of this build stays whatever its size, and files
// beside the modules' directories are left alone.
func TestTrimBinaries(t *testing.T) {
	base := filepath.Join(t.TempDir(), "image-binaries")
	now := time.Now()
	mk := func(name string, size int, age time.Duration) {
		t.Helper()
		d := filepath.Join(base, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, "app_linux_amd64")
		if err := os.WriteFile(p, make([]byte, size), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	mk("oldest", 100, 3*time.Hour)
	mk("older", 100, 2*time.Hour)
	mk("recent", 100, time.Hour)
	mk("this", 500, 4*time.Hour) // this build's, the oldest and largest: kept
	if err := os.WriteFile(filepath.Join(base, "note"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	trimBinaries(filepath.Join(base, "this"), 650)
	for name, want := range map[string]bool{"oldest": false, "older": false, "recent": true, "this": true, "note": true} {
		if _, err := os.Stat(filepath.Join(base, name)); (err == nil) != want {
			t.Errorf("%s: present %v, want %v", name, err == nil, want)
		}
	}
}
