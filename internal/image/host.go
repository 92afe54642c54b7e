package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gonative/gonative/internal/host"
	"github.com/gonative/gonative/internal/verdict"
)

// ContainerHost is the Linux machine that runs h's containers. A Linux host runs them
// in its own kernel, with its binfmt_misc handlers. macOS and Windows run them in
// Docker Desktop's Linux VM of the hardware's architecture, which runs other
// architectures emulated: on Apple silicon linux/amd64 through Rosetta when it is
// enabled (the default since Docker Desktop 4.25), else through QEMU, which also serves
// every other architecture ("Multi-platform builds", docs.docker.com/build/building/multi-platform/;
// "Use Rosetta for x86_64/amd64 emulation on Apple Silicon", docs.docker.com/desktop/settings-and-maintenance/settings/).
// Not confirmed on a Mac here: the fake stands in.
func ContainerHost(h host.Host) host.Host {
	if h.OS == "linux" || h.OS == "" {
		return h
	}
	vm := host.Host{OS: "linux", Arch: h.Arch, ProcessArch: h.Arch, CPUFeatures: h.CPUFeatures, Assumed: true}
	for _, arch := range []string{"amd64", "arm64", "386", "arm", "riscv64", "ppc64le", "s390x"} {
		if arch == h.Arch || (h.Arch == "amd64" && arch == "386") {
			continue
		}
		b := host.Binfmt{Name: "qemu-" + arch, Arch: arch, Interpreter: "QEMU (Docker Desktop)", Enabled: true}
		if h.OS == "darwin" && h.Arch == "arm64" && arch == "amd64" && h.Rosetta {
			b = host.Binfmt{Name: "rosetta", Arch: arch, Interpreter: "Rosetta for Linux (Docker Desktop)", Enabled: true}
		}
		vm.Binfmt = append(vm.Binfmt, b)
	}
	return vm
}

// platformRuns says how h runs containers of platform p (ch is ContainerHost(h)), in
// verdict's terms; runs is empty when the host is unknown (nothing to judge against).
func platformRuns(p v1.Platform, h, ch host.Host) (runs verdict.Runs, handler, reason string) {
	if ch.Arch == "" {
		return "", "", "the container host is unknown"
	}
	where := "in its kernel"
	if h.OS != "linux" {
		where = fmt.Sprintf("in Docker Desktop's linux/%s VM", ch.Arch)
	}
	if p.OS != "linux" {
		return verdict.No, "", fmt.Sprintf("a %s image needs a %s container host", platformString(p), p.OS)
	}
	native, refused, caveat := verdict.LinuxNative(p.Architecture, ch)
	if native {
		if caveat != "" {
			where += "; " + caveat
		}
		return verdict.Native, "", where
	}
	if b, ok := ch.Handler(p.Architecture); ok {
		return verdict.Emulated, b.Interpreter, fmt.Sprintf("%s, through %s: slower, and some programs misbehave emulated", where, b.Interpreter)
	}
	if refused {
		return verdict.No, "", fmt.Sprintf("%s: %s, and no binfmt_misc handler for %s catches it", where, caveat, p.Architecture)
	}
	return verdict.No, "", fmt.Sprintf("%s has no binfmt_misc handler for %s (install qemu-user-static and binfmt-support)", h, p.Architecture)
}
