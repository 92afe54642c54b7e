package build

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gonative/gonative/internal/machine"
)

// CToolchain is the C toolchain and pkg-config setting one cgo target builds with.
type CToolchain struct {
	CC  string `json:"cc,omitempty"` // "" means Go's default (the native compiler)
	CXX string `json:"cxx,omitempty"`
	// Env holds PKG_CONFIG, PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR and
	// PKG_CONFIG_PATH as KEY=VALUE: pkg-config reads the target's .pc files, never
	// the host's.
	Env []string `json:"env,omitempty"`
	// Source says how the compiler was chosen.
	Source string `json:"source"`
}

// Resolver chooses a C toolchain for each cgo target: the compilers on Machine's PATH
// (a test's machine.Fake can be any host).
type Resolver struct {
	HostOS, HostArch string
	Machine          machine.Machine
	// CC and SDK are the user's overrides, keyed by "os/arch" or "" for every target.
	// For darwin SDK is a macOS SDK; for Linux it is a sysroot holding the target's
	// libraries and .pc files.
	CC  map[string]string
	SDK map[string]string
}

func (r Resolver) has(tool string) bool {
	_, err := r.Machine.LookPath(tool)
	return err == nil
}

func pick(m map[string]string, t Target) string {
	if v, ok := m[t.String()]; ok {
		return v
	}
	return m[""]
}

// ErrNoToolchain is wrapped by Resolve's error when no C compiler can build the target.
var ErrNoToolchain = errors.New("no C toolchain")

// Resolve returns the toolchain for cgo target t.
func (r Resolver) Resolve(t Target) (CToolchain, error) {
	sdk := pick(r.SDK, t)
	tc, err := r.compiler(t, sdk)
	if err != nil {
		return tc, err
	}
	tc.Env = r.pkgConfig(t, sdk)
	return tc, nil
}

func (r Resolver) compiler(t Target, sdk string) (CToolchain, error) {
	if cc := pick(r.CC, t); cc != "" {
		return CToolchain{CC: cc, Source: "--cc"}, nil
	}
	native := t.OS == r.HostOS && t.Arch == r.HostArch
	switch t.OS {
	case "darwin":
		arch := machoArch(t.Arch)
		if r.HostOS == "darwin" && arch != "" {
			// Apple clang builds both darwin arches on either Mac (the -arch flag
			// picks the slice), with the SDK xcrun finds unless --sdk names one.
			cc := "clang -arch " + arch
			if sdk != "" {
				cc += " -isysroot " + sdk
			}
			return CToolchain{CC: cc, CXX: "clang++ -arch " + arch, Source: "clang -arch"}, nil
		}
		if sdk != "" && r.has("zig") && arch != "" {
			// zig's Mach-O linker with an Apple SDK for the frameworks that Go's
			// runtime/cgo, net and crypto/x509 link (ziglang/zig#11041 explains why the
			// SDK is required). Not confirmed here: this Linux machine has no SDK.
			z := fmt.Sprintf("zig cc -target %s-macos -isysroot %s -F%s/System/Library/Frameworks", zigArch(t.Arch), sdk, sdk)
			return CToolchain{CC: z, CXX: strings.Replace(z, "zig cc", "zig c++", 1), Source: "zig + --sdk"}, nil
		}
		return CToolchain{}, fmt.Errorf("%w for %s on this %s/%s machine: cgo for macOS needs Apple's SDK. Either\n"+
			"  - build the darwin targets on a Mac, or on a macOS CI runner (GitHub's macos-latest): gonative build --target %s;\n"+
			"  - or give a macOS SDK and a cross compiler: --sdk %s=/path/MacOSX.sdk with zig on PATH, or an osxcross compiler with --cc %s=o64-clang;\n"+
			"  - or, if the packages work without cgo, build them pure Go with --cgo=off",
			ErrNoToolchain, t, r.HostOS, r.HostArch, t, t, t)
	case "linux":
		if native && r.HostOS == "linux" {
			return CToolchain{Source: "native"}, nil
		}
		if tr := triplet(t.Arch); tr != "" && r.has(tr+"-gcc") {
			return CToolchain{CC: tr + "-gcc", CXX: tr + "-g++", Source: "Debian cross gcc"}, nil
		}
		if za := zigArch(t.Arch); za != "" && r.has("zig") {
			abi := "gnu"
			if t.Arch == "arm" {
				abi = "gnueabihf"
			}
			return CToolchain{CC: "zig cc -target " + za + "-linux-" + abi, CXX: "zig c++ -target " + za + "-linux-" + abi, Source: "zig"}, nil
		}
		hint := ""
		if tr := triplet(t.Arch); tr != "" {
			d, _ := Debian(t.Arch)
			hint = fmt.Sprintf("install %s-gcc (Debian/Ubuntu: apt-get install %s), ", tr, d.CrossGCC())
		}
		return CToolchain{}, fmt.Errorf("%w for %s: %sput zig on PATH, pass --cc %s=COMPILER, or --cgo=off if the packages work without cgo", ErrNoToolchain, t, hint, t)
	case "windows":
		if native && r.HostOS == "windows" {
			return CToolchain{Source: "native"}, nil
		}
		mingw := mingwTriplet(t.Arch) + "-gcc"
		if mingw != "-gcc" && r.has(mingw) {
			return CToolchain{CC: mingw, CXX: strings.TrimSuffix(mingw, "gcc") + "g++", Source: "mingw-w64"}, nil
		}
		if za := zigArch(t.Arch); za != "" && r.has("zig") {
			return CToolchain{CC: "zig cc -target " + za + "-windows-gnu", CXX: "zig c++ -target " + za + "-windows-gnu", Source: "zig"}, nil
		}
		return CToolchain{}, fmt.Errorf("%w for %s: install mingw-w64 (llvm-mingw for arm64), put zig on PATH, pass --cc %s=COMPILER, or --cgo=off if the packages work without cgo", ErrNoToolchain, t, t)
	}
	if native {
		return CToolchain{Source: "native"}, nil
	}
	return CToolchain{}, fmt.Errorf("%w for %s: pass --cc %s=COMPILER, or --cgo=off if the packages work without cgo", ErrNoToolchain, t, t)
}

// pkgConfig isolates pkg-config for target t. A native build uses the host's
// pkg-config unless a sysroot is given. Otherwise pkg-config searches only the target's
// directories: the sysroot's (with PKG_CONFIG_SYSROOT_DIR so its -I/-L point inside
// it), the triplet's own pkg-config wrapper (Debian's TRIPLET-pkg-config), or Debian's
// multiarch directories for the triplet. PKG_CONFIG_PATH is emptied, since pkg-config
// searches it before PKG_CONFIG_LIBDIR.
func (r Resolver) pkgConfig(t Target, sysroot string) []string {
	tr := triplet(t.Arch)
	if sysroot != "" {
		dirs := []string{"usr/lib/pkgconfig", "usr/share/pkgconfig", "usr/local/lib/pkgconfig", "lib/pkgconfig"}
		if tr != "" && t.OS == "linux" {
			dirs = append(dirs, "usr/lib/"+tr+"/pkgconfig")
		}
		for i, d := range dirs {
			dirs[i] = filepath.Join(sysroot, d)
		}
		return []string{"PKG_CONFIG=pkg-config", "PKG_CONFIG_PATH=", "PKG_CONFIG_LIBDIR=" + strings.Join(dirs, string(filepath.ListSeparator)), "PKG_CONFIG_SYSROOT_DIR=" + sysroot}
	}
	if t.OS == r.HostOS && t.Arch == r.HostArch {
		return nil
	}
	if t.OS == "linux" && tr != "" {
		if r.has(tr + "-pkg-config") {
			return []string{"PKG_CONFIG=" + tr + "-pkg-config", "PKG_CONFIG_PATH="}
		}
		return []string{"PKG_CONFIG=pkg-config", "PKG_CONFIG_PATH=",
			"PKG_CONFIG_LIBDIR=" + strings.Join([]string{"/usr/lib/" + tr + "/pkgconfig", "/usr/" + tr + "/lib/pkgconfig"}, ":"),
			"PKG_CONFIG_SYSROOT_DIR=/"}
	}
	// No known target directories: an empty search path, so a cgo package that asks
	// pkg-config fails loudly instead of getting the host's flags.
	return []string{"PKG_CONFIG=pkg-config", "PKG_CONFIG_PATH=", "PKG_CONFIG_LIBDIR=" + filepath.Join(sysrootNone, "pkgconfig")}
}

// sysrootNone is a directory that does not exist, for an empty pkg-config search path.
const sysrootNone = "/nonexistent/gonative-no-target-sysroot"
