package image

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// ErrCorrupt is wrapped by errors about blobs whose size or digest is not the one their
// manifest (or config) gives.
var ErrCorrupt = errors.New("corrupt blob")

// digestReader hashes and counts what is read through it and, at the end of its
// input, checks the count against size (unless size < 0) and the hash against want
// (unless want is zero). The verdict sticks: every later Read returns it again.
type digestReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64
	want v1.Hash
	what string // "its digest", "its uncompressed content"
	err  error  // io.EOF once verified, or the mismatch
}

func newDigestReader(r io.Reader, want v1.Hash, size int64, what string) *digestReader {
	return &digestReader{r: r, h: sha256.New(), size: size, want: want, what: what}
}

func (d *digestReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.size >= 0 && int64(len(p)) > d.size-d.n+1 {
		p = p[:d.size-d.n+1] // one byte more than the size tells a longer blob
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	if d.size >= 0 && d.n > d.size {
		d.err = fmt.Errorf("%w: more than the %d bytes the manifest gives", ErrCorrupt, d.size)
		return 0, d.err
	}
	if err == io.EOF {
		d.err = d.check()
		return n, d.err
	}
	if err != nil {
		d.err = err
	}
	return n, err
}

func (d *digestReader) check() error {
	if d.size >= 0 && d.n != d.size {
		return fmt.Errorf("%w: %d bytes, the manifest gives %d", ErrCorrupt, d.n, d.size)
	}
	if d.want.Hex != "" {
		if d.want.Algorithm != "sha256" {
			return fmt.Errorf("%w: unsupported digest algorithm %q", ErrCorrupt, d.want.Algorithm)
		}
		if got := hex.EncodeToString(d.h.Sum(nil)); got != d.want.Hex {
			return fmt.Errorf("%w: %s is sha256:%s, not %s", ErrCorrupt, d.what, got, d.want)
		}
	}
	return io.EOF
}

// verified reports whether the whole input was read and matched.
func (d *digestReader) verified() bool { return d.err == io.EOF }

// finish reads d to its end and returns nil when it matched.
func (d *digestReader) finish() error {
	if _, err := io.Copy(io.Discard, d); err != nil {
		return err
	}
	if !d.verified() {
		return fmt.Errorf("%w: not read to its end", ErrCorrupt)
	}
	return nil
}

// layerStream is one layer's tar stream, decompressed from its stored bytes, each
// side checked at its end: the stored bytes against the manifest's digest and size,
// the tar against the config's diff_id.
type layerStream struct {
	rc     io.ReadCloser // the stored bytes as the source gives them
	stored *digestReader
	dec    io.Reader // the decompressor over stored (or stored itself)
	closer func()
	plain  *digestReader // the tar stream
}

// Magic numbers of the compressions layers have.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// maxZstdWindow bounds the memory a zstd layer's decoder may take.
const maxZstdWindow = 64 << 20

// openLayerStream opens rc (the stored bytes of a layer whose digest and size are
// want and size; diffID the digest of its tar, zero when unknown).
func openLayerStream(rc io.ReadCloser, want v1.Hash, size int64, diffID v1.Hash) (*layerStream, error) {
	s := &layerStream{rc: rc}
	if v, ok := rc.(*verifyingReader); ok && v.want == want && v.size == size {
		s.stored = v.digestReader // the store checks these already: hash once
	} else {
		s.stored = newDigestReader(rc, want, size, "its digest")
	}
	br := bufio.NewReader(s.stored)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			s.dec = errReader{err} // reported by the first read, beside the digest
			break
		}
		s.dec, s.closer = zr, func() { zr.Close() }
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			s.dec = errReader{err}
			break
		}
		s.dec, s.closer = zr, zr.Close
	default:
		s.dec = br
	}
	s.plain = newDigestReader(s.dec, diffID, -1, "its uncompressed content")
	return s, nil
}

// finish drains the tar stream and the stored bytes to their ends (past tar's
// end-of-archive marker) and returns nil only when both matched.
func (s *layerStream) finish() error {
	if err := s.plain.finish(); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, s.stored); err != nil {
		return err
	}
	if !s.stored.verified() {
		return fmt.Errorf("%w: not read to its end", ErrCorrupt)
	}
	return nil
}

func (s *layerStream) Close() error {
	if s.closer != nil {
		s.closer()
	}
	return s.rc.Close()
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
