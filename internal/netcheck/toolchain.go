package netcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// toolchainModule is the module cmd/go downloads toolchains from
// (cmd/go/internal/toolchain/select.go, gotoolchainModule).
const toolchainModule = "golang.org/toolchain"

// ToolchainModuleVersion is the golang.org/toolchain version of Go version v ("1.99.0")
// for platform ("linux-amd64"): v0.0.1-go1.99.0.linux-amd64.
func ToolchainModuleVersion(v, platform string) string {
	return "v0.0.1-go" + strings.TrimPrefix(v, "go") + "." + platform
}

// Toolchain asks the proxy list whether the toolchain opts.Toolchain exists, as
// cmd/go does before switching to one it does not have (a Stat of the
// golang.org/toolchain module version through GOPROXY): one finding, proxy.toolchain.
func Toolchain(ctx context.Context, opts Options) Finding {
	r, opts, done := newRun(opts)
	defer done()
	if r.cfg.ProxyUnknown || r.cfg.ProxyErr != nil {
		return Finding{ID: "proxy.toolchain", Area: AreaProxy, Severity: Info,
			Title: "whether go" + opts.Toolchain + " exists is unknown: GOPROXY is unknown or invalid (see the settings findings)"}
	}
	return r.toolchainPath(ctx, opts.Toolchain)
}

// toolchainPath walks the proxy list for the .info of the toolchain module of Go
// version v.
func (r *run) toolchainPath(ctx context.Context, v string) Finding {
	mv := ToolchainModuleVersion(v, r.opts.ToolchainPlatform)
	target := toolchainModule + "@" + mv
	s := &step{name: "toolchain", method: http.MethodGet, path: toolchainModule + "/@v/" + mv + ".info", validate: infoValidator(mv)}
	r.walk(ctx, s)
	f := Finding{ID: "proxy.toolchain", Area: AreaProxy, Evidence: s.trail}
	switch {
	case s.answered != "":
		f.Severity = Info
		f.Title = fmt.Sprintf("go%s exists: %s answers for %s (go downloads it at first use and checks it against the checksum database)", v, redactURL(s.answered), target)
	case errors.Is(s.err, errNotFound):
		f.Severity = Error
		f.Title = fmt.Sprintf("go%s does not exist: no entry of GOPROXY has %s, so every go command that switches to it fails (\"toolchain not available\")", v, target)
		f.Fix = &Fix{Text: "Name a Go release that exists (gonative list --remote lists them) in GOTOOLCHAIN or the go.mod toolchain line, or go.mod's go line."}
	case s.direct:
		f.Severity = Warning
		f.Title = fmt.Sprintf("no proxy answered for %s: go falls back to direct (the module's origin), which netcheck does not probe; whether go%s exists is unknown", target, v)
	case s.err != nil:
		f.Severity = Error
		f.Title = fmt.Sprintf("asking GOPROXY for %s fails: %s; go cannot download go%s", target, s.err, v)
		f.Fix = r.errorFix(s)
	}
	return f
}
