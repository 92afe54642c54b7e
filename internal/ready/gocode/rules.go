package gocode

import "github.com/gonative/gonative/internal/ready"

// Rules describe every rule of this package (SARIF's tool.driver.rules); Anchor is
// the section of docs/ready.md that lists them (each rule in full: docs/ready-go.md).
var Rules = []ready.Rule{
	{ID: IDNoBuild, Title: "A package of the module does not build for a target", Anchor: anchor},
	{ID: IDArchOnly, Title: "A syscall or unix identifier the target does not have", Anchor: anchor},
	{ID: IDAsmFallback, Title: "Assembly for amd64 and none for the target: the generic fallback runs", Anchor: anchor},
	{ID: IDExcluded, Title: "Build constraints exclude a package or its tests on a target", Anchor: anchor},
	{ID: IDNoCrossCC, Title: "cgo packages and no C compiler for the target", Anchor: anchor},
	{ID: IDNoTargetLib, Title: "A C library of a cgo package is missing for the target", Anchor: anchor},
	{ID: IDNoTargetHdr, Title: "A header a cgo preamble includes is missing for the target", Anchor: anchor},
	{ID: IDIntelHomebrew, Title: "cgo flags name Intel Homebrew's /usr/local for darwin/arm64", Anchor: anchor},
	{ID: IDNotNeeded, Title: "cgo is used only by the standard library: CGO_ENABLED=0 builds it pure Go", Anchor: anchor},
}

const anchor = "go-and-cgo-rules"
