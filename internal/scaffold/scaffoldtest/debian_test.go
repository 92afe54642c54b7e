package scaffoldtest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// aptSource is a Debian archive this machine's apt is configured with.
type aptSource struct{ uri, suite string }

// aptSources reads the Debian archives of this machine's apt configuration: deb822
// .sources files and one-line .list files, keeping "deb" entries with the main
// component. The test never names a mirror itself.
func aptSources() []aptSource {
	var out []aptSource
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, stanza := range strings.Split(string(data), "\n\n") {
			fields := map[string]string{}
			for _, l := range strings.Split(stanza, "\n") {
				if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, " ") {
					fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
				}
			}
			if !strings.Contains(fields["types"], "deb") || !strings.Contains(" "+fields["components"]+" ", " main ") || fields["enabled"] == "no" {
				continue
			}
			if !strings.Contains(fields["signed-by"], "debian-archive-keyring") {
				continue // not Debian's own archive
			}
			uris, suites := strings.Fields(fields["uris"]), strings.Fields(fields["suites"])
			if len(uris) > 0 && len(suites) > 0 {
				out = append(out, aptSource{uris[0], suites[0]})
			}
		}
	}
	lists, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append([]string{"/etc/apt/sources.list"}, lists...) {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			w := strings.Fields(sc.Text())
			if len(w) >= 4 && w[0] == "deb" && strings.Contains(strings.Join(w[3:], " "), "main") && strings.Contains(w[1], "debian") {
				out = append(out, aptSource{w[1], w[2]})
			}
		}
		fh.Close()
	}
	return out
}

// debianSource returns the first Debian archive of apt's configuration that answers
// within 20 s, or skips the test saying why.
func debianSource(t *testing.T) aptSource {
	t.Helper()
	srcs := aptSources()
	if len(srcs) == 0 {
		t.Skip("no Debian archive in /etc/apt/sources.list*: the cgo builds install their C compilers from Debian")
	}
	var errs []string
	for _, s := range srcs {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodHead, strings.TrimSuffix(s.uri, "/")+"/dists/"+s.suite+"/InRelease", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		errs = append(errs, fmt.Sprintf("%s %s: %v", s.uri, s.suite, err))
	}
	t.Skipf("offline: the Debian archive of apt's sources is unreachable (the cgo builds install their C compilers from it): %s", strings.Join(errs, "; "))
	return aptSource{}
}

// debianLayer is a minimal Debian for arch (a Debian and GOARCH name: amd64, arm64) of
// the suite of apt's sources (mmdebstrap's "apt" variant: Essential packages and apt,
// no compiler), as one layer: the builder that must install its C compilers. Made once
// per week, machine and architecture in GONATIVE_FIXTURE_CACHE when it is set. For
// another architecture than this machine's, mmdebstrap runs the packages' scripts
// under qemu-user through binfmt_misc.
func debianLayer(t *testing.T, src aptSource, arch string) v1.Layer {
	t.Helper()
	mm, err := exec.LookPath("mmdebstrap")
	if err != nil {
		t.Skip("no mmdebstrap to make the Debian builder (Debian: apt-get install mmdebstrap)")
	}
	year, week := time.Now().ISOWeek()
	sum := sha256.Sum256([]byte(src.uri + " " + src.suite + " " + arch))
	name := fmt.Sprintf("debian-%s-%s-%d-%02d-%s.tar", src.suite, arch, year, week, hex.EncodeToString(sum[:6]))
	dir := os.Getenv("GONATIVE_FIXTURE_CACHE")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if _, err := os.Stat(out); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		tmp := out + fmt.Sprintf(".%d.tmp.tar", os.Getpid())
		defer os.Remove(tmp)
		start := time.Now()
		c := exec.CommandContext(ctx, mm, "--architectures="+arch, "--variant=apt", "--mode=root", "--include=ca-certificates",
			"--dpkgopt=path-exclude=/usr/share/{doc,man,locale,info}/*", src.suite, tmp, src.uri)
		if b, err := c.CombinedOutput(); err != nil {
			t.Fatalf("mmdebstrap %s %s (%v): %v\n%s", arch, src.suite, time.Since(start).Round(time.Second), err, b)
		}
		t.Logf("mmdebstrap --architectures=%s --variant=apt %s: %v", arch, src.suite, time.Since(start).Round(time.Second))
		if err := os.Rename(tmp, out); err != nil {
			t.Fatal(err)
		}
	}
	l, err := tarball.LayerFromFile(out, tarball.WithCompressionLevel(gzip.NoCompression), tarball.WithCompressedCaching)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// glibcLayer is a final base for linux/arch: the loader and libc of that architecture
// where Debian puts them, and a nonroot user. The amd64 and arm64 bases differ in
// every ELF file, so an image given the other platform's base is seen.
func glibcLayer(t *testing.T, arch string) v1.Layer {
	t.Helper()
	// The loader's link is relative, so that it also resolves with the image's file
	// system as qemu-user's -L prefix.
	triplet, loader, loaderLink, linkTarget := "x86_64-linux-gnu", "ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	if arch == "arm64" {
		triplet, loader, loaderLink, linkTarget = "aarch64-linux-gnu", "ld-linux-aarch64.so.1", "lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1"
	}
	// This machine's own libc, or Debian's cross libc (libc6-ARCH-cross) for the other.
	from := "/lib/" + triplet + "/"
	if arch != runtime.GOARCH {
		from = "/usr/" + triplet + "/lib/"
	}
	l := newLayer(t)
	for _, f := range []string{"libc.so.6", loader} {
		data, err := os.ReadFile(from + f)
		if err != nil {
			t.Skipf("no %s libc for the %s base: %v (Debian: apt-get install libc6-dev-arm64-cross)", arch, arch, err)
		}
		l.file("lib/"+triplet+"/"+f, 0o755, string(data))
	}
	l.symlink(loaderLink, linkTarget)
	l.file("etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	l.dir("home/nonroot", 0o755)
	l.dir("tmp", 0o1777)
	return l.done(t)
}
