package codesign

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is.
var (
	// ErrNotMachO: the input is not a Mach-O file (thin or universal).
	ErrNotMachO = errors.New("not a Mach-O file")
	// ErrMalformed: the Mach-O file's structures contradict each other or run past
	// its end.
	ErrMalformed = errors.New("malformed Mach-O")
	// ErrUnsupported: a valid Mach-O this signer does not sign (big-endian, an
	// object file).
	ErrUnsupported = errors.New("not signable")
	// ErrNoRoom: a load command must be added and the header has no room for it.
	ErrNoRoom = errors.New("no room for LC_CODE_SIGNATURE")
	// ErrLayout: the signature cannot go at the end of __LINKEDIT (__LINKEDIT is
	// missing or not last, or data follows it).
	ErrLayout = errors.New("no place for the signature")
	// ErrEntitlements: the entitlements are not an XML property list.
	ErrEntitlements = errors.New("entitlements are not an XML property list")
	// ErrVerify: the signed output did not verify (a bug: nothing was written).
	ErrVerify = errors.New("the signed output does not verify")
)

// NoRoomError is the error for a slice whose header has no room for
// LC_CODE_SIGNATURE (the binary was linked without header padding, as with
// -headerpad 0, and never signed).
type NoRoomError struct {
	Arch string // the slice's architecture (lipo's name)
	Need int    // bytes the load command needs
	Have int    // bytes free between the load commands and the first content
}

func (e *NoRoomError) Error() string {
	return fmt.Sprintf("%s slice: no room for LC_CODE_SIGNATURE: it needs %d bytes after the load commands and %d are free before the first section (relink with -headerpad or with the linker's ad hoc signature)",
		e.Arch, e.Need, e.Have)
}

// Unwrap makes errors.Is(err, ErrNoRoom) true.
func (e *NoRoomError) Unwrap() error { return ErrNoRoom }

// SliceError is a failure of one slice of a file.
type SliceError struct {
	Index int    // in the universal header; 0 for a thin file
	Arch  string // lipo's name
	Err   error
}

func (e *SliceError) Error() string {
	if _, ok := e.Err.(*NoRoomError); ok {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s slice: %v", e.Arch, e.Err)
}

// Unwrap returns the slice's error.
func (e *SliceError) Unwrap() error { return e.Err }
