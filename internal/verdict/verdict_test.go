package verdict

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

func mustHost(t *testing.T, spec string) host.Host {
	t.Helper()
	h, err := host.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var (
	signed   = &exe.Signature{Present: true, AdHoc: true, LinkerSigned: true, Valid: exe.KnownFact(true)}
	edited   = &exe.Signature{Present: true, AdHoc: true, Valid: exe.KnownFact(false), Problem: "page 3 hash mismatch"}
	unsigned = &exe.Signature{Present: false, Problem: "no LC_CODE_SIGNATURE"}
)

func macho(arch string, sig *exe.Signature, minOS string) exe.Slice {
	return exe.Slice{Arch: arch, OS: "darwin", Kind: exe.KindExecutable, Signature: sig, MinOS: minOS}
}

func elf(arch string, align uint64) exe.Slice {
	return exe.Slice{Arch: arch, OS: "linux", Kind: exe.KindExecutable, Align: align}
}

func file(format exe.Format, slices ...exe.Slice) *exe.File {
	f := &exe.File{Format: format, Slices: slices}
	if len(slices) > 0 {
		f.Kind = slices[0].Kind
	}
	return f
}

func TestJudge(t *testing.T) {
	fat := file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("arm64", signed, "11.0"))
	tests := []struct {
		name      string
		f         *exe.File
		host      string
		runs      Runs
		slice     int
		reasonHas string
	}{
		{"arm64 Mach-O on an M-series Mac", file(exe.FormatMachO, macho("arm64", signed, "11.0")), "darwin/arm64,macos=14.5", Native, 0, ""},
		{"amd64 Mach-O on an M-series Mac", file(exe.FormatMachO, macho("amd64", nil, "10.13")), "darwin/arm64,macos=14.5", Translated, 0, "macOS 27"},
		{"i386 Mach-O on a Mac", file(exe.FormatMachO, macho("386", nil, "10.6")), "darwin/amd64", No, -1, "32-bit"},
		{"two handlers for amd64", file(exe.FormatELF, elf("amd64", 4096)), "linux/arm64,page=4k,binfmt=amd64:/mnt/lima-rosetta/rosetta,binfmt=amd64:/usr/bin/qemu-x86_64-static", Emulated, 0, "registered last wins"},
		{"amd64 Mach-O without Rosetta", file(exe.FormatMachO, macho("amd64", nil, "10.13")), "darwin/arm64,rosetta=no", No, -1, "softwareupdate --install-rosetta"},
		{"universal picks arm64 on Apple Silicon", fat, "darwin/arm64", Native, 1, ""},
		{"universal picks amd64 on Intel", fat, "darwin/amd64", Native, 0, ""},
		// XNU takes the arm64 slice and kills it; it never falls back to the x86_64 one.
		{"universal with an edited arm64 slice is killed", file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("arm64", edited, "11.0")),
			"darwin/arm64,macos=14.5", No, -1, "does not fall back to another: its code signature is not valid"},
		{"universal with an edited arm64 slice: the x86_64 one as a note", file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("arm64", edited, "11.0")),
			"darwin/arm64,macos=14.5", No, -1, "would run translated by Rosetta 2 only when asked for (arch -amd64)"},
		{"universal with an edited arm64 slice runs on Intel", file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("arm64", edited, "11.0")),
			"darwin/amd64", Native, 0, ""},
		{"universal without arm64 runs translated", file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("386", nil, "10.6")),
			"darwin/arm64", Translated, 0, "macOS 27"},
		{"unsigned arm64 is killed", file(exe.FormatMachO, macho("arm64", unsigned, "11.0")), "darwin/arm64", No, -1, "Killed: 9"},
		{"edited arm64 is killed", file(exe.FormatMachO, macho("arm64", edited, "11.0")), "darwin/arm64", No, -1, "page 3 hash mismatch"},
		{"min macOS above the host", file(exe.FormatMachO, macho("arm64", signed, "15.0")), "darwin/arm64,macos=14.5", No, -1, "needs macOS 15.0"},
		{"min macOS with unknown host version", file(exe.FormatMachO, macho("arm64", signed, "15.0")), "darwin/arm64", Native, 0, ""},
		{"arm64 Mach-O on an Intel Mac", file(exe.FormatMachO, macho("arm64", signed, "11.0")), "darwin/amd64", No, -1, "darwin/arm64"},
		{"Mach-O on Linux", file(exe.FormatMachO, macho("arm64", signed, "11.0")), "linux/arm64", No, -1, "not Linux"},
		{"ELF on a Mac", file(exe.FormatELF, elf("arm64", 65536)), "darwin/arm64", No, -1, "not macOS"},
		{"linux/arm64 on linux/arm64", file(exe.FormatELF, elf("arm64", 65536)), "linux/arm64,page=64k", Native, 0, ""},
		{"4K-aligned ELF on a 16K kernel", file(exe.FormatELF, elf("arm64", 4096)), "linux/arm64,page=16k", No, -1, "16 KiB"},
		{"4K-aligned ELF on a 64K kernel", file(exe.FormatELF, elf("arm64", 4096)), "linux/arm64,page=64k", No, -1, "max-page-size=65536"},
		{"linux/arm64 under qemu binfmt", file(exe.FormatELF, elf("arm64", 65536)), "linux/amd64,binfmt=arm64:/usr/libexec/qemu-binfmt/aarch64-binfmt-P", Emulated, 0, "aarch64-binfmt-P"},
		{"linux/amd64 under rosetta binfmt", file(exe.FormatELF, elf("amd64", 4096)), "linux/arm64,binfmt=amd64:/mnt/lima-rosetta/rosetta,page=4k", Emulated, 0, "rosetta"},
		{"linux/arm64 without a handler", file(exe.FormatELF, elf("arm64", 65536)), "linux/amd64", No, -1, "no binfmt_misc handler for arm64"},
		{"386 on a described amd64 names ia32_emulation", file(exe.FormatELF, elf("386", 4096)), "linux/amd64", Native, 0, "if the kernel executes 32-bit x86 programs (IA32 emulation: CONFIG_IA32_EMULATION, and no ia32_emulation=0"},
		{"arm on a described arm64 names AArch32", file(exe.FormatELF, elf("arm", 4096)), "linux/arm64", Native, 0, "AArch32 support at EL0"},
		{"windows/amd64 on windows/arm64", file(exe.FormatPE, exe.Slice{Arch: "amd64", OS: "windows", Kind: exe.KindExecutable}), "windows/arm64", Emulated, 0, ""},
		{"windows/arm64 on windows/amd64", file(exe.FormatPE, exe.Slice{Arch: "arm64", OS: "windows", Kind: exe.KindExecutable}), "windows/amd64", No, -1, "windows/arm64"},
		{"object file", file(exe.FormatELF, exe.Slice{Arch: "amd64", OS: "linux", Kind: exe.KindObject}), "linux/amd64", No, -1, "an object"},
		{"not an executable", &exe.File{Format: exe.FormatUnknown, Error: "not an executable"}, "linux/amd64", No, -1, "not an executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.f, nil, mustHost(t, tt.host))
			if v.Runs != tt.runs || v.Slice != tt.slice {
				t.Fatalf("Judge = %+v; want runs %q slice %d", v, tt.runs, tt.slice)
			}
			if !strings.Contains(v.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not mention %q", v.Reason, tt.reasonHas)
			}
		})
	}
}

// TestJudgeCause checks the cause beside each kind of reason: callers (the CLI's
// colour and its "damaged" line) switch on it, never on the reason's text.
func TestJudgeCause(t *testing.T) {
	damaged := elf("arm64", 65536)
	damaged.Error = "ELF: truncated"
	edited386 := file(exe.FormatMachOFat, macho("amd64", nil, "10.13"), macho("arm64", edited, "11.0"))
	for _, tt := range []struct {
		name  string
		f     *exe.File
		host  string
		cause Cause
	}{
		{"native", file(exe.FormatELF, elf("arm64", 65536)), "linux/arm64,page=64k", NoCause},
		{"translated, with Rosetta's lifetime", file(exe.FormatMachO, macho("amd64", nil, "10.13")), "darwin/arm64", Conditional},
		{"damaged", file(exe.FormatELF, damaged), "linux/arm64", Damaged},
		{"damaged twice, one reason", file(exe.FormatMachOFat, damaged, damaged), "linux/arm64", Damaged},
		{"damaged and foreign", file(exe.FormatMachOFat, damaged, macho("arm64", signed, "11.0")), "linux/arm64", Several},
		{"not an executable", &exe.File{Format: exe.FormatUnknown}, "linux/amd64", NotExecutable},
		{"object", file(exe.FormatELF, exe.Slice{Arch: "amd64", OS: "linux", Kind: exe.KindObject}), "linux/amd64", NotLoaded},
		{"wrong OS", file(exe.FormatELF, elf("arm64", 65536)), "darwin/arm64", WrongOS},
		{"wrong arch", file(exe.FormatELF, elf("arm64", 65536)), "linux/amd64", WrongArch},
		{"macOS too old", file(exe.FormatMachO, macho("arm64", signed, "15.0")), "darwin/arm64,macos=14.5", OSTooOld},
		{"unsigned", file(exe.FormatMachO, macho("arm64", unsigned, "11.0")), "darwin/arm64", Unsigned},
		{"no Rosetta", file(exe.FormatMachO, macho("amd64", nil, "10.13")), "darwin/arm64,rosetta=no", NoRosetta},
		{"32-bit", file(exe.FormatMachO, macho("386", nil, "10.6")), "darwin/amd64", No32Bit},
		{"page size", file(exe.FormatELF, elf("arm64", 4096)), "linux/arm64,page=16k", PageSize},
		{"kernel slice", edited386, "darwin/arm64,macos=14.5", KernelSlice},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if v := Judge(tt.f, nil, mustHost(t, tt.host)); v.Cause != tt.cause {
				t.Errorf("Judge = %+v; want cause %v", v, tt.cause)
			}
		})
	}
}

// TestCauseNames checks that every cause has a name.
func TestCauseNames(t *testing.T) {
	seen := map[string]bool{}
	for c := NoCause; c <= Several; c++ {
		n := c.String()
		if strings.HasPrefix(n, "Cause(") || seen[n] {
			t.Errorf("cause %d: name %q", int(c), n)
		}
		seen[n] = true
	}
}

func TestExpect(t *testing.T) {
	goSlice := func(s exe.Slice, settings map[string]string, cgo bool) exe.Slice {
		s.Go = &exe.GoInfo{Version: "go1.26.8", Settings: settings, Cgo: exe.KnownFact(cgo), Sources: map[string]string{"settings": "buildinfo", "cgo": "pclntab"}}
		return s
	}
	fat := file(exe.FormatMachOFat,
		goSlice(macho("arm64", signed, "11.0"), map[string]string{"GOOS": "darwin", "GOARCH": "arm64", "CGO_ENABLED": "1"}, true),
		goSlice(macho("amd64", nil, "10.15"), map[string]string{"GOOS": "darwin", "GOARCH": "amd64", "GOAMD64": "v1", "CGO_ENABLED": "0"}, false))
	lying := file(exe.FormatELF, goSlice(elf("arm64", 65536), map[string]string{"GOOS": "linux", "GOARCH": "amd64"}, false))
	nopcln := elf("amd64", 4096)
	nopcln.Go = &exe.GoInfo{Version: "go1.26.8", Sources: map[string]string{"settings": "buildinfo", "cgo": "unknown: no pclntab found"}}
	tests := []struct {
		spec  string
		f     *exe.File
		unmet []string
	}{
		{"darwin/arm64,darwin/amd64", fat, nil},
		{"darwin/arm64:cgo=1,darwin/amd64:GOAMD64=v1:cgo=0", fat, nil},
		{"darwin/arm64,linux/arm64", fat, []string{"no linux/arm64 slice (has darwin/arm64, darwin/amd64)"}},
		{"darwin/amd64:GOAMD64=v3", fat, []string{"darwin/amd64: GOAMD64=v1, want v3"}},
		{"darwin/arm64:cgo=0", fat, []string{"darwin/arm64: cgo linked is true, want cgo=0"}},
		{"linux/arm64", lying, []string{"linux/arm64 slice says GOARCH=amd64 in its build info"}},
		{"linux/amd64:cgo=0", file(exe.FormatELF, nopcln), []string{"linux/amd64: cgo linked is unknown (no pclntab found), want cgo=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			wants, err := ParseWants(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := Unmet(tt.f, wants)
			if strings.Join(got, "|") != strings.Join(tt.unmet, "|") {
				t.Errorf("Unmet = %q\nwant    %q", got, tt.unmet)
			}
		})
	}
	for _, bad := range []string{"", "darwin", "darwin/arm64:GOAMD64", ",,"} {
		if _, err := ParseWants(bad); err == nil {
			t.Errorf("ParseWants(%q): want an error", bad)
		}
	}
}

// TestJudgeLibraryABI: a library is judged by whether a process of its ABI can run
// here, as the executable beside it is: an i386 libc without the i386 loader loads
// into nothing.
func TestJudgeLibraryABI(t *testing.T) {
	lib := exe.Slice{Arch: "386", OS: "linux", Kind: exe.KindSharedLib, GLIBC: "2.35"}
	prog := exe.Slice{Arch: "386", OS: "linux", Kind: exe.KindExecutable, Interpreter: "/lib/ld-linux.so.2"}
	for _, tt := range []struct {
		name   string
		s      exe.Slice
		loader bool
		runs   Runs
		has    string
	}{
		{"i386 program without the loader", prog, false, No, "install libc6:i386"},
		{"i386 library without the loader", lib, false, No, "install libc6:i386"},
		{"i386 library with the loader", lib, true, Native, ""},
		{"i386 library with its own interpreter", exe.Slice{Arch: "386", OS: "linux", Kind: exe.KindSharedLib, Interpreter: "/lib/ld-linux.so.2"}, false, No, "linux/386 process"},
		{"library without libc", exe.Slice{Arch: "386", OS: "linux", Kind: exe.KindSharedLib}, false, Native, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := mustHost(t, "linux/amd64")
			h.Exists = func(p string) bool { return tt.loader && p == "/lib/ld-linux.so.2" }
			v := Judge(file(exe.FormatELF, tt.s), nil, h)
			if v.Runs != tt.runs || !strings.Contains(v.Reason, tt.has) {
				t.Errorf("runs %s (%s), want %s with %q", v.Runs, v.Reason, tt.runs, tt.has)
			}
		})
	}
}

// TestCauseJSON: the cause is in the JSON by name, omitted when there is none, and
// reads back.
func TestCauseJSON(t *testing.T) {
	for c := NoCause; int(c) < len(causeNames); c++ {
		b, err := json.Marshal(Verdict{Runs: No, Cause: c, Slice: -1})
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(string(b), `"cause":"`+c.String()+`"`); has != (c != NoCause) {
			t.Errorf("%v: %s", c, b)
		}
		var v Verdict
		if err := json.Unmarshal(b, &v); err != nil || v.Cause != c {
			t.Errorf("%s read back as %v, %v", b, v.Cause, err)
		}
	}
	var c Cause
	if err := c.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("an unknown cause was read")
	}
}
