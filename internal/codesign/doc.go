// Package codesign writes Mach-O code signatures, in pure Go and on any OS: the ad hoc
// signature `codesign -f -s -` writes (a CodeDirectory of SHA-256 page hashes, the
// SHA-1 and SHA-256 pair where the minimum macOS needs it, an empty requirement set
// and an empty CMS blob) and, with an identity, a CMS signature over the
// CodeDirectories and the designated requirement codesign makes for the identity's
// chain (requirements.go); every slice of a universal file.
//
// Sign works on bytes and returns new bytes; SignFile reads a file without blocking,
// signs it, checks the result with exe's verifier and replaces the file atomically.
// Nothing outside the signature and the load-command fields that describe it
// (LC_CODE_SIGNATURE, __LINKEDIT's sizes, the header's command count and size when
// the load command is added, and a universal header's offsets and sizes) changes.
//
// The layout follows Apple's open-source Security framework (cscdefs.h,
// CodeDirectory.h), Go's cmd/internal/codesign and Apple's TN3126 "Inside Code
// Signing: Hashes".
package codesign
