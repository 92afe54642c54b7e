package exe

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/fixture"
)

// treeRoots are the trees BenchmarkReadTree reads, as `gonative inspect` does in the
// project's issue 13: the Go toolchain's tools, the system's programs and C libraries,
// and the real-world corpus of scripts/corpus.sh (Go binaries for every OS, Mach-O
// and PE files from npm and Debian).
func treeRoots(tb testing.TB) []string {
	cache, _ := os.UserCacheDir()
	roots := []string{
		filepath.Join(fixture.GOROOT(tb), "pkg", "tool"),
		"/usr/bin",
		filepath.Join(cache, "gonative", "corpus", "files"),
	}
	libs, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/*.so*")
	return append(roots, libs...)
}

// treeFiles lists the regular files under the roots (find ROOTS -type f | sort -u:
// symbolic links, also as roots, are not followed).
func treeFiles(tb testing.TB) []string {
	var files []string
	for _, root := range treeRoots(tb) {
		if _, err := os.Lstat(root); err != nil {
			tb.Logf("skipping %s: %v (the corpus comes from scripts/corpus.sh)", root, err)
			continue
		}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// countingReaderAt counts the ReadAt calls (one pread each on an *os.File) and bytes.
type countingReaderAt struct {
	ra           io.ReaderAt
	calls, bytes int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	c.bytes += int64(len(p))
	return c.ra.ReadAt(p, off)
}

// BenchmarkReadTree runs Read on every file of the tree (about 1,400 files and 1.5 GB
// on the Debian development machine: Go tools, /usr/bin, the C libraries and the
// corpus), once with the default options and once with Deps, as a whole and per
// format. It reports files/s, MB/s, the process CPU time per pass (garbage collection
// included) and the ReadAt calls (preads) per file. The files are opened beforehand
// (about 1,400 descriptors).
func BenchmarkReadTree(b *testing.B) {
	files := treeFiles(b)
	if len(files) == 0 {
		b.Skip("none of the trees exists (see treeRoots)")
	}
	type entry struct {
		path   string
		size   int64
		format Format
	}
	var all []entry
	byFormat := map[Format][]entry{}
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue // unreadable (permissions): not part of the measure
		}
		file := Read(context.Background(), f, st.Size(), Options{HeadersOnly: true})
		f.Close()
		e := entry{p, st.Size(), file.Format}
		all = append(all, e)
		byFormat[e.format] = append(byFormat[e.format], e)
	}
	run := func(b *testing.B, set []entry, opts Options) {
		// The files are opened once, outside the measure: opening is not Read's.
		var open []*os.File
		var opened []entry
		for _, e := range set {
			f, err := os.Open(e.path)
			if err != nil {
				b.Logf("left out: %v (too many open files? raise ulimit -n)", err)
				continue
			}
			defer f.Close()
			open, opened = append(open, f), append(opened, e)
		}
		set = opened
		var total int64
		for _, e := range set {
			total += e.size
		}
		b.ReportAllocs()
		var calls, read int64
		var cpu time.Duration
		start := time.Now()
		for b.Loop() {
			c0 := fixture.CPUTime()
			for i, e := range set {
				c := &countingReaderAt{ra: open[i]}
				Read(context.Background(), c, e.size, opts)
				calls += c.calls
				read += c.bytes
			}
			cpu += fixture.CPUTime() - c0
		}
		el := time.Since(start).Seconds()
		n := float64(b.N)
		b.ReportMetric(float64(len(set))*n/el, "files/s")
		b.ReportMetric(float64(total)*n/el/1e6, "MB/s")
		b.ReportMetric(cpu.Seconds()/n, "cpu-s/op")
		b.ReportMetric(float64(calls)/n/float64(len(set)), "preads/file")
		b.ReportMetric(float64(read)/n/float64(len(set))/1024, "KiB-read/file")
	}
	for _, o := range []struct {
		name string
		opts Options
	}{{"default", Options{}}, {"deps", Options{Deps: true}}} {
		b.Run(o.name, func(b *testing.B) {
			b.Run("all", func(b *testing.B) { run(b, all, o.opts) })
			for _, f := range []Format{FormatELF, FormatMachO, FormatMachOFat, FormatPE, FormatUnknown} {
				if set := byFormat[f]; len(set) > 0 {
					b.Run(string(f), func(b *testing.B) { run(b, set, o.opts) })
				}
			}
		})
	}
}
