package image

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
	"github.com/gonative/gonative/internal/host"
)

// BenchmarkInspect reads a one-platform OCI layout of 16 MiB of incompressible data
// files and a Go binary, as gonative inspect does (ISA scan included); it reports
// the bytes streamed per second.
func BenchmarkInspect(b *testing.B) {
	bin := readFile(b, fixture.Go(b, fixture.Hello, []string{"GOOS=linux", "GOARCH=amd64"}))
	var ents []ent
	for i := range 16 {
		d := make([]byte, 1<<20)
		rand.Read(d)
		ents = append(ents, ent{name: fmt.Sprintf("data/%02d", i), data: string(d)})
	}
	img := handImage(b, amd64, v1.Config{Entrypoint: []string{"/app"}},
		rawLayer(b, ents...), rawLayer(b, ent{name: "app", mode: 0o755, data: string(bin)}))
	ref, _ := layoutOf(b, handIndex([]v1.Platform{amd64}, img))
	o := InspectOptions{Exe: exe.Options{}, Host: host.Host{OS: "linux", Arch: "amd64"}}
	b.SetBytes(int64(16<<20 + len(bin)))
	b.ResetTimer()
	for range b.N {
		n := 0
		_, err := Inspect(context.Background(), ref, o, Emitter{File: func(*File) error { n++; return nil }})
		if err != nil || n != 1 {
			b.Fatalf("%v, %d executables", err, n)
		}
	}
}

// BenchmarkLayer makes the layer of a 5 MiB binary (the first 5 MiB of this test
// executable) afresh, and reuses it from the layer cache.
func BenchmarkLayer(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil || len(data) < 5<<20 {
		b.Skip("the test executable is not 5 MiB")
	}
	files := []tarFile{{name: "/usr/local/bin/app", mode: 0o755, data: data[:5<<20]}}
	mtime := time.Unix(0, 0)
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			if _, err := tarLayer(mtime, files); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reused", func(b *testing.B) {
		o := BuildOptions{Created: mtime, LayerCache: b.TempDir()}
		binaryLayer(o, files)
		for b.Loop() {
			if _, reused, err := binaryLayer(o, files); err != nil || !reused {
				b.Fatal(err, reused)
			}
		}
	})
}
