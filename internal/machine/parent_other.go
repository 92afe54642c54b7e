//go:build !darwin

package machine

import (
	"errors"
	"fmt"
)

// parentTranslated is darwin's; only macOS has Rosetta 2 for processes.
func parentTranslated() (bool, error) {
	return false, fmt.Errorf("whether the parent process is translated: %w", errors.ErrUnsupported)
}
