package exe

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// GLIBCProvided returns the newest GLIBC_x.y[.z] version that the ELF shared library in
// the size bytes of ra defines (its SHT_GNU_verdef entries, as glibc's libc.so.6 does for
// every release), or "" when it defines none (musl, a library that is not libc). A
// program whose newest needed GLIBC_ version (Slice.GLIBC) is newer does not start
// against this library. It never panics.
func GLIBCProvided(ra io.ReaderAt, size int64) (v string, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = "", fmt.Errorf("malformed ELF file: %v", r)
		}
	}()
	f, err := elf.NewFile(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return "", err
	}
	// debug/elf reads the whole section: refuse absurd sizes before it allocates.
	if s := f.SectionByType(elf.SHT_GNU_VERDEF); s != nil && s.Size > elfMaxDynamic*64 {
		return "", fmt.Errorf("version definition section of %d bytes is too large", s.Size)
	}
	defs, err := f.DynamicVersions()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return "", nil
		}
		return "", err
	}
	var best []int
	for _, d := range defs {
		s, ok := strings.CutPrefix(d.Name, "GLIBC_")
		if !ok {
			continue
		}
		nums := versionNums(s)
		if nums == nil {
			continue // GLIBC_PRIVATE
		}
		if best == nil || versionLess(best, nums) {
			best, v = nums, s
		}
	}
	return v, nil
}

// GLIBCLess reports whether glibc version a ("2.31") is older than b ("2.34"), by
// CompareVersions. Versions that are not dotted numbers compare as equal.
func GLIBCLess(a, b string) bool {
	return versionNums(a) != nil && versionNums(b) != nil && CompareVersions(a, b) < 0
}
