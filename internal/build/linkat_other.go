//go:build !unix

package build

import (
	"errors"
	"os"
)

// linkAt is linkat(2) where there is one: elsewhere the caller copies instead.
func linkAt(root *os.Root, p, name string) error {
	return errors.ErrUnsupported
}
