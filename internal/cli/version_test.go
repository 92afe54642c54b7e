package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	vcs := func(rev, tm, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: tm}, {Key: "vcs.modified", Value: modified},
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
		}
	}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}}},
			"v1.2.3 (no VCS revision: not built in a clone, or with -buildvcs=false) go1.26.1 darwin/arm64"},
		{"clone dirty", debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261206195329-0123456789ab+dirty"},
			Settings: vcs("0123456789abcdef0123456789abcdef01234567", "2026-12-06T19:53:29Z", "true")},
			"v0.0.0-20261206195329-0123456789ab+dirty revision 0123456789abcdef0123456789abcdef01234567 (2026-12-06T19:53:29Z) dirty go1.26.1 linux/arm64"},
		{"clone clean devel", debug.BuildInfo{GoVersion: "go1.26.1",
			Settings: vcs("0123456789abcdef0123456789abcdef01234567", "2026-12-06T19:53:29Z", "false")},
			"(devel) revision 0123456789abcdef0123456789abcdef01234567 (2026-12-06T19:53:29Z) clean go1.26.1 linux/arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionLine(&tc.bi); got != tc.want {
				t.Errorf("versionLine =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestVersionFromClone installs gonative with `go install ./cmd/gonative` from a git
// clone of this module, with one tracked file changed, and checks --version names the
// clone's full revision, its commit time and the dirty tree, as git itself reports them.
func TestVersionFromClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gonative from a clone (-short)")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("needs git (package git)")
	}
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	run := func(dir, name string, args ...string) string {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir = dir
		// GOOS and GOARCH empty: the binary is built for the machine that runs it (the
		// linux/arm64 stage sets GOARCH=arm64 for the test binary, and go install will
		// not put a cross-compiled binary in GOBIN).
		c.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOBIN="+filepath.Join(dir, "bin"), "GOTOOLCHAIN=local", "GOOS=", "GOARCH=")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	checkout := strings.TrimSpace(string(top))
	run(dir, git, "clone", "-q", "--no-hardlinks", checkout, src)
	copyWorkTree(t, git, checkout, src)
	rev := run(src, git, "rev-parse", "HEAD")
	when := run(src, git, "-c", "log.showSignature=false", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ")
	if err := os.WriteFile(filepath.Join(src, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(src, "go", "install", "./cmd/gonative")
	c := exec.Command(filepath.Join(src, "bin", "gonative"), "--version")
	c.Env = append(os.Environ(), "TZ=UTC")
	out, err := c.Output()
	if err != nil {
		t.Fatalf("gonative --version: %v", err)
	}
	got := string(out)
	for _, want := range []string{"gonative ", "revision " + rev, "(" + when + ")", " dirty ", " go1."} {
		if !strings.Contains(got, want) {
			t.Errorf("gonative --version = %q, want it to contain %q", got, want)
		}
	}
}

// copyWorkTree brings the checkout's uncommitted changes and untracked files into the
// clone, so the test builds the code under test, not only its last commit.
func copyWorkTree(t *testing.T, git, checkout, clone string) {
	t.Helper()
	diff, err := exec.Command(git, "-C", checkout, "diff", "--binary", "HEAD").Output()
	if err != nil {
		t.Fatalf("git diff: %v", err)
	}
	if len(diff) > 0 {
		c := exec.Command(git, "-C", clone, "apply", "--whitespace=nowarn")
		c.Stdin = strings.NewReader(string(diff))
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git apply: %v\n%s", err, out)
		}
	}
	others, err := exec.Command(git, "-C", checkout, "ls-files", "-z", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Split(string(others), "\x00") {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(checkout, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(clone, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(clone, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
