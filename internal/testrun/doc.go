// Package testrun runs a module's tests for every target, the way each can run here:
// natively, emulated (a binfmt_misc handler, or qemu-user on PATH through go test
// -exec, with the target's sysroot for dynamically linked tests and a qemu CPU model
// that has the CPU level the tests are built for), translated (Rosetta 2 through
// arch -x86_64), or refused with the reason.
//
// How a target runs is decided by internal/verdict's rules for the test binary go test
// would link ([verdict.JudgePlanned]), the C compilers of cgo targets by
// internal/build's [build.Resolver]; nothing here keeps a second table of either.
// [Plan] decides, [Run] runs go test -json once per target (several at once, one
// build cache) and returns the results per target and package; every test2json event
// comes back tagged with its target. The package prints nothing.
package testrun
