package ciconf

import "github.com/gonative/gonative/internal/ready"

// Rules describe every rule of this package (SARIF's tool.driver.rules); Anchor is
// the section of docs/ready.md that lists them (each rule in full: docs/ready-ci.md).
var Rules = []ready.Rule{
	{ID: "ci.no-arm64-runner", Title: "A Go job with no arm64 runner while an arm64 platform is a target", Anchor: anchor},
	{ID: "ci.retired-runner", Title: "A GitHub-hosted runner image retired, or retiring", Anchor: anchor},
	{ID: "ci.qemu-for-go", Title: "QEMU set up for a Go build that could cross-compile", Anchor: anchor},
	{ID: "ci.goarch-pinned", Title: "GOARCH hard-coded to amd64 in a CI file", Anchor: anchor},
	{ID: "ci.setup-go-arch", Title: "actions/setup-go installs an amd64 Go on an arm64 runner", Anchor: anchor},
	{ID: "scripts.goarch-pinned", Title: "GOARCH hard-coded to amd64 in a Makefile or shell script", Anchor: anchor},
	{ID: "scripts.uname-x86-only", Title: "uname -m compared only with x86_64", Anchor: anchor},
	{ID: "scripts.arch-download", Title: "A download whose URL names one architecture", Anchor: anchor},
}

const anchor = "ci-and-build-script-rules"
