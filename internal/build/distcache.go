package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
)

// CacheDir returns the directory build keeps its caches in: $GONATIVE_CACHE/build,
// else gonative/build in the user cache directory.
func CacheDir(getenv func(string) string) (string, error) {
	if d := getenv("GONATIVE_CACHE"); d != "" {
		return filepath.Join(d, "build"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set GONATIVE_CACHE): %w", err)
	}
	return filepath.Join(d, "gonative", "build"), nil
}

// maxDistList bounds a cached `go tool dist list`: Go 1.26 prints about 50 lines.
const maxDistList = 64 << 10

// errNoToolchainKey is returned when a toolchain cannot be told apart from another.
var errNoToolchainKey = errors.New("the toolchain cannot be identified")

// toolchainKey identifies the toolchain in goroot for the cache of `go tool dist
// list`: the go command run (o.Go on the machine's PATH), the toolchain's directory,
// its VERSION file (the release and its date), its go command
// (which answers the question itself from a table compiled into it, Go 1.24 and
// later) and the dist program of older toolchains (pkg/tool/*/dist) or the sources of
// the table (src/cmd/dist), each file by size, modification time and, where there is
// one, device and inode. A rebuilt, edited or reinstalled toolchain changes one of
// them, so its list is asked again. A toolchain without a VERSION file (built from a
// git checkout) has no key: never cached.
func toolchainKey(o Options, goroot string) (string, error) {
	if goroot == "" || !filepath.IsAbs(goroot) {
		return "", errNoToolchainKey
	}
	version, err := o.Machine.ReadFile(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoToolchainKey, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "gonative go tool dist list 2\n%q\n%q\n", goroot, version)
	stat := func(rel string) bool {
		fi, err := o.Machine.Stat(filepath.Join(goroot, rel))
		if err != nil || !fi.Mode().IsRegular() {
			return false
		}
		fmt.Fprintf(h, "%q %d %d %s\n", filepath.ToSlash(rel), fi.Size(), fi.ModTime().UnixNano(), fileID(fi))
		return true
	}
	goExe := filepath.Join("bin", "go")
	if !stat(goExe) && !stat(goExe+".exe") {
		return "", fmt.Errorf("%w: no bin/go in %s", errNoToolchainKey, goroot)
	}
	// The go command run (o.Go, found on the machine's PATH) may be another program
	// in front of GOROOT's: a wrapper, a shim.
	run, err := o.Machine.LookPath(o.Go)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoToolchainKey, err)
	}
	fi, err := o.Machine.Stat(run)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoToolchainKey, err)
	}
	fmt.Fprintf(h, "run %q %d %d %s\n", run, fi.Size(), fi.ModTime().UnixNano(), fileID(fi))
	answers := 0
	for _, dir := range []string{filepath.Join("pkg", "tool"), filepath.Join("src", "cmd", "dist")} {
		ents, err := o.Machine.ReadDir(filepath.Join(goroot, dir))
		if err != nil {
			continue
		}
		for _, e := range ents {
			switch {
			case dir != filepath.Join("src", "cmd", "dist"): // pkg/tool/GOOS_GOARCH
				if stat(filepath.Join(dir, e.Name(), "dist")) || stat(filepath.Join(dir, e.Name(), "dist.exe")) {
					answers++
				}
			case strings.HasSuffix(e.Name(), ".go"):
				if stat(filepath.Join(dir, e.Name())) {
					answers++
				}
			}
		}
	}
	if answers == 0 {
		return "", fmt.Errorf("%w: neither pkg/tool/*/dist nor src/cmd/dist in %s", errNoToolchainKey, goroot)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// distCache keeps the answer of `go tool dist list` per toolchain (toolchainKey) in
// dir, one file per key holding the go command's output.
type distCache struct{ dir string }

// name is the cache file of key.
func (c distCache) name(key string) string { return "dist-list-" + key }

// get returns the cached list of key; ok is false when there is none, or what is
// there is not such a list (it is then asked again and replaced).
func (c distCache) get(key string) ([]Target, bool) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, false
	}
	defer root.Close()
	f, fi, err := atomicfile.OpenInputIn(root, c.name(key))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if fi.Size() > maxDistList {
		return nil, false
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
	if err != nil {
		return nil, false
	}
	return parseDistList(b)
}

// put stores out, go tool dist list's output, as the list of key. Errors are not the
// build's: the list is asked again next time.
func (c distCache) put(key string, out []byte) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return
	}
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return
	}
	defer root.Close()
	atomicfile.WriteFileIn(root, c.name(key), out, 0o644)
}

// parseDistList reads `go tool dist list`'s output: one os/arch a line. ok is false
// for anything else, or no platform at all.
func parseDistList(b []byte) (ts []Target, ok bool) {
	for _, l := range strings.Fields(string(b)) {
		os, arch, found := strings.Cut(l, "/")
		if !found || !nameRE().MatchString(os) || !nameRE().MatchString(arch) {
			return nil, false
		}
		ts = append(ts, Target{os, arch})
	}
	return ts, len(ts) > 0
}
