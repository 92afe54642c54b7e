package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/cli"
	"github.com/gonative/gonative/internal/fixture"
)

// TestLinkSharedGo119 reads a Go shared library and a -linkshared program as Debian's
// Go 1.19 builds them (issue 27.5; no published file of either was found in Debian
// bookworm or npm): the library (fixture.LinkSharedLib: runtime and sync/atomic, with
// runtime/cgo) has Go notes and no build info; the program has a pclntab of its own
// packages and imports the runtime from that library. inspect calls the library Go
// with its cgo; the
// program's cgo, Go release and CPU level are the library's, so they are null with
// the reason (never false, never the v1 a missing runtime message would suggest),
// and --expect linux/amd64:cgo=0 is unmet. The facts are checked first with
// debug/elf: the library's .note.go.pkg-list lists runtime/cgo, the program needs
// the library (by its file name) and imports runtime.* symbols.
func TestLinkSharedGo119(t *testing.T) {
	prog, lib := fixture.LinkShared(t, fixture.Hello)

	// Ground truth, without gonative's reader.
	lf, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := lf.Section(".note.go.pkg-list")
	if pkgs == nil || lf.Section(".note.go.abihash") == nil || lf.Section(".go.buildinfo") != nil {
		t.Fatalf("%s: want Go notes and no build info", lib)
	}
	b, err := pkgs.Data()
	lf.Close()
	if err != nil || !bytes.Contains(b, []byte("\nruntime/cgo\n")) {
		t.Fatalf("%s: .note.go.pkg-list does not list runtime/cgo (%v)", lib, err)
	}
	pf, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[pf.Machine]
	needed, _ := pf.ImportedLibraries()
	syms, _ := pf.ImportedSymbols()
	pf.Close()
	importsRuntime := false
	for _, s := range syms {
		importsRuntime = importsRuntime || strings.HasPrefix(s.Name, "runtime.")
	}
	if arch == "" || !slices.Contains(needed, filepath.Base(lib)) || !importsRuntime {
		t.Fatalf("%s: needs %q, imports runtime.*: %v", prog, needed, importsRuntime)
	}

	type goInfo struct {
		Version    *string           `json:"version"`
		Cgo        *bool             `json:"cgo"`
		Settings   map[string]string `json:"settings"`
		Sources    map[string]string `json:"sources"`
		LinkShared bool              `json:"linkshared"`
	}
	read := func(path string) (*goInfo, []string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := cli.Run(context.Background(), []string{"inspect", "--json", path}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("inspect --json %s: exit %d: %s", path, code, stderr.String())
		}
		var out struct {
			Slices []struct {
				Go    *goInfo  `json:"go"`
				Notes []string `json:"notes"`
			} `json:"slices"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Slices) != 1 {
			t.Fatalf("inspect --json %s: %v\n%s", path, err, stdout.String())
		}
		return out.Slices[0].Go, out.Slices[0].Notes
	}

	g, _ := read(lib)
	if g == nil {
		t.Fatalf("%s: not Go", filepath.Base(lib))
	}
	if g.Version == nil || !strings.HasPrefix(*g.Version, "go1.19") || g.Cgo == nil || !*g.Cgo || g.LinkShared {
		t.Errorf("%s: version %v cgo %v linkshared %v, want go1.19.x, true, false (sources %q)", filepath.Base(lib), fmtString(g.Version), fmtBool(g.Cgo), g.LinkShared, g.Sources)
	}

	check := func(what string) {
		t.Helper()
		g, notes := read(prog)
		switch {
		case g == nil:
			t.Fatalf("%s: the program is not Go", what)
		case g.Cgo != nil || !strings.Contains(g.Sources["cgo"], "-linkshared"):
			t.Errorf("%s: cgo %s (%q), want null with the -linkshared reason", what, fmtBool(g.Cgo), g.Sources["cgo"])
		case !g.LinkShared || !strings.Contains(strings.Join(notes, "\n"), "-linkshared"):
			t.Errorf("%s: linkshared %v, notes %q", what, g.LinkShared, notes)
		case g.Settings["GOAMD64"] != "":
			t.Errorf("%s: GOAMD64=%s inferred (%q) from a runtime that is not in the file", what, g.Settings["GOAMD64"], g.Sources["GOAMD64"])
		case g.Version != nil && !strings.HasPrefix(*g.Version, "go1.19"):
			t.Errorf("%s: version %s", what, *g.Version)
		}
	}
	check("program alone")

	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"inspect", "--host", "linux/" + arch, "--expect", "linux/" + arch + ":cgo=0", prog}, strings.NewReader(""), &stdout, &stderr)
	if code != 3 || !strings.Contains(stdout.String(), "UNMET") || !strings.Contains(stdout.String(), "unknown") {
		t.Errorf("--expect linux/%s:cgo=0: exit %d, want 3 with UNMET ... unknown:\n%s%s", arch, code, stdout.String(), stderr.String())
	}

	// The library beside the program (and its RUNPATH's copy gone): inspect reads
	// the program's own bytes, so its answer does not change.
	dir := t.TempDir()
	for _, p := range []string{prog, lib} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	prog = filepath.Join(dir, "prog")
	check("library beside the program")
}

// TestCorpusScriptStale: scripts/corpus.sh run on a cache from before issue 25 removes
// what its list no longer names (the file built-go1.19-libstd, its built key, Go 1.19's
// -pkgdir of the whole standard library) and writes a manifest without it, exit 0; and
// it builds again the -linkshared program whose key does not name the library it was
// linked against (one such program, linked against libstd.so, failed CI at stop 38).
// Every registry is unreachable (loopback ports nothing listens on, GOPROXY=off, an
// empty module cache), so nothing is fetched or built: the files are unavailable.
func TestCorpusScriptStale(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	if testing.Short() {
		t.Skip("-short: waits about 20 s for the unreachable registries")
	}
	t.Parallel()
	cache, tmp := t.TempDir(), t.TempDir()
	stale := []string{
		filepath.Join(cache, "files", "built-go1.19-libstd"),
		filepath.Join(cache, "built", "keys", "built-go1.19-libstd"),
		filepath.Join(cache, "built", "golang-1.19-go_1.19.8-2-pkgdir", "libstd.so"),
	}
	for _, p := range stale {
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("old\n"), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	// The program: its manifest line is the list's, its key is from before the
	// library's sum was in it.
	prog := filepath.Join(cache, "files", "built-go1.19-linkshared-tomlv")
	stale = append(stale, prog)
	for p, b := range map[string]string{prog: "old\n", filepath.Join(cache, "built", "keys", filepath.Base(prog)): "golang-1.19-go=1.19.8-2 shared runtime sync/atomic"} {
		if err := os.WriteFile(p, []byte(b), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	manifest := filepath.Join(cache, "manifest.tsv")
	old := "built-go1.19-libstd\tbuilt\tgolang-1.19-go\t1.19.8-2\tlinux-amd64\tgithub.com/BurntSushi/toml@v1.2.1/cmd/tomlv:libstd.so\tf47da2de\n" +
		"built-go1.19-linkshared-tomlv\tbuilt\tgolang-1.19-go\t1.19.8-2\tlinux-amd64\tgithub.com/BurntSushi/toml@v1.2.1/cmd/tomlv\t0123abcd\n"
	if err := os.WriteFile(manifest, []byte(old), 0o666); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "scripts", "corpus.sh"))
	cmd.Env = append(os.Environ(), "GONATIVE_CORPUS="+cache, "HOME="+tmp, "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"GONATIVE_CORPUS_DEBIAN_MIRROR=http://127.0.0.1:9/debian", "npm_config_registry=http://127.0.0.1:9/",
		"GOPROXY=off", "GOFLAGS=-mod=mod", "GOMODCACHE="+filepath.Join(tmp, "mod"), "GOCACHE="+filepath.Join(tmp, "gocache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("corpus.sh: %v\n%s", err, out)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: still there (%v)", p, err)
		}
	}
	m, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(m, []byte("libstd")) {
		t.Errorf("manifest.tsv still names libstd:\n%s", m)
	}
	if !bytes.Contains(out, []byte("built-go1.19-libstd: not in the list: removed")) {
		t.Errorf("corpus.sh does not say it removed built-go1.19-libstd:\n%s", out)
	}
	if !regexp.MustCompile(`built-go1.19-linkshared-tomlv: built by golang-1.19-go=1.19.8-2 shared runtime sync/atomic, now .* linked against none: building it again`).Match(out) {
		t.Errorf("corpus.sh does not say it builds built-go1.19-linkshared-tomlv again (against which library):\n%s", out)
	}
}
