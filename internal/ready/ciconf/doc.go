// Package ciconf holds ready's CI and build-script checks: GitHub Actions workflows
// and GitLab CI files (parsed as YAML, with line numbers) and Makefiles and shell
// scripts (read line by line), for what keeps a Go project from being built and
// tested on arm64: jobs with no arm64 runner, retired runner images (a dated table
// with GitHub's announcement per row, [Retirements]), QEMU set up for a Go build that
// cross-compiles, a hard-coded GOARCH, setup-go pinned to x64 on an arm64 runner,
// `uname -m` compared only to x86_64, and downloads that name one architecture.
//
// Each finding has the file and line, the evidence quoted on one line, and the fix;
// where the fix is an edit, it is a unified diff that `patch -p1` applies in the
// repository. [Check] is a ready.Checker.
package ciconf
