package toolchain

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/goenv"
	"golang.org/x/mod/sumdb/dirhash"
)

var linuxAMD64 = Platform{"linux", "amd64"}

// here is the platform of the test process, so fake go scripts can run.
var here = Platform{runtime.GOOS, runtime.GOARCH}

func newStore(t testing.TB) Store { return Store{Root: filepath.Join(t.TempDir(), "home")} }

func runGo(t *testing.T, path string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake toolchains are shell scripts")
	}
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestInstallFromProxyVerified(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	res, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified != "checksum database sum.fake.test" || !strings.HasPrefix(res.Hash, "h1:") || !res.Default {
		t.Errorf("result = %+v", res)
	}
	want := "go version go1.27.3 " + here.String()
	if got := runGo(t, filepath.Join(st.BinDir(), "go")); got != want {
		t.Errorf("bin/go version = %q, want %q", got, want)
	}
	if got := runGo(t, filepath.Join(st.BinDir(), "go1.27.3")); got != want {
		t.Errorf("bin/go1.27.3 version = %q", got)
	}
	for _, f := range []string{"bin/gofmt", "pkg/tool/" + here.OS + "_" + here.Arch + "/compile"} {
		fi, err := os.Stat(filepath.Join(res.GOROOT, f))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s not executable: %v %v", f, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(filepath.Join(res.GOROOT, "VERSION")); err != nil || fi.Mode()&0o111 != 0 {
		t.Errorf("VERSION mode %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(res.GOROOT, "src", "go.mod")); err != nil {
		t.Errorf("_go.mod not copied to go.mod: %v", err)
	}
	// Nothing left in tmp.
	if ents, _ := os.ReadDir(filepath.Join(st.TmpDir(), "downloads")); len(ents) != 0 {
		t.Errorf("downloads left: %v", ents)
	}
	// Second install is a no-op.
	res2, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	if err != nil || !res2.Already {
		t.Errorf("reinstall = %+v, %v", res2, err)
	}
}

func TestInstallTamperedRefused(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	mv := ModuleVersion("1.27.3", here)
	evil := zipOf(t, ModulePath+"@"+mv+"/", map[string]string{"bin/go": "#!/bin/sh\necho pwned\n"})
	w.mu.Lock()
	w.zips[mv] = evil
	w.mu.Unlock()
	st := newStore(t)
	_, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("err = %v, want a mismatch", err)
	}
	want, _ := hashZipBytes(fakeModuleZip(t, "1.27.3", here))
	got, _ := hashZipBytes(evil)
	if mm.Want != want || mm.Got != got || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), got) {
		t.Errorf("mismatch %+v; want %s got %s", mm, want, got)
	}
	if list, _ := st.List(); len(list) != 0 {
		t.Errorf("installed after mismatch: %+v", list)
	}
	if ents, _ := os.ReadDir(filepath.Join(st.TmpDir(), "downloads")); len(ents) != 0 {
		t.Errorf("tampered download kept: %v", ents)
	}
	if ents, _ := filepath.Glob(filepath.Join(st.TmpDir(), "stage-*")); len(ents) != 0 {
		t.Errorf("staging left: %v", ents)
	}
}

func TestInstallUnknownToDatabase(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	w.mu.Lock()
	delete(w.trusted, ModuleVersion("1.27.3", here))
	w.mu.Unlock()
	st := newStore(t)
	_, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	if err == nil {
		t.Fatal("installed a toolchain the database does not know")
	}
	if want := "has no record of " + ModulePath + "@" + ModuleVersion("1.27.3", here) + ": refusing to install"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if list, _ := st.List(); len(list) != 0 {
		t.Errorf("installed: %+v", list)
	}
}

func TestInstallSumDBDirect(t *testing.T) {
	// The proxy does not pass the database through: go to GOSUMDB's URL.
	w := newFakeWorld(t)
	w.sumdbOff = true
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	f := w.fetcher(t, st)
	db, err := goenv.ParseGOSUMDB(w.dbKey + " " + w.srv.URL + "/db")
	if err != nil {
		t.Fatal(err)
	}
	f.SumDB = db
	if _, err := Install(context.Background(), st, f, "1.27.3", here); err != nil {
		t.Fatal(err)
	}
}

func TestInstallSumDBOff(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	f := w.fetcher(t, st)
	f.SumDB = goenv.SumDB{Off: true}
	res, err := Install(context.Background(), st, f, "1.27.3", here)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified != "" || len(res.Warnings) == 0 {
		t.Errorf("unverified install not flagged: %+v", res)
	}
}

func TestInstallConcurrentDownloadsOnce(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := w.zipGets.Load(); n != 1 {
		t.Errorf("zip downloaded %d times, want 1", n)
	}
}

func TestInstallResumesPartialDownload(t *testing.T) {
	w := newFakeWorld(t)
	z := w.addToolchain("1.27.3", here)
	st := newStore(t)
	mv := ModuleVersion("1.27.3", here)
	partial := filepath.Join(st.TmpDir(), "downloads", mv+".zip.partial")
	os.MkdirAll(filepath.Dir(partial), 0o755)
	os.WriteFile(partial, z[:len(z)/2], 0o644)
	if _, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here); err != nil {
		t.Fatal(err)
	}
	if len(w.ranges) != 1 || !strings.HasPrefix(w.ranges[0], "bytes=") {
		t.Errorf("Range requests = %q", w.ranges)
	}
}

func TestInstallCrashLeftovers(t *testing.T) {
	// A killed install leaves a staging directory (even a complete-looking one) and a
	// partial download: nothing lists them, and the next install succeeds.
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	stage := filepath.Join(st.TmpDir(), "stage-go1.27.3-123", "go", "bin")
	os.MkdirAll(stage, 0o755)
	os.WriteFile(filepath.Join(stage, "go"), []byte("#!/bin/sh\n"), 0o755)
	os.MkdirAll(st.VersionsDir(), 0o755)
	os.MkdirAll(filepath.Join(st.VersionsDir(), "go1.26.0"), 0o755) // no bin/go: not a toolchain
	if list, _ := st.List(); len(list) != 0 {
		t.Fatalf("leftovers listed: %+v", list)
	}
	if err := st.SetDefault("1.26.0"); err == nil {
		t.Error("use accepted an incomplete toolchain")
	}
	if _, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here); err != nil {
		t.Fatal(err)
	}
	if ents, _ := filepath.Glob(filepath.Join(st.TmpDir(), "stage-go1.27.3-*")); len(ents) != 0 {
		t.Errorf("old staging not cleaned: %v", ents)
	}
}

// TestInstallKill9 kills an installing process (SIGKILL) inside each phase: the
// child stops itself in the phase through Fetcher.OnPhase and says which phase it is
// in; then nothing is listed, and the next install succeeds (resuming a download
// killed half-way).
func TestInstallKill9(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGKILL")
	}
	if os.Getenv("GONATIVE_TEST_CHILD") != "" {
		t.Skip("child")
	}
	w := newFakeWorld(t)
	// A bigger toolchain, so the download takes several reads.
	files := map[string]string{"bin/go": fakeGo(t, "1.27.3", here), "VERSION": "go1.27.3\n"}
	for i := range 300 {
		files[filepath.ToSlash(filepath.Join("src", "pkg", strings.Repeat("d", i%7+1), "f"+string(rune('a'+i%26))+strings.Repeat("x", i%5)+".go"))] = strings.Repeat("x", 20000)
	}
	mv := ModuleVersion("1.27.3", here)
	z := zipOf(t, ModulePath+"@"+mv+"/", files)
	w.mu.Lock()
	w.zips[mv], w.trusted[mv] = z, z
	w.mu.Unlock()
	st := newStore(t)
	for _, phase := range []Phase{PhaseDownloading, PhaseExtracting, PhaseVerifying, PhaseRenaming} {
		mark := filepath.Join(t.TempDir(), "phase")
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
		cmd.Env = append(os.Environ(), "GONATIVE_TEST_CHILD="+st.Root, "GONATIVE_TEST_PROXY="+w.srv.URL+"/proxy",
			"GONATIVE_TEST_KEY="+w.dbKey, "GONATIVE_TEST_STOP="+string(phase), "GONATIVE_TEST_MARK="+mark)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var got []byte
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if got, _ = os.ReadFile(mark); len(got) > 0 {
				break
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if string(got) != string(phase) {
			t.Fatalf("child never stopped in %s (marked %q):\n%s", phase, got, out.String())
		}
		list, err := st.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 0 {
			t.Fatalf("killed while %s: listed %+v", phase, list)
		}
		if d, _ := st.Default(); d != "" {
			t.Fatalf("killed while %s: default %q", phase, d)
		}
		switch phase {
		case PhaseDownloading:
			partial := filepath.Join(st.TmpDir(), "downloads", mv+".zip.partial")
			if fi, err := os.Stat(partial); err != nil || fi.Size() == 0 {
				t.Errorf("killed while downloading: no partial download (%v)", err)
			}
		case PhaseExtracting, PhaseVerifying, PhaseRenaming:
			if m, _ := filepath.Glob(filepath.Join(st.TmpDir(), "stage-go1.27.3-*", "go")); len(m) != 1 {
				t.Errorf("killed while %s: staging directories %v", phase, m)
			}
		}
		t.Logf("killed while %s: nothing listed", phase)
	}
	w.mu.Lock()
	w.ranges = nil
	w.mu.Unlock()
	res, err := Install(context.Background(), st, w.fetcher(t, st), "1.27.3", here)
	if err != nil {
		t.Fatalf("install after kills: %v", err)
	}
	if got := runGo(t, res.Go); !strings.Contains(got, "go1.27.3") {
		t.Errorf("installed go says %q", got)
	}
	if m, _ := filepath.Glob(filepath.Join(st.TmpDir(), "stage-*")); len(m) != 0 {
		t.Errorf("staging left after a good install: %v", m)
	}
}

// TestKillChild is the process TestInstallKill9 kills: it installs, and stops for
// good when it enters the phase GONATIVE_TEST_STOP, after writing the phase's name
// to GONATIVE_TEST_MARK.
func TestKillChild(t *testing.T) {
	root := os.Getenv("GONATIVE_TEST_CHILD")
	if root == "" {
		t.Skip("run by TestInstallKill9")
	}
	proxies, _ := goenv.ParseGOPROXY(os.Getenv("GONATIVE_TEST_PROXY"))
	db, _ := goenv.ParseGOSUMDB(os.Getenv("GONATIVE_TEST_KEY"))
	st := Store{Root: root}
	stop, mark := Phase(os.Getenv("GONATIVE_TEST_STOP")), os.Getenv("GONATIVE_TEST_MARK")
	f := &Fetcher{Proxies: proxies, SumDB: db, Store: st, OnPhase: func(p Phase) {
		if p == stop {
			os.WriteFile(mark, []byte(p), 0o644)
			time.Sleep(time.Hour) // until killed
		}
	}}
	_, err := Install(context.Background(), st, f, "1.27.3", here)
	t.Fatalf("install finished without entering %s: %v", stop, err)
}

func TestInstallFromDownloadSite(t *testing.T) {
	w := newFakeWorld(t)
	w.addArchive("1.27.3", here, fakeTarGz(t, "1.27.3", here), "")
	st := newStore(t)
	f := w.fetcher(t, st)
	f.Proxies, _ = goenv.ParseGOPROXY("direct")
	res, err := Install(context.Background(), st, f, "1.27.3", here)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Hash, "sha256:") || res.Verified == "" {
		t.Errorf("res = %+v", res)
	}
	if got := runGo(t, res.Go); got != "go version go1.27.3 "+here.String() {
		t.Errorf("go version = %q", got)
	}
	// Wrong SHA-256 in the index: refused.
	w.addArchive("1.27.4", here, fakeTarGz(t, "1.27.4", here), strings.Repeat("0", 64))
	_, err = Install(context.Background(), st, f, "1.27.4", here)
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Errorf("bad sha256 accepted: %v", err)
	}
	rels, err := f.Releases(context.Background())
	if err != nil || len(rels) != 2 {
		t.Errorf("Releases = %v, %v", rels, err)
	}
}

func TestInstallNotFound(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.15.15", linuxAMD64)
	st := newStore(t)
	_, err := Install(context.Background(), st, w.fetcher(t, st), "1.15.15", Platform{"darwin", "arm64"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestGOPROXYFallThrough(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	st := newStore(t)
	dead := "http://127.0.0.1:1"
	tests := []struct {
		goproxy string
		ok      bool
	}{
		{w.srv.URL + "/nothing," + w.srv.URL + "/proxy", true}, // 404 falls through ','
		{dead + "," + w.srv.URL + "/proxy", false},             // connection error stops at ','
		{dead + "|" + w.srv.URL + "/proxy", true},              // '|' falls through any error
		{"off", false},
	}
	for _, tt := range tests {
		f := w.fetcher(t, st)
		f.Proxies, _ = goenv.ParseGOPROXY(tt.goproxy)
		_, err := f.Fetch(context.Background(), "1.27.3", here)
		if (err == nil) != tt.ok {
			t.Errorf("GOPROXY=%s: err = %v, want ok=%v", tt.goproxy, err, tt.ok)
		}
		if strings.HasPrefix(tt.goproxy, dead+",") && (err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "no network?")) {
			t.Errorf("no-network error not explained: %v", err)
		}
	}
}

func TestInstallFileProxyNoCopy(t *testing.T) {
	dir := t.TempDir()
	mv := ModuleVersion("1.27.3", here)
	zp := filepath.Join(dir, "golang.org", "toolchain", "@v", mv+".zip")
	os.MkdirAll(filepath.Dir(zp), 0o755)
	os.WriteFile(zp, fakeModuleZip(t, "1.27.3", here), 0o644)
	st := newStore(t)
	proxies, _ := goenv.ParseGOPROXY("file://" + filepath.ToSlash(dir))
	f := &Fetcher{Proxies: proxies, SumDB: goenv.SumDB{Off: true}, Store: st}
	if _, err := Install(context.Background(), st, f, "1.27.3", here); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(zp); err != nil {
		t.Errorf("file proxy's zip was removed: %v", err)
	}
	rels, err := f.Releases(context.Background())
	if err != nil || len(rels) != 1 || rels[0].Version != "1.27.3" {
		t.Errorf("Releases from a file proxy without list = %v, %v", rels, err)
	}
}

func TestInstallFile(t *testing.T) {
	w := newFakeWorld(t)
	z := w.addToolchain("1.27.3", here)
	dir := t.TempDir()
	zp := filepath.Join(dir, ModuleVersion("1.27.3", here)+".zip")
	os.WriteFile(zp, z, 0o644)
	st := newStore(t)
	res, err := InstallFile(context.Background(), st, w.fetcher(t, st), zp, "")
	if err != nil || res.Verified == "" {
		t.Fatalf("InstallFile = %+v, %v", res, err)
	}
	tgz := filepath.Join(dir, "go1.26.1."+here.OS+"-"+here.Arch+".tar.gz")
	os.WriteFile(tgz, fakeTarGz(t, "1.26.1", here), 0o644)
	if _, err := InstallFile(context.Background(), st, w.fetcher(t, st), tgz, strings.Repeat("a", 64)); err == nil {
		t.Error("wrong --sha256 accepted")
	}
	if _, err := InstallFile(context.Background(), st, w.fetcher(t, st), filepath.Join(dir, "random.zip"), ""); err == nil {
		t.Error("unnamed archive accepted")
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	mv := ModuleVersion("1.27.3", here)
	prefix := ModulePath + "@" + mv + "/"
	dir := t.TempDir()
	for name, files := range map[string]map[string]string{
		"dotdot":    {"bin/go": "x", "../../evil": "x"},
		"abs":       {"bin/go": "x", "/etc/evil": "x"},
		"backslash": {"bin/go": "x", `..\evil`: "x"},
	} {
		z := filepath.Join(dir, name+".zip")
		var err error
		if name == "abs" {
			os.WriteFile(z, zipOf(t, "", map[string]string{prefix + "bin/go": "x", "/etc/evil": "x"}), 0o644)
		} else {
			os.WriteFile(z, zipOf(t, prefix, files), 0o644)
		}
		out := filepath.Join(dir, name)
		os.Mkdir(out, 0o755)
		_, err = extractArchive(context.Background(), z, "zip", out)
		if err == nil {
			t.Errorf("%s: extracted", name)
		}
	}
	for name, h := range map[string]*tar.Header{
		"symlink-out": {Name: "go/lib/x", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/passwd"},
		"symlink-abs": {Name: "go/lib/x", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
		"hardlink":    {Name: "go/lib/x", Typeflag: tar.TypeLink, Linkname: "go/bin/go"},
		"dotdot":      {Name: "go/../x", Typeflag: tar.TypeReg},
	} {
		p := filepath.Join(dir, name+".tar.gz")
		os.WriteFile(p, fakeTarGz(t, "1.27.3", here, h), 0o644)
		out := filepath.Join(dir, "t-"+name)
		os.Mkdir(out, 0o755)
		if _, err := extractArchive(context.Background(), p, "tar.gz", out); err == nil {
			t.Errorf("tar %s: extracted", name)
		}
	}
	// A symbolic link inside the tree is fine.
	p := filepath.Join(dir, "ok.tar.gz")
	os.WriteFile(p, fakeTarGz(t, "1.27.3", here, &tar.Header{Name: "go/lib/x", Typeflag: tar.TypeSymlink, Linkname: "../bin/go"}), 0o644)
	out := filepath.Join(dir, "ok")
	os.Mkdir(out, 0o755)
	if _, err := extractArchive(context.Background(), p, "tar.gz", out); err != nil {
		t.Errorf("inner symlink refused: %v", err)
	}
}

func TestUninstallAndDefault(t *testing.T) {
	w := newFakeWorld(t)
	w.addToolchain("1.27.3", here)
	w.addToolchain("1.26.1", here)
	st := newStore(t)
	f := w.fetcher(t, st)
	for _, v := range []string{"1.27.3", "1.26.1"} {
		if _, err := Install(context.Background(), st, f, v, here); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := st.Default(); d != "1.27.3" {
		t.Errorf("default = %q (first install should be default)", d)
	}
	if err := st.SetDefault("1.26.1"); err != nil {
		t.Fatal(err)
	}
	if got := runGo(t, filepath.Join(st.BinDir(), "go")); !strings.Contains(got, "go1.26.1") {
		t.Errorf("bin/go after use = %q", got)
	}
	if err := st.Uninstall("1.26.1"); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Default(); d != "" {
		t.Errorf("default after uninstall = %q", d)
	}
	ents, _ := os.ReadDir(st.BinDir())
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "go1.27.3" {
		t.Errorf("bin = %v, want only go1.27.3", names)
	}
	if err := st.Uninstall("1.26.1"); err == nil {
		t.Error("uninstalled twice")
	}
}

func TestExtractZipHashMatchesDirhash(t *testing.T) {
	zips := map[string][]byte{
		"module": fakeModuleZip(t, "1.27.3", here),
		"dirs":   zipOf(t, "", map[string]string{"golang.org/": "", "golang.org/toolchain@" + ModuleVersion("1.27.3", here) + "/bin/go": "x"}),
	}
	if p := os.Getenv("GONATIVE_BENCH_ZIP"); p != "" {
		b, _ := os.ReadFile(p)
		zips["real"] = b
	}
	for name, b := range zips {
		dir := t.TempDir()
		zp := filepath.Join(dir, "z.zip")
		os.WriteFile(zp, b, 0o644)
		out := filepath.Join(dir, "out")
		os.Mkdir(out, 0o755)
		x, err := extractArchive(context.Background(), zp, "zip", out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := dirhash.HashZip(zp, dirhash.Hash1)
		if err != nil || x.H1 != want {
			t.Errorf("%s: extractZip hash %s, dirhash %s (%v)", name, x.H1, want, err)
		}
	}
}

func TestExtractOfficialZipLayout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no executable bits on Windows")
	}
	dir := t.TempDir()
	zp := filepath.Join(dir, "go1.27.3.windows-amd64.zip")
	os.WriteFile(zp, zipOf(t, "go/", map[string]string{"bin/go": "x", "pkg/tool/linux_amd64/vet": "x", "VERSION": "go1.27.3"}), 0o644)
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	if _, err := extractArchive(context.Background(), zp, "zip", out); err != nil {
		t.Fatal(err)
	}
	for f, exec := range map[string]bool{"bin/go": true, "pkg/tool/linux_amd64/vet": true, "VERSION": false} {
		fi, err := os.Stat(filepath.Join(out, f))
		if err != nil || (fi.Mode()&0o111 != 0) != exec {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
}
