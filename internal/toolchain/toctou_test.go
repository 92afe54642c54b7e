package toolchain

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
)

// swapper replaces the archive at path with other, as an attacker sharing the
// directory (or owning the file) would between the check and the extraction.
type swapper func(t *testing.T, path string, other []byte)

var swaps = []struct {
	name string
	swap swapper
}{
	// A new file renamed over the path: a new inode.
	{"rename", func(t *testing.T, path string, other []byte) {
		tmp := path + ".evil"
		if err := os.WriteFile(tmp, other, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}},
	// The same inode rewritten: the same descriptor reads the new bytes.
	{"in-place", func(t *testing.T, path string, other []byte) {
		if err := os.WriteFile(path, other, 0o644); err != nil {
			t.Fatal(err)
		}
	}},
}

// evilMark is the file only the swapped-in toolchain holds.
const evilMark = "EVIL"

// checkNotEvil fails t when the swapped-in toolchain was installed; an install must
// either install the checked bytes or fail and install nothing.
func checkNotEvil(t *testing.T, st Store, v string, res InstallResult, err error) {
	t.Helper()
	goroot := st.GOROOT(v)
	if _, serr := os.Lstat(filepath.Join(goroot, evilMark)); serr == nil {
		t.Fatalf("the swapped-in archive was installed (err = %v, verified %q)", err, res.Verified)
	}
	if err != nil {
		if _, serr := os.Lstat(goroot); serr == nil {
			t.Fatalf("install failed (%v) but %s exists", err, goroot)
		}
		t.Logf("refused: %v", err)
		return
	}
	if res.Verified == "" {
		t.Errorf("installed, but not verified: %+v", res)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestInstallFileSwappedAfterCheck is issue 24.3: install --from FILE --sha256 GOOD
// must never install a file swapped in between the check and the extraction.
func TestInstallFileSwappedAfterCheck(t *testing.T) {
	const v = "1.27.3"
	evilHdr := &tar.Header{Name: "go/" + evilMark, Mode: 0o755, Typeflag: tar.TypeDir}
	formats := []struct {
		name      string
		file      string
		good, bad []byte
	}{
		{"tar.gz", "go" + v + "." + here.OS + "-" + here.Arch + ".tar.gz", fakeTarGz(t, v, here), fakeTarGz(t, v, here, evilHdr)},
		{"zip", "go" + v + "." + here.OS + "-" + here.Arch + ".zip", zipOf(t, "go/", map[string]string{
			"bin/go": fakeGo(t, v, here), "VERSION": "go" + v + "\n",
		}), zipOf(t, "go/", map[string]string{
			"bin/go": fakeGo(t, v, here), "VERSION": "go" + v + "\n", evilMark: "evil\n",
		})},
	}
	for _, ft := range formats {
		for _, sw := range swaps {
			t.Run(ft.name+"/"+sw.name, func(t *testing.T) {
				dir := t.TempDir()
				arch := filepath.Join(dir, ft.file)
				if err := os.WriteFile(arch, ft.good, 0o644); err != nil {
					t.Fatal(err)
				}
				st := newStore(t)
				swapped := false
				f := &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st, OnPhase: func(p Phase) {
					if p == PhaseExtracting && !swapped {
						swapped = true
						sw.swap(t, arch, ft.bad)
					}
				}}
				res, err := InstallFile(context.Background(), st, f, arch, sha256Hex(ft.good))
				if !swapped {
					t.Fatalf("the archive was never extracted: %v", err)
				}
				checkNotEvil(t, st, v, res, err)
				if ft.name == "zip" && err != nil {
					t.Errorf("a zip is extracted from its checked private copy, so the install should succeed: %v", err)
				}
				if ft.name == "tar.gz" && sw.name == "rename" && err != nil {
					t.Errorf("the checked descriptor still reads the checked bytes, so the install should succeed: %v", err)
				}
				if ft.name == "tar.gz" && sw.name == "in-place" && !errors.Is(err, ErrChanged) {
					t.Errorf("err = %v, want ErrChanged", err)
				}
			})
		}
	}
}

// TestInstallDownloadSwappedAfterCheck: the download site's archive, checked against
// the index's SHA-256, swapped in the store's downloads directory before extraction.
func TestInstallDownloadSwappedAfterCheck(t *testing.T) {
	const v = "1.27.3"
	good := fakeTarGz(t, v, here)
	bad := fakeTarGz(t, v, here, &tar.Header{Name: "go/" + evilMark, Mode: 0o755, Typeflag: tar.TypeDir})
	for _, sw := range swaps {
		t.Run(sw.name, func(t *testing.T) {
			w := newFakeWorld(t)
			w.addArchive(v, here, good, "")
			st := newStore(t)
			f := w.fetcher(t, st)
			f.Proxies, _ = goenv.ParseGOPROXY("direct")
			swapped := false
			f.OnPhase = func(p Phase) {
				if p == PhaseExtracting && !swapped {
					swapped = true
					sw.swap(t, filepath.Join(st.TmpDir(), "downloads", "go"+v+"."+here.OS+"-"+here.Arch+".tar.gz"), bad)
				}
			}
			res, err := Install(context.Background(), st, f, v, here)
			if !swapped {
				t.Fatalf("the archive was never extracted: %v", err)
			}
			checkNotEvil(t, st, v, res, err)
		})
	}
}

// TestInstallPartialNotFollowed: a symbolic link or a named pipe left at a partial
// download's path is replaced, never written through nor waited on.
func TestInstallPartialNotFollowed(t *testing.T) {
	const v = "1.27.3"
	for _, kind := range []string{"symlink", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			w := newFakeWorld(t)
			w.addArchive(v, here, fakeTarGz(t, v, here), "")
			st := newStore(t)
			f := w.fetcher(t, st)
			f.Proxies, _ = goenv.ParseGOPROXY("direct")
			dl := filepath.Join(st.TmpDir(), "downloads")
			os.MkdirAll(dl, 0o755)
			partial := filepath.Join(dl, "go"+v+"."+here.OS+"-"+here.Arch+".tar.gz.partial")
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte("keep"), 0o644)
			switch kind {
			case "symlink":
				if err := os.Symlink(victim, partial); err != nil {
					t.Skip(err)
				}
			case "fifo":
				if err := mkfifo(partial); err != nil {
					t.Skip(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				_, err := Install(context.Background(), st, f, v, here)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-waitLong():
				t.Fatal("install blocked on the partial download")
			}
			if b, _ := os.ReadFile(victim); string(b) != "keep" {
				t.Errorf("written through the link: victim holds %q", b)
			}
		})
	}
}

// waitLong bounds a step that must not hang; generous for a busy machine.
func waitLong() <-chan time.Time { return time.After(60 * time.Second) }

// TestFIFOsDoNotHang is issue 24.9 for the toolchain manager: a named pipe where a
// file:// proxy's version list or the checksum database's latest signed tree head is
// expected fails the command; it never hangs it.
func TestFIFOsDoNotHang(t *testing.T) {
	t.Run("file-proxy-list", func(t *testing.T) {
		dir := t.TempDir()
		atv := filepath.Join(dir, "golang.org", "toolchain", "@v")
		os.MkdirAll(atv, 0o755)
		if err := mkfifo(filepath.Join(atv, "list")); err != nil {
			t.Skip(err)
		}
		proxies, _ := goenv.ParseGOPROXY("file://" + filepath.ToSlash(dir))
		f := &Fetcher{Proxies: proxies, SumDB: goenv.SumDB{Off: true}, Store: newStore(t)}
		done := make(chan error, 1)
		go func() { _, err := f.Releases(context.Background()); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Error("a named pipe read as a version list")
			}
		case <-waitLong():
			t.Fatal("Releases hung on a named pipe")
		}
	})
	t.Run("sumdb-latest", func(t *testing.T) {
		w := newFakeWorld(t)
		w.addToolchain("1.27.3", here)
		st := newStore(t)
		f := w.fetcher(t, st)
		latest := filepath.Join(st.Root, "sumdb", "config", w.dbName, "latest")
		os.MkdirAll(filepath.Dir(latest), 0o755)
		if err := mkfifo(latest); err != nil {
			t.Skip(err)
		}
		done := make(chan error, 1)
		go func() { _, err := Install(context.Background(), st, f, "1.27.3", here); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Error("installed although the checksum database's state is a named pipe")
			}
		case <-waitLong():
			t.Fatal("install hung on a named pipe in the checksum database's state")
		}
	})
}

// TestWhichFIFOPin: a named pipe called .go-version, go.mod or go.work (in a cloned
// repository) never hangs Which, which the shell hook runs on every cd.
func TestWhichFIFOPin(t *testing.T) {
	for _, name := range []string{ByGoVersion, ".tool-versions", "go.mod", "go.work"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := mkfifo(filepath.Join(dir, name)); err != nil {
				t.Skip(err)
			}
			in := WhichInput{Dir: dir, Machine: onReal(nil, nil), Store: newStore(t)}
			done := make(chan struct{})
			go func() { Which(in); close(done) }()
			select {
			case <-done:
			case <-waitLong():
				t.Fatalf("Which hung on a named pipe called %s", name)
			}
		})
	}
	if _, err := ReadInput(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadInput of a missing file: %v, want fs.ErrNotExist", err)
	}
	// A directory called go.mod is stepped over, as with os.ReadFile: the go.mod
	// above it is found.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module m\n\ngo 1.21\n\ntoolchain go1.27.3\n"), 0o644)
	sub := filepath.Join(dir, "sub")
	os.MkdirAll(filepath.Join(sub, "go.mod"), 0o755)
	for _, read := range []func(string) ([]byte, error){os.ReadFile, ReadInput} {
		m, err := goenv.FindModFile(sub, "", read)
		if err != nil || m.File != filepath.Join(dir, "go.mod") {
			t.Errorf("FindModFile past a directory called go.mod = %+v, %v", m, err)
		}
	}
}

// TestInstallUnverifiedRecordsExtractedHash: an unverified install's recorded hash is
// that of the bytes it extracted, even when the file is rewritten right after.
func TestInstallUnverifiedRecordsExtractedHash(t *testing.T) {
	const v = "1.27.3"
	good := fakeTarGz(t, v, here)
	bad := fakeTarGz(t, v, here, &tar.Header{Name: "go/" + evilMark, Mode: 0o755, Typeflag: tar.TypeDir})
	arch := filepath.Join(t.TempDir(), "go"+v+"."+here.OS+"-"+here.Arch+".tar.gz")
	if err := os.WriteFile(arch, good, 0o644); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	f := &Fetcher{SumDB: goenv.SumDB{Off: true}, Store: st, OnPhase: func(p Phase) {
		if p == PhaseVerifying { // entered once extraction is done
			swaps[1].swap(t, arch, bad)
		}
	}}
	res, err := InstallFile(context.Background(), st, f, arch, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + sha256Hex(good); res.Hash != want {
		t.Errorf("recorded hash %s, want %s (the bytes extracted)", res.Hash, want)
	}
}
