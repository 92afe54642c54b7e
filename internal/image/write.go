package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gonative/gonative/internal/atomicfile"
)

// WriteOptions says where a built image goes; any combination.
type WriteOptions struct {
	Read ReadOptions
	// Push pushes the index to every reference in Tags.
	Push bool
	Tags []string
	// OCILayout writes an OCI layout directory (which must not exist, or be empty).
	OCILayout string
	// Tarball writes an OCI archive: the layout as one tar file (docker load, podman
	// load and skopeo read it).
	Tarball string
	// Progress, when set, is called with the bytes pushed so far and the total.
	Progress func(done, total int64)
	// Trace, when set, is called with each write as it ends (one call at a time).
	Trace func(Step)
}

// Written says where an image went.
type Written struct {
	Pushed    []string `json:"pushed,omitempty"` // REF@DIGEST
	OCILayout string   `json:"oci_layout,omitempty"`
	Tarball   string   `json:"tarball,omitempty"`
}

// CheckOutputs checks, before anything is built, that every output o names can be
// written: the references parse, the layout directory is new or empty, the archive
// is a regular file or new, and their parent directories exist.
func CheckOutputs(o WriteOptions) error {
	if o.Push && len(o.Tags) == 0 {
		return errors.New("--push needs a reference to push to: -t REGISTRY/REPO:TAG")
	}
	for _, tag := range o.Tags {
		if _, err := name.ParseReference(tag); err != nil {
			return fmt.Errorf("tag %q: %w", tag, err)
		}
	}
	if o.OCILayout != "" {
		if err := checkLayoutDir(o.OCILayout); err != nil {
			return err
		}
		if err := checkParent("--oci-layout", o.OCILayout); err != nil {
			return err
		}
	}
	if o.Tarball != "" {
		if st, err := os.Lstat(o.Tarball); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("--tarball %s: exists and is not a regular file", o.Tarball)
		}
		if err := checkParent("--tarball", o.Tarball); err != nil {
			return err
		}
	}
	return nil
}

// checkParent checks that the directory p goes into exists.
func checkParent(flag, p string) error {
	dir := filepath.Dir(filepath.Clean(p))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s %s: the directory %s does not exist", flag, p, dir)
	}
	return nil
}

// checkLayoutDir checks that dir does not exist or is an empty directory.
func checkLayoutDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return nil
	}
	if !st.IsDir() {
		return fmt.Errorf("--oci-layout %s: exists and is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("--oci-layout %s: the directory is not empty; name a new one", dir)
	}
	return nil
}

// Write writes b where o says (CheckOutputs first).
func Write(ctx context.Context, b *Built, o WriteOptions) (*Written, error) {
	if b.Index == nil {
		return nil, errors.New("the image was not built")
	}
	if err := CheckOutputs(o); err != nil {
		return nil, err
	}
	w := &Written{}
	tr := newTracer(o.Trace)
	if o.Push {
		if len(o.Tags) == 0 {
			return nil, errors.New("--push needs a reference to push to: -t REGISTRY/REPO:TAG")
		}
		for _, tag := range o.Tags {
			ref, err := name.ParseReference(tag)
			if err != nil {
				return w, fmt.Errorf("tag %q: %w", tag, err)
			}
			t0 := time.Now()
			if err := push(ctx, ref, b.Index, o); err != nil {
				return w, fmt.Errorf("push %s: %w", tag, registryError(err))
			}
			tr.step(StepPush, "", tag, t0)
			w.Pushed = append(w.Pushed, ref.Context().Name()+"@"+b.Digest.String())
		}
	}
	if o.OCILayout != "" {
		t0 := time.Now()
		if err := writeLayoutDir(o.OCILayout, b.Index, o.Tags); err != nil {
			return w, err
		}
		tr.step(StepLayout, "", o.OCILayout, t0)
		w.OCILayout = o.OCILayout
	}
	if o.Tarball != "" {
		t0 := time.Now()
		if err := writeArchive(o.Tarball, b.Index, o.Tags); err != nil {
			return w, err
		}
		tr.step(StepTarball, "", o.Tarball, t0)
		w.Tarball = o.Tarball
	}
	return w, nil
}

func push(ctx context.Context, ref name.Reference, idx v1.ImageIndex, o WriteOptions) error {
	opts := o.Read.remote(ctx)
	var done chan struct{}
	if o.Progress != nil {
		ch := make(chan v1.Update, 16)
		done = make(chan struct{})
		go func() {
			defer close(done)
			for u := range ch {
				if u.Error == nil {
					o.Progress(u.Complete, u.Total)
				}
			}
		}()
		opts = append(opts, remote.WithProgress(ch))
	}
	err := remote.WriteIndex(ref, idx, opts...)
	if done != nil {
		<-done // remote closes the channel when it is done
	}
	return err
}

// refName is the OCI layout's name for a tag: its tag part.
func refNames(tags []string) []map[string]string {
	var out []map[string]string
	for _, t := range tags {
		if r, err := name.ParseReference(t); err == nil {
			out = append(out, map[string]string{"org.opencontainers.image.ref.name": r.Identifier()})
		}
	}
	if len(out) == 0 {
		out = append(out, nil)
	}
	return out
}

// writeLayout writes an OCI layout into the empty directory dir: index.json lists the
// image's index once per tag (nested, as buildkit writes it).
func writeLayout(dir string, idx v1.ImageIndex, tags []string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, ann := range refNames(tags) {
		var opts []layout.Option
		if ann != nil {
			opts = append(opts, layout.WithAnnotations(ann))
		}
		if err := p.AppendIndex(idx, opts...); err != nil {
			return err
		}
	}
	return nil
}

// writeLayoutDir writes the layout into a new directory beside dir and renames it into
// place, so that dir never holds half a layout.
func writeLayoutDir(dir string, idx v1.ImageIndex, tags []string) error {
	if err := checkLayoutDir(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tmp*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeLayout(tmp, idx, tags); err != nil {
		return fmt.Errorf("--oci-layout %s: %w", dir, err)
	}
	os.Remove(dir) // empty, checked above
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("--oci-layout %s: %w", dir, err)
	}
	return nil
}

// writeArchive writes the layout as a tar file (an oci-archive), atomically: sorted
// names, fixed times, so the same image gives the same bytes.
func writeArchive(file string, idx v1.ImageIndex, tags []string) error {
	if st, err := os.Lstat(file); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("--tarball %s: exists and is not a regular file", file)
	}
	tmp, err := os.MkdirTemp("", "gonative-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeLayout(tmp, idx, tags); err != nil {
		return fmt.Errorf("--tarball %s: %w", file, err)
	}
	var names []string
	err = filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != tmp {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	af, err := atomicfile.Create(file, 0o644)
	if err != nil {
		return err
	}
	defer af.Abort()
	tw := tar.NewWriter(af)
	for _, p := range names {
		rel := filepath.ToSlash(strings.TrimPrefix(p, tmp+string(filepath.Separator)))
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: rel, Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		if st.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, rel+"/", 0o755
		} else {
			h.Typeflag, h.Size = tar.TypeReg, st.Size()
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !st.IsDir() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return af.Commit()
}
