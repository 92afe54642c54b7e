package toolchain

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
)

// tarGzOf builds a .tar.gz from headers; regular files' bodies come from bodies.
func tarGzOf(t testing.TB, hs []*tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range hs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(bodies[h.Name]))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(bodies[h.Name]))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// linkChainTarGz is the escape from issue 9: go/x/up → "..", then through it twenty
// levels deep a link esc → "../../..", then a regular file beneath esc. Each link's
// target is local to the link's own name, but the OS resolves the earlier links.
func linkChainTarGz(t testing.TB, levels int) []byte {
	hs := []*tar.Header{
		{Name: "go/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "go/x/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "go/x/up", Typeflag: tar.TypeSymlink, Linkname: ".."},
	}
	deep := "go/" + strings.Repeat("x/up/", levels)
	hs = append(hs,
		&tar.Header{Name: deep + "esc", Typeflag: tar.TypeSymlink, Linkname: "../../.."},
		&tar.Header{Name: deep + "esc/tmp/anywhere/file", Typeflag: tar.TypeReg, Mode: 0o644},
	)
	return tarGzOf(t, hs, map[string]string{deep + "esc/tmp/anywhere/file": "pwned\n"})
}

// outsideStage walks parent (not following links) and returns every path that is
// neither stage, a directory on the way to it, nor beneath it, except the names in
// allowed; and every symbolic link beneath stage that resolves outside it.
func outsideStage(t testing.TB, parent, stage string, allowed ...string) []string {
	t.Helper()
	var bad []string
	realStage, err := filepath.EvalSymlinks(stage)
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			bad = append(bad, p+": "+err.Error())
			return nil
		}
		for _, a := range allowed {
			if p == a {
				return nil
			}
		}
		rel, _ := filepath.Rel(stage, p)
		inside := filepath.IsLocal(rel) || rel == "."
		if !inside && !strings.HasPrefix(stage, p+string(filepath.Separator)) && p != parent {
			bad = append(bad, p)
		}
		if inside && d.Type()&fs.ModeSymlink != 0 {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				if rr, _ := filepath.Rel(realStage, r); !filepath.IsLocal(rr) && rr != "." {
					bad = append(bad, p+" → "+r)
				}
			}
		}
		return nil
	})
	return bad
}

func TestExtractLinkChainEscape(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	parent := t.TempDir()
	stage := filepath.Join(parent, "a", "b", "c", "stage")
	os.MkdirAll(stage, 0o755)
	arch := filepath.Join(parent, "chain.tar.gz")
	os.WriteFile(arch, linkChainTarGz(t, 20), 0o644)
	_, err := extractArchive(context.Background(), arch, "tar.gz", stage)
	if err == nil || !strings.Contains(err.Error(), "beneath the symbolic link") {
		t.Errorf("link chain: err = %v, want refused beneath a symbolic link", err)
	}
	if bad := outsideStage(t, parent, stage, arch); len(bad) > 0 {
		t.Fatalf("written outside the staging directory: %q", bad)
	}
	// The OS-enforced root holds even with the name checks bypassed: write the chain
	// by hand through extractTarGz's own root and try the escape.
	root, _ := os.OpenRoot(stage)
	defer root.Close()
	if _, err := root.OpenFile("x/up/../../evil", os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		t.Error("os.Root let a path escape")
	}
}

// TestInstallFileLinkChainWrongSHA256 is the report of issue 9: with a wrong
// --sha256, gonative said "checksum mismatch ... nothing was installed" and the file
// outside GONATIVE_HOME existed. The checksum is now checked before extraction.
func TestInstallFileLinkChainWrongSHA256(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	parent := t.TempDir()
	st := Store{Root: filepath.Join(parent, "home")}
	arch := filepath.Join(parent, "in", "go1.27.3."+here.OS+"-"+here.Arch+".tar.gz")
	os.MkdirAll(filepath.Dir(arch), 0o755)
	os.WriteFile(arch, linkChainTarGz(t, 20), 0o644)
	var phases []Phase
	f := &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st, OnPhase: func(p Phase) { phases = append(phases, p) }}
	_, err := InstallFile(context.Background(), st, f, arch, strings.Repeat("0", 64))
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("err = %v, want a mismatch", err)
	}
	if strings.Contains(err.Error(), "deleted") || !strings.Contains(err.Error(), "left in place") {
		t.Errorf("message says the archive was deleted: %v", err)
	}
	if _, err := os.Stat(arch); err != nil {
		t.Errorf("--from archive removed: %v", err)
	}
	for _, p := range phases {
		if p == PhaseExtracting {
			t.Errorf("extracted before the checksum was acted on: phases %v", phases)
		}
	}
	// Nothing anywhere under parent but the store's bookkeeping and the archive.
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if strings.Contains(p, "anywhere") || strings.HasSuffix(p, "esc") {
			t.Errorf("extracted: %s", p)
		}
		return nil
	})
	// Without --sha256 the archive is extracted and refused.
	_, err = InstallFile(context.Background(), st, f, arch, "")
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("unverified link chain: err = %v", err)
	}
	if bad := outsideStage(t, parent, st.TmpDir(), arch, filepath.Dir(arch), filepath.Join(st.Root, "locks"), filepath.Join(st.Root, "locks", "go1.27.3.lock")); len(bad) > 0 {
		t.Fatalf("written outside the staging area: %q", bad)
	}
}

func TestExtractLinksResolveInside(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for name, hs := range map[string][]*tar.Header{
		// Each target is local to its own link, but x/up/.. is the parent of go/.
		"combined": {
			{Name: "go/x/up", Typeflag: tar.TypeSymlink, Linkname: ".."},
			{Name: "go/l", Typeflag: tar.TypeSymlink, Linkname: "x/up/.."},
		},
		"dangling": {{Name: "go/l", Typeflag: tar.TypeSymlink, Linkname: "nothing"}},
		"empty":    {{Name: "go/l", Typeflag: tar.TypeSymlink, Linkname: ""}},
		"beneath":  {{Name: "go/d", Typeflag: tar.TypeSymlink, Linkname: "bin"}, {Name: "go/d/new", Typeflag: tar.TypeDir}},
		"fifo":     {{Name: "go/p", Typeflag: tar.TypeFifo}},
		"char":     {{Name: "go/c", Typeflag: tar.TypeChar}},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.tar.gz")
		os.WriteFile(p, fakeTarGz(t, "1.27.3", here, hs...), 0o644)
		out := filepath.Join(dir, "out")
		os.Mkdir(out, 0o755)
		_, err := extractArchive(context.Background(), p, "tar.gz", out)
		if err == nil {
			t.Errorf("%s: extracted", name)
			continue
		}
		if strings.Contains(err.Error(), "----") || strings.Contains(err.Error(), "type '") {
			t.Errorf("%s: unreadable message %v", name, err)
		}
	}
}

func TestExtractBounds(t *testing.T) {
	small := limits{bytes: 1 << 20, entries: 50}
	dir := t.TempDir()
	run := func(name, format string, data []byte, lim limits) error {
		p := filepath.Join(dir, name+"."+format)
		os.WriteFile(p, data, 0o644)
		out := filepath.Join(dir, name)
		os.Mkdir(out, 0o755)
		start := time.Now()
		_, err := extractWith(context.Background(), p, format, out, lim)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		var n int64
		filepath.WalkDir(out, func(_ string, d fs.DirEntry, _ error) error {
			if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
				n += fi.Size()
			}
			return nil
		})
		if n > lim.bytes+1 {
			t.Errorf("%s: wrote %d bytes past the bound %d", name, n, lim.bytes)
		}
		return err
	}
	big := strings.Repeat("\x00", 2<<20)
	if err := run("zipbig", "zip", zipOf(t, "go/", map[string]string{"bin/go": big}), small); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("zip over the size bound: %v", err)
	}
	many := map[string]string{}
	for i := range 60 {
		many["f"+strings.Repeat("x", i)] = "x"
	}
	if err := run("zipmany", "zip", zipOf(t, "go/", many), small); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("zip over the entry bound: %v", err)
	}
	var hs []*tar.Header
	bodies := map[string]string{}
	for i := range 3 {
		n := "go/f" + strings.Repeat("x", i)
		hs = append(hs, &tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644})
		bodies[n] = strings.Repeat("\x00", 600<<10)
	}
	if err := run("tarbig", "tar.gz", tarGzOf(t, hs, bodies), small); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("tar over the size bound: %v", err)
	}
	hs = nil
	for i := range 60 {
		hs = append(hs, &tar.Header{Name: "go/d" + strings.Repeat("x", i) + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	if err := run("tarmany", "tar.gz", tarGzOf(t, hs, nil), small); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("tar over the entry bound: %v", err)
	}
	// A zip entry that declares 10 bytes and inflates to 8 MiB: stopped at 11.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "go/bin/go", Method: zip.Deflate, UncompressedSize64: 10, CompressedSize64: 0})
	var defl bytes.Buffer
	fw, _ := flate.NewWriter(&defl, flate.BestCompression)
	fw.Write(bytes.Repeat([]byte{0}, 8<<20))
	fw.Close()
	w.Write(defl.Bytes())
	zw.Close()
	if err := run("ziplies", "zip", buf.Bytes(), defaultLimits); err == nil {
		t.Error("zip with a lying size extracted")
	}
	// The default bound: a zip that declares 4 GiB is refused before anything is written.
	buf.Reset()
	zw = zip.NewWriter(&buf)
	w, _ = zw.CreateRaw(&zip.FileHeader{Name: "go/bin/go", Method: zip.Deflate, UncompressedSize64: 4 << 30, CompressedSize64: uint64(defl.Len())})
	w.Write(defl.Bytes())
	zw.Close()
	if err := run("zipbomb", "zip", buf.Bytes(), defaultLimits); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("4 GiB zip: %v", err)
	}
	hs = []*tar.Header{{Name: "go/bin/go", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4 << 30}}
	buf.Reset()
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(hs[0])
	gz.Close()
	if err := run("tarbomb", "tar.gz", buf.Bytes(), defaultLimits); !errors.Is(err, ErrArchiveBound) {
		t.Errorf("4 GiB tar: %v", err)
	}
}

func TestExtractZipMessages(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "go/bin/go"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, "l.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	_, err := extractArchive(context.Background(), p, "zip", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") || strings.Contains(err.Error(), "L---") {
		t.Errorf("zip symlink: %v", err)
	}
}

// TestInstallChecksWhatWasExtracted: a bin/go that is a directory, a zip whose
// directory names another version and platform, a VERSION that disagrees, a bin/go
// for another platform or built by another Go, or a script: all refused before the
// rename (issue 9, item 3).
func TestInstallChecksWhatWasExtracted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake toolchains are built for Unix names")
	}
	other := Platform{"darwin", "arm64"}
	if here == other {
		other = Platform{"linux", "amd64"}
	}
	mv := ModuleVersion("1.27.3", here)
	prefix := ModulePath + "@" + mv + "/"
	for name, tt := range map[string]struct {
		zip  []byte
		want string
	}{
		"bin/go directory": {zipOf(t, prefix, map[string]string{"VERSION": "go1.27.3\n", "bin/go/x": "x"}), "is a directory"},
		"other prefix":     {zipOf(t, ModulePath+"@"+ModuleVersion("1.99.0", other)+"/", map[string]string{"VERSION": "go1.99.0\n", "bin/go": fakeGo(t, "1.99.0", other)}), "holds " + ModulePath + "@v0.0.1-go1.99.0"},
		"VERSION":          {zipOf(t, prefix, map[string]string{"VERSION": "go1.99.0\n", "bin/go": fakeGo(t, "1.27.3", here)}), `says "go1.99.0"`},
		"no VERSION":       {zipOf(t, prefix, map[string]string{"bin/go": fakeGo(t, "1.27.3", here)}), "no readable VERSION"},
		"platform":         {zipOf(t, prefix, map[string]string{"VERSION": "go1.27.3\n", "bin/go": fakeGo(t, "1.27.3", other)}), "not an executable for " + here.String()},
		"built by":         {zipOf(t, prefix, map[string]string{"VERSION": "go1.27.3\n", "bin/go": fakeGo(t, "1.26.1", here)}), "built by go1.26.1"},
		"script":           {zipOf(t, prefix, map[string]string{"VERSION": "go1.27.3\n", "bin/go": fakeGoScript("1.27.3", here)}), "not an executable"},
		"no bin/go":        {zipOf(t, prefix, map[string]string{"VERSION": "go1.27.3\n"}), "no bin/go"},
	} {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			dir := t.TempDir()
			zp := filepath.Join(dir, mv+".zip")
			os.WriteFile(zp, tt.zip, 0o644)
			st := newStore(t)
			f := &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st}
			_, err := InstallFile(context.Background(), st, f, zp, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if list, _ := st.List(); len(list) != 0 {
				t.Errorf("installed: %+v", list)
			}
			if d, _ := st.Default(); d != "" {
				t.Errorf("default = %q", d)
			}
		})
	}
}

func TestInstallUnverifiedRecordsHash(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "go1.27.3."+here.OS+"-"+here.Arch+".tar.gz")
	os.WriteFile(tgz, fakeTarGz(t, "1.27.3", here), 0o644)
	st := newStore(t)
	res, err := InstallFile(context.Background(), st, &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st}, tgz, "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(tgz)
	sum := fmt.Sprintf("%x", sha256.Sum256(body))
	if len(res.Warnings) != 1 || !strings.HasSuffix(res.Warnings[0], "its hash is sha256:"+sum) || res.Hash != "sha256:"+sum {
		t.Errorf("warnings %q, hash %q; want the archive's sha256:%s", res.Warnings, res.Hash, sum)
	}
}

func TestInstallFileFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mkfifo on Windows")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "go1.27.3."+here.OS+"-"+here.Arch+".tar.gz")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	done := make(chan error, 1)
	go func() {
		_, err := InstallFile(context.Background(), st, &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st}, fifo, "")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("err = %v, want a named pipe refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("install --from a named pipe hangs")
	}
}

// fuzzExtract extracts data (format zip or tar.gz) into a staging directory three
// levels down and checks the invariant: nothing exists outside the staging directory
// afterwards (walking the whole parent tree, links not followed), and no link left
// inside it resolves outside it.
func fuzzExtract(t *testing.T, base, format string, data []byte) {
	// One directory per input under base, removed at once (not t.TempDir, whose
	// bookkeeping per input slows fuzzing down).
	parent, err := os.MkdirTemp(base, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer removeAll(parent)
	stage := filepath.Join(parent, "a", "b", "c", "stage", "go")
	os.MkdirAll(stage, 0o755)
	arch := filepath.Join(parent, "archive")
	os.WriteFile(arch, data, 0o644)
	_, err = extractWith(context.Background(), arch, format, stage, limits{bytes: 4 << 20, entries: 1024})
	if bad := outsideStage(t, parent, stage, arch); len(bad) > 0 {
		t.Fatalf("extraction (err %v) left files outside the staging directory: %q", err, bad)
	}
}

// smallToolchain is a toolchain's layout with tiny files: seeds that the fuzzer can
// mutate quickly (a real bin/go is megabytes).
var smallToolchain = map[string]string{"bin/go": "\x7fELF", "bin/gofmt": "#!", "VERSION": "go1.27.3\n", "src/_go.mod": "module std\n", "pkg/tool/linux_amd64/vet": "x"}

func FuzzExtractZip(f *testing.F) {
	f.Add(zipOf(f, ModulePath+"@"+ModuleVersion("1.27.3", linuxAMD64)+"/", smallToolchain))
	f.Add(zipOf(f, "go/", smallToolchain))
	f.Add(zipOf(f, "go/", map[string]string{"../../../../x": "x", "bin/go": "x"}))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtract(t, base, "zip", data) })
}

func FuzzExtractTarGz(f *testing.F) {
	if runtime.GOOS == "windows" {
		f.Skip("symbolic links need privileges on Windows")
	}
	small := func(extra ...*tar.Header) []byte {
		hs := []*tar.Header{{Name: "go/", Typeflag: tar.TypeDir, Mode: 0o755}}
		bodies := map[string]string{}
		for name, body := range smallToolchain {
			hs = append(hs, &tar.Header{Name: "go/" + name, Typeflag: tar.TypeReg, Mode: 0o755})
			bodies["go/"+name] = body
		}
		return tarGzOf(f, append(hs, extra...), bodies)
	}
	f.Add(small())
	f.Add(linkChainTarGz(f, 20))
	f.Add(linkChainTarGz(f, 2))
	f.Add(small(
		&tar.Header{Name: "go/x/up", Typeflag: tar.TypeSymlink, Linkname: ".."},
		&tar.Header{Name: "go/l", Typeflag: tar.TypeSymlink, Linkname: "x/up/.."}))
	f.Add(small(&tar.Header{Name: "go/lib/x", Typeflag: tar.TypeSymlink, Linkname: "../bin/go"}))
	f.Add(small(&tar.Header{Name: "go/lib/d", Typeflag: tar.TypeSymlink, Linkname: "../bin"}, &tar.Header{Name: "go/lib/d/go2", Typeflag: tar.TypeReg}))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtract(t, base, "tar.gz", data) })
}

// TestStoreWritersRefuseNonRegular: `use --local` and the store's default file are
// written through atomicfile, which replaces only regular files (issue 9, item 4).
func TestStoreWritersRefuseNonRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mkfifo on Windows")
	}
	dir := t.TempDir()
	pin := filepath.Join(dir, ByGoVersion)
	if err := mkfifo(pin); err != nil {
		t.Fatal(err)
	}
	if _, err := WritePin(dir, "1.27.3"); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("WritePin over a named pipe: %v", err)
	}
	if fi, _ := os.Lstat(pin); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Error("named pipe replaced")
	}
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	if _, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(st.Root, "default")
	os.Remove(def)
	os.Symlink(filepath.Join(dir, "elsewhere"), def)
	if err := st.SetDefault("1.27.3"); err == nil {
		t.Error("SetDefault replaced a symbolic link")
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); err == nil {
		t.Error("SetDefault wrote through a symbolic link")
	}
}

// TestInstallFileProcKmsg: a file that says it is regular but blocks reads
// (/proc/kmsg) fails the install instead of hanging it with the lock held.
func TestInstallFileProcKmsg(t *testing.T) {
	k, err := os.Open("/proc/kmsg")
	if err != nil {
		t.Skipf("cannot open /proc/kmsg (Linux only, needs root): %v", err)
	}
	k.Close()
	dir := t.TempDir()
	for _, sum := range []string{"", strings.Repeat("0", 64)} {
		link := filepath.Join(dir, "go1.27.3."+here.OS+"-"+here.Arch+".tar.gz")
		os.Remove(link)
		os.Symlink("/proc/kmsg", link)
		st := newStore(t)
		done := make(chan error, 1)
		go func() {
			_, err := InstallFile(context.Background(), st, &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st}, link, sum)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Error("installed /proc/kmsg")
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("install --from /proc/kmsg (--sha256 %q) hangs", sum)
		}
	}
}

// TestInstallBombStopsEarly: a module zip that declares 4 GiB is refused at once,
// from a proxy, without hashing it in full either.
func TestInstallBombStopsEarly(t *testing.T) {
	w := newFakeWorld(t)
	mv := ModuleVersion("1.27.3", here)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var defl bytes.Buffer
	fw, _ := flate.NewWriter(&defl, flate.BestCompression)
	zeros := make([]byte, 64<<20)
	fw.Write(zeros)
	fw.Close()
	sum := crc32.ChecksumIEEE(zeros) // once: 64 times took 20 s under qemu-user
	for i := range 64 {              // 64 × 64 MiB = 4 GiB declared and real
		wr, _ := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("%s@%s/f%d", ModulePath, mv, i), Method: zip.Deflate,
			UncompressedSize64: 64 << 20, CompressedSize64: uint64(defl.Len()), CRC32: sum})
		wr.Write(defl.Bytes())
	}
	zw.Close()
	w.mu.Lock()
	w.zips[mv], w.trusted[mv] = buf.Bytes(), buf.Bytes()
	w.mu.Unlock()
	st := newStore(t)
	start := time.Now()
	_, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	if !errors.Is(err, ErrArchiveBound) {
		t.Errorf("err = %v, want ErrArchiveBound", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("refusing a %d KB zip that inflates to 4 GiB took %v", buf.Len()>>10, d)
	}
	t.Logf("%d KB zip declaring 4 GiB refused in %v", buf.Len()>>10, time.Since(start))
}
