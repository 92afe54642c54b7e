package bench

import (
	"context"
	"debug/elf"
	"fmt"
	"sort"
	"strings"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/machine"
)

// Sizes compares the two binaries' sizes and says what the difference is made of.
type Sizes struct {
	Off   int64 `json:"cgo_off"`
	On    int64 `json:"cgo_on"`
	Delta int64 `json:"delta"`
	// Known is false when the parts could not be read (not ELF, no symbol table);
	// Reason says why. The totals are always known.
	Known  bool   `json:"parts_known"`
	Reason string `json:"reason,omitempty"`
	// Parts split the difference: runtime/cgo, the C code linked in, the net and
	// os/user cgo paths, dynamic-linking sections, DWARF, and the rest.
	Parts []SizePart `json:"parts,omitempty"`
	// Packages are the Go packages whose symbols grew or shrank the most.
	Packages []SizePart `json:"packages,omitempty"`
}

// SizePart is one part's bytes in each build.
type SizePart struct {
	Name  string `json:"name"`
	Off   int64  `json:"cgo_off"`
	On    int64  `json:"cgo_on"`
	Delta int64  `json:"delta"`
}

// Size parts, in the order they are reported.
const (
	partCgo     = "runtime/cgo (Go side and its C glue)"
	partC       = "other C code linked in (crt, libgcc, libc stubs)"
	partNet     = "net: cgo resolver (getaddrinfo calls)"
	partUser    = "os/user: cgo lookups (getpwuid_r ...)"
	partDynamic = "dynamic linking (.interp .dynamic .dynsym .dynstr .rela .plt .got)"
	partDWARF   = "DWARF debug info"
	partRest    = "the rest (other Go code, pclntab, symbol tables, alignment)"
)

// elfParts is what one ELF binary is made of.
type elfParts struct {
	parts    map[string]int64
	packages map[string]int64
}

// readParts reads an ELF binary's symbols and sections, through package exe.
func readParts(ctx context.Context, m machine.Machine, path string) (*elfParts, error) {
	fh, err := m.Open(path) // never blocks; a regular file or an error naming it
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	f := exe.Read(ctx, fh, st.Size(), exe.Options{})
	if f.Format != exe.FormatELF || len(f.Slices) != 1 {
		return nil, fmt.Errorf("symbol sizes are read from ELF files only; this is %s", f.Format)
	}
	ef, err := elf.NewFile(f.Slices[0].Reader())
	if err != nil {
		return nil, err
	}
	p := &elfParts{parts: map[string]int64{}, packages: map[string]int64{}}
	for _, s := range ef.Sections {
		n := s.Name
		switch {
		case strings.HasPrefix(n, ".debug_"), strings.HasPrefix(n, ".zdebug_"):
			p.parts[partDWARF] += int64(s.FileSize)
		case n == ".interp", n == ".dynamic", n == ".dynsym", n == ".dynstr", strings.HasPrefix(n, ".rela"),
			strings.HasPrefix(n, ".plt"), strings.HasPrefix(n, ".got"), strings.HasPrefix(n, ".gnu.version"), n == ".gnu.hash", n == ".hash":
			if s.Type != elf.SHT_NOBITS {
				p.parts[partDynamic] += int64(s.FileSize)
			}
		}
	}
	syms, err := ef.Symbols()
	if err != nil {
		return nil, fmt.Errorf("no symbol table (stripped?): %w", err)
	}
	for _, s := range syms {
		if s.Size == 0 || s.Section == elf.SHN_UNDEF || int(s.Section) >= len(ef.Sections) {
			continue
		}
		if ef.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue // .bss and .noptrbss take no room in the file
		}
		size := int64(s.Size)
		name := s.Name
		if part := symbolPart(name); part != "" {
			p.parts[part] += size
		}
		if pkg := goPackage(name); pkg != "" {
			p.packages[pkg] += size
		}
	}
	return p, nil
}

// symbolPart classifies a symbol for the size breakdown ("" for the rest).
func symbolPart(name string) string {
	switch {
	case strings.HasPrefix(name, "runtime/cgo."), strings.HasPrefix(name, "runtime/cgo("), strings.HasPrefix(name, "_cgo_"), strings.HasPrefix(name, "x_cgo_"),
		strings.HasPrefix(name, "crosscall"), strings.HasPrefix(name, "_cgoexp_"):
		return partCgo
	case strings.HasPrefix(name, "net.") && (strings.Contains(name, "cgo") || strings.Contains(name, "_C")):
		return partNet
	case strings.HasPrefix(name, "os/user.") && (strings.Contains(name, "cgo") || strings.Contains(name, "_C")):
		return partUser
	case !strings.Contains(name, ".") && !strings.HasPrefix(name, "go:") && !strings.HasPrefix(name, "type:"):
		return partC
	}
	return ""
}

// goPackage returns the Go package of a symbol ("net" for "net.(*Resolver).lookupHost"),
// or "" for C symbols.
func goPackage(name string) string {
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type:") {
		return ""
	}
	if symbolPart(name) == partCgo && !strings.HasPrefix(name, "runtime/cgo") {
		return "runtime/cgo"
	}
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot <= 0 {
		return ""
	}
	// Host objects of an external link: "runtime/cgo(.text)".
	if p := strings.IndexByte(name[slash+1:], '('); p > 0 && p < dot {
		return name[:slash+1+p]
	}
	return name[:slash+1+dot]
}

// compareSizes splits the size difference of two builds whose sizes inspectBuild read.
func compareSizes(ctx context.Context, m machine.Machine, offB, onB *Build) *Sizes {
	offPath, onPath := offB.path, onB.path
	s := &Sizes{Off: offB.Size, On: onB.Size}
	s.Delta = s.On - s.Off
	off, err := readParts(ctx, m, offPath)
	if err == nil {
		var on *elfParts
		if on, err = readParts(ctx, m, onPath); err == nil {
			s.Known = true
			rest := SizePart{Name: partRest, Off: s.Off, On: s.On}
			for _, name := range []string{partCgo, partC, partNet, partUser, partDynamic, partDWARF} {
				p := SizePart{Name: name, Off: off.parts[name], On: on.parts[name]}
				p.Delta = p.On - p.Off
				rest.Off -= p.Off
				rest.On -= p.On
				s.Parts = append(s.Parts, p)
			}
			rest.Delta = rest.On - rest.Off
			s.Parts = append(s.Parts, rest)
			s.Packages = packageDeltas(off.packages, on.packages, 8)
			return s
		}
	}
	s.Reason = err.Error()
	return s
}

// packageDeltas returns the n packages whose size changed most.
func packageDeltas(off, on map[string]int64, n int) []SizePart {
	var ps []SizePart
	seen := map[string]bool{}
	for _, m := range []map[string]int64{off, on} {
		for k := range m {
			if seen[k] {
				continue
			}
			seen[k] = true
			if d := on[k] - off[k]; d != 0 {
				ps = append(ps, SizePart{Name: k, Off: off[k], On: on[k], Delta: d})
			}
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		ai, aj := abs(ps[i].Delta), abs(ps[j].Delta)
		if ai != aj {
			return ai > aj
		}
		return ps[i].Name < ps[j].Name
	})
	if len(ps) > n {
		ps = ps[:n]
	}
	return ps
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
