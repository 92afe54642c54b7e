// Package host holds facts about a machine that decide what runs on it: the hardware
// architecture (not the process's), whether this process is translated by Rosetta, the
// OS version, the page size, the Linux binfmt_misc handlers that run foreign binaries
// silently, whether the kernel executes 32-bit programs (proven by a probe), and the
// CPU's features.
//
// Everything is read through a machine.Machine, so a test can describe an Apple
// Silicon Mac on a Linux machine (machine.FromDir, $GONATIVE_FAKE_HOST).
package host

import (
	"context"
	"fmt"
	"github.com/gonative/gonative/internal/machine"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gonative/gonative/internal/arch"
)

// Host describes a machine that executables are judged against.
type Host struct {
	OS string `json:"os"` // GOOS
	// Arch is the hardware's architecture as a GOARCH name: arm64 on an Apple Silicon
	// Mac even when this process runs translated.
	Arch string `json:"arch"`
	// ProcessArch is the architecture this process runs as (runtime.GOARCH, or what a
	// translated or emulated process reports).
	ProcessArch string `json:"process_arch,omitempty"`
	// Translated is true when this process runs under Rosetta 2.
	Translated bool `json:"translated,omitempty"`
	// Rosetta is true when Rosetta 2 is installed (macOS on arm64), or assumed.
	Rosetta bool `json:"rosetta,omitempty"`
	// OSVersion is the macOS product version ("14.5") or the Linux kernel release.
	OSVersion string `json:"os_version,omitempty"`
	// PageSize is the kernel's page size in bytes.
	PageSize int `json:"page_size,omitempty"`
	// Binfmt lists the Linux binfmt_misc handlers for ELF files of other architectures.
	Binfmt []Binfmt `json:"binfmt,omitempty"`
	// CPUFeatures are the CPU's feature names as the OS reports them: Linux
	// /proc/cpuinfo flags or Features (avx2, atomics, ...), macOS hw.optional.* and
	// hw.optional.arm.FEAT_* sysctls that are 1.
	CPUFeatures []string `json:"cpu_features,omitempty"`
	// Assumed is true when the host was described with --host rather than read.
	Assumed bool `json:"assumed,omitempty"`
	// QEMULDPrefix is $QEMU_LD_PREFIX: where qemu-user looks first for the ELF
	// interpreter and libraries of the programs it runs (qemu-user(1), -L).
	QEMULDPrefix string `json:"qemu_ld_prefix,omitempty"`
	// Exists reports whether a file exists on this machine (following links); nil when
	// the host is described rather than read, and the answer is unknown.
	Exists func(path string) bool `json:"-"`
	// Compat finds out whether this machine's kernel executes 32-bit programs beside
	// its 64-bit ones (386 on amd64, arm on arm64), by running a probe; nil when the
	// host is described rather than read, and the answer is unknown.
	Compat *CompatProbe `json:"-"`
}

// Binfmt is one binfmt_misc handler (Linux) that runs ELF files of a foreign
// architecture through an interpreter such as qemu-aarch64-static or rosetta.
type Binfmt struct {
	Name        string `json:"name"`
	Arch        string `json:"arch"` // GOARCH of the ELF files it matches, from its magic
	Interpreter string `json:"interpreter"`
	Enabled     bool   `json:"enabled"`
	Flags       string `json:"flags,omitempty"`
}

// String is "os/arch", the platform in Go's notation.
func (h Host) String() string { return h.OS + "/" + h.Arch }

// Handler returns the enabled binfmt handler that runs ELF files of arch, if any.
func (h Host) Handler(arch string) (Binfmt, bool) {
	for _, b := range h.Binfmt {
		if b.Enabled && b.Arch == arch {
			return b, true
		}
	}
	return Binfmt{}, false
}

// HasFeature reports whether the CPU reports feature name (case-insensitive).
func (h Host) HasFeature(name string) bool {
	return slices.ContainsFunc(h.CPUFeatures, func(f string) bool { return strings.EqualFold(f, name) })
}

// Detect reads the machine that p describes.
func Detect(ctx context.Context, p machine.Machine) (Host, error) {
	if err := ctx.Err(); err != nil {
		return Host{}, err
	}
	plat := p.Platform()
	h := Host{OS: plat.GOOS, Arch: plat.GOARCH, ProcessArch: plat.GOARCH, PageSize: p.PageSize()}
	// The answers hold for the run: a tree of executables asks for the same ELF
	// interpreter hundreds of times.
	var known sync.Map // path -> bool
	h.Exists = func(name string) bool {
		if v, ok := known.Load(name); ok {
			return v.(bool)
		}
		_, err := p.Stat(name)
		known.Store(name, err == nil)
		return err == nil
	}
	h.QEMULDPrefix = machine.Getenv(p, "QEMU_LD_PREFIX")
	switch plat.GOOS {
	case "darwin":
		detectDarwin(p, &h)
	case "linux":
		detectLinux(ctx, p, &h)
	}
	return h, nil
}

// detectDarwin reads the sysctls that tell the hardware from the process.
//
// hw.optional.arm64 is 1 on Apple Silicon, also when read from a translated process;
// sysctl.proc_translated is 1 when the calling process runs under Rosetta 2 (Apple,
// "About the Rosetta translation environment", developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment).
// kern.osproductversion is the macOS version (since macOS 10.13.4).
func detectDarwin(p machine.Machine, h *Host) {
	if v, err := p.Sysctl("hw.optional.arm64"); err == nil && strings.TrimSpace(v) == "1" {
		h.Arch = "arm64"
	}
	if v, err := p.Sysctl("sysctl.proc_translated"); err == nil && strings.TrimSpace(v) == "1" {
		h.Translated = true
		h.ProcessArch = "amd64"
	}
	if v, err := p.Sysctl("kern.osproductversion"); err == nil {
		h.OSVersion = strings.TrimSpace(v)
	}
	if h.Arch == "arm64" {
		// Rosetta's runtime lives here once installed (softwareupdate --install-rosetta);
		// the path is what Apple's installer writes and what common install scripts test.
		if _, err := p.ReadFile("/Library/Apple/usr/libexec/oah/libRosettaRuntime"); err == nil {
			h.Rosetta = true
		}
	}
	h.CPUFeatures = darwinFeatures(p, h.Arch)
}

// darwinFeatures lists the CPU feature sysctls that are 1. On arm64 they are the
// hw.optional.arm.FEAT_* names (Apple, "Determining Instruction Set Characteristics",
// developer.apple.com/documentation/kernel/1387446-sysctlbyname/determining_instruction_set_characteristics);
// on x86-64, hw.optional.avx2_0 and friends.
func darwinFeatures(p machine.Machine, arch string) []string {
	var names []string
	if arch == "arm64" {
		names = []string{"FEAT_LSE", "FEAT_LSE2", "FEAT_AES", "FEAT_PMULL", "FEAT_SHA1", "FEAT_SHA256",
			"FEAT_SHA512", "FEAT_SHA3", "FEAT_CRC32", "FEAT_FP16", "FEAT_DotProd", "FEAT_RDM",
			"FEAT_FCMA", "FEAT_JSCVT", "FEAT_LRCPC", "FEAT_LRCPC2", "FEAT_BF16", "FEAT_I8MM",
			"FEAT_SME", "FEAT_SME2", "FEAT_SVE", "FEAT_SVE2"}
		var out []string
		for _, n := range names {
			if v, err := p.Sysctl("hw.optional.arm." + n); err == nil && strings.TrimSpace(v) == "1" {
				out = append(out, n)
			}
		}
		return out
	}
	names = []string{"sse3", "supplementalsse3", "sse4_1", "sse4_2", "popcnt", "avx1_0", "avx2_0",
		"fma", "bmi1", "bmi2", "f16c", "aes", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"}
	var out []string
	for _, n := range names {
		if v, err := p.Sysctl("hw.optional." + n); err == nil && strings.TrimSpace(v) == "1" {
			out = append(out, n)
		}
	}
	return out
}

// detectLinux reads uname, the binfmt_misc handlers and /proc/cpuinfo.
func detectLinux(ctx context.Context, p machine.Machine, h *Host) {
	if release, machine, err := p.Uname(); err == nil {
		h.OSVersion = release
		if a, ok := arch.ByUname(machine); ok {
			h.Arch = a.GOARCH
		}
	}
	// qemu-user answers uname(2) with the emulated machine. The kernel's
	// /proc/sys/kernel/arch (Linux 6.1+; admin-guide/sysctl/kernel.rst "arch") is not
	// emulated, so it tells the hardware (seen here: x86_64 from a linux/arm64 process
	// under qemu-aarch64). Older kernels fall back to uname.
	if b, err := p.ReadFile("/proc/sys/kernel/arch"); err == nil {
		if a, ok := arch.ByUname(string(b)); ok {
			h.Arch = a.GOARCH
		}
	}
	h.Binfmt = readBinfmt(p)
	if Compat32(h.Arch) != "" {
		h.Compat = NewCompatProbe(p, compatCacheDir(p))
		h.Compat.base = ctx
	}
	if b, err := p.ReadFile("/proc/cpuinfo"); err == nil {
		h.CPUFeatures = cpuinfoFeatures(string(b))
	}
}

// cpuinfoFeatures returns the feature words of the first "flags" (x86) or "Features"
// (arm64) line of /proc/cpuinfo.
func cpuinfoFeatures(cpuinfo string) []string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "flags", "Features":
			return strings.Fields(v)
		}
	}
	return nil
}

// Parse reads a host description as given to --host: "OS/ARCH" followed by optional
// comma-separated settings:
//
//	macos=14.5       the macOS version (darwin)
//	kernel=6.8.0     the Linux kernel release
//	page=16k         the page size (4k, 16k, 64k or bytes)
//	rosetta=no       Rosetta 2 is not installed (it is assumed on darwin/arm64)
//	binfmt=ARCH:INTERP  a binfmt_misc handler runs ARCH through INTERP (repeatable)
//	features=a+b+c   CPU features
//
// Defaults: page 16k on darwin/arm64 and 4k elsewhere; Rosetta on darwin/arm64.
func Parse(spec string) (Host, error) {
	parts := strings.Split(spec, ",")
	goos, goarch, ok := strings.Cut(strings.TrimSpace(parts[0]), "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return Host{}, fmt.Errorf("host %q: want OS/ARCH such as darwin/arm64, optionally followed by ,macos=14.5", spec)
	}
	h := Host{OS: goos, Arch: goarch, ProcessArch: goarch, PageSize: 4096, Assumed: true}
	if goos == "darwin" && goarch == "arm64" {
		h.PageSize = 16384
		h.Rosetta = true
	}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Host{}, fmt.Errorf("host %q: setting %q is not key=value", spec, kv)
		}
		switch k {
		case "macos", "kernel", "os":
			h.OSVersion = v
		case "page":
			n, err := parseSize(v)
			if err != nil {
				return Host{}, fmt.Errorf("host %q: page: %w", spec, err)
			}
			h.PageSize = n
		case "rosetta":
			switch v {
			case "yes", "true", "1":
				h.Rosetta = true
			case "no", "false", "0":
				h.Rosetta = false
			default:
				return Host{}, fmt.Errorf("host %q: rosetta=%s: want yes or no", spec, v)
			}
		case "binfmt":
			arch, interp, ok := strings.Cut(v, ":")
			if !ok {
				return Host{}, fmt.Errorf("host %q: binfmt=%s: want ARCH:INTERPRETER", spec, v)
			}
			h.Binfmt = append(h.Binfmt, Binfmt{Name: path.Base(interp), Arch: arch, Interpreter: interp, Enabled: true})
		case "features":
			h.CPUFeatures = strings.Split(v, "+")
		default:
			return Host{}, fmt.Errorf("host %q: unknown setting %q (want macos, kernel, page, rosetta, binfmt or features)", spec, k)
		}
	}
	return h, nil
}

func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1024, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 16k", s)
	}
	return n * mult, nil
}
