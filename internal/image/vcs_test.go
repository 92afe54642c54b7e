package image

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWebURL(t *testing.T) {
	for _, c := range []struct{ remote, want string }{
		{"https://git.test/owner/repo.git", "https://git.test/owner/repo"},
		{"https://alice:s3cr3t@git.test/owner/repo", "https://git.test/owner/repo"},
		{"http://git.test:8080/owner/repo/", "https://git.test:8080/owner/repo"},
		{"ssh://git@git.test:2222/owner/repo.git", "https://git.test/owner/repo"},
		{"git@git.test:owner/repo.git", "https://git.test/owner/repo"},
		{"git.test:owner/repo", "https://git.test/owner/repo"},
		{"/srv/git/repo.git", ""},
		{"file:///srv/git/repo", ""},
		{"../repo", ""},
		{"", ""},
		{"https://git.test/a b", ""},
	} {
		if got := webURL(c.remote); got != c.want {
			t.Errorf("webURL(%q) = %q, want %q", c.remote, got, c.want)
		}
	}
}

// TestVCSSource: the source label comes from the git remote, and there is none
// outside a repository (never one made up from the module path).
func TestVCSSource(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not found: apt-get install git")
	}
	dir := t.TempDir()
	if got := VCSSource(context.Background(), dir); got != "" {
		t.Errorf("outside a repository: %q", got)
	}
	for _, args := range [][]string{{"init", "-q"}, {"remote", "add", "origin", "git@git.test:owner/repo.git"}} {
		if out, err := exec.Command(git, append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if got := VCSSource(context.Background(), dir); got != "https://git.test/owner/repo" {
		t.Errorf("VCSSource = %q", got)
	}
}

// TestCheckOutputs: outputs that cannot be written are refused before a build.
func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	full := dir + "/full"
	writeFileT(t, full+"/x")
	for _, c := range []struct {
		o    WriteOptions
		want string
	}{
		{WriteOptions{OCILayout: full}, "not empty"},
		{WriteOptions{OCILayout: full + "/x"}, "not a directory"},
		{WriteOptions{OCILayout: dir + "/no/such"}, "does not exist"},
		{WriteOptions{Tarball: full}, "not a regular file"},
		{WriteOptions{Tarball: dir + "/no/a.tar"}, "does not exist"},
		{WriteOptions{Push: true}, "--push needs"},
		{WriteOptions{Tags: []string{"UPPER/case:v1"}}, "tag"},
		{WriteOptions{OCILayout: dir + "/new", Tarball: dir + "/a.tar"}, ""},
	} {
		err := CheckOutputs(c.o)
		if (c.want == "") != (err == nil) || (err != nil && !contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func writeFileT(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
