package scaffold

import (
	"bytes"
	"errors"
	"fmt"
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
// a FIFO or a device where a file would go is an error, force or not.
func Plan(dir string, files []File, force bool) ([]Change, error) {
	var changes []Change
	var exists []string
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		c := Change{File: f, Target: target, Action: Create}
		fi, err := os.Lstat(target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%s: not a regular file (%s): gonative init replaces only regular files", target, fi.Mode().Type())
		default:
			old, err := os.ReadFile(target)
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

// Apply writes the created and overwritten files of a plan, each atomically, creating
// their directories. A file that became something else than a regular file since Plan
// is refused.
func Apply(changes []Change) error {
	for _, c := range changes {
		if c.Action == Unchanged {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(c.Target), 0o755); err != nil {
			return err
		}
		if fi, err := os.Lstat(c.Target); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%s): gonative init replaces only regular files", c.Target, fi.Mode().Type())
		}
		if err := atomicfile.WriteFile(c.Target, c.Data, c.Mode); err != nil {
			return err
		}
	}
	return nil
}
