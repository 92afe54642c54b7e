package exe

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGLIBCProvided reads this machine's libc and a Go binary: the libc's newest
// GLIBC_ definition agrees with the version glibc reports about itself (ldd --version,
// an independent reader), and a static Go binary defines none.
func TestGLIBCProvided(t *testing.T) {
	const libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	f, err := os.Open(libc)
	if err != nil {
		t.Skipf("no %s (a Debian amd64 host has it, package libc6): %v", libc, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	got, err := GLIBCProvided(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ldd", "--version").Output()
	if err != nil {
		t.Skipf("ldd --version (package libc-bin): %v", err)
	}
	first := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	want := first[len(first)-1]
	if got != want {
		t.Errorf("GLIBCProvided(%s) = %q, ldd --version says %q", libc, got, want)
	}

	self, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	st, _ = self.Stat()
	if v, err := GLIBCProvided(self, st.Size()); err != nil || v != "" {
		t.Errorf("GLIBCProvided(test binary) = %q, %v; want \"\", nil", v, err)
	}
	if _, err := GLIBCProvided(strings.NewReader("\x7fELF garbage"), 12); err == nil {
		t.Error("GLIBCProvided(garbage) succeeded")
	}
}

func TestGLIBCLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"2.31", "2.34", true}, {"2.34", "2.31", false}, {"2.3", "2.17", true}, {"2.17", "2.17", false}, {"2.17", "2.17.1", true}, {"x", "2.1", false}} {
		if got := GLIBCLess(c.a, c.b); got != c.want {
			t.Errorf("GLIBCLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
