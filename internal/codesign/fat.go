package codesign

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/gonative/gonative/internal/exe"
)

const (
	fatMagic64  = 0xcafebabf
	maxP2Align  = 15 // the largest slice alignment lipo uses
	fatEntry32  = 20
	fatEntry64  = 32
	fatHeader32 = 8
)

// signFat signs every Mach-O slice of the universal file b. A slice that is not a
// little-endian Mach-O executable, library or bundle keeps its bytes (Kept says
// why); every slice keeps its place in the architecture table, and a slice moves
// only when the one before it grew past its start.
func signFat(b []byte, name string, opts Options, ent *newEntitlements) ([]byte, *Result, error) {
	h, err := exe.ReadFatHeader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	res := &Result{Universal: true}
	members := make([][]byte, len(h.Archs))
	for i, a := range h.Archs {
		arch := archName(a.CPUType, a.CPUSubtype)
		if a.Err != nil {
			return nil, nil, &SliceError{Index: i, Arch: arch, Err: fmt.Errorf("%w: %v", ErrMalformed, a.Err)}
		}
		in := b[a.Offset : a.Offset+a.Size]
		out, r, err := signSlice(in, name, opts, ent)
		if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrNotMachO) {
			out, r = in, SliceResult{Arch: arch, Kept: err.Error()}
		} else if err != nil {
			return nil, nil, &SliceError{Index: i, Arch: arch, Err: err}
		}
		r.Index = i
		members[i] = out
		res.Slices = append(res.Slices, r)
	}

	entry := fatEntry32
	if h.Is64() {
		entry = fatEntry64
	}
	hdrEnd := uint64(fatHeader32 + entry*len(h.Archs))
	order := make([]int, len(h.Archs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmpU64(h.Archs[x].Offset, h.Archs[y].Offset) })
	offs := make([]uint64, len(h.Archs))
	cur := hdrEnd
	for _, i := range order {
		align := uint64(1) << min(h.Archs[i].Align, maxP2Align)
		offs[i] = max((cur+align-1)&^(align-1), h.Archs[i].Offset)
		cur = offs[i] + uint64(len(members[i]))
	}
	if !h.Is64() && cur > codeLimitMax32 {
		return nil, nil, fmt.Errorf("%w: the signed universal file would pass 4 GiB (FAT_MAGIC has 32-bit offsets)", ErrUnsupported)
	}

	out := make([]byte, cur)
	first := h.Archs[order[0]].Offset
	copy(out, b[:first]) // the header and what lies between it and the first slice
	be := binary.BigEndian
	for i, a := range h.Archs {
		e := out[fatHeader32+entry*i:]
		if h.Is64() {
			be.PutUint64(e[8:], offs[i])
			be.PutUint64(e[16:], uint64(len(members[i])))
		} else {
			be.PutUint32(e[8:], uint32(offs[i]))
			be.PutUint32(e[12:], uint32(len(members[i])))
		}
		_ = a
		copy(out[offs[i]:], members[i])
	}
	return out, res, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
