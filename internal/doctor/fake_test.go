package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
)

// fake is an in-memory machine for unit tests.
type fake struct {
	goos, goarch string
	sysctl       map[string]string
	uname        string // machine
	files        map[string]*fakeFile
	env          map[string]string
	exec         map[string]string // "name arg arg" → stdout; missing → error
	stderr       map[string]string // "name arg arg" → standard error (Command)
	exit         map[string]int    // "name arg arg" → non-zero exit status (Command, Exec)
	wd           string
}

type fakeFile struct {
	data string
	mode fs.FileMode
	link string
	bin  *binSpec // an executable: data is its real bytes (binFile)
}

func newFake(goos, goarch string) *fake {
	f := &fake{goos: goos, goarch: goarch, sysctl: map[string]string{}, files: map[string]*fakeFile{},
		env: map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/home/me"}, exec: map[string]string{}, wd: "/work",
		stderr: map[string]string{}, exit: map[string]int{}}
	f.uname = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[goarch]
	if goos == "darwin" {
		f.uname = map[string]string{"amd64": "x86_64", "arm64": "arm64"}[goarch]
	}
	f.file("/etc/ssl/certs/ca-certificates.crt", "")
	return f
}

func (f *fake) file(p, data string) *fake {
	f.files[p] = &fakeFile{data: data, mode: 0o644}
	return f
}

func (f *fake) dir(p string) *fake {
	f.files[p] = &fakeFile{mode: fs.ModeDir | 0o755}
	return f
}

func (f *fake) link(p, target string) *fake {
	f.files[p] = &fakeFile{link: target, mode: fs.ModeSymlink | 0o777}
	return f
}

// bin adds an executable for goos and archs (a universal file for several), with Go
// build info of goVersion (empty: no module info), real bytes made as binFile says.
func (f *fake) bin(p, goos string, archs []string, goVersion string) *fake {
	b := &binSpec{goos: goos, archs: archs, goVersion: goVersion}
	if goVersion != "" {
		b.path, b.modVersion = "example.com/"+path.Base(p), "v1.2.3"
	}
	f.files[p] = &fakeFile{mode: 0o755, bin: b}
	return f
}

// goroot installs a Go at root: bin/go, pkg/tool/<os>_<arch>/compile and VERSION.
func (f *fake) goroot(root, goos, arch, version string) *fake {
	f.bin(root+"/bin/go", goos, []string{arch}, version)
	f.bin(root+"/pkg/tool/"+goos+"_"+arch+"/compile", goos, []string{arch}, version)
	f.file(root+"/VERSION", version+"\ntime 2026-01-01T00:00:00Z\n")
	return f
}

func (f *fake) resolve(p string) (string, *fakeFile, error) {
	for range 20 {
		ff, ok := f.files[p]
		if !ok {
			if f.isDir(p) {
				return p, &fakeFile{mode: fs.ModeDir | 0o755}, nil
			}
			return "", nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
		}
		if ff.link == "" {
			return p, ff, nil
		}
		t := ff.link
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(p), t)
		}
		p = t
	}
	return "", nil, errors.New("too many links")
}

func (f *fake) isDir(p string) bool {
	if ff, ok := f.files[p]; ok {
		return ff.mode.IsDir()
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	for k := range f.files {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

type fakeInfo struct {
	name string
	mode fs.FileMode
	size int64
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return i.size }
func (i fakeInfo) Mode() fs.FileMode  { return i.mode }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fakeInfo) Sys() any           { return nil }

// machine is the fake as a machine.FakeMachine: its executables are real files
// (binFile) that the doctor reads through the machine's files, as it reads a real
// machine's.
func (f *fake) machine(t testing.TB) *machine.FakeMachine {
	t.Helper()
	files := fstest.MapFS{}
	for p, ff := range f.files {
		mf := &fstest.MapFile{Data: []byte(ff.data), Mode: ff.mode}
		switch {
		case ff.link != "":
			mf.Data = []byte(ff.link)
		case ff.bin != nil:
			mf.Data = binFile(t, *ff.bin)
		}
		files[strings.TrimPrefix(p, "/")] = mf
	}
	m := machine.Fake(files, f.env)
	m.GOOS, m.GOARCH, m.Pages = f.goos, f.goarch, 4096
	m.Sysctls = f.sysctl
	m.Release, m.Machine = "6.8.0", f.uname
	m.Wd = f.wd
	m.Run = func(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
		return f.command(name, args)
	}
	return m
}

// appleSilicon returns a fake M-series Mac running this process natively.
func appleSilicon() *fake {
	f := newFake("darwin", "arm64")
	f.sysctl["hw.optional.arm64"] = "1"
	f.sysctl["sysctl.proc_translated"] = "0"
	f.sysctl["kern.osproductversion"] = "14.5"
	f.file("/Library/Apple/usr/libexec/oah/libRosettaRuntime", "")
	f.env["PATH"] = "/opt/homebrew/bin:/usr/local/go/bin:/usr/bin:/bin"
	f.env["HOME"] = "/Users/me"
	f.exec["uname -m"] = "arm64\n"
	return f
}

// run runs one check on the fake and returns its findings.
func run(t *testing.T, f *fake, id string) []Finding {
	t.Helper()
	c, ok := Default().Lookup(id)
	if !ok {
		t.Fatalf("no check %q", id)
	}
	r := Run(context.Background(), f.machine(t), []Check{c}, Options{Timeout: 5 * time.Second})
	return r.Findings
}

func worst(fs []Finding) Severity { return finding.Worst(fs) }

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s [%s] %s\n", f.ID, f.Severity, f.Title)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "      %s\n", e)
		}
	}
	return b.String()
}

// fakeExit is a program's non-zero exit status (as *exec.ExitError).
type fakeExit int

func (e fakeExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e fakeExit) ExitCode() int { return int(e) }

// command runs "name args" on the fake: f.exec, f.stderr and f.exit describe what it
// prints and how it exits; a command the fake does not describe cannot run.
func (f *fake) command(name string, args []string) ([]byte, []byte, error) {
	key := strings.Join(append([]string{name}, args...), " ")
	out, ok := f.exec[key]
	stderr, hasErr := f.stderr[key]
	code := f.exit[key]
	if !ok && !hasErr && code == 0 {
		return nil, nil, fmt.Errorf("%s: not runnable in this fake: %w", key, machine.ErrCannotRun)
	}
	if code != 0 {
		return []byte(out), []byte(stderr), fmt.Errorf("%s: %w", key, fakeExit(code))
	}
	return []byte(out), []byte(stderr), nil
}
