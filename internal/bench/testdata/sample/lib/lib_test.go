package lib

import (
	"net"
	"testing"
)

func TestSum(t *testing.T) {
	if Sum(Words("a b")) == Sum(Words("b a")) {
		t.Error("order ignored")
	}
}

func BenchmarkSum(b *testing.B) {
	w := Words("the quick brown fox jumps over the lazy dog")
	for b.Loop() {
		Sum(w)
	}
}

func BenchmarkLookupLocalhost(b *testing.B) {
	for b.Loop() {
		if _, err := net.LookupHost("localhost"); err != nil {
			b.Fatal(err)
		}
	}
}
