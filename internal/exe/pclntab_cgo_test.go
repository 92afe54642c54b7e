package exe

import (
	"bytes"
	"math/rand/v2"
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
