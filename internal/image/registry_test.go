package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/host"
)

// stallingRegistry serves a registry on loopback whose blob requests never get an
// answer (until the test ends); manifests are served.
func stallingRegistry(t *testing.T) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	quit := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && r.Header.Get("X-Seed") == "" {
			select {
			case <-r.Context().Done():
			case <-quit:
			}
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(quit); s.Close() })
	return strings.TrimPrefix(s.URL, "http://")
}

// TestRegistryStalls: a registry that never answers blob requests does not hang
// inspect: the request is abandoned after the stall time-out and the error says so;
// an unknown tag's error gives the HTTP status and no Go map text.
func TestRegistryStalls(t *testing.T) {
	addr := stallingRegistry(t)
	img := handImage(t, amd64, v1.Config{Entrypoint: []string{"/app"}}, rawLayer(t, ent{name: "app", mode: 0o755, data: "x"}))
	ref, err := name.ParseReference(addr + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	// Pushing sends blobs (HEAD, PUT, POST): only GETs of blobs stall.
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	const stall = 500 * time.Millisecond
	o := InspectOptions{Host: host.Host{OS: "linux", Arch: "amd64"}, ReadOptions: ReadOptions{Stall: stall}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // the hang this test is about
	defer cancel()
	start := time.Now()
	var rep *PlatformReport
	_, err = Inspect(ctx, addr+"/app:v1", o, Emitter{Platform: func(r *PlatformReport) error { rep = r; return nil }})
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("inspect hung until the test's own time-out (%s)", took)
	}
	// The config is a blob: its request stalls; retries may add a few.
	switch {
	case err != nil:
		if !errors.Is(err, ErrStalled) {
			t.Errorf("error %v, want one saying the registry sent nothing", err)
		}
	case rep == nil || !strings.Contains(rep.Error, "sent nothing"):
		t.Errorf("report %+v", rep)
	}
	if took > 40*stall+10*time.Second {
		t.Errorf("took %s with a %s stall time-out", took, stall)
	}

	_, err = Open(ctx, addr+"/app:nope", ReadOptions{Stall: stall})
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || strings.Contains(err.Error(), "map[") {
		t.Errorf("unknown tag: %v", err)
	}
	var re *RegistryError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound {
		t.Errorf("unknown tag: %#v", err)
	}
}

// TestRegistryManifestBound: a registry manifest is read up to 8 MiB, as a layout's.
func TestRegistryManifestBound(t *testing.T) {
	big := append([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":"`), bytes.Repeat([]byte("a"), 64<<20)...)
	big = append(big, `"}`...)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Write(big)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer s.Close()
	var err error
	alloc := allocDuring(func() {
		_, err = Open(context.Background(), strings.TrimPrefix(s.URL, "http://")+"/app:v1", ReadOptions{})
	})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 64 MiB manifest: %v", err)
	}
	if alloc > 48<<20 {
		t.Errorf("%d MiB allocated to refuse a 64 MiB manifest", alloc>>20)
	}
}
