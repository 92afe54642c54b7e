package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Entry is one file of an image's flattened file system, as Walk delivers it.
type Entry struct {
	Path     string // absolute and clean: "/usr/bin/app"; never outside "/"
	Type     byte   // tar.TypeReg, TypeDir, TypeSymlink, TypeLink, ...
	Mode     fs.FileMode
	Size     int64
	Linkname string // symlink target as written; hard link target cleaned like Path
	// RawLinkname is a hard link's target as written in the layer: relative to the
	// root a layer is extracted into, so "../x" or "/x" leads outside it.
	RawLinkname string
	Layer       int // the layer it comes from, 0 = the bottom layer
	// RawName is the name in the layer when it is not clean ("../etc/passwd",
	// "/abs"): a naive extractor would write it elsewhere.
	RawName string
	// Reader reads a regular file's content, valid until the callback returns.
	Reader io.Reader
}

// LayerError is an error reading one layer.
type LayerError struct {
	Layer  int
	Digest v1.Hash
	Err    error
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("layer %d (%s): %v", e.Layer, e.Digest, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// Walk streams the flattened file system of img to fn: layers from the top down, so
// that the first entry for a path is the one that wins; entries hidden by an upper
// layer (the same path, a whiteout, an opaque directory, or a non-directory above an
// ancestor) are not delivered. Whiteout entries themselves are not delivered. Memory
// holds the set of paths seen, never file contents.
//
// Every layer is read to the end of its blob, past tar's end-of-archive marker, and
// its size and digest (the manifest's; or, for a docker-archive's compressed layer,
// the digest of its tar, the config's diff_id) are checked before the walk goes on to
// the layer below. What fn received
// from a layer is therefore unverified until then: when Walk returns a *LayerError
// for layer i, every entry of layer i must be discarded (see WalkLayers).
func Walk(ctx context.Context, img v1.Image, fn func(*Entry) error) error {
	return WalkLayers(ctx, img, fn, nil)
}

// WalkLayers is Walk, calling verified(i) once layer i was read whole and matched its
// digests: the entries of layer i that fn received are then facts about the image.
func WalkLayers(ctx context.Context, img v1.Image, fn func(*Entry) error, verified func(layer int) error) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	descs, diffIDs := layerDescriptors(img, len(layers))
	w := walker{
		seen:    map[string]bool{},
		deleted: map[string]bool{},
		hiding:  &ptrie{},
	}
	for i := len(layers) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := descs[i]
		if d.Digest.Hex == "" {
			if d.Digest, err = layers[i].Digest(); err != nil {
				return &LayerError{Layer: i, Err: err}
			}
			if d.Size, err = layers[i].Size(); err != nil {
				return &LayerError{Layer: i, Digest: d.Digest, Err: err}
			}
		}
		// The manifest's digest of the stored bytes makes their tar what it is; the
		// diff_id is checked (a second hash of every byte) only where that digest
		// was computed here rather than given.
		var diffID v1.Hash
		if d.Annotations[annComputedDigest] == "true" {
			diffID = diffIDs[i]
		}
		if err := w.layer(ctx, i, layers[i], d, diffID, fn); err != nil {
			var le *LayerError
			if errors.As(err, &le) {
				return err
			}
			return &LayerError{Layer: i, Digest: d.Digest, Err: registryError(err)}
		}
		if verified != nil {
			if err := verified(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// annComputedDigest marks a layer descriptor whose digest was computed from the
// bytes when they were opened (a compressed layer of a docker-archive), not given by
// a manifest: it vouches for nothing, and the config's diff_id is checked instead.
const annComputedDigest = "dev.gonative.computed-digest"

// layerDescriptors returns the digest and size of each of img's n layers as its
// manifest gives them, and each one's diff_id as its config gives it; zero where the
// image does not say (the layer is then asked).
func layerDescriptors(img v1.Image, n int) ([]v1.Descriptor, []v1.Hash) {
	descs, diffIDs := make([]v1.Descriptor, n), make([]v1.Hash, n)
	if m, err := img.Manifest(); err == nil && len(m.Layers) == n {
		copy(descs, m.Layers)
	}
	if cf, err := img.ConfigFile(); err == nil && len(cf.RootFS.DiffIDs) == n {
		copy(diffIDs, cf.RootFS.DiffIDs)
	}
	return descs, diffIDs
}

type walker struct {
	seen    map[string]bool // path -> is a directory (present in an upper layer)
	deleted map[string]bool // whited out by an upper layer
	// hiding holds the paths whose descendants upper layers hide: whited out,
	// opaque, or not a directory.
	hiding *ptrie
}

// ptrie is a set of paths by component, so that whether one of a path's ancestors is
// in it takes time linear in the path's length (a map of whole paths would hash every
// ancestor: quadratic in a deep path).
type ptrie struct {
	kids  map[string]*ptrie
	hides bool
}

// add puts p ("/a/b") in the set.
func (t *ptrie) add(p string) {
	n := t
	for c := range strings.SplitSeq(strings.Trim(p, "/"), "/") {
		if c == "" {
			continue
		}
		k := n.kids[c]
		if k == nil {
			if n.kids == nil {
				n.kids = map[string]*ptrie{}
			}
			k = &ptrie{}
			n.kids[c] = k
		}
		n = k
	}
	n.hides = true
}

// hidesAncestor reports whether a proper ancestor of p (or "/") is in the set.
func (t *ptrie) hidesAncestor(p string) bool {
	n := t
	rest := strings.Trim(p, "/")
	for {
		if n.hides {
			return true
		}
		c, more, ok := strings.Cut(rest, "/")
		if !ok {
			return false // c is p's last component: p itself is not its ancestor
		}
		if n = n.kids[c]; n == nil {
			return false
		}
		rest = more
	}
}

// hidden reports whether p is hidden by an upper layer.
func (w *walker) hidden(p string) bool {
	return w.deleted[p] || w.hiding.hidesAncestor(p)
}

func (w *walker) layer(ctx context.Context, i int, l v1.Layer, d v1.Descriptor, diffID v1.Hash, fn func(*Entry) error) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	ls, err := openLayerStream(rc, d.Digest, d.Size, diffID)
	if err != nil {
		rc.Close()
		return err
	}
	defer ls.Close()
	err = w.entries(ctx, i, ls, fn)
	if err == nil {
		// The blob's end: everything after tar's end-of-archive marker is read and
		// the digests checked before any entry of this layer counts.
		err = ls.finish()
	}
	if err != nil && ctx.Err() == nil {
		// A tar or compression error is most often a blob that is not the one the
		// manifest names: say so when its digest shows it.
		if derr := ls.stored.finish(); derr != nil && errors.Is(derr, ErrCorrupt) {
			return derr
		}
	}
	return err
}

// entries delivers the entries of one layer's tar to fn and, at its end, applies its
// whiteouts to the layers below.
func (w *walker) entries(ctx context.Context, i int, ls *layerStream, fn func(*Entry) error) error {
	tr := tar.NewReader(ls.plain)
	// Whiteouts apply to the layers below this one, not to this one.
	var deleted, opaque []string
	here := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p := cleanPath(h.Name)
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		if base == ".wh..wh..opq" {
			opaque = append(opaque, dir)
			continue
		}
		if name, ok := strings.CutPrefix(base, ".wh."); ok {
			deleted = append(deleted, path.Join(dir, name))
			continue
		}
		if p == "/" || here[p] {
			continue // the root itself; a duplicate in one layer (the first wins)
		}
		if _, ok := w.seen[p]; ok || w.hidden(p) {
			continue
		}
		here[p] = true
		isDir := h.Typeflag == tar.TypeDir
		w.seen[p] = isDir
		if !isDir {
			w.hiding.add(p)
		}
		e := &Entry{Path: p, Type: h.Typeflag, Mode: h.FileInfo().Mode(), Size: h.Size, Linkname: h.Linkname, Layer: i}
		if h.Typeflag == tar.TypeLink {
			e.Linkname, e.RawLinkname = cleanPath(h.Linkname), h.Linkname
		}
		if raw := strings.TrimSuffix(h.Name, "/"); raw != strings.TrimPrefix(p, "/") && raw != "."+p && raw != p {
			e.RawName = h.Name
		}
		if isRegular(h.Typeflag) {
			e.Type = tar.TypeReg
			e.Reader = tr
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	for _, p := range deleted {
		w.deleted[p] = true
		w.hiding.add(p)
	}
	for _, p := range opaque {
		w.hiding.add(p)
	}
	return nil
}

// isRegular reports whether a tar type flag is a regular file's: '0', the old '\x00',
// and the old GNU sparse 'S' (archive/tar reads it as a regular file with holes).
func isRegular(typ byte) bool {
	return typ == tar.TypeReg || typ == tar.TypeRegA || typ == tar.TypeGNUSparse
}

// cleanPath makes a tar member name absolute and clean; ".." cannot climb above "/".
func cleanPath(name string) string {
	return path.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
}
