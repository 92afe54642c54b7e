package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/rogpeppe/go-internal/diff"
)

// Action is what writing a file does to the disk.
type Action string

// Actions.
const (
	Create    Action = "create"    // the file does not exist
	Overwrite Action = "overwrite" // the file exists with other content
	Unchanged Action = "unchanged" // the file exists with this content
)

// Change is one file of a plan: what is on disk and what would be written.
type Change struct {
	File
	Target string // the file's path on disk
	Action Action
	Old    []byte // the file's current content (Overwrite, Unchanged)
	dir    string // the directory Plan resolved Path beneath
}

// Diff is a unified diff from the file on disk to the new content; empty unless the
// action is Overwrite.
func (c Change) Diff() []byte {
	if c.Action != Overwrite {
		return nil
	}
	return diff.Diff(c.Path+" (on disk)", c.Old, c.Path+" (new)", c.Data)
}

// ErrExists is returned by Plan for a file that exists with other content when force
// is not set.
var ErrExists = errors.New("exists")

// ExistsError lists the files that exist with other content.
type ExistsError struct{ Paths []string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s exists with other content: nothing was written (--force replaces it and shows the diff, --dry-run shows what would be written)",
		strings.Join(e.Paths, " and "))
}

// Is makes errors.Is(err, ErrExists) true.
func (e *ExistsError) Is(target error) bool { return target == ErrExists }

// Plan compares files with what is on disk under dir. Without force, a file that exists
// with other content is an error (errors.Is ErrExists) naming every such file; nothing
// is written either way. Only regular files are ever replaced: a directory, a symlink,
// a FIFO or a device where a file would go is an error, force or not. Every path is
// resolved beneath dir (an os.Root): a parent directory that is a symbolic link
// leading out of dir (.github -> /Y in a cloned repository) is an error.
func Plan(dir string, files []File, force bool) ([]Change, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var changes []Change
	var exists []string
	for _, f := range files {
		rel := filepath.FromSlash(f.Path)
		target := filepath.Join(dir, rel)
		c := Change{File: f, Target: target, Action: Create, dir: dir}
		fi, err := root.Lstat(rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("%s: %w", target, err)
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%s: not a regular file (%s): gonative init replaces only regular files", target, fi.Mode().Type())
		default:
			old, err := readIn(root, rel)
			if err != nil {
				return nil, err
			}
			c.Old = old
			c.Action = Overwrite
			if bytes.Equal(old, f.Data) {
				c.Action = Unchanged
			} else if !force {
				exists = append(exists, target)
			}
		}
		changes = append(changes, c)
	}
	if len(exists) > 0 {
		return changes, &ExistsError{Paths: exists}
	}
	return changes, nil
}

// readIn reads the regular file name beneath root, without blocking on anything else.
func readIn(root *os.Root, name string) ([]byte, error) {
	f, fi, err := atomicfile.OpenInputIn(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
}

// Apply writes the created and overwritten files of a plan, each atomically, creating
// their directories, every path resolved beneath the plan's directory (see Plan). A
// file that became something else than a regular file since Plan is refused.
func Apply(changes []Change) error {
	roots := map[string]*os.Root{}
	defer func() {
		for _, r := range roots {
			r.Close()
		}
	}()
	for _, c := range changes {
		if c.Action == Unchanged {
			continue
		}
		root, ok := roots[c.dir]
		if !ok {
			var err error
			if root, err = os.OpenRoot(c.dir); err != nil {
				return err
			}
			roots[c.dir] = root
		}
		rel := filepath.FromSlash(c.Path)
		if d := filepath.Dir(rel); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("%s: %w", c.Target, err)
			}
		}
		if fi, err := root.Lstat(rel); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%s): gonative init replaces only regular files", c.Target, fi.Mode().Type())
		}
		if err := atomicfile.WriteFileIn(root, rel, c.Data, c.Mode); err != nil {
			return err
		}
	}
	return nil
}
