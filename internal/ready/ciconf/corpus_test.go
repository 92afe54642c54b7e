package ciconf

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
	"github.com/gonative/gonative/internal/ready/readycorpus"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus.txt from what Check finds (review every line before committing)")

// corpus lists real modules nobody here wrote, at exact versions; their module zips
// carry their workflows, Makefiles and scripts. testdata/corpus.txt holds the
// findings Check must report on them, each reviewed by hand (the review notes are
// the comments there).
var corpus = []string{
	"github.com/spf13/cobra@v1.10.2",
	"github.com/google/go-containerregistry@v0.22.1",
	"github.com/rogpeppe/go-internal@v1.16.0",
	"github.com/vbauerster/mpb/v8@v8.16.2",
	"github.com/klauspost/compress@v1.19.2",
	"github.com/mattn/go-runewidth@v0.0.30",
	"github.com/sirupsen/logrus@v1.9.4",
	"github.com/docker/docker-credential-helpers@v0.9.3",
	"github.com/opencontainers/image-spec@v1.1.1",
	"github.com/santhosh-tekuri/jsonschema/v6@v6.0.3",
	"github.com/pkg/errors@v0.9.1",
	// Makefiles and scripts
	"github.com/spf13/viper@v1.21.0",
	"github.com/prometheus/client_model@v0.6.3",
	"github.com/chrismellard/docker-credential-acr-env@v0.0.0-20230304212654-82a0ddb27589",
	"github.com/zeebo/xxh3@v1.1.0",
	"github.com/creack/pty@v1.1.24",
	"github.com/anchore/quill@v0.5.1",
}

// TestCorpus runs Check on the real modules, fetched with go mod download through
// the configured GOPROXY (the module cache serves them after the first time), and
// compares with the reviewed findings. It skips, saying so, when go or the proxy is
// unreachable.
func TestCorpus(t *testing.T) {
	var got []string
	for _, mod := range corpus {
		dir := readycorpus.Download(t, mod)
		fs, err := Check(context.Background(), ready.Input{Machine: clocked{machine.Real()}, Dir: dir, Targets: defaultTargets})
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		for _, f := range fs {
			got = append(got, fmt.Sprintf("%s %s %s:%d", mod, f.ID, f.Path, f.Line))
			for _, e := range f.Evidence {
				if strings.ContainsAny(e, "\n\r") {
					t.Errorf("%s: evidence on more than one line: %q", mod, e)
				}
			}
		}
	}
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

// clocked is the real machine with the tests' clock, so retirements read the same
// on every day the test runs.
type clocked struct{ machine.Machine }

func (clocked) Now() time.Time { return testNow }
