package verdict

import (
	"context"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/isa"
	"github.com/gonative/gonative/internal/machine"
)

// TestVerdictRestsOnProof checks that a verdict says only what the bytes prove.
func TestVerdictRestsOnProof(t *testing.T) {
	damaged := elf("arm64", 65536)
	damaged.Error = "ELF: section header table (39 entries) at offset 568: truncated"
	// AVX-512 code found by the scan, with no GOAMD64 or ISA note behind it: glibc's
	// IFUNC variants look exactly like this.
	scanned := elf("amd64", 4096)
	scannedISA := &isa.Report{Arch: "amd64", RequiredLevel: "x86-64-v4", RequiredSource: "code",
		Extensions: []isa.Extension{{Name: "AVX-512", Level: "x86-64-v4", Count: 10}}}
	required := elf("amd64", 4096)
	required.Go = &exe.GoInfo{Settings: map[string]string{"GOAMD64": "v3"}, Sources: map[string]string{"settings": "buildinfo"}}
	requiredISA := &isa.Report{Arch: "amd64", RequiredLevel: "x86-64-v3", RequiredSource: "GOAMD64"}
	nobi := macho("amd64", nil, "12.0")
	nobi.Go = &exe.GoInfo{Version: "go1.26.5", Sources: map[string]string{"settings": "none: no build info in the binary"}}
	nobiISA := &isa.Report{Arch: "amd64", RequiredLevel: "x86-64-v1", RequiredSource: "GOAMD64",
		Rosetta: &isa.RosettaVerdict{Runs: isa.RunsYes, Reason: "GOAMD64=v1"}}
	unknownSig := macho("arm64", &exe.Signature{Present: true, Problem: "unsupported CodeDirectory hash type 9"}, "11.0")
	noAVX := "linux/amd64,features=sse+sse2+sse3+ssse3+sse4_1+sse4_2+popcnt+cx16"
	for _, tc := range []struct {
		name      string
		s         exe.Slice
		r         *isa.Report
		host      string
		runs      Runs
		cause     Cause
		reasonHas string
	}{
		{"a damaged slice never runs", damaged, nil, "linux/arm64,page=64k", No, Damaged, "damaged: ELF: section header table"},
		{"a code scan alone never says does not run", scanned, scannedISA, noAVX, Native, NoCause, ""},
		{"GOAMD64 is a requirement", required, requiredISA, noAVX, No, CPULacks, "GOAMD64=v3"},
		{"unreadable build info: GOAMD64 unknown under Rosetta", nobi, nobiISA, "darwin/arm64,macos=15.0", Translated, Conditional, "GOAMD64 is unknown"},
		{"a signature that cannot be checked", unknownSig, nil, "darwin/arm64", No, Unsigned, "could not be checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(file(exe.FormatELF, tc.s), []*isa.Report{tc.r}, mustHost(t, tc.host))
			if v.Runs != tc.runs || v.Cause != tc.cause || !strings.Contains(v.Reason, tc.reasonHas) {
				t.Errorf("Judge = %+v; want %s (cause %v) mentioning %q", v, tc.runs, tc.cause, tc.reasonHas)
			}
		})
	}
}

// TestInterpreterCheck checks that a foreign dynamic program is judged "emulated" only
// when its interpreter is where the emulator looks, and that the fix is named.
func TestInterpreterCheck(t *testing.T) {
	s := elf("arm64", 65536)
	s.Interpreter = "/lib/ld-linux-aarch64.so.1"
	h := mustHost(t, "linux/amd64,binfmt=arm64:/usr/libexec/qemu-binfmt/aarch64-binfmt-P")
	h.Assumed = false
	for _, tc := range []struct {
		name, prefix string
		files        []string
		runs         Runs
		reasonHas    string
	}{
		{"nowhere", "", nil, No, "apt-get install libc6:arm64), or install libc6-arm64-cross and set QEMU_LD_PREFIX=/usr/aarch64-linux-gnu"},
		{"in /", "", []string{"/lib/ld-linux-aarch64.so.1"}, Emulated, "aarch64-binfmt-P"},
		{"in Debian's qemu prefix", "", []string{"/etc/qemu-binfmt/aarch64/lib/ld-linux-aarch64.so.1"}, Emulated, ""},
		{"in QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu", []string{"/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1"}, Emulated, ""},
		{"QEMU_LD_PREFIX replaces Debian's prefix", "/opt/arm", []string{"/etc/qemu-binfmt/aarch64/lib/ld-linux-aarch64.so.1"}, No, "/opt/arm/lib/ld-linux-aarch64.so.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.QEMULDPrefix = tc.prefix
			h.Exists = func(p string) bool {
				for _, f := range tc.files {
					if f == p {
						return true
					}
				}
				return false
			}
			v := Judge(file(exe.FormatELF, s), nil, h)
			if v.Runs != tc.runs || !strings.Contains(v.Reason, tc.reasonHas) {
				t.Errorf("Judge = %+v; want %s mentioning %q", v, tc.runs, tc.reasonHas)
			}
		})
	}
	// Rosetta for Linux looks in /, and QEMU_LD_PREFIX means nothing to it.
	amd := elf("amd64", 4096)
	amd.Interpreter = "/lib64/ld-linux-x86-64.so.2"
	hr := mustHost(t, "linux/arm64,page=4k,binfmt=amd64:/mnt/lima-rosetta/rosetta")
	hr.Exists = func(string) bool { return false }
	if v := Judge(file(exe.FormatELF, amd), nil, hr); v.Runs != No || !strings.Contains(v.Reason, "libc6:amd64") || strings.Contains(v.Reason, "QEMU_LD_PREFIX") {
		t.Errorf("amd64 under Rosetta without libc6:amd64: %+v", v)
	}
	// 32-bit programs on a 64-bit kernel need their own C library too.
	s386 := elf("386", 4096)
	s386.Interpreter = "/lib/ld-linux.so.2"
	h = mustHost(t, "linux/amd64")
	h.Exists = func(string) bool { return false }
	if v := Judge(file(exe.FormatELF, s386), nil, h); v.Runs != No || !strings.Contains(v.Reason, "libc6:i386") {
		t.Errorf("386 without libc6:i386: %+v", v)
	}
}

// TestSystemBinariesRun judges every ELF program and library of this machine's
// /usr/bin and /usr/lib for this machine from what exe reads (interpreter, glibc
// versions, page alignment, damage): they all run here, so no verdict may say
// otherwise. The instruction-set part (AVX-512 behind IFUNC dispatch in libc, CPUID
// checks in busybox) needs the scan, which internal/inspect runs: its
// TestSystemRunnable judges the same files with it.
func TestSystemBinariesRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads a Linux system's /usr")
	}
	if testing.Short() {
		t.Skip("walks /usr/bin and /usr/lib")
	}
	h, err := host.Detect(context.Background(), machine.Real())
	if err != nil {
		t.Fatal(err)
	}
	if h.Arch != runtime.GOARCH {
		t.Skipf("this %s test runs emulated on %s hardware", runtime.GOARCH, h.Arch)
	}
	paths := make(chan string)
	go func() {
		defer close(paths)
		for _, root := range []string{"/usr/bin", "/usr/lib"} {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() && !strings.Contains(p, "/debug/") {
					paths <- p
				}
				return nil
			})
		}
	}()
	var mu sync.Mutex
	judged := 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				f, err := exe.Inspect(context.Background(), p, exe.Options{})
				if err != nil || f.Format != exe.FormatELF || len(f.Slices) != 1 {
					continue
				}
				s := &f.Slices[0]
				if s.Arch != h.Arch || !s.Kind.Runnable() || s.OS != "linux" {
					continue
				}
				v := Judge(f, nil, h)
				mu.Lock()
				judged++
				if v.Runs != Native {
					t.Errorf("%s: %s: %s", p, v.Runs, v.Reason)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if judged < 50 {
		t.Errorf("only %d ELF files judged", judged)
	}
	t.Logf("%d ELF programs and libraries of /usr/bin and /usr/lib judged runnable on %s", judged, h)
}
