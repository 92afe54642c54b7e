package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Transport prefixes of image references that are not registry references.
const (
	PrefixOCILayout     = "oci-layout:"
	PrefixOCIArchive    = "oci-archive:"
	PrefixDockerArchive = "docker-archive:"
)

// LooksLikeReference reports whether arg names an image rather than a file: it has one
// of the transport prefixes, or it parses as a registry reference with a registry host
// or a tag or digest and is not an existing path.
func LooksLikeReference(arg string) bool {
	for _, p := range []string{PrefixOCILayout, PrefixOCIArchive, PrefixDockerArchive} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	if !strings.ContainsAny(arg, ":@") {
		return false // "dist/app" is a file (found or missing), not an image: no stat
	}
	if _, err := os.Lstat(arg); err == nil {
		return false
	}
	// "dist/app:v1" where dist is a directory here is a missing file too; a first
	// component that names a registry host ("127.0.0.1:5000/app") never is.
	if first, _, ok := strings.Cut(arg, "/"); ok && !strings.ContainsAny(first, ".:") && first != "localhost" {
		if st, err := os.Stat(first); err == nil && st.IsDir() {
			return false
		}
	}
	_, err := name.ParseReference(arg, name.StrictValidation)
	if err != nil {
		_, err = name.ParseReference(arg)
	}
	return err == nil
}

// ReadOptions says how to reach images.
type ReadOptions struct {
	// Keychain resolves registry credentials; nil means authn.DefaultKeychain (the
	// Docker config file and its credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport for registries; nil means remote's default.
	Transport http.RoundTripper
	// Stall is how long a registry request may go without a byte moving before it is
	// abandoned (ErrStalled); default DefaultStall.
	Stall time.Duration
	// Progress, when set, is told the bytes received from registries as they come
	// (from several goroutines at once).
	Progress func(n int64)
}

func (o ReadOptions) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(o.transportFor())}
}

// Platform is one platform's image in an index (or the only image).
type Platform struct {
	Platform v1.Platform
	Digest   v1.Hash // of the image manifest
	Image    v1.Image
}

// String is "os/arch[/variant]".
func (p Platform) String() string { return platformString(p.Platform) }

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Opened is an image reference that was opened: its platforms, in index order.
type Opened struct {
	Name      string // the reference as given
	Digest    v1.Hash
	MediaType types.MediaType
	Platforms []Platform
	close     func() error
}

// Close releases the files the image was read from.
func (o *Opened) Close() error {
	if o.close == nil {
		return nil
	}
	return o.close()
}

// maxManifest bounds the manifests, indexes and configs read into memory.
const maxManifest = 8 << 20

// Open opens an image reference: REGISTRY/REPO[:TAG|@DIGEST], oci-layout:DIR[:TAG],
// oci-archive:FILE or docker-archive:FILE. Only manifests are read; layers are read
// when asked for.
func Open(ctx context.Context, ref string, o ReadOptions) (*Opened, error) {
	switch {
	case strings.HasPrefix(ref, PrefixOCILayout):
		dir := strings.TrimPrefix(ref, PrefixOCILayout)
		return openStore(ref, dirStore{dir: dir})
	case strings.HasPrefix(ref, PrefixOCIArchive):
		file := strings.TrimPrefix(ref, PrefixOCIArchive)
		s, err := openTarStore(file)
		if err != nil {
			return nil, fmt.Errorf("%s: not an OCI archive: %w", ref, err)
		}
		op, err := openStore(ref, s)
		if err != nil {
			s.f.Close()
			return nil, err
		}
		op.close = s.f.Close
		return op, nil
	case strings.HasPrefix(ref, PrefixDockerArchive):
		return openDockerArchive(ref, strings.TrimPrefix(ref, PrefixDockerArchive))
	}
	return openRemote(ctx, ref, o)
}

func openRemote(ctx context.Context, ref string, o ReadOptions) (*Opened, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	desc, err := remote.Get(r, o.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, registryError(err))
	}
	op := &Opened{Name: ref, Digest: desc.Digest, MediaType: desc.MediaType}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, registryError(err))
		}
		op.Platforms, err = indexPlatforms(idx, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, registryError(err))
		}
		return op, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, registryError(err))
	}
	p, err := imagePlatform(img, desc.Digest, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, registryError(err))
	}
	op.Platforms = []Platform{p}
	return op, nil
}

// indexPlatforms lists the images of an index, descending into nested indexes.
// Attestation manifests (platform unknown/unknown) are skipped.
func indexPlatforms(idx v1.ImageIndex, depth int) ([]Platform, error) {
	if depth > 4 {
		return nil, errors.New("indexes nested more than 4 deep")
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []Platform
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("nested index %s: %w", d.Digest, err)
			}
			ps, err := indexPlatforms(child, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		case d.MediaType.IsImage():
			if d.Platform != nil && d.Platform.OS == "unknown" {
				continue // buildkit's attestation manifests
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
			}
			p, err := imagePlatform(img, d.Digest, d.Platform)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the index lists no images")
	}
	return out, nil
}

// imagePlatform is img's platform: the index's word for it when there is one (the
// config's is checked against it by Inspect), else its config's.
func imagePlatform(img v1.Image, dig v1.Hash, p *v1.Platform) (Platform, error) {
	if p != nil {
		return Platform{Platform: *p, Digest: dig, Image: img}, nil
	}
	cf, err := configFile(img)
	if err != nil {
		return Platform{}, fmt.Errorf("config of %s: %w", dig, err)
	}
	return Platform{Platform: v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, Digest: dig, Image: img}, nil
}

// openDockerArchive reads a docker-archive (docker save's tar: manifest.json naming
// a config and layer files, linked to each other as docker save does) as an image
// whose manifest is made here: the config is known by its digest, an uncompressed
// layer by its diff_id (its bytes are its tar), a compressed one by the digest of its
// bytes; every read is then checked as a layout's is.
func openDockerArchive(ref, file string) (*Opened, error) {
	s, err := openTarStore(file)
	if err != nil {
		return nil, fmt.Errorf("%s: not a docker-archive: %w", ref, err)
	}
	op, err := dockerArchive(ref, s)
	if err != nil {
		s.f.Close()
		return nil, fmt.Errorf("%s: not a docker-archive (a tar with manifest.json, as docker save writes): %w", ref, err)
	}
	op.close = s.f.Close
	return op, nil
}

func dockerArchive(ref string, s *tarStore) (*Opened, error) {
	raw, err := readSmall(s, "manifest.json", nil)
	if err != nil {
		return nil, err
	}
	var ms []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(ms) != 1 {
		return nil, fmt.Errorf("manifest.json lists %d images; one is read", len(ms))
	}
	cfgName, err := s.resolve(path.Clean(ms[0].Config))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfgRaw, err := readSmall(s, cfgName, nil)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", cfgName, err)
	}
	if len(cf.RootFS.DiffIDs) != len(ms[0].Layers) {
		return nil, fmt.Errorf("the config lists %d layers, manifest.json %d", len(cf.RootFS.DiffIDs), len(ms[0].Layers))
	}
	cfgDigest, _, _ := v1.SHA256(bytes.NewReader(cfgRaw))
	s.alias = map[string]string{"blobs/sha256/" + cfgDigest.Hex: cfgName}
	m := &v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2,
		Config: v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(cfgRaw)), Digest: cfgDigest}}
	for i, l := range ms[0].Layers {
		name, err := s.resolve(path.Clean(l))
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		d, mt, err := s.layerDigest(name, cf.RootFS.DiffIDs[i])
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		s.alias["blobs/sha256/"+d.Hex] = name
		desc := v1.Descriptor{MediaType: mt, Size: s.members[name][1], Digest: d}
		if d != cf.RootFS.DiffIDs[i] {
			desc.Annotations = map[string]string{annComputedDigest: "true"}
		}
		m.Layers = append(m.Layers, desc)
	}
	rawM := marshal(m)
	img, err := partial.CompressedToImage(&storeImage{s: s, raw: rawM, m: m})
	if err != nil {
		return nil, err
	}
	dig, _, _ := v1.SHA256(bytes.NewReader(rawM))
	p := Platform{Platform: v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, Digest: dig, Image: img}
	return &Opened{Name: ref, Digest: dig, MediaType: types.DockerManifestSchema2, Platforms: []Platform{p}}, nil
}

// layerDigest is the digest a docker-archive's layer file is known by: its diff_id
// when it is an uncompressed tar (its bytes are then checked against it), else the
// digest of its bytes (and the diff_id is checked when it is decompressed).
func (s *tarStore) layerDigest(name string, diffID v1.Hash) (v1.Hash, types.MediaType, error) {
	m := s.members[name]
	head := make([]byte, 4)
	n, _ := s.f.ReadAt(head, m[0])
	head = head[:min(int64(n), m[1])]
	if !bytes.HasPrefix(head, gzipMagic) && !bytes.HasPrefix(head, zstdMagic) {
		return diffID, types.DockerUncompressedLayer, nil
	}
	h, _, err := v1.SHA256(io.NewSectionReader(s.f, m[0], m[1]))
	if bytes.HasPrefix(head, zstdMagic) {
		return h, types.OCILayerZStd, err
	}
	return h, types.DockerLayer, err
}

// A blobStore opens the blobs of an OCI layout, in a directory or an archive.
//
// The layout directory is read here, not with go-containerregistry's pkg/v1/layout
// (v0.22.1), which keeps none of this reader's guarantees. Tried on a layout it wrote
// itself: a layer with a flipped byte and a layer cut in half both read to their end
// without an error (Compressed is the bare file: no size or digest check), so do an
// altered manifest and config; index.json is read with os.ReadFile, so a FIFO there
// hangs and a 64 MiB one is read whole; and only a blob's last path element is
// checked for a link, so a blobs/ directory linked outside the layout is followed.
// Here every open is under an os.Root, of a regular file only, manifests and configs
// are bounded (maxManifest) and digest-checked, and a layer fails at its end when its
// size or digest is not the manifest's (storeLayer).
type blobStore interface {
	open(name string) (io.ReadCloser, int64, error)
}

// dirStore is an OCI layout directory.
type dirStore struct{ dir string }

func (s dirStore) open(name string) (io.ReadCloser, int64, error) {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, 0, err
	}
	defer root.Close()
	// Non-blocking, then type-checked: opening a FIFO would block until a writer
	// comes, and a Stat before the open leaves a window to swap one in.
	f, size, err := openRegular(root.OpenFile(name, os.O_RDONLY|openNonblock, 0))
	if errors.Is(err, errNotRegular) {
		err = fmt.Errorf("%s is %w", name, err)
	}
	return f, size, err
}

// errNotRegular is returned for a FIFO, device or directory where a file is read.
var errNotRegular = errors.New("not a regular file")

// openRegular is the file an open returned and its size, when it is a regular file.
func openRegular(f *os.File, err error) (*os.File, int64, error) {
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// tarStore is an OCI layout in a tar file (an oci-archive), read in place: one pass
// records where each member's bytes are, then members are sections of the file.
type tarStore struct {
	f       *os.File
	members map[string][2]int64 // offset, size
	links   map[string]string   // symbolic and hard links: name -> target member name
	alias   map[string]string   // blob names a docker-archive's files are known by
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func openTarStore(file string) (*tarStore, error) {
	f, _, err := openRegular(os.OpenFile(file, os.O_RDONLY|openNonblock, 0))
	if err != nil {
		return nil, err
	}
	s := &tarStore{f: f, members: map[string][2]int64{}, links: map[string]string{}}
	cr := &countingReader{r: f}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading the archive: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		switch {
		case h.Typeflag == tar.TypeSymlink:
			// Relative to the link's directory, as docker save writes them.
			s.links[name] = strings.TrimPrefix(path.Clean("/"+path.Join(path.Dir(name), h.Linkname)), "/")
		case h.Typeflag == tar.TypeLink:
			s.links[name] = strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
		case h.Typeflag != tar.TypeReg || h.Size < 0 || isSparse(h):
			// Sparse members are not contiguous: they are not blobs.
		default:
			s.members[name] = [2]int64{cr.n, h.Size}
		}
	}
	return s, nil
}

// isSparse reports whether h is a sparse member (old GNU or PAX), whose bytes in the
// archive are not its content.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// maxLinkHops bounds the links followed to reach one member, as Linux's 40.
const maxLinkHops = 40

// resolve follows links from name to a member's name, at most maxLinkHops of them.
func (s *tarStore) resolve(name string) (string, error) {
	for range maxLinkHops + 1 {
		if _, ok := s.members[name]; ok {
			return name, nil
		}
		t, ok := s.links[name]
		if !ok {
			return "", fmt.Errorf("%s: %w", name, os.ErrNotExist)
		}
		name = t
	}
	return "", fmt.Errorf("%s: more than %d links to follow", name, maxLinkHops)
}

func (s *tarStore) open(name string) (io.ReadCloser, int64, error) {
	if a, ok := s.alias[name]; ok {
		name = a
	}
	m, ok := s.members[name]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", name, os.ErrNotExist)
	}
	return io.NopCloser(io.NewSectionReader(s.f, m[0], m[1])), m[1], nil
}

func blobName(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return "", fmt.Errorf("unsupported digest %s", h)
	}
	return "blobs/sha256/" + h.Hex, nil
}

// readSmall reads a whole blob of at most maxManifest bytes; with want set it checks
// the digest.
func readSmall(s blobStore, name string, want *v1.Hash) ([]byte, error) {
	rc, size, err := s.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxManifest {
		return nil, fmt.Errorf("%s is %d bytes, more than a manifest or config may be", name, size)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxManifest))
	if err != nil {
		return nil, err
	}
	if want != nil {
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want.Hex {
			return nil, fmt.Errorf("blob %s has digest sha256:%s", want, got)
		}
	}
	return b, nil
}

func openStore(ref string, s blobStore) (*Opened, error) {
	raw, err := readSmall(s, "index.json", nil)
	if err != nil {
		return nil, fmt.Errorf("%s: not an OCI layout: %w", ref, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", ref, err)
	}
	sum := sha256.Sum256(raw)
	idx := &storeIndex{s: s, raw: raw, im: im}
	ps, err := indexPlatforms(idx, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &Opened{Name: ref, Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, MediaType: types.OCIImageIndex, Platforms: ps}, nil
}

// storeIndex is an index read from a blobStore. Only what indexPlatforms needs is
// implemented.
type storeIndex struct {
	s   blobStore
	raw []byte
	im  *v1.IndexManifest
}

var errNotNeeded = errors.New("not implemented for images read from a layout")

func (x *storeIndex) MediaType() (types.MediaType, error) {
	if x.im.MediaType != "" {
		return x.im.MediaType, nil
	}
	return types.OCIImageIndex, nil
}
func (x *storeIndex) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(x.raw))
	return h, err
}
func (x *storeIndex) Size() (int64, error)                        { return int64(len(x.raw)), nil }
func (x *storeIndex) IndexManifest() (*v1.IndexManifest, error)   { return x.im, nil }
func (x *storeIndex) RawManifest() ([]byte, error)                { return x.raw, nil }
func (x *storeIndex) Layer(v1.Hash) (v1.Layer, error)             { return nil, errNotNeeded }
func (x *storeIndex) Manifests() ([]partial.Describable, error)   { return nil, errNotNeeded }
func (x *storeIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) { return openStoreIndex(x.s, h) }
func (x *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	name, err := blobName(h)
	if err != nil {
		return nil, err
	}
	raw, err := readSmall(x.s, name, &h)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", h, err)
	}
	return partial.CompressedToImage(&storeImage{s: x.s, raw: raw, m: m})
}

func openStoreIndex(s blobStore, h v1.Hash) (v1.ImageIndex, error) {
	name, err := blobName(h)
	if err != nil {
		return nil, err
	}
	raw, err := readSmall(s, name, &h)
	if err != nil {
		return nil, err
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", h, err)
	}
	return &storeIndex{s: s, raw: raw, im: im}, nil
}

// storeImage is an image manifest read from a blobStore.
type storeImage struct {
	s   blobStore
	raw []byte
	m   *v1.Manifest

	once     sync.Once
	byDigest map[v1.Hash]int // the first layer of each digest
}

func (i *storeImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return types.OCIManifestSchema1, nil
}
func (i *storeImage) RawManifest() ([]byte, error) { return i.raw, nil }
func (i *storeImage) RawConfigFile() ([]byte, error) {
	name, err := blobName(i.m.Config.Digest)
	if err != nil {
		return nil, err
	}
	return readSmall(i.s, name, &i.m.Config.Digest)
}
func (i *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	// partial asks for every layer by digest: an index keeps that linear.
	i.once.Do(func() {
		i.byDigest = make(map[v1.Hash]int, len(i.m.Layers))
		for k := len(i.m.Layers) - 1; k >= 0; k-- {
			i.byDigest[i.m.Layers[k].Digest] = k
		}
	})
	if k, ok := i.byDigest[h]; ok {
		return &storeLayer{s: i.s, d: i.m.Layers[k]}, nil
	}
	if i.m.Config.Digest == h {
		return &storeLayer{s: i.s, d: i.m.Config}, nil
	}
	return nil, fmt.Errorf("no layer %s in the manifest", h)
}

// storeLayer is a layer blob; reading it checks its size and digest at the end.
type storeLayer struct {
	s blobStore
	d v1.Descriptor
}

func (l *storeLayer) Digest() (v1.Hash, error)            { return l.d.Digest, nil }
func (l *storeLayer) Size() (int64, error)                { return l.d.Size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) { return l.d.MediaType, nil }
func (l *storeLayer) Compressed() (io.ReadCloser, error) {
	name, err := blobName(l.d.Digest)
	if err != nil {
		return nil, err
	}
	rc, size, err := l.s.open(name)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.d.Digest, err)
	}
	if size != l.d.Size {
		rc.Close()
		return nil, fmt.Errorf("layer %s: %w: the blob has %d bytes, the manifest says %d", l.d.Digest, ErrCorrupt, size, l.d.Size)
	}
	return &verifyingReader{digestReader: newDigestReader(rc, l.d.Digest, l.d.Size, "its digest"), c: rc, want: l.d.Digest}, nil
}

// verifyingReader reads a blob and fails at its end when its size or digest is not
// the manifest's.
type verifyingReader struct {
	*digestReader
	c    io.Closer
	want v1.Hash
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.digestReader.Read(p)
	if err != nil && err != io.EOF && errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("layer %s: %w", v.want, err)
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.c.Close() }

// marshal is json.Marshal for values that cannot fail.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
