package exe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkReadCache replays reads (offset, length pairs from ops; an odd length asks
// cString) on a readCache over data and on data itself, and fails when any answer
// differs: the cache must be invisible. size is what the cache is told the image's
// size is (Read's callers may give less or more than there is).
func checkReadCache(t *testing.T, data []byte, size int64, ops []byte) {
	t.Helper()
	plain := bytes.NewReader(data)
	c := newReadCache(plain, size)
	for len(ops) >= 6 {
		off := int64(binary.LittleEndian.Uint32(ops)) % (size + 2*readCacheHead + 1)
		n := int(binary.LittleEndian.Uint16(ops[4:])) % (readCacheHead + readCacheWindow)
		ops = ops[6:]
		if n%2 == 1 {
			max := n%readCacheWindow + 1
			got, gotErr := c.cString(off, max)
			want, wantErr := cString(plain, off, max)
			if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("cString(%d, %d) = %q, %v; the reader says %q, %v", off, max, got, gotErr, want, wantErr)
			}
			continue
		}
		got, want := make([]byte, n), make([]byte, n)
		gn, gotErr := c.ReadAt(got, off)
		wn, wantErr := plain.ReadAt(want, off)
		if gn != wn || !bytes.Equal(got[:gn], want[:wn]) || gotErr != wantErr {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; the reader says %d, %v", n, off, gn, gotErr, wn, wantErr)
		}
	}
	if b, want := c.head(min(size, 4096)), data[:min(int64(len(data)), size, 4096)]; size > 0 && !bytes.Equal(b, want) {
		t.Fatalf("head(%d) = %d bytes, want %d", min(size, 4096), len(b), len(want))
	}
}

func TestReadCache(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 100, readCacheWindow - 1, readCacheHead, readCacheHead + 1, 3*readCacheHead + 17, 100 << 10} {
		data := make([]byte, n)
		for i := range data {
			if r.IntN(8) == 0 {
				data[i] = 0 // strings end often
			} else {
				data[i] = byte('a' + r.IntN(26))
			}
		}
		for _, size := range []int64{int64(n), int64(n) / 2, int64(n) + 5000} {
			if size == 0 {
				continue
			}
			ops := make([]byte, 6*400)
			for i := range ops {
				ops[i] = byte(r.Uint32())
			}
			t.Run(fmt.Sprintf("len%d-size%d", n, size), func(t *testing.T) { checkReadCache(t, data, size, ops) })
		}
	}
}

// FuzzReadCache checks that reads through the cache answer what the reader answers.
func FuzzReadCache(f *testing.F) {
	f.Add(bytes.Repeat([]byte("abc\x00"), 5000), int64(20000), []byte("\x00\x00\x00\x00\x10\x00\xf0\x4f\x00\x00\x11\x00"))
	f.Add([]byte("\x7fELF"), int64(4), []byte("\x00\x00\x00\x00\x08\x00"))
	f.Fuzz(func(t *testing.T, data []byte, size int64, ops []byte) {
		if size <= 0 || size > 1<<20 {
			return
		}
		checkReadCache(t, data, size, ops)
	})
}
