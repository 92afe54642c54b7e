// Package imagetest writes hand-made OCI layouts for tests: images that no builder
// would produce (an amd64 binary in an arm64 image, a truncated layer, names that climb
// out of the root, a 1 GiB sparse file), so that readers can be tested on them.
package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one member of a hand-made layer, written as given (no cleaning).
type Entry struct {
	Name string
	Type byte // default tar.TypeReg
	Mode int64
	Data []byte
	Link string
	// Raw, when set, is written as is: a member with its headers and padding.
	Raw []byte
}

// Layer returns the gzip-compressed tar of entries.
func Layer(entries ...Entry) ([]byte, error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range entries {
		if e.Raw != nil {
			tw.Flush()
			tb.Write(e.Raw)
			continue
		}
		typ, mode := e.Type, e.Mode
		if typ == 0 {
			typ = tar.TypeReg
		}
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.Name, Typeflag: typ, Mode: mode, Linkname: e.Link, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
	zw.Write(tb.Bytes())
	zw.Close()
	return zb.Bytes(), nil
}

// Image is one platform's image of a hand-made layout: one layer of Entries.
type Image struct {
	Platform v1.Platform
	Config   v1.Config
	Entries  []Entry
}

// Layout writes an OCI layout into the new directory dir holding an index with one
// image for plat, with config cfg and one layer of entries. It returns the layer's
// digest.
func Layout(dir string, plat v1.Platform, cfg v1.Config, entries ...Entry) (v1.Hash, error) {
	hs, err := Index(dir, Image{Platform: plat, Config: cfg, Entries: entries})
	if err != nil {
		return v1.Hash{}, err
	}
	return hs[0], nil
}

// Index writes an OCI layout into the new directory dir holding an index of imgs, and
// returns their layers' digests.
func Index(dir string, imgs ...Image) ([]v1.Hash, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var digests []v1.Hash
	for _, im := range imgs {
		gz, err := Layer(im.Entries...)
		if err != nil {
			return nil, err
		}
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gz)), nil }, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Config = im.Platform.OS, im.Platform.Architecture, im.Config
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		p := im.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
		h, err := l.Digest()
		if err != nil {
			return nil, err
		}
		digests = append(digests, h)
	}
	if _, err := layout.Write(dir, idx); err != nil {
		return nil, err
	}
	return digests, nil
}

// GlibcBase returns the images of a two-platform base with a dynamic loader and a glibc
// for linux/amd64 (this machine's, Debian package libc6) and linux/arm64 (Debian's
// libc6-arm64-cross, installed with gcc-aarch64-linux-gnu), laid out as Debian does,
// the loader reached through a symlink. It fails when a file is missing.
func GlibcBase() ([]Image, error) {
	const amdLib, armLib = "/lib/x86_64-linux-gnu/", "/usr/aarch64-linux-gnu/lib/"
	read := func(p string) ([]byte, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w (Debian packages libc6 and libc6-arm64-cross)", err)
		}
		return b, nil
	}
	files := map[string][]byte{}
	for _, f := range []string{amdLib + "libc.so.6", amdLib + "ld-linux-x86-64.so.2", armLib + "libc.so.6", armLib + "ld-linux-aarch64.so.1"} {
		b, err := read(f)
		if err != nil {
			return nil, err
		}
		files[f] = b
	}
	return []Image{
		{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Entries: []Entry{
			{Name: "lib/x86_64-linux-gnu/libc.so.6", Mode: 0o755, Data: files[amdLib+"libc.so.6"]},
			{Name: "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Mode: 0o755, Data: files[amdLib+"ld-linux-x86-64.so.2"]},
			{Name: "lib64/ld-linux-x86-64.so.2", Type: tar.TypeSymlink, Link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		}},
		{Platform: v1.Platform{OS: "linux", Architecture: "arm64"}, Entries: []Entry{
			{Name: "lib/aarch64-linux-gnu/libc.so.6", Mode: 0o755, Data: files[armLib+"libc.so.6"]},
			{Name: "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", Mode: 0o755, Data: files[armLib+"ld-linux-aarch64.so.1"]},
			{Name: "lib/ld-linux-aarch64.so.1", Type: tar.TypeSymlink, Link: "aarch64-linux-gnu/ld-linux-aarch64.so.1"},
		}},
	}, nil
}

// Truncate cuts the blob with digest h in the layout dir to half its size.
func Truncate(dir string, h v1.Hash) error {
	p := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b[:len(b)/2], 0o644)
}

// Sparse returns a tar member (PAX format 1.0 sparse, which archive/tar reads but does
// not write) for a file of size bytes whose only data is head at offset 0.
func Sparse(name string, head []byte, size int64) []byte {
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		for n := len(s) + 1; ; n++ {
			if r := fmt.Sprint(n) + s; len(r) == n {
				return r
			}
		}
	}
	recs := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") + rec("GNU.sparse.name", name) + rec("GNU.sparse.realsize", fmt.Sprint(size))
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "PaxHeaders/x", Typeflag: tar.TypeReg, Size: int64(len(recs)), Format: tar.FormatUSTAR})
	io.WriteString(tw, recs)
	tw.Flush()
	h := b.Bytes()[:512]
	h[156] = tar.TypeXHeader // a PAX header, with its checksum recomputed
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	smap := []byte(fmt.Sprintf("1\n0\n%d\n", len(head)))
	body := append(append(smap, make([]byte, 512-len(smap))...), head...)
	tw.WriteHeader(&tar.Header{Name: "GNUSparseFile.0/x", Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o755, Format: tar.FormatUSTAR})
	tw.Write(body)
	tw.Flush()
	return b.Bytes()
}

// GNUSparse returns an old GNU sparse tar member (type 'S', the sparse map in the
// header) for a file of size bytes whose only data is data at offset 0.
func GNUSparse(name string, mode int64, data []byte, size int64) []byte {
	h := make([]byte, 512)
	octal := func(at, n int, v int64) { copy(h[at:at+n], fmt.Sprintf("%0*o\x00", n-1, v)) }
	copy(h, name)
	octal(100, 8, mode)
	octal(108, 8, 0)
	octal(116, 8, 0)
	octal(124, 12, int64(len(data)))
	octal(136, 12, 0)
	h[156] = tar.TypeGNUSparse
	copy(h[257:], "ustar  \x00")
	octal(386, 12, 0)                // the one data region's offset
	octal(398, 12, int64(len(data))) // and length
	octal(483, 12, size)             // the file's real size
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	body := append(slices.Clone(data), make([]byte, (512-len(data)%512)%512)...)
	return append(h, body...)
}
