package codesign

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/exe"
)

// MaxFileSize is the largest file SignFile reads (Mach-O code limits are 32-bit).
const MaxFileSize = 1 << 32

// SignFile signs the Mach-O file at path in place: it reads it without blocking
// (a regular file only), signs it, checks every signed slice with exe's verifier and
// replaces the file atomically, keeping its permissions. Nothing is written when a
// step fails.
func SignFile(ctx context.Context, path string, opts Options) (*Result, error) {
	f, fi, err := atomicfile.OpenInput(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes, more than a Mach-O file can be signed with (%d)", path, fi.Size(), int64(MaxFileSize))
	}
	data := make([]byte, fi.Size())
	_, err = io.ReadFull(io.NewSectionReader(f, 0, fi.Size()), data)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out, res, err := Sign(data, path, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Verify(ctx, out, res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	w, err := atomicfile.Create(path, fi.Mode().Perm())
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(out); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// Verify checks, with exe's reader (code signing's first verifier in this module),
// that every slice res says was signed carries a valid signature in out.
func Verify(ctx context.Context, out []byte, res *Result) error {
	file := exe.Read(ctx, bytes.NewReader(out), int64(len(out)), exe.Options{HeadersOnly: true})
	if file.Err != nil {
		return fmt.Errorf("%w: %v", ErrVerify, file.Err)
	}
	if len(file.Slices) != len(res.Slices) {
		return fmt.Errorf("%w: %d slices read back, %d signed", ErrVerify, len(file.Slices), len(res.Slices))
	}
	for i, r := range res.Slices {
		if r.Kept != "" {
			continue
		}
		sig := file.Slices[i].Signature
		switch {
		case sig == nil || !sig.Present:
			return fmt.Errorf("%w: %s slice: no signature read back", ErrVerify, r.Arch)
		case !sig.Valid.Known || !sig.Valid.Value:
			return fmt.Errorf("%w: %s slice: %s", ErrVerify, r.Arch, sig.Why())
		}
	}
	return nil
}
