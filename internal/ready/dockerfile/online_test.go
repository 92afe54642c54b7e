package dockerfile

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/build"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
	"github.com/gonative/gonative/internal/ready"
)

// loopbackRegistry serves an in-process registry holding base:amd64only (an index
// with linux/amd64), base:both (linux/amd64 and linux/arm64/v8) and single:1 (one
// linux/arm64 image, no index), and returns its host:port.
func loopbackRegistry(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "http://")
	img := func(arch, variant string) v1.Image {
		i, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := i.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.OS, cf.Architecture, cf.Variant = "linux", arch, variant
		i, err = mutate.ConfigFile(i, cf)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	index := func(plats ...v1.Platform) v1.ImageIndex {
		var adds []mutate.IndexAddendum
		for _, p := range plats {
			adds = append(adds, mutate.IndexAddendum{Add: img(p.Architecture, p.Variant), Descriptor: v1.Descriptor{Platform: &p}})
		}
		return mutate.AppendManifests(empty.Index, adds...)
	}
	ref := func(s string) name.Reference {
		r, err := name.ParseReference(host+"/"+s, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	if err := remote.WriteIndex(ref("base:amd64only"), index(amd)); err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref("base:both"), index(amd, arm)); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref("single:1"), img("arm64", "")); err != nil {
		t.Fatal(err)
	}
	return host
}

func TestOnlineBasePlatforms(t *testing.T) {
	host := loopbackRegistry(t)
	tests := []struct {
		name, src string
		want      []string // "id line"
	}{
		{"index without arm64", "FROM " + host + "/base:amd64only\nRUN true\n", []string{RuleBaseNoPlatform + " 1"}},
		{"index with both, named by a global ARG", "ARG BASE=" + host + "/base:both\nFROM ${BASE}\n", nil},
		{"single image, arm64 only", "FROM " + host + "/single:1 AS x\n", []string{RuleBaseNoPlatform + " 1"}},
		{"constant platform it has", "FROM --platform=linux/arm64 " + host + "/single:1\n", []string{RulePlatformConstant + " 1"}},
		{"build-platform stage is not judged", "FROM --platform=$BUILDPLATFORM " + host + "/base:amd64only AS b\nFROM scratch\n", nil},
		{"missing image: unknown, not clean", "FROM " + host + "/nothing:1\n", []string{RuleBaseUnknown + " 1"}},
		{"variable without a default: a note", "ARG BASE\nFROM $BASE\n", []string{RuleBaseUnknown + " 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "Dockerfile", tt.src)
			fs, err := Check(context.Background(), ready.Input{Machine: machine.Real(), Dir: dir, Online: true,
				Targets: []build.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.ID+" "+strconv.Itoa(f.Line))
				if f.ID == RuleBaseNoPlatform && !strings.Contains(f.Title, "publishes no image for linux/") {
					t.Errorf("title %q does not name the missing platform", f.Title)
				}
			}
			if !slices.Equal(got, tt.want) {
				for _, f := range fs {
					t.Logf("%s: %s %v", f.ID, f.Title, f.Evidence)
				}
				t.Errorf("findings = %v, want %v", got, tt.want)
			}
		})
	}
}

// countingRegistry answers from a map and counts the reads.
type countingRegistry struct {
	plats map[string][]string
	reads int
}

func (r *countingRegistry) Platforms(_ context.Context, ref string) ([]string, error) {
	r.reads++
	return r.plats[ref], nil
}

func TestOnlineReadsEachImageOnceAndOnlyOnline(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Dockerfile", "FROM alpine AS a\nFROM alpine AS b\nFROM alpine\n")
	reg := &countingRegistry{plats: map[string][]string{"alpine": {"linux/amd64"}}}
	in := ready.Input{Machine: machine.Real(), Dir: dir, Targets: defaultTargets}
	fs, err := Checker{Registry: reg}.Check(context.Background(), in)
	if err != nil || len(fs) != 0 || reg.reads != 0 {
		t.Fatalf("offline: %v, %d findings, %d reads", err, len(fs), reg.reads)
	}
	in.Online = true
	fs, err = Checker{Registry: reg}.Check(context.Background(), in)
	if err != nil || reg.reads != 1 || len(fs) != 3 || fs[0].Severity != finding.Error {
		t.Fatalf("online: %v, %+v, %d reads", err, fs, reg.reads)
	}
}

func TestIsLoopback(t *testing.T) {
	for h, want := range map[string]bool{"127.0.0.1:5000": true, "localhost:5000": true, "[::1]:5000": true, "localhost": true, "registry.example:5000": false, "10.0.0.1:5000": false} {
		if isLoopback(h) != want {
			t.Errorf("isLoopback(%q) = %v", h, !want)
		}
	}
}
