package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
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
	dpkgIndexHeader = "gonative dpkg-libraries 2 "
)

// dpkgIndex returns the library paths that dpkg's file lists own: from the cache
// directory's index when it matches dpkg's current state, else from the lists
// themselves (about 850 files, 8 MB, on a desktop Debian: 13 ms), which then
// refresh the index.
func (l *Libraries) dpkgIndex() (*pathSet, error) {
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
// another state than stamp, not sorted, not a regular file (a named pipe must not
// hang inspect) or not this user's own (another user sharing the cache directory
// must not decide which libraries count as the system's).
func readDpkgIndex(path, stamp string) (*pathSet, bool) {
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
	return parsePathSet(body)
}

// writeDpkgIndex writes the index through a temporary file and a rename, so that a
// concurrent run reads the old index or the new one. Errors are ignored: the index
// is an optimisation.
func writeDpkgIndex(path, stamp string, owned *pathSet) {
	var b bytes.Buffer
	b.WriteString(dpkgIndexHeader + stamp + "\n")
	b.Write(owned.lines)
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

// pathSet is a set of library paths as the dpkg index keeps them: in their merged-/usr
// form (canonPath), sorted, each on its own line. A lookup is a binary search of the
// lines, so a run that reads the index builds nothing from it but where its lines
// start (a map of its ~3,000 paths took a tenth of the start-up of inspect).
type pathSet struct {
	lines []byte  // the paths, each ended by a newline
	at    []int32 // where each line starts
}

// canonPath returns p in the form a pathSet keeps: with merged /usr (Debian since
// 12), /lib is a link to /usr/lib and a package lists the path it ships under either
// name, so "/usr/lib/x" and "/lib/x" are both kept and looked up as "/lib/x".
func canonPath(p string) string {
	if strings.HasPrefix(p, "/usr/") {
		return p[len("/usr"):]
	}
	return p
}

// newPathSet returns the set of paths (none holds a newline), in their canonPath
// form.
func newPathSet(paths []string) *pathSet {
	c := make([]string, 0, len(paths))
	for _, p := range paths {
		c = append(c, canonPath(p))
	}
	c = slices.Compact(slices.Sorted(slices.Values(c)))
	s := &pathSet{lines: []byte{}, at: make([]int32, 0, len(c))}
	for _, p := range c {
		s.at = append(s.at, int32(len(s.lines)))
		s.lines = append(append(s.lines, p...), '\n')
	}
	return s
}

// parsePathSet returns the set whose lines are b; false unless they are a set as
// newPathSet writes them: in strictly increasing order, not empty, each ended by a
// newline, in canonPath form.
func parsePathSet(b []byte) (*pathSet, bool) {
	if len(b) > math.MaxInt32 {
		return nil, false
	}
	s := &pathSet{lines: b, at: make([]int32, 0, len(b)/48)}
	var prev []byte
	for off := 0; off < len(b); {
		n := bytes.IndexByte(b[off:], '\n')
		line := b[off : off+max(n, 0)]
		if n <= 0 || prev != nil && bytes.Compare(prev, line) >= 0 || bytes.HasPrefix(line, []byte("/usr/")) {
			return nil, false
		}
		s.at = append(s.at, int32(off))
		prev, off = line, off+n+1
	}
	return s, true
}

// line returns line i of s, without its newline.
func (s *pathSet) line(i int) []byte {
	end := len(s.lines)
	if i+1 < len(s.at) {
		end = int(s.at[i+1])
	}
	return s.lines[s.at[i] : end-1]
}

// has reports whether the set holds p (in either of its merged-/usr forms).
func (s *pathSet) has(p string) bool {
	p = canonPath(p)
	// Compared as strings without a copy (the conversion of a comparison's operand
	// allocates nothing).
	i := sort.Search(len(s.at), func(i int) bool { return string(s.line(i)) >= p })
	return i < len(s.at) && string(s.line(i)) == p
}

// errNoDpkg is returned where dpkg keeps no file lists.
var errNoDpkg = errors.New("no dpkg file lists")

// readDpkgLists reads every file list in /var/lib/dpkg/info, a few at a time, and
// keeps the paths of shared libraries in library directories.
func (l *Libraries) readDpkgLists() (*pathSet, error) {
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
	var owned []string
	for _, part := range parts {
		for _, p := range part {
			if !strings.Contains(p, "\n") {
				owned = append(owned, p)
			}
		}
	}
	return newPathSet(owned), nil
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
	// Read into a buffer of the file's size (and a little more, should it have grown
	// since the stat): no growth by doubling, whose copies were half of the bytes a
	// cached inspect run allocated for the index.
	var b bytes.Buffer
	b.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := b.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	if int64(b.Len()) > limit {
		return nil, atomicfile.ErrTooLarge
	}
	return b.Bytes(), nil
}
