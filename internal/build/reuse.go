package build

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"

	"github.com/gonative/gonative/internal/atomicfile"
)

// Up-to-date outputs. go build -o FILE does not link again when FILE is already the
// output of the same build (the action ID in its Go build ID says so): a warm build
// whose inputs did not change then costs go's check, not a link. Each output is
// built in a temporary directory, so Build first copies in the earlier output of the
// same name from the reuse directory (Options.ReuseDir, else the output directory),
// and only when its bytes are those that directory's SHA256SUMS records: go build
// trusts the action ID it reads from the file, not its bytes, so a file changed since
// (stripped, packed, cut) is never kept. go build replaces a seed that is not up to
// date (another flag, source, toolchain), as it replaces any earlier file.

// maxSums bounds the SHA256SUMS Build reads: a line per output.
const maxSums = 1 << 20

// sumLine is one line of sha256sum's output: 64 hex digits, two spaces (or a space
// and '*'), a file name.
var sumLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9a-f]{64}) [ *]([^/\\\x00]+)$`) })

// readSums reads dir's SHA256SUMS: file name to sha256 (hex). Missing, too large or
// unreadable: none. Lines that are not sha256sum's are skipped; a name twice counts
// for nothing.
func readSums(dir string) map[string]string {
	f, fi, err := atomicfile.OpenInput(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi.Size() > maxSums {
		return nil
	}
	return parseSums(io.NewSectionReader(f, 0, fi.Size()))
}

// parseSums reads sha256sum's lines from r (see readSums).
func parseSums(r io.Reader) map[string]string {
	sums := map[string]string{}
	twice := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := sumLine().FindStringSubmatch(sc.Text())
		if m == nil || m[2] == "." || m[2] == ".." {
			continue
		}
		if _, ok := sums[m[2]]; ok {
			twice[m[2]] = true
		}
		sums[m[2]] = m[1]
	}
	for n := range twice {
		delete(sums, n)
	}
	return sums
}

// seedOutput copies dir/name to tmpOut when its sha256 is want, and reports whether
// it did; a partial or mismatched copy is removed.
func seedOutput(dir, name, want, tmpOut string) bool {
	if want == "" {
		return false
	}
	src, fi, err := atomicfile.OpenInput(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	defer src.Close()
	dst, err := os.OpenFile(tmpOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return false
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(dst, h), io.NewSectionReader(src, 0, fi.Size()))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil || hex.EncodeToString(h.Sum(nil)) != want {
		os.Remove(tmpOut)
		return false
	}
	return true
}

// sameFile reports whether the file at p is still the one a (from os.Stat before go
// build) describes: go build left an up-to-date output in place (it only sets its
// modification time); a new link is renamed over it, another file. Build also
// checks its bytes (the sha256 verify computes) before it calls it up to date.
func sameFile(a os.FileInfo, p string) bool {
	b, err := os.Stat(p)
	return err == nil && os.SameFile(a, b) && a.Size() == b.Size()
}

// storeReuse copies the outputs of res that were built into dir, for the next
// build's seeds, with a SHA256SUMS that records them beside the earlier entries
// whose files are still there. Its errors are not the build's.
func storeReuse(dir string, res *Result) {
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	sums := readSums(dir)
	if sums == nil {
		sums = map[string]string{}
	}
	for _, o := range res.Outputs {
		name := filepath.Base(o.Path)
		if o.Error != "" || o.SHA256 == "" || name == "SHA256SUMS" {
			continue
		}
		if o.upToDate && sums[name] == o.SHA256 {
			continue // dir/name is the seed, checked against that sum before go build
		}
		delete(sums, name)
		if linkInto(root, o.Path, name) == nil || copyInto(root, o, name) == nil {
			sums[name] = o.SHA256
		}
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		if seedable(root, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&buf, "%s  %s\n", sums[n], n)
	}
	atomicfile.WriteFileIn(root, "SHA256SUMS", buf.Bytes(), 0o644)
}

// linkInto makes name in root a hard link to the file at p, replacing what was
// there: no copy and no sync (a copy of two 8 MB programs took 70-380 ms here,
// synced). The link is made under a fresh random name in root's own directory (by
// its handle, not its path: linkAt) and renamed beneath root. A file changed later
// through either name no longer has its recorded sum, so it is never a seed.
func linkInto(root *os.Root, p, name string) error {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := ".link-" + hex.EncodeToString(rnd[:])
	if err := linkAt(root, p, tmp); err != nil { // another file system, or no linkat
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		return err
	}
	return nil
}

// copyInto writes a copy of output o as name in root, when its bytes still have
// o's sha256.
func copyInto(root *os.Root, o *Output, name string) error {
	b, err := os.ReadFile(o.Path)
	if err != nil {
		return err
	}
	if hex.EncodeToString(sha256Sum(b)) != o.SHA256 {
		return fmt.Errorf("%s changed since it was verified", o.Path)
	}
	return atomicfile.WriteFileIn(root, name, b, 0o755)
}

// seedable reports whether name is a regular file in root.
func seedable(root *os.Root, name string) bool {
	fi, err := root.Lstat(name)
	return err == nil && fi.Mode().IsRegular()
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
