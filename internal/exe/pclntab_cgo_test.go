package exe

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// containsCgoMarkerNaive is the definition containsCgoMarker implements faster.
func containsCgoMarkerNaive(buf []byte) bool {
	for _, m := range cgoMarkers() {
		if bytes.Contains(buf, m) {
			return true
		}
	}
	return false
}

// cgoMarkerPieces build name tables where markers, near misses and their parts meet.
var cgoMarkerPieces = []string{
	"\x00", "runtime/cgo.", "runtime/", "cgo", "cgo.", "x_cgo_", "_cgo_", "x_", "_", "crosscall2", "crosscall", "2",
	"runtime.cgocall", "main.main", "c", "o", "g", "/", ".",
}

func TestContainsCgoMarker(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"runtime/cgo.x", false}, // at the region start pclnCgo checks m[1:] itself
		{"\x00runtime/cgo.x", true},
		{"a\x00runtime/cgo", false},
		{"\x00x_cgo_init", true},
		{"\x00_cgo_panic", true},
		{"a_cgo_x\x00", false},
		{"\x00crosscall2\x00", true},
		{"\x00crosscall2", false},
		{"x\x00crosscall22\x00", false},
		{"runtime.cgocall\x00runtime.cgoCheck\x00", false},
	} {
		if got := containsCgoMarker([]byte(tt.in)); got != tt.want {
			t.Errorf("containsCgoMarker(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b []byte
		for range r.IntN(12) {
			b = append(b, cgoMarkerPieces[r.IntN(len(cgoMarkerPieces))]...)
		}
		if got, want := containsCgoMarker(b), containsCgoMarkerNaive(b); got != want {
			t.Fatalf("containsCgoMarker(%q) = %v, the markers say %v", b, got, want)
		}
	}
}

// FuzzContainsCgoMarker checks the fast search against bytes.Contains for each marker.
func FuzzContainsCgoMarker(f *testing.F) {
	f.Add([]byte("\x00runtime/cgo.x\x00"))
	f.Add([]byte("x\x00x_cgo_init\x00_cgo_\x00crosscall2\x00"))
	f.Add([]byte("runtime.cgocall\x00crosscall2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := containsCgoMarker(b), containsCgoMarkerNaive(b); got != want {
			t.Fatalf("containsCgoMarker(%q) = %v, the markers say %v", b, got, want)
		}
	})
}

// pclnMagicPositionsNaive is what pclnMagicPositions.find computes, one search per
// magic.
func pclnMagicPositionsNaive(buf []byte) pclnMagicPositions {
	var c pclnMagicPositions
	for k, m := range pclnMagics() {
		for i := 0; ; {
			j := bytes.Index(buf[i:], m)
			if j < 0 {
				break
			}
			c[k] = append(c[k], i+j)
			i += j + 1
		}
	}
	return c
}

func checkPclnMagicPositions(t *testing.T, b []byte) {
	t.Helper()
	var got pclnMagicPositions
	got.find(b)
	want := pclnMagicPositionsNaive(b)
	for k := range want {
		if len(got[k]) != len(want[k]) || !slices.Equal(got[k], want[k]) {
			t.Fatalf("magic %x in %x: positions %v, want %v", pclnMagics()[k], b, got[k], want[k])
		}
	}
}

func TestPclnMagicPositions(t *testing.T) {
	pieces := [][]byte{{0xff}, {0xff, 0xff, 0xff}, {0xf1}, {0xf0}, {0xfa}, {0xfb}, {0}, {0xfe}, {0xf1, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xf0}}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var b []byte
		for range r.IntN(16) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		checkPclnMagicPositions(t, b)
	}
	// The positions are reused: a second buffer forgets the first's.
	var c pclnMagicPositions
	c.find([]byte{0xf1, 0xff, 0xff, 0xff})
	c.find([]byte{0})
	for k := range c {
		if len(c[k]) != 0 {
			t.Errorf("stale positions %v for magic %d", c[k], k)
		}
	}
}

// FuzzPclnMagicPositions checks the one-pass magic search against a search per magic.
func FuzzPclnMagicPositions(f *testing.F) {
	f.Add([]byte("\xf1\xff\xff\xff\xff\xff\xff\xf0\xfb\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) { checkPclnMagicPositions(t, b) })
}
