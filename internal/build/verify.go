package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/gonative/gonative/internal/atomicfile"
	"io"
	"strings"

	"github.com/gonative/gonative/internal/exe"
)

// wantFormat is the executable format of a GOOS.
func wantFormat(goos string) exe.Format {
	switch goos {
	case "darwin", "ios":
		return exe.FormatMachO
	case "windows":
		return exe.FormatPE
	case "js", "wasip1", "plan9":
		return ""
	}
	return exe.FormatELF
}

// cgoWant says whether runtime/cgo must be linked into an output.
type cgoWant int

const (
	cgoNo    cgoWant = iota // cgo was off: runtime/cgo must not be linked
	cgoYes                  // a package has cgo files: runtime/cgo must be linked
	cgoMaybe                // cgo was on but nothing asked for it (--cgo=on)
)

// readOutput hashes and reads the output at path, recording its format and any
// problem reading it in out; nil when it cannot be read at all.
func readOutput(ctx context.Context, path string, out *Output) *exe.File {
	if err := hashFile(path, out); err != nil {
		out.Problems = append(out.Problems, err.Error())
		return nil
	}
	f, err := exe.Inspect(ctx, path, exe.Options{})
	if err != nil {
		out.Problems = append(out.Problems, fmt.Sprintf("inspect: %v", err))
		return nil
	}
	out.Format = string(f.Format)
	if f.Error != "" {
		out.Problems = append(out.Problems, "unreadable output: "+f.Error)
	}
	return f
}

// verify inspects the output at path, built for t with cgo on or off, and records its
// facts and any mismatch in out.
func verify(ctx context.Context, path string, t Target, cgo cgoWant, out *Output) {
	f := readOutput(ctx, path, out)
	if f == nil {
		return
	}
	if w := wantFormat(t.OS); w != "" && f.Format != w {
		out.Problems = append(out.Problems, fmt.Sprintf("format is %s, want %s for %s", f.Format, w, t))
	}
	if len(f.Slices) != 1 {
		if f.Error == "" {
			out.Problems = append(out.Problems, fmt.Sprintf("%d slices, want 1", len(f.Slices)))
		}
		return
	}
	checkSlice(&f.Slices[0], t, cgo, out)
	if f.Format == exe.FormatELF && !out.Static {
		out.GLIBC = f.Slices[0].GLIBC // exe reads the version needs once, for everyone
	}
}

// checkSlice compares one slice with the target.
func checkSlice(s *exe.Slice, t Target, cgo cgoWant, out *Output) {
	out.Arches = append(out.Arches, s.Arch)
	if out.OS == "" {
		out.OS = s.OS
	}
	if s.Error != "" {
		out.Problems = append(out.Problems, fmt.Sprintf("%s slice: %s", s.Arch, s.Error))
	}
	if s.Arch != t.Arch {
		out.Problems = append(out.Problems, fmt.Sprintf("architecture is %s, want %s", s.Arch, t.Arch))
	}
	// ELF files often leave the OS unsaid (ELFOSABI_NONE); judge only what is said.
	if s.OS != "" && s.OS != t.OS {
		out.Problems = append(out.Problems, fmt.Sprintf("OS is %s, want %s", s.OS, t.OS))
	}
	out.Static = s.Static
	out.Interpreter = s.Interpreter
	if s.Go == nil {
		out.Problems = append(out.Problems, "not recognised as a Go program")
	} else {
		out.GoVersion = s.Go.Version
		out.CgoLinked = out.CgoLinked || s.Go.Cgo.Is(true)
		switch {
		case !s.Go.Cgo.Known:
			out.Problems = append(out.Problems, "cannot tell whether runtime/cgo is linked: "+s.Go.Sources["cgo"])
		case cgo == cgoYes && !s.Go.Cgo.Value:
			out.Problems = append(out.Problems, "built with cgo but runtime/cgo is not linked")
		case cgo == cgoNo && s.Go.Cgo.Value:
			out.Problems = append(out.Problems, "built without cgo but runtime/cgo is linked")
		}
	}
	if t.OS == "darwin" {
		sig := s.Signature
		switch {
		case sig == nil || !sig.Present:
			out.Signature = "none"
		case !sig.Valid.Known:
			out.Signature = "unknown: " + sig.Problem
		case sig.Valid.Value && sig.AdHoc:
			out.Signature = "valid (ad hoc)"
		case sig.Valid.Value:
			out.Signature = "valid"
		default:
			out.Signature = "invalid: " + sig.Problem
		}
		if p := s.SignatureProblem(); p != "" {
			out.Problems = append(out.Problems, "darwin/arm64 needs a valid code signature: "+p)
		}
	}
}

// verifyUniversal checks a universal file merged from darwin/amd64 and darwin/arm64;
// cgo says what each slice (by GOARCH) must link.
func verifyUniversal(ctx context.Context, path string, out *Output, cgo map[string]cgoWant) {
	f := readOutput(ctx, path, out)
	if f == nil {
		return
	}
	if f.Format != exe.FormatMachOFat {
		out.Problems = append(out.Problems, fmt.Sprintf("format is %s, want %s", f.Format, exe.FormatMachOFat))
	}
	want := map[string]bool{"amd64": true, "arm64": true}
	var sigs []string
	for i := range f.Slices {
		s := &f.Slices[i]
		if !want[s.Arch] {
			out.Problems = append(out.Problems, fmt.Sprintf("unexpected slice %s", s.Arch))
			continue
		}
		delete(want, s.Arch)
		sub := &Output{}
		checkSlice(s, Target{"darwin", s.Arch}, cgo[s.Arch], sub)
		out.Arches = append(out.Arches, s.Arch)
		out.OS, out.GoVersion = sub.OS, sub.GoVersion
		out.CgoLinked = out.CgoLinked || sub.CgoLinked
		sigs = append(sigs, s.Arch+": "+sub.Signature)
		for _, p := range sub.Problems {
			out.Problems = append(out.Problems, s.Arch+" slice: "+p)
		}
	}
	for a := range want {
		out.Problems = append(out.Problems, "no "+a+" slice")
	}
	out.Signature = strings.Join(sigs, ", ")
}

func hashFile(path string, out *Output) error {
	f, _, err := atomicfile.OpenInput(path) // never blocks on a FIFO swapped in
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	out.Size, out.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return nil
}
