package verdict

import (
	"testing"

	"github.com/gonative/gonative/internal/host"
)

func TestJudgePlanned(t *testing.T) {
	mac := host.Host{OS: "darwin", Arch: "arm64", Rosetta: true, OSVersion: "15.1"}
	noRosetta := mac
	noRosetta.Rosetta = false
	avx2 := host.Host{OS: "linux", Arch: "amd64", CPUFeatures: []string{"sse4_2", "popcnt", "cx16", "lahf_lm", "pni", "ssse3", "sse4_1", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"}}
	old := host.Host{OS: "linux", Arch: "amd64", CPUFeatures: []string{"sse2", "cx16"}}
	qemu := host.Host{OS: "linux", Arch: "amd64", Binfmt: []host.Binfmt{{Name: "qemu-aarch64", Arch: "arm64", Interpreter: "/usr/bin/qemu-aarch64-static", Enabled: true}},
		Exists: func(p string) bool { return p == "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1" }, QEMULDPrefix: "/usr/aarch64-linux-gnu"}
	noPrefix := qemu
	noPrefix.QEMULDPrefix = ""
	tests := []struct {
		name  string
		p     Planned
		h     host.Host
		runs  Runs
		cause Cause
	}{
		{"native", Planned{OS: "linux", Arch: "amd64"}, avx2, Native, NoCause},
		{"GOAMD64=v3 on AVX2", Planned{OS: "linux", Arch: "amd64", Settings: map[string]string{"GOAMD64": "v3"}}, avx2, Native, NoCause},
		{"GOAMD64=v3 without AVX2", Planned{OS: "linux", Arch: "amd64", Settings: map[string]string{"GOAMD64": "v3"}}, old, No, CPULacks},
		{"another OS", Planned{OS: "windows", Arch: "arm64"}, avx2, No, WrongOS},
		{"no handler", Planned{OS: "linux", Arch: "arm64"}, avx2, No, WrongArch},
		{"binfmt", Planned{OS: "linux", Arch: "arm64"}, qemu, Emulated, Conditional},
		{"cgo with the sysroot", Planned{OS: "linux", Arch: "arm64", Interpreter: "/lib/ld-linux-aarch64.so.1"}, qemu, Emulated, Conditional},
		{"cgo without a sysroot", Planned{OS: "linux", Arch: "arm64", Interpreter: "/lib/ld-linux-aarch64.so.1"}, noPrefix, No, NoInterpreter},
		{"Rosetta", Planned{OS: "darwin", Arch: "amd64"}, mac, Translated, Conditional},
		{"Rosetta and GOAMD64=v3", Planned{OS: "darwin", Arch: "amd64", Settings: map[string]string{"GOAMD64": "v3"}}, mac, No, RosettaCannot},
		{"no Rosetta", Planned{OS: "darwin", Arch: "amd64"}, noRosetta, No, NoRosetta},
		{"darwin/arm64, linker-signed", Planned{OS: "darwin", Arch: "arm64"}, mac, Native, NoCause},
		{"darwin/arm64 on Linux", Planned{OS: "darwin", Arch: "arm64"}, avx2, No, WrongOS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgePlanned(tt.p, tt.h)
			if v.Runs != tt.runs || v.Cause != tt.cause {
				t.Errorf("JudgePlanned = %s (%s: %q), want %s (%s)", v.Runs, v.Cause, v.Reason, tt.runs, tt.cause)
			}
			if v.Runs == No && v.Reason == "" {
				t.Error("refused without a reason")
			}
		})
	}
}
