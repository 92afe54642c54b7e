#!/usr/bin/env bash
# The test command: sets up what the tests need, then runs every check CI runs, and
# ends with a summary of every test and stage whose last line is
# "N passed, N failed, N skipped".
#
#   scripts/test.sh                    everything (as .ci/run does)
#   TEST_STAGES="vet native" scripts/test.sh   only the stages named (see stages below)
#
# On Debian (as root, or with sudo) it installs the packages the tests use; elsewhere the
# tests that need a missing tool skip and name the package to install. With CI set, a
# skip not listed in scripts/ci-skips.txt fails the run: the test command must provide
# what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (and nothing else): one a line, with who needs it.
packages=(
	gcc                        # cgo fixtures, isa scans of C code, doctor's archive check
	binutils                   # objdump (isa ground truth), ar
	gcc-aarch64-linux-gnu      # linux/arm64 cgo: build, exe, isa fixtures
	binutils-aarch64-linux-gnu # aarch64-linux-gnu-objdump (isa ground truth)
	qemu-user-static           # the linux/arm64 pass, smoke runs of arm64 builds
	binfmt-support             # update-binfmts: registers qemu-aarch64 with binfmt_misc
	llvm                       # llvm-lipo, llvm-objdump, llvm-objcopy: Mach-O ground truth
	pkg-config                 # build: cgo packages found through pkg-config
	libc6-dev-arm64-cross      # arm64 C fixtures and cgo smoke runs (isa, bench, init)
	file                       # corpus: file(1) ground truth
	openssl                    # corpus: the Developer ID signature (openssl cms -verify)
	golang-1.19-go             # exe: go1.19 fixtures (old pclntab layouts, external linking)
	libc6-dev                  # cgo modules built natively (init's cgo image, bench)
	buildah                    # init: the generated Dockerfile built for real, daemonless
	busybox-static             # init: the userland of the base images the test makes
	mmdebstrap                 # init: a minimal Debian builder without C compilers (cgo images install theirs)
	shellcheck                 # init: the generated workflow's scripts are checked with it
	bsdutils                   # script(1): commands run on a pseudo-terminal (progress bars)
	util-linux                 # unshare: bench cgo's DNS workload in a network namespace
	chromium                   # bench cgo: the SVG chart rendered headless and checked
	skopeo                     # image: an independent reader copies pushed images to archives
	umoci                      # image: an independent reader of the OCI layouts gonative writes
	bash-completion            # cli: the bash completion script run by a real bash (cli_completion_bash)
	dpkg-dev                   # arch: dpkg-architecture, ground truth for the Debian ports of the architecture table
	patch                      # ready: every printed fix diff is applied with patch -p1 (dockerfile, ciconf, gocode)
)
# npm (npm pack, for the corpus) comes with Node.js where it is installed.
command -v npm >/dev/null 2>&1 || packages+=(npm)

# The stages, in order: NAME FUNCTION [&]. Adding a stage is one line here and a
# function below. Stages named in TEST_STAGES run alone (setup always runs).
#
# Stages marked & run one after another in the background, beside the stages that
# follow, until the next stage marked & (one background group at a time); their output
# goes to a file, printed when the group ends. corpus (downloads, and the builds of its
# "built" files: minutes cold, seconds warm) runs beside gofmt, vet and fixtures, and
# ends before the tests that read it. scaffoldtest and readytest run beside native and
# arm64: scaffoldtest's real buildah builds wait on the disk more than they use the CPU
# (measured warm at load 6–14: scaffoldtest 178 s of CPU in 407 s, native 388 s of CPU
# in 441 s), so the stages together take less than one after the other, and arm64 need
# not wait for them. readytest follows scaffoldtest, not beside it: both compile
# BuildKit's parser, and two go commands compiling one package at once each do the
# whole work.
stages=(
	"setup install_packages"
	"modules go_mod_download"
	"corpus fetch_corpus &"
	"gofmt check_gofmt"
	"vet vet_targets"
	"fixtures build_fixtures"
	"scaffoldtest test_scaffold &"
	"readytest test_readytest &"
	"native test_native"
	"arm64 test_arm64"
)

# Time bounds. Every testscript has its own budget, sized from its steps and counted
# from its start (cmd/gonative/watchdog_budget_test.go), and every command a script runs
# as gonative is bounded (GONATIVE_SCRIPT_CMD_TIMEOUT, default 10m natively, 5m
# emulated); every fixture build is bounded (internal/fixture.BuildTimeout). An overrun
# fails there, naming the step. go test -timeout (at it, the test binary dumps its
# goroutines and fails) is the last resort: each stage runs cmd/gonative and the other
# packages as two go test commands at once (lanes), each lane's -timeout 4x what it
# took cold on the quiet 2-core machine (docs/development.md), for a machine 4x slower.
# GONATIVE_TEST_SLOWDOWN (a factor, default 1) scales the budgets inside the tests.
timeout_native_gonative=${TEST_TIMEOUT_NATIVE_GONATIVE:-30m}
timeout_native_rest=${TEST_TIMEOUT_NATIVE:-45m}
# Under emulation a hang (qemu-user's, see test_arm64) is found only by -timeout, and
# the stage then runs the lane once more: the narrowed stage's test binaries take at
# most 135 s cold (internal/toolchain, with the zip bomb test it no longer runs; now
# cmd/gonative's 69 s is the longest), so 10 minutes each.
timeout_arm64_gonative=${TEST_TIMEOUT_ARM64_GONATIVE:-10m}
timeout_arm64_rest=${TEST_TIMEOUT_ARM64:-10m}
timeout_fixtures=${TEST_TIMEOUT_FIXTURES:-60m}

# Every go vet, go test and go build here runs with -trimpath: without it the build
# cache keys the module's own packages by the clone's directory, so a fresh clone (as CI
# makes for every run) compiles and vets them all again however warm the cache is
# (measured: 37 CPU-seconds of test compiles and 4 of vet natively, again for each vetted
# platform and for the linux/arm64 test binaries; with it, 8 and 0.4).
# One build cache and one fixture cache for every stage (and every run).
GOCACHE=$(go env GOCACHE)
export GOCACHE
export GONATIVE_FIXTURE_CACHE=${GONATIVE_FIXTURE_CACHE:-$GOCACHE/../gonative-fixtures}
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/gonative-test.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT
go build -trimpath -o "$run_dir/testsum" ./scripts/testsum

sudo=""
install_packages() {
	command -v apt-get >/dev/null 2>&1 || { echo "no apt-get; tests that need ${packages[*]} will skip"; return; }
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
			echo "not root and no sudo; tests that need ${packages[*]} will skip"; return
		fi
	fi
	local missing=()
	for p in "${packages[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing ${missing[*]}"
		$sudo apt-get update -qq || return 1
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
	else
		echo "installed: ${packages[*]}"
	fi
	# Register the arm64 binfmt handler: the arm64 pass runs gonative (the test binary)
	# again from inside testscripts, which only the kernel's handler can do.
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		$sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
			echo "cannot mount binfmt_misc here; arm64 tests run through -exec qemu-aarch64-static"
	fi
	if [ -e /proc/sys/fs/binfmt_misc/register ] && command -v update-binfmts >/dev/null 2>&1; then
		$sudo update-binfmts --enable qemu-aarch64 2>/dev/null ||
			echo "cannot enable the qemu-aarch64 binfmt handler; arm64 tests run through -exec qemu-aarch64-static"
	fi
}

# go_mod_download downloads the module's dependencies and checks that go.mod and go.sum
# of the module and of the nested test modules are tidy: a requirement added to the
# main module reaches the nested ones through the replace, and their go.sum must follow
# (go mod tidy in the directory named fixes it).
go_mod_download() {
	go mod download || return 1
	local d rc=0
	for d in . internal/scaffold/scaffoldtest internal/ready/readytest; do
		(cd "$d" && go mod tidy -diff >/dev/null) || { echo "$d: go.mod/go.sum not tidy: run (cd $d && go mod tidy)"; rc=1; }
	done
	return $rc
}

# fetch_corpus downloads the real-world corpus and builds its "built" files (cached in
# the user cache: seconds when nothing changed; minutes the first time, docs/corpus.md).
# An unreachable registry is not a failure here: the corpus tests skip as "offline".
fetch_corpus() { scripts/corpus.sh; }

check_gofmt() {
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:"; echo "$unformatted"; return 1
	fi
}

# vet_targets vets every platform gonative ships for, each package once per distinct
# set of its files: a package whose files for a platform are the ones already vetted
# for another is not vetted again (most packages have no platform-specific files, so
# only a few are vetted for darwin and windows, and linux/arm64 adds none). The host
# platform goes first: its compiles are the ones the native tests reuse. The platforms
# run one after another, so each one's time is its own.
vet_targets() {
	local targets=(linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64 windows/arm64)
	local -A vetted=()
	local t line start failed=0 pkgs
	for t in "${targets[@]}"; do
		pkgs=()
		while IFS= read -r line; do
			[ -z "${vetted[$line]:-}" ] || continue
			vetted[$line]=$t
			pkgs+=("${line%% *}")
		done < <(GOOS=${t%/*} GOARCH=${t#*/} go list -f '{{.ImportPath}} {{.GoFiles}} {{.CgoFiles}} {{.TestGoFiles}} {{.XTestGoFiles}}' ./...)
		if [ ${#pkgs[@]} -eq 0 ]; then
			echo "vet $t: no package has files of its own here"
			continue
		fi
		start=$SECONDS
		if GOOS=${t%/*} GOARCH=${t#*/} go vet -trimpath "${pkgs[@]}" >"$run_dir/vet-${t/\//-}.log" 2>&1; then
			echo "vet $t: ok, ${#pkgs[@]} packages in $((SECONDS - start))s"
		else
			echo "vet $t: FAILED, ${#pkgs[@]} packages in $((SECONDS - start))s"; cat "$run_dir/vet-${t/\//-}.log"; failed=1
		fi
	done
	return $failed
}

# build_fixtures builds the executables the tests inspect (internal/fixture.Catalog:
# Go 1.19 and this Go, for many targets) once, before the tests, into the shared
# fixture cache, two builds at a time, printing each build's time and the slowest.
build_fixtures() {
	GONATIVE_FIXTURE_PREBUILD=1 go test -count=1 -trimpath -vet=off -v -run '^TestPrebuild$' -timeout "$timeout_fixtures" ./internal/fixture |
		sed -n 's/^ *catalog_test.go:[0-9]*: //p; s/^ \{4,\}\([ 0-9.]*s .*\)/\1/p; /^\(FAIL\|ok\|---\)/p'
}

# go_test STAGE LANE ARGS...: go test -json ARGS, summarised per package as it runs.
go_test() {
	local stage=$1 lane=$2; shift 2
	local rc=0
	"$go_test_json" "$@" 2>&1 | "$run_dir/testsum" -stage "$stage" -o "$run_dir/$stage.$lane.json" || rc=$?
	return $rc
}

# go_test_json ARGS...: the command a stage's go test -json runs as (go_test uses
# $go_test_json): go test itself, or gonative_test_arm64.
go_test_json=go_test_plain
go_test_plain() { go test -json "$@"; }

# go_test_lanes STAGE GONATIVE_TIMEOUT REST_TIMEOUT ARGS...: cmd/gonative (the
# testscripts) and the other packages as two go test commands at once, each with its
# own -timeout: cmd/gonative alone in its lane, the others two at a time (as go test
# ./... on 2 cores): cold, internal/build alone takes as long as cmd/gonative.
# lane_run (a -run pattern for cmd/gonative), lane_rest (the other packages) and
# lane_skip (NAME|NAME: tests of the other packages left out) and lane_skip_scripts
# (NAME|NAME: cmd/gonative's scripts left out) narrow them; by default every test of
# every package runs.
lane_run=""
lane_rest=""
lane_skip=""
lane_skip_scripts=""
# lane_parallel: the cmd/gonative lane's -parallel (how many scripts at once). Natively
# 4 on any number of cores: most scripts wait (on servers, budgets, go commands) more
# than they compute, and 4 at once finished the lane in 126 s against 141 s with 2
# (warm, alone on 2 cores). Under emulation every script computes: the default.
lane_parallel=""
go_test_lanes() {
	local stage=$1 t_gonative=$2 t_rest=$3; shift 3
	local rest=$lane_rest rc=0 p1 p2 run=() skip=()
	[ -n "$rest" ] || rest=$(go list ./... | grep -v '/cmd/gonative$')
	[ -z "$lane_run" ] || run=(-run "$lane_run")
	[ -z "$lane_skip_scripts" ] || run+=(-skip "^TestScript\$/^($lane_skip_scripts)\$")
	[ -z "$lane_skip" ] || skip=(-skip "^($lane_skip)\$")
	go_test_lane "$stage" gonative -p 1 -timeout "$t_gonative" $lane_parallel "${run[@]}" "$@" ./cmd/gonative &
	p1=$!
	# shellcheck disable=SC2086 # one package a word
	go_test_lane "$stage" rest -p 2 -timeout "$t_rest" "${skip[@]}" "$@" $rest &
	p2=$!
	wait $p1 || rc=1
	wait $p2 || rc=1
	return $rc
}

# go_test_lane STAGE LANE ARGS...: go_test, and with lane_retry_stuck set, once more
# when a Go program was stuck rather than a test failed: the test binary says "the test
# process itself is stuck" (cmd/gonative's script budgets) or go test -timeout ran out,
# or a command a script ran overran its bound ("still running after ...: sending
# SIGQUIT", or, when the hung command cannot even take that signal, the script's
# "stopping the step still running"; under emulation every command of the scripts
# takes seconds to a minute, and a command's bound is 5 minutes). Only
# the emulated stage sets it: qemu-user hangs Go programs now and then
# (golang/go#70329; seen here in a `gonative doctor` with both its threads waiting on
# a futex and no CPU time for minutes), which no fix here can prevent. The first run's
# events are kept in RUN/retried/, its goroutine dump is in the output above, and the
# summary names the lane. A test that fails is never run again.
lane_retry_stuck=""
go_test_lane() {
	local stage=$1 lane=$2
	go_test "$@" && return 0
	[ -n "$lane_retry_stuck" ] || return 1
	grep -q -e 'the test process itself is stuck' -e 'panic: test timed out after' \
		-e 'still running after [^"]*: sending SIGQUIT for a goroutine dump' \
		-e 'script over its budget of [^"]*: stopping the step still running' "$run_dir/$stage.$lane.json" || return 1
	mkdir -p "$run_dir/retried"
	mv "$run_dir/$stage.$lane.json" "$run_dir/retried/"
	echo "$stage $lane: a Go program was stuck under emulation (its goroutines are above): running the lane once more"
	echo "$stage $lane" >>"$run_dir/retried.txt"
	go_test "$@"
}

# The vet stage ran every analyzer for every platform: go test's own vet (a subset)
# would only repeat it, so -vet=off.
test_native() {
	lane_parallel="-parallel 4"
	GONATIVE_INTEGRATION=1 go_test_lanes native "$timeout_native_gonative" "$timeout_native_rest" -count=1 -vet=off -trimpath
	local rc=$?
	lane_parallel=""
	return $rc
}

# test_scaffold runs the nested test module that holds init's heavy test-only
# dependencies (BuildKit's Dockerfile parser, a JSON schema checker, YAML) and the real
# buildah builds of the generated Dockerfile; ./... does not reach it.
test_scaffold() {
	( cd internal/scaffold/scaffoldtest &&
		go mod download &&
		go vet -trimpath ./... &&
		GONATIVE_INTEGRATION=1 go_test scaffoldtest all -count=1 -vet=off -trimpath -timeout "$timeout_native_rest" ./... )
}

# test_readytest runs the nested test module that checks ready's SARIF against the
# SARIF 2.1.0 schema and its Dockerfile parser against BuildKit's; ./... does not
# reach it.
test_readytest() {
	( cd internal/ready/readytest &&
		go mod download &&
		go vet -trimpath ./... &&
		go_test readytest all -count=1 -vet=off -trimpath -timeout "$timeout_native_rest" ./... )
}

# test_arm64 runs under qemu-user, as linux/arm64, what scripts/arm64.txt lists: the
# tests of what depends on the architecture gonative is built for. The project uses
# what it ships: the lanes run through gonative test --target linux/arm64 (which picks
# the binfmt_misc handler, or qemu-aarch64-static as go test -exec), built once here.
test_arm64() {
	if [ "$(go env GOHOSTARCH)" = arm64 ]; then
		echo "already arm64: the native run covered it"; return
	fi
	if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
		echo "qemu-aarch64-static not found (apt-get install qemu-user-static)"
		[ -z "${CI:-}" ] || return 1
		return
	fi
	go build -trimpath -o "$run_dir/gonative" ./cmd/gonative || return 1
	local pkg pattern
	while read -r pkg pattern; do
		case $pkg in
		'' | '#'*) ;;
		./cmd/gonative) lane_run=${pattern%%#*} lane_run=${lane_run%% *} ;;
		-skip)
			pattern=${pattern%%#*} pattern=${pattern%% *}
			case $pattern in
			TestScript/*) lane_skip_scripts+="${lane_skip_scripts:+|}${pattern#TestScript/}" ;;
			*) lane_skip+="${lane_skip:+|}$pattern" ;;
			esac ;;
		*) lane_rest+=" $pkg" ;;
		esac
	done <scripts/arm64.txt
	echo "under qemu-user: cmd/gonative -run '$lane_run' -skip 'TestScript/^($lane_skip_scripts)\$' and$lane_rest -skip '^($lane_skip)\$'"
	# Go programs under qemu-user are reported to hang in futex waits with asynchronous
	# preemption on (golang/go#70329, #36981): the test binaries run without it, and
	# cmd/gonative turns it off for the commands its scripts run.
	lane_retry_stuck=1
	go_test_json=gonative_test_arm64
	GODEBUG=${GODEBUG:+$GODEBUG,}asyncpreemptoff=1 \
		go_test_lanes arm64 "$timeout_arm64_gonative" "$timeout_arm64_rest" -count=1 -vet=off -trimpath
	local rc=$?
	go_test_json=go_test_plain
	return $rc
}

# gonative_test_arm64 ARGS...: go test's flags and packages (./...) as go_test_lanes
# gives them, run as gonative test --target linux/arm64 --json PACKAGES -- FLAGS. Its
# table goes to stderr, which testsum prints; its events are go test's, tagged.
gonative_test_arm64() {
	local a flags=() pkgs=()
	for a in "$@"; do
		case $a in
		./*) pkgs+=("$a") ;;
		*) flags+=("$a") ;;
		esac
	done
	"$run_dir/gonative" test --target linux/arm64 --json "${pkgs[@]}" -- "${flags[@]}"
}

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

failed_stages=()
timings=()

# run_stage NAME FUNCTION: runs one stage, prints its time, records it in timings and,
# when it failed, in failed_stages.
run_stage() {
	local name=$1 fn=$2 start=$SECONDS status=ok
	$fn || { status=FAILED; failed_stages+=("$name"); }
	local elapsed=$((SECONDS - start))
	printf -- '-- %s: %s in %s\n' "$name" "$status" "$(fmt_time $elapsed)"
	timings+=("$(printf '%-12s %-6s %s' "$name" "$status" "$(fmt_time $elapsed)")")
}

# start_background runs the stages queued in bg_queue (NAME FUNCTION, one after another)
# in the background, their output in a file and their records in another.
bg_queue=() bg_pid=""
start_background() {
	[ ${#bg_queue[@]} -gt 0 ] || return 0
	join_background # one background group at a time
	printf '\n== %s: started in the background\n' "${bg_queue[*]%% *}"
	(
		timings=() failed_stages=()
		for q in "${bg_queue[@]}"; do
			printf '\n== %s\n' "${q%% *}"
			run_stage "${q%% *}" "${q#* }"
		done >"$run_dir/bg.out" 2>&1
		{
			printf 'timings+=(%q)\n' "${timings[@]}"
			for f in "${failed_stages[@]}"; do printf 'failed_stages+=(%q)\n' "$f"; done
		} >"$run_dir/bg.rec"
	) &
	bg_pid=$! bg_queue=()
}

# join_background waits for the background stages, prints their output and adds their
# records (at the end of the run, or before another group starts).
join_background() {
	[ -n "$bg_pid" ] || return 0
	wait "$bg_pid" || true
	bg_pid=""
	printf '\n-- the background stages ended; their output:\n'
	cat "$run_dir/bg.out"
	# shellcheck disable=SC1091 # written by start_background
	. "$run_dir/bg.rec"
}

total_start=$SECONDS
for s in "${stages[@]}"; do
	name=${s%% *} fn=${s#* }
	if [ -n "${TEST_STAGES:-}" ] && [ "$name" != setup ] && [[ " $TEST_STAGES " != *" ${name} "* ]]; then
		continue
	fi
	if [[ $fn == *' &' ]]; then
		bg_queue+=("$name ${fn% &}")
		continue
	fi
	start_background
	printf '\n== %s\n' "$name"
	run_stage "$name" "$fn"
done
start_background
join_background

printf '\n== summary\n'
printf 'stages (load average %s):\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
printf '  %s\n' "${timings[@]}"
printf '  %-12s        %s\n' total "$(fmt_time $((SECONDS - total_start)))"
if [ -s "$run_dir/retried.txt" ]; then
	printf 'run again after the test binary was stuck (see its goroutines above):\n'
	sed 's/^/  /; s/ / lane /' "$run_dir/retried.txt"
fi
ci_flag=()
[ -z "${CI:-}" ] || ci_flag=(-ci)
stage_flags=()
for s in "${failed_stages[@]}"; do stage_flags+=(-failed-stage "$s"); done
shopt -s nullglob
rc=0
"$run_dir/testsum" -report -allow scripts/ci-skips.txt "${ci_flag[@]}" "${stage_flags[@]}" "$run_dir"/*.json || rc=$?
exit $rc
