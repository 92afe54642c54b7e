package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/atomicfile"
)

// DpkgIndexFile is the file, in a Libraries' cache directory, that keeps the library
// paths dpkg's file lists own between runs. Its first line names the state of dpkg's
// database it was read from (size and modification time of /var/lib/dpkg/status and
// of the /var/lib/dpkg/info directory, which every install, upgrade and removal
// rewrites), so an index of another state is never used.
const DpkgIndexFile = "dpkg-libraries"

const (
	dpkgStatus      = "/var/lib/dpkg/status"
	dpkgInfo        = "/var/lib/dpkg/info"
	dpkgIndexHeader = "gonative dpkg-libraries 1 "
)

// dpkgIndex returns the library paths that dpkg's file lists own: from the cache
// directory's index when it matches dpkg's current state, else from the lists
// themselves (about 850 files, 8 MB, on a desktop Debian: 13 ms), which then
// refresh the index.
func (l *Libraries) dpkgIndex() (map[string]bool, error) {
	stamp, stable := l.dpkgStamp()
	path := ""
	if l.cacheDir != "" && stamp != "" {
		path = filepath.Join(l.cacheDir, DpkgIndexFile)
		if owned, ok := readDpkgIndex(path, stamp); ok {
			return owned, nil
		}
	}
	owned, err := l.readDpkgLists()
	if err != nil {
		return nil, err
	}
	// Keep the index only when dpkg's state was settled before the lists were read
	// and did not change while they were.
	if path != "" && stable {
		if again, _ := l.dpkgStamp(); again == stamp {
			writeDpkgIndex(path, stamp, owned)
		}
	}
	return owned, nil
}

// dpkgStamp returns the state of dpkg's database, "" when it cannot be told, and
// whether it is settled: unchanged for longer than file systems' time granularity.
func (l *Libraries) dpkgStamp() (string, bool) {
	var b strings.Builder
	stable := true
	recent := l.m.Now().Add(-2 * time.Second)
	for _, p := range []string{dpkgStatus, dpkgInfo} {
		st, err := l.m.Stat(p)
		if err != nil {
			return "", false
		}
		if st.ModTime().After(recent) {
			stable = false
		}
		fmt.Fprintf(&b, "%d:%d ", st.Size(), st.ModTime().UnixNano())
	}
	return strings.TrimSpace(b.String()), stable
}

// readDpkgIndex reads the index at path; false when it is missing, damaged, of
// another state than stamp, not a regular file (a named pipe must not hang inspect)
// or not this user's own (another user sharing the cache directory must not decide
// which libraries count as the system's).
func readDpkgIndex(path, stamp string) (map[string]bool, bool) {
	b, err := readPrivate(path, 64<<20)
	if err != nil {
		return nil, false
	}
	first, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(first) != dpkgIndexHeader+stamp {
		return nil, false
	}
	// The last line is "end": a torn write is never taken for an index.
	body, ok := bytes.CutSuffix(rest, []byte("end\n"))
	if !ok {
		return nil, false
	}
	owned := make(map[string]bool, bytes.Count(body, []byte("\n")))
	for len(body) > 0 {
		line, tail, _ := bytes.Cut(body, []byte("\n"))
		owned[string(line)] = true
		body = tail
	}
	return owned, true
}

// writeDpkgIndex writes the index through a temporary file and a rename, so that a
// concurrent run reads the old index or the new one. Errors are ignored: the index
// is an optimisation.
func writeDpkgIndex(path, stamp string, owned map[string]bool) {
	paths := make([]string, 0, len(owned))
	for p := range owned {
		if !strings.Contains(p, "\n") {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var b bytes.Buffer
	b.WriteString(dpkgIndexHeader + stamp + "\n")
	for _, p := range paths {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	b.WriteString("end\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-dpkg-*")
	if err != nil {
		return
	}
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// errNoDpkg is returned where dpkg keeps no file lists.
var errNoDpkg = errors.New("no dpkg file lists")

// readDpkgLists reads every file list in /var/lib/dpkg/info, a few at a time, and
// keeps the paths of shared libraries in library directories.
func (l *Libraries) readDpkgLists() (map[string]bool, error) {
	entries, err := l.m.ReadDir(dpkgInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoDpkg, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".list") {
			names = append(names, e.Name())
		}
	}
	workers := min(4, runtime.GOMAXPROCS(0), max(len(names), 1))
	parts := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				b, err := l.m.ReadFile(dpkgInfo + "/" + names[i])
				if err != nil {
					continue
				}
				parts[w] = appendLibraryPaths(parts[w], b)
			}
		}()
	}
	wg.Wait()
	owned := map[string]bool{}
	for _, part := range parts {
		for _, p := range part {
			owned[p] = true
		}
	}
	return owned, nil
}

// appendLibraryPaths appends the lines of a dpkg file list that name a shared library
// ("*.so*") in a directory whose path has "/lib" in it. Only the lines with ".so" in
// them are looked at, found by one search of the list: most of a list's lines are
// not libraries (8 MB of lists on the development box take 15 ms line by line,
// TestLibraryPathsMatchLines keeps both ways equal).
func appendLibraryPaths(dst []string, list []byte) []string {
	for {
		i := bytes.Index(list, []byte(".so"))
		if i < 0 {
			return dst
		}
		start := bytes.LastIndexByte(list[:i], '\n') + 1
		line := list[start:]
		list = nil
		if end := bytes.IndexByte(line[i-start:], '\n'); end >= 0 {
			line, list = line[:i-start+end], line[i-start+end+1:]
		}
		if libraryLine(line) {
			dst = append(dst, string(line))
		}
	}
}

// libraryLine is isLibraryPath; a test counts the lines looked at through it.
var libraryLine = isLibraryPath

// isLibraryPath reports whether a line of a dpkg file list names a shared library
// ("*.so*") in a directory whose path has "/lib" in it.
func isLibraryPath(line []byte) bool {
	j := bytes.LastIndexByte(line, '/')
	return j >= 0 && bytes.Contains(line[j:], []byte(".so")) && bytes.Contains(line[:j], []byte("/lib"))
}

// readPrivate reads the file at path through one non-blocking, type-checked open,
// when this user alone may have written it and it holds at most limit bytes.
func readPrivate(path string, limit int64) ([]byte, error) {
	f, fi, err := atomicfile.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := atomicfile.CheckPrivate(fi); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, atomicfile.ErrTooLarge
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
