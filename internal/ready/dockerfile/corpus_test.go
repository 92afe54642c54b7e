package dockerfile

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
	"github.com/gonative/gonative/internal/ready/readycorpus"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus.txt from what Check finds (review every line before committing)")

// corpus lists real modules nobody here wrote, at exact versions, whose module zips
// carry Dockerfiles. testdata/corpus.txt holds the findings Check must report on
// them, each reviewed by hand against the Dockerfile's lines (the review notes are
// the comments there). They are fetched the way ciconf's corpus is: go mod download
// through the configured GOPROXY, the module cache serving them after the first time.
var corpus = []string{
	"github.com/google/go-containerregistry@v0.22.1",
	"github.com/docker/docker-credential-helpers@v0.9.3",
	"github.com/creack/pty@v1.1.24",
	"github.com/sigstore/rekor@v1.5.3",
	"github.com/docker/cli@v29.9.3+incompatible",
	"github.com/moby/buildkit@v0.35.0",
	"github.com/containerd/containerd/v2@v2.4.2",
	"github.com/sigstore/rekor-tiles/v2@v2.3.0",
	"github.com/google/trillian@v1.7.3",
	"github.com/containerd/nydus-snapshotter@v0.15.15",
	"github.com/containerd/accelerated-container-image@v1.3.0",
	"github.com/sigstore/cosign/v3@v3.1.1",
	"github.com/letsencrypt/boulder@v0.20260309.0",
}

// corpusTargets are the targets the corpus is judged for: the Dockerfile rules
// judge linux targets only.
var corpusTargets = []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}

// TestCorpus runs Check on the real modules' Dockerfiles and compares with the
// reviewed findings. It skips, saying so, when go or the proxy is unreachable.
func TestCorpus(t *testing.T) {
	var got []string
	files := 0
	for _, mod := range corpus {
		dir := readycorpus.Download(t, mod)
		in := ready.Input{Machine: machine.Real(), Dir: dir, Targets: corpusTargets}
		dfs, err := Find(context.Background(), in.Machine, dir)
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		if len(dfs) == 0 {
			t.Errorf("%s: no Dockerfile found: the module is in the corpus for its Dockerfiles", mod)
		}
		files += len(dfs)
		fs, err := Check(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		for _, f := range fs {
			got = append(got, fmt.Sprintf("%s %s %s:%d", mod, f.ID, f.Path, f.Line))
			if f.Line == 0 {
				t.Errorf("%s: %s %s has no line", mod, f.ID, f.Path)
			}
			for _, e := range append([]string{f.Title}, f.Evidence...) {
				if strings.ContainsAny(e, "\n\r") {
					t.Errorf("%s: evidence on more than one line: %q", mod, e)
				}
			}
		}
	}
	t.Logf("%d modules, %d Dockerfiles, %d findings", len(corpus), files, len(got))
	if *updateCorpus {
		if err := readycorpus.Write(got, "testdata/corpus.txt"); err != nil {
			t.Fatal(err)
		}
		return
	}
	problems, err := readycorpus.Compare(got, "testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
