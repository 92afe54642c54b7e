package inspect

import (
	"bufio"
	"context"
	"os"
	"testing"

	"github.com/gonative/gonative/internal/host"
)

// BenchmarkWalkList inspects the files listed in $GONATIVE_BENCH_LIST (one path a
// line, as bench/inspect.sh passes them on stdin), named as the command names them:
// first (an empty cache), cached (the cache filled) and isa (every slice scanned, no
// cache). It is for profiling a tree with -cpuprofile; without the variable it skips.
func BenchmarkWalkList(b *testing.B) {
	list := os.Getenv("GONATIVE_BENCH_LIST")
	if list == "" {
		b.Skip("GONATIVE_BENCH_LIST names no list of files")
	}
	f, err := os.Open(list)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		paths = append(paths, sc.Text())
	}
	f.Close()
	h, _ := host.Parse("linux/amd64")
	run := func(b *testing.B, opts Options) {
		if err := Walk(context.Background(), paths, opts, func(*Result) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			c, err := OpenCache(b.TempDir(), 0, "bench")
			if err != nil {
				b.Fatal(err)
			}
			run(b, Options{Host: h, Cache: c})
			c.Close()
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := b.TempDir()
		c, _ := OpenCache(dir, 0, "bench")
		run(b, Options{Host: h, Cache: c})
		c.Close()
		for b.Loop() {
			c, err := OpenCache(dir, 0, "bench")
			if err != nil {
				b.Fatal(err)
			}
			run(b, Options{Host: h, Cache: c})
			c.Close()
		}
	})
	b.Run("isa", func(b *testing.B) {
		for b.Loop() {
			run(b, Options{Host: h, Scan: ScanAlways})
		}
	})
}
