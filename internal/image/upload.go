package image

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// uploadJobs is how many blobs are uploaded at once.
const uploadJobs = 4

// uploader uploads layer blobs to the repositories an image will be pushed to while
// the build goes on: the base's layers while the binaries compile, each binary's layer
// once it is made. It uploads blobs only, never a manifest or a tag, so an image that
// fails its check is never pushed (its blobs may be in the registry, unreferenced).
// Its errors are not the build's: Write pushes every blob again that is missing.
// A nil uploader does nothing.
type uploader struct {
	ctx   context.Context
	repos []name.Repository
	opts  []remote.Option
	tr    *tracer
	sem   chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	seen  map[string]bool // repo@digest started
}

// newUploader returns the uploader for the repositories of tags (nil when there are
// none, or a tag does not parse: CheckOutputs reports that).
func newUploader(ctx context.Context, tags []string, ro ReadOptions, tr *tracer) *uploader {
	var repos []name.Repository
	for _, t := range tags {
		ref, err := name.ParseReference(t)
		if err != nil {
			return nil
		}
		repos = append(repos, ref.Context())
	}
	if len(repos) == 0 {
		return nil
	}
	return &uploader{ctx: ctx, repos: repos, opts: ro.remote(ctx), tr: tr, sem: make(chan struct{}, uploadJobs), seen: map[string]bool{}}
}

// upload starts uploading l to every repository (once per digest), and returns at
// once.
func (u *uploader) upload(platform string, l v1.Layer) {
	if u == nil {
		return
	}
	d, err := l.Digest()
	if err != nil {
		return
	}
	for _, repo := range u.repos {
		key := repo.String() + "@" + d.String()
		u.mu.Lock()
		started := u.seen[key]
		u.seen[key] = true
		u.mu.Unlock()
		if started {
			continue
		}
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			select {
			case u.sem <- struct{}{}:
			case <-u.ctx.Done():
				return
			}
			defer func() { <-u.sem }()
			t0 := time.Now()
			if remote.WriteLayer(repo, l, u.opts...) == nil {
				u.tr.step(StepUpload, platform, fmt.Sprintf("%s@%s", repo, d), t0)
			}
		}()
	}
}

// uploadImage starts uploading every layer of img.
func (u *uploader) uploadImage(platform string, img v1.Image) {
	if u == nil {
		return
	}
	ls, err := img.Layers()
	if err != nil {
		return
	}
	for _, l := range ls {
		u.upload(platform, l)
	}
}

// wait waits for every upload started.
func (u *uploader) wait() {
	if u != nil {
		u.wg.Wait()
	}
}
