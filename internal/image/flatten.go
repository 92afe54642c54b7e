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
	Layer    int    // the layer it comes from, 0 = the bottom layer
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
func Walk(ctx context.Context, img v1.Image, fn func(*Entry) error) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	w := walker{
		seen:    map[string]bool{},
		deleted: map[string]bool{},
		opaque:  map[string]bool{},
	}
	for i := len(layers) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		var dig v1.Hash
		dig, _ = layers[i].Digest()
		if err := w.layer(ctx, i, layers[i], fn); err != nil {
			var le *LayerError
			if errors.As(err, &le) {
				return err
			}
			return &LayerError{Layer: i, Digest: dig, Err: err}
		}
	}
	return nil
}

type walker struct {
	seen    map[string]bool // path -> is a directory (present in an upper layer)
	deleted map[string]bool // whited out by an upper layer
	opaque  map[string]bool // opaque directories of upper layers
}

// hidden reports whether p is hidden by an upper layer.
func (w *walker) hidden(p string) bool {
	if w.deleted[p] {
		return true
	}
	for d := path.Dir(p); ; d = path.Dir(d) {
		if w.deleted[d] || w.opaque[d] {
			return true
		}
		if isDir, ok := w.seen[d]; ok && !isDir {
			return true // an upper layer put a file (or symlink) where this directory is
		}
		if d == "/" {
			return false
		}
	}
}

func (w *walker) layer(ctx context.Context, i int, l v1.Layer, fn func(*Entry) error) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	// Whiteouts apply to the layers below this one, not to this one.
	deleted, opaque := map[string]bool{}, map[string]bool{}
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
			opaque[dir] = true
			continue
		}
		if name, ok := strings.CutPrefix(base, ".wh."); ok {
			deleted[path.Join(dir, name)] = true
			continue
		}
		if p == "/" || here[p] {
			continue // the root itself; a duplicate in one layer (the first wins)
		}
		if _, ok := w.seen[p]; ok || w.hidden(p) {
			continue
		}
		here[p] = true
		w.seen[p] = h.Typeflag == tar.TypeDir
		e := &Entry{Path: p, Type: h.Typeflag, Mode: h.FileInfo().Mode(), Size: h.Size, Linkname: h.Linkname, Layer: i}
		if h.Typeflag == tar.TypeLink {
			e.Linkname = cleanPath(h.Linkname)
		}
		if raw := strings.TrimSuffix(h.Name, "/"); raw != strings.TrimPrefix(p, "/") && raw != "."+p && raw != p {
			e.RawName = h.Name
		}
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA {
			e.Type = tar.TypeReg
			e.Reader = tr
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	for p := range deleted {
		w.deleted[p] = true
	}
	for p := range opaque {
		w.opaque[p] = true
	}
	return nil
}

// cleanPath makes a tar member name absolute and clean; ".." cannot climb above "/".
func cleanPath(name string) string {
	return path.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
}
