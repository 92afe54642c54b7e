package exe

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// GoInfo is what a Go binary says about the toolchain and settings that built it.
type GoInfo struct {
	// Version is the Go release that built the binary ("go1.26.8"); ""
	// when it could not be found, and Sources["version"] says why.
	Version       string
	Path          string // main package path
	Module        string // main module path
	ModuleVersion string
	Settings      map[string]string // -buildmode, CGO_ENABLED, GOARCH, GOAMD64, vcs.revision ...
	Deps          []Module          // with Options.Deps
	// Cgo is true when runtime/cgo is really linked (its functions are in the pclntab),
	// whatever CGO_ENABLED says; unknown when no pclntab could be read (Sources["cgo"]
	// says why).
	Cgo Fact[bool]
	// Sources names where each fact came from: "go" (that it is a Go binary),
	// "version", "settings", "cgo" map to "buildinfo", "pclntab", "symtab" (the
	// runtime.buildVersion symbol) or "strings" (a version string in the read-only
	// data, checked against the pclntab's release range); a fact that could not be
	// established says why.
	Sources map[string]string
	// Pclntab is the Go release range the function table's format stands for
	// ("go1.20 or later"); empty when no pclntab was found.
	Pclntab string
	// LinkShared is true for a program built with -linkshared: it imports the Go
	// runtime from a Go shared library (-buildmode=shared), so whether cgo is linked,
	// the Go release and the runtime's CPU level are that library's facts, not this
	// file's (Cgo is then unknown unless the pclntab shows runtime/cgo).
	LinkShared bool
}

// unknownPrefix starts the Sources entry, and a Signature's Problem, of a fact the
// bytes do not settle (part of the JSON contract); why follows. Only this package
// reads it back (Why, Signature.Why).
const unknownPrefix = "unknown: "

// Why returns why fact ("version", "cgo", "settings") is what Sources says, or
// unknown: the Sources entry without the "unknown: " that starts an unknown's.
func (g *GoInfo) Why(fact string) string {
	return strings.TrimPrefix(g.Sources[fact], unknownPrefix)
}

// CgoLinked returns whether runtime/cgo is linked, as a fact: unknown, with why, when
// no pclntab settles it.
func (g *GoInfo) CgoLinked() Fact[bool] {
	c := g.Cgo
	if !c.Known && c.Why == "" {
		c.Why = g.Why("cgo")
	}
	return c
}

// GoVersion returns the Go release that built the binary, as a fact: unknown, with
// why, when neither the build info nor the pclntab settles it.
func (g *GoInfo) GoVersion() Fact[string] {
	if g.Version == "" {
		return UnknownFact[string](g.Why("version"))
	}
	return KnownFact(g.Version)
}

// Module is a module dependency from the build info.
type Module struct {
	Path    string
	Version string
	Sum     string
	Replace *Module
}

// readGo reads the Go build info of a slice; nil when it is not a Go binary. It never
// panics: a malformed binary yields what could be read.
func readGo(ra io.ReaderAt, size int64, opts Options) (g *GoInfo) {
	return readGoLayout(ra, size, opts, nil)
}

// readGoLayout is readGo for an image whose layout l the format reader has read
// already; nil reads it.
func readGoLayout(ra io.ReaderAt, size int64, opts Options, l *exeLayout) (g *GoInfo) {
	defer func() {
		if r := recover(); r != nil && g != nil {
			// A panic before anything Go was found leaves g nil: not known to be Go.
			g.Sources["error"] = fmt.Sprintf("malformed Go data (parser panic: %v)", r)
		}
	}()
	ra = io.NewSectionReader(ra, 0, size)
	var lerr error
	if l == nil {
		l, lerr = readLayout(ra, size)
	}
	if lerr == nil && !l.goMarks && l.format != FormatPE {
		// No .go.buildinfo, no Go note, no pclntab: not Go. Checked first because
		// debug/buildinfo would search the whole data segment of every C library
		// for its magic.
		return nil
	}
	bi := readBuildInfo(ra)
	var pcln pclnHeader
	var havePcln bool
	if lerr == nil {
		pcln, havePcln = findPcln(ra, size, l, bi != nil)
	}
	if bi == nil && !havePcln {
		return nil
	}
	g = &GoInfo{Sources: map[string]string{}}
	if bi != nil {
		g.Version = bi.GoVersion
		if goVersionPlaceholder(bi.GoVersion) {
			// A placeholder (garble's "unknown") is no version: unknown with the reason,
			// and the pclntab and symbols below may still settle it.
			g.Version = ""
		}
		g.Path = bi.Path
		g.Module = bi.Main.Path
		g.ModuleVersion = bi.Main.Version
		if len(bi.Settings) > 0 {
			g.Settings = make(map[string]string, len(bi.Settings))
			for _, s := range bi.Settings {
				g.Settings[s.Key] = s.Value
			}
			g.Sources["settings"] = "buildinfo"
		}
		if opts.Deps {
			for _, d := range bi.Deps {
				g.Deps = append(g.Deps, goModule(d))
			}
		}
		g.Sources["go"] = "buildinfo"
		g.Sources["version"] = "buildinfo"
		if g.Version == "" {
			g.Sources["version"] = unknownPrefix + fmt.Sprintf("the build info's Go version is %q, a placeholder (garble writes \"unknown\"), not a release", bi.GoVersion)
		}
	} else {
		g.Sources["go"] = "pclntab"
		g.Sources["settings"] = "none: no build info in the binary"
	}
	if !havePcln {
		g.Sources["cgo"] = unknownPrefix + "no pclntab found"
		g.Cgo = UnknownFact[bool]("no pclntab found")
		if g.Version == "" && bi == nil {
			g.Sources["version"] = unknownPrefix + "no build info and no pclntab"
		}
		return g
	}
	g.Pclntab = pcln.release()
	g.Cgo = KnownFact(pclnCgo(ra, pcln))
	g.Sources["cgo"] = "pclntab"
	if g.Version != "" {
		return g
	}
	if v := symtabBuildVersion(ra, size, l); v != "" && goVersionFits(v, pcln) {
		g.Version = v
		g.Sources["version"] = "symtab"
	} else if v := versionStrings(ra, size, l, pcln.releaseOK); v != "" {
		g.Version = v
		g.Sources["version"] = "strings"
	} else if bi == nil {
		g.Sources["version"] = unknownPrefix + "pclntab says " + pcln.release()
	} else {
		g.Sources["version"] += "; the pclntab says " + pcln.release()
	}
	return g
}

// osInferredNote is the note readELF leaves when it guesses linux for lack of any OS
// mark in the file.
const osInferredNote = "OS inferred: linux (ELF OSABI is SYSV and no OS note or known interpreter)"

// reconcileGoOS corrects a guessed ELF OS with the GOOS of a Go binary's build info:
// a static Go binary for DragonFly has no OS mark at all, like one for Linux. It also
// settles the OS where the headers cannot tell two apart (goosRefines): an illumos
// binary carries Solaris's OS/ABI and loader, an android one may look like Linux, an
// ios one like macOS. Call it after readGo.
func reconcileGoOS(s *Slice) {
	if s.Go == nil || s.Go.Settings["GOOS"] == "" {
		return
	}
	goos := s.Go.Settings["GOOS"]
	for i, n := range s.Notes {
		if n == osInferredNote {
			s.OS = goos
			s.Notes[i] = "OS from the Go build info (GOOS); the ELF headers do not say"
			return
		}
	}
	if goos != s.OS && goosRefines[goos] == s.OS {
		s.Notes = append(s.Notes, fmt.Sprintf("OS %s from the Go build info (GOOS): the headers say only %s, which they share", goos, s.OS))
		s.OS = goos
	}
}

// goosRefines maps each GOOS whose executables the headers do not tell apart from
// another OS's to that OS: Go's illumos port writes Solaris's ELF OS/ABI and loader
// path, android/arm64 and android/amd64 ELF may carry Linux's marks, and an ios
// Mach-O from an older SDK carries macOS's version command.
var goosRefines = map[string]string{
	"illumos": "solaris",
	"android": "linux",
	"ios":     "darwin",
}

// goVersionPlaceholder reports whether v, the Go version in a build info, is a
// placeholder rather than a release: garble writes "unknown" there, and any value that
// is not a "go1..." or "devel ..." version names no release.
func goVersionPlaceholder(v string) bool {
	return !strings.HasPrefix(v, "go1") && !strings.HasPrefix(v, "devel")
}

// SettingsKnown reports whether the build settings (GOAMD64, GOARM64, CGO_ENABLED ...)
// were read from the build info; without it every setting is unknown, not its default.
func (g *GoInfo) SettingsKnown() bool { return g != nil && g.Sources["settings"] == "buildinfo" }

// SettingKnown reports whether the build setting key is known: from the build info, or
// (GOAMD64) from the runtime's own bytes when the build info is gone; Sources[key] then
// says how.
func (g *GoInfo) SettingKnown(key string) bool {
	return g != nil && (g.SettingsKnown() || g.Sources[key] != "")
}

// arm64LSEMessage is the message Go's runtime (runtime/asm_arm64.s, no_lse_msg, Go
// 1.23 and later) carries only when built with GOARM64=v8.1 or later, or ",lse".
const arm64LSEMessage = "This program can only run on ARM64 processors with LSE support."

// inferGOARM64LSE records, for an arm64 Go binary without build info whose runtime
// carries the LSE check message, that it requires LSE atomics (GOARM64=v8.1 at least).
// Without the message GOARM64 stays unknown: it may still ask for ",crypto", which the
// runtime does not check.
func inferGOARM64LSE(s *Slice, l *exeLayout) {
	g := s.Go
	msg := []byte(arm64LSEMessage)
	if found, _ := scanData(s, l, len(msg), func(buf []byte) bool { return bytes.Contains(buf, msg) }); !found {
		return
	}
	if g.Settings == nil {
		g.Settings = map[string]string{}
	}
	g.Settings["GOARM64"] = "v8.1"
	g.Sources["GOARM64"] = "strings: the runtime's start-up check \"" + arm64LSEMessage + "\" (GOARM64=v8.1 or later, or ,lse)"
}

// scanData calls match on the bytes of the data sections of l, in chunks that overlap
// by overlap-1 bytes (a message of that length is never cut), until match returns
// true, reading at most scanMaxLen bytes in all. complete is false when that budget ran
// out before every data section was read.
func scanData(s *Slice, l *exeLayout, overlap int, match func(buf []byte) bool) (found, complete bool) {
	budget := int64(scanMaxLen)
	for _, sec := range l.sections {
		if !sec.data || sec.off >= uint64(s.Size) || budget <= 0 || found {
			continue
		}
		end := int64(min(sec.off+sec.size, uint64(s.Size)))
		budget -= end - int64(sec.off)
		scanRegion(s.ra, int64(sec.off), end, overlap, func(buf []byte, base int64) bool {
			found = match(buf)
			return !found
		})
	}
	return found, budget > 0
}

// amd64CPUMessage starts the message Go's runtime (runtime/asm_amd64.s, bad_cpu_msg)
// carries only when built with GOAMD64=v2 or higher; a v1 build has zeros there.
const amd64CPUMessage = "This program can only be run on AMD64 processors with v"

// inferGOAMD64 settles GOAMD64 of an amd64 Go binary whose build info is gone, from
// the runtime's start-up CPU check message: "... with v3 microarchitecture support." in
// the read-only data means GOAMD64=v3; no such message means v1 (Go 1.18 introduced
// GOAMD64 and the message with it). Call it after readGo, before the instruction scan.
func inferGOAMD64(s *Slice) {
	g := s.Go
	// A -linkshared program's runtime, whose start-up check carries the message, is
	// in the Go shared library it loads: its absence here says nothing.
	if g == nil || g.SettingsKnown() || g.Pclntab == "" || s.ra == nil || g.LinkShared {
		return
	}
	if s.Arch != "amd64" && s.Arch != "arm64" {
		return
	}
	l := s.layout
	if l == nil {
		var err error
		if l, err = readLayout(s.ra, s.Size); err != nil {
			return
		}
	}
	if s.Arch == "arm64" {
		inferGOARM64LSE(s, l)
		return
	}
	level := ""
	msg := []byte(amd64CPUMessage)
	_, complete := scanData(s, l, len(msg), func(buf []byte) bool {
		i := bytes.Index(buf, msg)
		if i >= 0 && i+len(msg) < len(buf) {
			if c := buf[i+len(msg)]; c >= '2' && c <= '4' {
				level = "v" + string(c)
			}
		}
		return level != ""
	})
	if !complete && level == "" {
		return // not all read: unknown
	}
	if g.Settings == nil {
		g.Settings = map[string]string{}
	}
	if level != "" {
		g.Settings["GOAMD64"] = level
		g.Sources["GOAMD64"] = "strings: the runtime's start-up check \"" + amd64CPUMessage + level[1:] + " microarchitecture support\""
	} else {
		g.Settings["GOAMD64"] = "v1"
		g.Sources["GOAMD64"] = "strings: the runtime carries no start-up CPU check message, which GOAMD64=v2 and higher add"
	}
}

// readBuildInfo reads the build info, or returns nil. debug/buildinfo is not
// hardened against malformed input (go.dev/issue/52718, 58137): a panic is no info.
func readBuildInfo(ra io.ReaderAt) (bi *buildinfo.BuildInfo) {
	defer func() {
		if recover() != nil {
			bi = nil
		}
	}()
	bi, err := buildinfo.Read(ra)
	if err != nil {
		return nil
	}
	return bi
}

func goModule(m *debug.Module) Module {
	r := Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		rep := goModule(m.Replace)
		r.Replace = &rep
	}
	return r
}

// goVersionFits reports whether v ("go1.N...") is a Go version the pclntab's format
// allows.
func goVersionFits(v string, h pclnHeader) bool {
	i := strings.Index(v, "go1.")
	if i < 0 {
		return false
	}
	b := []byte(v[i:] + "\x00")
	_, nums := parseGoVersionAt(b, 0)
	return nums != nil && h.releaseOK(nums[1])
}

// symtabBuildVersion reads the string variable runtime.buildVersion through an ELF
// symbol table, streaming the string and symbol tables in chunks. It returns "" when
// the binary is stripped or the value cannot be read (in a PIE the pointer may be
// left for a relocation to fill in).
func symtabBuildVersion(ra io.ReaderAt, size int64, l *exeLayout) string {
	if l.format != "elf" || l.symtab.size == 0 || l.strtab.size == 0 {
		return ""
	}
	name := []byte("\x00runtime.buildVersion\x00")
	strEnd := int64(min(l.strtab.off+l.strtab.size, uint64(size)))
	nameOff := int64(-1)
	scanRegion(ra, int64(l.strtab.off), strEnd, len(name)-1, func(buf []byte, base int64) bool {
		if i := bytes.Index(buf, name); i >= 0 {
			nameOff = base + int64(i) + 1 - int64(l.strtab.off)
			return false
		}
		return true
	})
	if nameOff < 0 {
		return ""
	}
	entSize := 24
	if l.bits == 32 {
		entSize = 16
	}
	buf := make([]byte, entSize*2048)
	symEnd := int64(min(l.symtab.off+l.symtab.size, uint64(size)))
	var value uint64
	found := false
	for off := int64(l.symtab.off); off < symEnd && !found; off += int64(len(buf)) {
		n, _ := ra.ReadAt(buf[:min(int64(len(buf)), symEnd-off)], off)
		n -= n % entSize
		if n == 0 {
			break
		}
		for i := 0; i+entSize <= n; i += entSize {
			e := buf[i:]
			if int64(l.order.Uint32(e)) != nameOff {
				continue
			}
			if l.bits == 32 {
				value = uint64(l.order.Uint32(e[4:]))
			} else {
				value = l.order.Uint64(e[8:])
			}
			found = true
			break
		}
	}
	if !found {
		return ""
	}
	ptrSize := l.bits / 8
	hdr := make([]byte, 2*ptrSize)
	if !l.readAddr(ra, value, hdr) {
		return ""
	}
	var ptr, n uint64
	if ptrSize == 4 {
		ptr, n = uint64(l.order.Uint32(hdr)), uint64(l.order.Uint32(hdr[4:]))
	} else {
		ptr, n = l.order.Uint64(hdr), l.order.Uint64(hdr[8:])
	}
	if n == 0 || n > 128 {
		return ""
	}
	s := make([]byte, n)
	if !l.readAddr(ra, ptr, s) {
		return ""
	}
	if !bytes.HasPrefix(s, []byte("go1.")) && !bytes.HasPrefix(s, []byte("devel ")) {
		return ""
	}
	return string(s)
}

// readAddr reads len(b) bytes at the virtual address addr.
func (l *exeLayout) readAddr(ra io.ReaderAt, addr uint64, b []byte) bool {
	for _, s := range l.sections {
		if s.size > 0 && s.addr != 0 && addr >= s.addr && addr-s.addr < s.size && uint64(len(b)) <= s.size-(addr-s.addr) {
			n, _ := ra.ReadAt(b, int64(s.off+addr-s.addr))
			return n == len(b)
		}
	}
	return false
}

// LinkSharedNote is the note on a Go program built with -linkshared: its runtime and
// packages live in Go shared libraries (-buildmode=shared) it loads.
const LinkSharedNote = "built with -linkshared: the Go runtime and packages it uses are in the Go shared libraries it loads " +
	"(-buildmode=shared), so whether cgo is linked and the CPU level of that code are theirs, not this file's"

// reconcileLinkShared makes the cgo fact of a Go ELF program built with -linkshared
// unknown: its pclntab covers only its own packages, and runtime/cgo, when linked, is
// in a Go shared library it needs (libstd.so, libruntime,sync-atomic.so: the go
// command names it after its packages, so the name is not read). Such a program
// imports the runtime's symbols from its libraries, none of them the system's: an
// undefined dynamic symbol named runtime.*.
func reconcileLinkShared(s *Slice) {
	if s.Go == nil || s.ra == nil {
		return
	}
	foreign := false
	for _, l := range s.Libraries {
		foreign = foreign || !l.IsSystem()
	}
	if !foreign || !elfImportsRuntime(s.ra, s.Size) {
		return
	}
	s.Go.LinkShared = true
	if !s.Go.Cgo.Is(false) {
		return // runtime/cgo in this file's own pclntab settles it
	}
	const why = "built with -linkshared: runtime/cgo, when linked, is in a Go shared library it loads, not in this file's pclntab"
	s.Go.Cgo = UnknownFact[bool](why)
	s.Go.Sources["cgo"] = unknownPrefix + why
	s.Notes = append(s.Notes, LinkSharedNote)
}

// elfImportsRuntime reports whether an ELF image has an undefined dynamic symbol of
// Go's runtime package.
func elfImportsRuntime(ra io.ReaderAt, size int64) (found bool) {
	defer func() {
		if recover() != nil {
			found = false
		}
	}()
	f, err := elf.NewFile(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return false
	}
	elfSymbols(f, elf.SHT_DYNSYM, func(info byte, shndx uint16, value, size uint64, name func() []byte) bool {
		if shndx == uint16(elf.SHN_UNDEF) && bytes.HasPrefix(name(), []byte("runtime.")) {
			found = true
		}
		return !found
	})
	return found
}
