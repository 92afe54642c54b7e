package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/machine"
)

// ExecFact is whether a machine's kernel executes programs of a 32-bit ABI beside its
// own 64-bit one (386 on amd64, arm on arm64). It is proven by running a probe
// program of that ABI, or unknown: Known false is never "cannot".
type ExecFact struct {
	// Arch is the GOARCH of the ABI: "386" or "arm".
	Arch string `json:"arch"`
	// Known is true when a probe settled Runs.
	Known bool `json:"known"`
	// Runs is true when the kernel executed the probe; meaningful only when Known.
	Runs bool `json:"runs"`
	// Why says how it is known, or why it is not.
	Why string `json:"why"`
	// Cached is true when the fact was read from the cache of this boot.
	Cached bool `json:"cached,omitempty"`
}

// bootIDFile names the current boot (a random UUID per boot, Linux).
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// Compat32 returns the GOARCH of the 32-bit ABI that a Linux kernel on a CPU of arch
// may execute beside its own ("386" on amd64, "arm" on arm64), "" when none.
func Compat32(arch string) string {
	switch arch {
	case "amd64":
		return "386"
	case "arm64":
		return "arm"
	}
	return ""
}

// ProbeProgram returns a static ELF executable of arch ("386" or "arm") that only
// exits 0 through the exit system call: the smallest proof that the kernel executes
// that ABI. It is assembled here by hand (see elf32Exit); false for other arches.
func ProbeProgram(arch string) ([]byte, bool) {
	switch arch {
	case "386":
		// mov eax, 1 (exit); xor ebx, ebx (status 0); int 0x80
		return elf32Exit(3, 0, 0x08048000, []byte{0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xcd, 0x80}), true
	case "arm":
		// mov r0, #0 (status 0); mov r7, #1 (exit); svc #0 — ARM (A32) encoding, EABI
		return elf32Exit(40, 0x05000000, 0x00010000, []byte{
			0x00, 0x00, 0xa0, 0xe3, 0x01, 0x70, 0xa0, 0xe3, 0x00, 0x00, 0x00, 0xef}), true
	}
	return nil, false
}

// elf32Exit assembles a little-endian ELF32 executable: the 52-byte file header, one
// PT_LOAD program header (32 bytes) mapping the whole file read+execute at base, and
// code right after them, where execution starts.
func elf32Exit(machine uint16, flags, base uint32, code []byte) []byte {
	const ehsize, phsize = 52, 32
	size := uint32(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint16(2)) // e_type ET_EXEC
	le(machine)   // e_machine
	le(uint32(1)) // e_version
	le(base + ehsize + phsize)
	le(uint32(ehsize)) // e_phoff
	le(uint32(0))      // e_shoff
	le(flags)
	le([]uint16{ehsize, phsize, 1, 0, 0, 0}) // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
	// PT_LOAD: offset 0, vaddr, paddr, filesz, memsz, flags R|X, align 4 KiB
	le([]uint32{1, 0, base, base, size, size, 5, 0x1000})
	b.Write(code)
	return b.Bytes()
}

// CompatProbe finds out, once per run and once per boot, whether this machine's
// kernel executes 32-bit programs beside its 64-bit ones, by running a probe program.
// Its results are kept in a cache directory, keyed by the boot's id.
type CompatProbe struct {
	m        machine.Machine
	cacheDir string
	// base is the context of the command that detected the host (Detect's): a probe
	// stops when it is done, whatever context Fact was given (a verdict deep inside
	// inspect has none of its own), so Ctrl-C reaches a probe in progress.
	base context.Context

	mu    sync.Mutex
	facts map[string]ExecFact
}

// NewCompatProbe returns the probe of machine m that keeps its results in cacheDir
// ("" for no cache).
func NewCompatProbe(m machine.Machine, cacheDir string) *CompatProbe {
	return &CompatProbe{m: m, cacheDir: cacheDir, facts: map[string]ExecFact{}}
}

// Fact returns whether the kernel executes programs of arch ("386", "arm"): from this
// run's answer, the cache of this boot, or a probe run now. A nil probe (a described
// machine) knows nothing.
func (p *CompatProbe) Fact(ctx context.Context, arch string) ExecFact {
	if p == nil {
		return ExecFact{Arch: arch, Why: "a described machine: nothing was run on it"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.facts[arch]; ok {
		return f
	}
	f := p.find(ctx, arch)
	p.facts[arch] = f
	return f
}

// find reads the cache of this boot, else runs the probe and caches a known answer.
func (p *CompatProbe) find(ctx context.Context, arch string) ExecFact {
	prog, ok := ProbeProgram(arch)
	if !ok {
		return ExecFact{Arch: arch, Why: "gonative has no probe program for " + arch}
	}
	boot := p.bootID()
	if f, ok := p.readCache(boot, arch); ok {
		return f
	}
	if p.base != nil {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(p.base, func() { cancel(context.Cause(p.base)) })
		defer stop()
	}
	f := classifyProbe(arch, machine.RunProgram(ctx, p.m, prog))
	if f.Known {
		p.writeCache(boot, f) // best effort: the answer stands without a cache
	}
	return f
}

// bootID returns this boot's id, "" when unreadable or not shaped like one.
func (p *CompatProbe) bootID() string {
	b, err := p.m.ReadFile(bootIDFile)
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(b))
	if !validBootID(id) {
		return ""
	}
	return id
}

// validBootID reports whether id looks like a boot id: 1 to 64 hex digits and dashes.
func validBootID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// cacheName is the cache file of arch's fact.
func cacheName(arch string) string { return "exec-" + arch + ".json" }

// maxCacheFile bounds the cache file read.
const maxCacheFile = 4096

// cacheRecord is the cache file: the fact, and the boot it holds for.
type cacheRecord struct {
	BootID string `json:"boot_id"`
	Arch   string `json:"arch"`
	Runs   bool   `json:"runs"`
	Why    string `json:"why"`
}

func (p *CompatProbe) readCache(boot, arch string) (ExecFact, bool) {
	if p.cacheDir == "" || boot == "" {
		return ExecFact{}, false
	}
	data, err := atomicfile.ReadFile(filepath.Join(p.cacheDir, cacheName(arch)), maxCacheFile)
	if err != nil {
		return ExecFact{}, false
	}
	return ParseExecCache(data, boot, arch)
}

func (p *CompatProbe) writeCache(boot string, f ExecFact) {
	if p.cacheDir == "" || boot == "" {
		return
	}
	if err := os.MkdirAll(p.cacheDir, 0o700); err != nil {
		return
	}
	root, err := os.OpenRoot(p.cacheDir)
	if err != nil {
		return
	}
	defer root.Close()
	_ = atomicfile.WriteFileIn(root, cacheName(f.Arch), EncodeExecCache(boot, f), 0o600)
}

// EncodeExecCache is the cache file of fact f (Known) for the boot boot.
func EncodeExecCache(boot string, f ExecFact) []byte {
	b, _ := json.Marshal(cacheRecord{BootID: boot, Arch: f.Arch, Runs: f.Runs, Why: f.Why})
	return append(b, '\n')
}

// ParseExecCache reads a cache file: the fact it holds for arch, false unless it is
// well-formed, for this boot and this arch.
func ParseExecCache(data []byte, boot, arch string) (ExecFact, bool) {
	var r cacheRecord
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if len(data) > maxCacheFile || d.Decode(&r) != nil || d.More() {
		return ExecFact{}, false
	}
	if !validBootID(r.BootID) || r.BootID != boot || r.Arch != arch || r.Why == "" || len(r.Why) > 512 || strings.ContainsAny(r.Why, "\n\r") {
		return ExecFact{}, false
	}
	return ExecFact{Arch: arch, Known: true, Runs: r.Runs, Why: r.Why, Cached: true}, true
}

// classifyProbe turns what running the probe of arch returned into the fact.
func classifyProbe(arch string, err error) ExecFact {
	f := ExecFact{Arch: arch}
	abi := abiName(arch)
	var exit *exec.ExitError
	switch {
	case err == nil:
		f.Known, f.Runs, f.Why = true, true, fmt.Sprintf("a %s probe program ran here", abi)
	case errors.Is(err, syscall.ENOEXEC):
		f.Known, f.Why = true, RefusedWhy(arch)
	case errors.Is(err, machine.ErrCannotRun):
		f.Why = "this machine runs no probe programs (a fake machine)"
	case errors.Is(err, machine.ErrWriteProgram):
		f.Why = fmt.Sprintf("the probe program could not be written: %q", err.Error())
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		f.Why = fmt.Sprintf("the probe program may not be executed (is the temporary directory mounted noexec?): %q", err.Error())
	case errors.As(err, &exit):
		f.Why = fmt.Sprintf("the %s probe program started but did not exit 0: %q", abi, err.Error())
	default:
		f.Why = fmt.Sprintf("the probe program failed: %q", err.Error())
	}
	return f
}

// RefusedWhy says why a kernel refused a program of arch with ENOEXEC.
func RefusedWhy(arch string) string {
	if arch == "arm" {
		return "this kernel cannot execute 32-bit Arm programs (no AArch32 at EL0 on this CPU, or a kernel without CONFIG_COMPAT)"
	}
	return "this kernel cannot execute 32-bit x86 programs (IA32 emulation is off: CONFIG_IA32_EMULATION or ia32_emulation=0)"
}

// abiName names arch's ABI in words.
func abiName(arch string) string {
	switch arch {
	case "386":
		return "32-bit x86"
	case "arm":
		return "32-bit Arm"
	}
	return arch
}

// compatCacheDir is where the probe's results are kept on machine m: $GONATIVE_CACHE/host,
// else gonative/host in the user cache directory ($XDG_CACHE_HOME or ~/.cache), ""
// when there is none.
func compatCacheDir(m machine.Machine) string {
	if d := machine.Getenv(m, "GONATIVE_CACHE"); filepath.IsAbs(d) {
		return filepath.Join(d, "host")
	}
	if d := machine.Getenv(m, "XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "gonative", "host")
	}
	if d := machine.Getenv(m, "HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, ".cache", "gonative", "host")
	}
	return ""
}
