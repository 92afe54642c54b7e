package exe

import (
	"bytes"
	"io"
)

// readCache serves the small reads of one Read (headers, tables, short strings) from a
// few 4 KiB windows of the image, each filled by one read: the head of the file (ELF
// and program headers, interpreter, notes), its end (section headers and their names),
// and the places asked for next (dynamic section, its strings, version needs). An ELF
// file then costs about 3.4 preads instead of 40 (BenchmarkReadTree). Reads larger than
// a window go straight through. It answers the bytes and errors the underlying reader
// would (a short window keeps the error that cut it; TestReadCache and FuzzReadCache
// hold it to that). It is for one goroutine and one Read: Read hands the slices their
// plain reader back when it is done, so nothing keeps the windows.
type readCache struct {
	ra   io.ReaderAt
	size int64
	wins [readCacheWindows]cacheWindow
	next int // window to replace next (round robin, after the head window)
}

// cacheWindow is bytes [base, base+len(b)) of the image; err is the error of the read
// that filled it when that read came up short.
type cacheWindow struct {
	base int64
	b    []byte
	err  error
}

const (
	readCacheHead    = 4 << 10 // bytes of the head window
	readCacheWindow  = 4 << 10 // bytes of the others
	readCacheWindows = 4       // windows: the head of the file and 3 others
)

func newReadCache(ra io.ReaderAt, size int64) *readCache {
	return &readCache{ra: ra, size: size}
}

// ReadAt implements io.ReaderAt.
func (c *readCache) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > readCacheWindow || off < 0 || off >= c.size {
		return c.ra.ReadAt(p, off)
	}
	w := c.window(off, len(p))
	if w == nil {
		return c.ra.ReadAt(p, off)
	}
	n := copy(p, w.b[off-w.base:])
	if n < len(p) {
		return n, w.err
	}
	return n, nil
}

// covers reports whether w answers a read of n bytes at off: it holds them all, or it
// holds what there is before the read that filled it came up short.
func (w *cacheWindow) covers(off int64, n int) bool {
	if w.b == nil || off < w.base || off > w.base+int64(len(w.b)) {
		return false
	}
	return off+int64(n) <= w.base+int64(len(w.b)) || w.err != nil
}

// window returns a window that covers n bytes at off (n at most a window, off
// inside the image), reading one when none does; nil when even a new one does not (the
// image is longer than its size says).
func (c *readCache) window(off int64, n int) *cacheWindow {
	for i := range c.wins {
		if c.wins[i].covers(off, n) {
			return &c.wins[i]
		}
	}
	var w *cacheWindow
	start := off
	size := readCacheWindow
	if off+int64(n) <= readCacheHead {
		// The head: the file header, program headers, interpreter and notes.
		w, start, size = &c.wins[0], 0, readCacheHead
	} else {
		w = &c.wins[1+c.next]
		c.next = (c.next + 1) % (readCacheWindows - 1)
		if start+readCacheWindow > c.size {
			// Near the end (section headers, their names): take the bytes before too.
			start = max(c.size-readCacheWindow, 0)
		}
	}
	c.fill(w, start, size)
	if !w.covers(off, n) {
		return nil
	}
	return w
}

// fill reads w (of size bytes, or the size it was first given) from start.
func (c *readCache) fill(w *cacheWindow, start int64, size int) {
	if w.b == nil {
		w.b = make([]byte, size)
	}
	k, err := c.ra.ReadAt(w.b[:cap(w.b)], start)
	if k < cap(w.b) && err == nil {
		err = io.ErrUnexpectedEOF // a ReaderAt must say why a read is short; be safe
	}
	if k == cap(w.b) {
		err = nil
	}
	w.base, w.b, w.err = start, w.b[:k], err
}

// head returns the first n bytes of the image (fewer when the image is shorter), as
// the cache holds them: the caller must not change them.
func (c *readCache) head(n int64) []byte {
	if n <= 0 {
		return nil
	}
	if n > readCacheHead || n > c.size {
		b := make([]byte, n)
		k, _ := c.ra.ReadAt(b, 0)
		return b[:k]
	}
	w := c.window(0, int(n))
	if w == nil {
		b := make([]byte, n)
		k, _ := c.ra.ReadAt(b, 0)
		return b[:k]
	}
	return w.b[:min(int64(len(w.b)), n)]
}

// cString reads the NUL-terminated string at off of at most max bytes (max at most
// a window) as cString(c.ra, off, max) would, from the windows.
func (c *readCache) cString(off int64, max int) (string, error) {
	if max > readCacheWindow || off < 0 || off >= c.size {
		return cString(c.ra, off, max)
	}
	for range 2 {
		var w *cacheWindow
		for i := range c.wins {
			if c.wins[i].b != nil && off >= c.wins[i].base && off < c.wins[i].base+int64(len(c.wins[i].b)) {
				w = &c.wins[i]
				break
			}
		}
		if w != nil {
			b := w.b[off-w.base:]
			if len(b) > max {
				b = b[:max]
			}
			if i := bytes.IndexByte(b, 0); i >= 0 {
				return string(b[:i]), nil
			}
			if len(b) == max {
				return cString(c.ra, off, max) // too long: let it word the error
			}
			if w.err != nil {
				return cString(c.ra, off, max) // short read: let it word the error
			}
		}
		// Not held, or cut by the window's end: a window starting at off.
		w = &c.wins[1+c.next]
		c.next = (c.next + 1) % (readCacheWindows - 1)
		c.fill(w, off, readCacheWindow)
	}
	return cString(c.ra, off, max)
}
