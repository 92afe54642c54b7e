package testrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNeeds(t *testing.T) {
	tests := []struct {
		arch, level string
		want        []Feature
		ok          bool
	}{
		{"amd64", "", nil, true},
		{"amd64", "v1", nil, true},
		{"amd64", "v3", []Feature{FeaturePOPCNT, FeatureAVX2}, true},
		{"amd64", "v4", []Feature{FeaturePOPCNT, FeatureAVX2, FeatureAVX512}, true},
		{"amd64", "v5", nil, false},
		{"arm64", "", nil, true},
		{"arm64", "v8.0", nil, true},
		{"arm64", "v8.0,lse", []Feature{FeatureLSE}, true},
		{"arm64", "v8.1", []Feature{FeatureLSE}, true},
		{"arm64", "v9.0,crypto", []Feature{FeatureLSE, FeatureCrypto}, true},
		{"arm64", "v8.0,crypto", []Feature{FeatureCrypto}, true},
		{"arm64", "v9.6", nil, false},
		{"arm64", "v8.1,sve", nil, false},
		{"riscv64", "rva22u64", nil, true},
	}
	for _, tt := range tests {
		got, ok := Needs(tt.arch, tt.level)
		if !slices.Equal(got, tt.want) || ok != tt.ok {
			t.Errorf("Needs(%s, %q) = %v, %v; want %v, %v", tt.arch, tt.level, got, ok, tt.want, tt.ok)
		}
	}
}

// TestProbeDisassembly checks the hand-assembled probes with an independent
// disassembler: each is a valid ELF whose code is the instructions it claims.
func TestProbeDisassembly(t *testing.T) {
	tests := []struct {
		arch, objdump string
		fs            []Feature
		want          []string
	}{
		{"arm64", "aarch64-linux-gnu-objdump", []Feature{FeatureLSE, FeatureCrypto},
			[]string{"ldaddal\tw1, w0, [sp]", "aese\tv0.16b, v1.16b", "pmull\tv0.1q, v1.1d, v2.1d", "sha1c\tq0, s1, v2.4s", "sha256h\tq0, q1, v2.4s", "mov\tx8, #0x5d", "svc\t#0x0"}},
		{"amd64", "objdump", []Feature{FeaturePOPCNT, FeatureAVX2, FeatureAVX512},
			[]string{"popcnt %eax,%eax", "vpaddd %ymm0,%ymm0,%ymm0", "vpaddd %zmm0,%zmm0,%zmm0", "mov    $0x3c,%eax", "syscall"}},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			tool, err := exec.LookPath(tt.objdump)
			if err != nil {
				t.Skipf("%s not found (Debian: binutils, binutils-aarch64-linux-gnu)", tt.objdump)
			}
			prog, ok := ProbeProgram(tt.arch, tt.fs)
			if !ok {
				t.Fatal("no probe")
			}
			f := filepath.Join(t.TempDir(), "probe")
			if err := os.WriteFile(f, prog, 0o700); err != nil {
				t.Fatal(err)
			}
			// The file has no sections: disassemble its loaded bytes as binary, past
			// the headers.
			out, err := exec.Command(tool, "-D", "-b", "binary", "-m", map[string]string{"arm64": "aarch64", "amd64": "i386:x86-64"}[tt.arch],
				"--start-address=120", f).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tool, err, out)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, w := range tt.want {
				if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("%s does not disassemble to %q:\n%s", tt.arch, w, out)
				}
			}
			if h, err := exec.Command("file", f).Output(); err == nil && !strings.Contains(string(h), "ELF 64-bit LSB executable") {
				t.Errorf("file(1): %s", h)
			}
		})
	}
}

// TestProbeUnderQEMU runs the LSE probe under qemu-user with a CPU model without LSE
// (Cortex-A53 is ARMv8.0) and with one that has it: the probe tells them apart.
func TestProbeUnderQEMU(t *testing.T) {
	q, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Skip("qemu-aarch64-static not found (Debian: qemu-user-static)")
	}
	prog, _ := ProbeProgram("arm64", []Feature{FeatureLSE})
	f := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(f, prog, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(q, "-cpu", "cortex-a53", f).Run(); err == nil {
		t.Error("the LSE probe exited 0 on a Cortex-A53, which has no LSE")
	}
	if out, err := exec.Command(q, "-cpu", "max", f).CombinedOutput(); err != nil {
		t.Errorf("the LSE probe failed on qemu's max CPU: %v %s", err, out)
	}
	// qemu-user 7.2 exits 1 after listing the models.
	help, _ := exec.Command(q, "-cpu", "help").Output()
	if m := ParseCPUModels(string(help)); !slices.Contains(m, "max") || !slices.Contains(m, "cortex-a53") {
		t.Errorf("ParseCPUModels(qemu -cpu help) = %v", m)
	}
}
