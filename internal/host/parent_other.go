//go:build !darwin

package host

import "errors"

// ParentTranslated reports whether this process's parent runs under Rosetta 2; only
// macOS has Rosetta 2 for processes.
func ParentTranslated() (bool, error) { return false, errors.ErrUnsupported }
