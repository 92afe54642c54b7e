// Package atomicfile writes files so that readers see the old content or the new, never
// a half-written file: the data goes to a temporary file in the same directory, which
// is then renamed over the target.
//
// Renaming also matters for executables on macOS: overwriting a signed binary in place
// keeps the kernel's cached signature of the old bytes, and the next run is killed.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to name with permissions perm, atomically.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := Create(name, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Commit()
}

// File is a temporary file that becomes name on Commit.
type File struct {
	*os.File
	name string
	perm fs.FileMode
}

// Create starts writing name: the returned File is a temporary file beside it.
// Call Commit to rename it into place, or Abort to remove it.
func Create(name string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &File{File: f, name: name, perm: perm}, nil
}

// Commit flushes the file to disk, sets its permissions and renames it over the
// target. On error the temporary file is removed.
func (f *File) Commit() error {
	err := f.Sync()
	if err == nil {
		err = f.Chmod(f.perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	return nil
}

// Abort closes and removes the temporary file; the target is untouched.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}
