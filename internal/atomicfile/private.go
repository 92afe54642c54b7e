package atomicfile

import "errors"

// Why a file kept for this user alone (a cache entry, an index) must not be trusted:
// CheckPrivate wraps one of these.
var (
	// ErrForeignOwner: another user owns the file, so it may hold what they planted.
	ErrForeignOwner = errors.New("owned by another user")
	// ErrWritableByOthers: its group or others may write it.
	ErrWritableByOthers = errors.New("writable by its group or others")
)

// NotPrivateError is CheckPrivate's error: Kind is ErrForeignOwner or
// ErrWritableByOthers, Detail the fact behind it ("uid 1001", "mode -rw-rw-rw-").
type NotPrivateError struct {
	Kind   error
	Detail string
}

func (e *NotPrivateError) Error() string { return e.Kind.Error() + ": " + e.Detail }

// Unwrap returns Kind, so errors.Is matches it.
func (e *NotPrivateError) Unwrap() error { return e.Kind }
