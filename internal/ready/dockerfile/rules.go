package dockerfile

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/ready"
)

// targetArgs: ARG TARGETARCH=amd64 (a default) or ENV TARGETARCH=amd64 (set by hand)
// replaces the value BuildKit gives each platform (docker/buildx#510).
func (c *fileCheck) targetArgs() {
	for _, in := range c.f.Instructions {
		switch in.Keyword {
		case "ARG":
			for _, kv := range argPairs(in.Args) {
				if !isTargetArg(kv[0]) || !strings.Contains(rawWord(in.Args, kv[0]), "=") {
					continue
				}
				e := c.editor()
				re := regexp.MustCompile(`\b` + kv[0] + `=("[^"]*"|'[^']*'|[^\s]*)`)
				ok := e.replaceRE(in, re, kv[0])
				c.add(finding.Finding{ID: RuleTargetArgSet, Severity: finding.Error, Line: in.Line,
					Title: fmt.Sprintf("ARG %s has a default (%q): it replaces the value BuildKit sets per platform", kv[0], kv[1]),
					Evidence: []string{
						fmt.Sprintf("line %d: ARG %s", in.Line, in.Args),
						"with a default, every platform's build sees the same value, so every image of a multi-platform build can hold the same architecture's binary (docker/buildx#510; Vaultwarden-API#47: identical Go build ID in the amd64 and arm64 images)",
					},
					Fix:   c.fix(fmt.Sprintf("Declare it without a default: ARG %s (BuildKit sets it; plain docker build without BuildKit needs --build-arg).", kv[0]), e, ok),
					Links: []string{linkBuildx510, linkMultiPlatform}})
			}
		case "ENV":
			for _, kv := range envPairs(in.Args) {
				if !isTargetArg(kv[0]) || refersTo(kv[1], kv[0]) {
					continue // ENV TARGETPLATFORM=${TARGETPLATFORM:-...} keeps BuildKit's value
				}
				e := c.editor()
				ok := len(envPairs(in.Args)) == 1 && in.Line == in.EndLine &&
					e.replaceLine(in.Line, "ARG "+kv[0])
				c.add(finding.Finding{ID: RuleTargetArgSet, Severity: finding.Error, Line: in.Line,
					Title: fmt.Sprintf("ENV sets %s by hand (%q): it replaces the value BuildKit sets per platform", kv[0], kv[1]),
					Evidence: []string{fmt.Sprintf("line %d: ENV %s", in.Line, in.Args),
						"every platform's build sees the same value"},
					Fix:   c.fix(fmt.Sprintf("Declare ARG %s (no default) instead of setting it.", kv[0]), e, ok),
					Links: []string{linkBuildx510}})
			}
		}
	}
}

// refersTo reports whether an ENV value is the argument name itself: $NAME, ${NAME},
// or ${NAME:-fallback} / ${NAME-fallback}, whose fallback applies only when BuildKit
// did not set it.
func refersTo(value, name string) bool {
	return value == "$"+name || value == "${"+name+"}" ||
		strings.HasPrefix(value, "${"+name+":-") || strings.HasPrefix(value, "${"+name+"-")
}

// isTargetArg reports whether name is one of BuildKit's platform arguments.
func isTargetArg(name string) bool {
	for _, a := range targetArgs {
		if a == name {
			return true
		}
	}
	return false
}

// rawWord returns the word of args that declares name ("NAME" or "NAME=...").
func rawWord(args, name string) string {
	for _, w := range words(args) {
		if w == name || strings.HasPrefix(w, name+"=") {
			return w
		}
	}
	return ""
}

// platformConstant: FROM --platform=linux/arm64 pins the stage for every target.
func (c *fileCheck) platformConstant(s *stage) {
	if s.kind != onConstant || s.from.Line == 0 {
		return
	}
	if v, ok := s.from.Flag("platform"); !ok || v != s.platform {
		return // inherited from the parent stage: reported there
	}
	if c.perArchStage(s, s.platform) {
		return
	}
	build, goes := c.builds(s)
	e := c.editor()
	var ok bool
	text := "Remove the constant --platform so the stage is built for each target platform."
	if goes && !s.final && s.children == 0 {
		ok = c.crossEdits(e, s)
		text = "Compile on the builder's platform and cross-compile for the target: FROM --platform=$BUILDPLATFORM, ARG TARGETOS TARGETARCH, GOOS=$TARGETOS GOARCH=$TARGETARCH go build."
	} else {
		ok = e.replaceIn(s.from, "--platform="+s.platform+" ", "") || e.replaceIn(s.from, " --platform="+s.platform, "")
	}
	ev := []string{
		fmt.Sprintf("line %d: FROM --platform=%s %s", s.from.Line, s.platform, s.from.Args),
		"a multi-platform build (--platform linux/amd64,linux/arm64) gets this platform for every target; on a builder of another architecture the stage runs emulated",
	}
	if goes {
		ev = append(ev, fmt.Sprintf("line %d compiles Go in it: %s", build.Line, qemuCost))
	}
	c.add(finding.Finding{ID: RulePlatformConstant, Severity: finding.Warning, Line: s.from.Line,
		Title:    fmt.Sprintf("%s is pinned to --platform=%s", s.label(), s.platform),
		Evidence: ev, Fix: c.fix(text, e, ok), Links: []string{linkMultiPlatform, linkQEMUGo}})
}

// perArchStage reports whether s is one of per-architecture stages that a FROM
// selects by a variable (FROM build-${TARGETARCH}): a constant platform is right there.
func (c *fileCheck) perArchStage(s *stage, platform string) bool {
	arch := platform[strings.LastIndexByte(platform, '/')+1:]
	if s.name == "" || !strings.Contains(s.name, strings.ToLower(arch)) {
		return false
	}
	for _, t := range c.stages {
		if strings.Contains(t.base, "$") {
			return true
		}
	}
	for _, in := range c.f.Instructions {
		if v, ok := in.Flag("from"); ok && strings.Contains(v, "$") {
			return true
		}
	}
	return false
}

// emulatedBuild: go build in a stage that runs on the target platform.
func (c *fileCheck) emulatedBuild(s *stage) {
	if s.kind != onTarget || len(c.linux) == 0 {
		return
	}
	build, goes := c.builds(s)
	if !goes {
		return
	}
	e := c.editor()
	var ok bool
	text := "Split the build: compile in a stage FROM --platform=$BUILDPLATFORM with GOOS=$TARGETOS GOARCH=$TARGETARCH, and COPY the binary into a final stage for the target."
	if !s.final && s.children == 0 {
		ok = c.crossEdits(e, s)
		text = "Compile on the builder's platform and cross-compile: FROM --platform=$BUILDPLATFORM, ARG TARGETOS TARGETARCH, GOOS=$TARGETOS GOARCH=$TARGETARCH go build."
	}
	if cgoOnRE().MatchString(s.scripts()) || envIs(s, "CGO_ENABLED", "1") {
		text += " The stage uses cgo: cross-compiling it also needs a C cross compiler for each target (tonistiigi/xx: xx-apt install gcc libc6-dev, xx-go build)."
	}
	c.add(finding.Finding{ID: RuleEmulatedBuild, Severity: finding.Warning, Line: build.Line,
		Title: fmt.Sprintf("Go is compiled in %s, which runs on each target platform: emulated for every other architecture", s.label()),
		Evidence: []string{
			fmt.Sprintf("line %d: FROM %s has no --platform=$BUILDPLATFORM", s.from.Line, s.from.Args),
			fmt.Sprintf("line %d: RUN %s", build.Line, firstLine(build.Script())),
			c.emulatedFor(),
			qemuCost,
		},
		Fix: c.fix(text, e, ok), Links: []string{linkMultiPlatform, linkQEMUGo}})
}

// crossNoGOARCH: go build on $BUILDPLATFORM with no GOARCH: the builder's binary
// in every image.
func (c *fileCheck) crossNoGOARCH(s *stage) {
	if s.kind != onBuild || !c.ships(s) {
		return
	}
	for _, in := range s.insts {
		sc := in.Script()
		if in.Keyword != "RUN" || !c.compilesGo(sc) {
			continue
		}
		if strings.Contains(sc, "xx-go") || goarchSetRE().MatchString(sc) {
			continue
		}
		if _, ok := s.env("GOARCH"); ok {
			continue
		}
		e := c.editor()
		ok := c.crossEdits(e, s)
		c.add(finding.Finding{ID: RuleCrossNoGOARCH, Severity: finding.Error, Line: in.Line,
			Title: fmt.Sprintf("%s runs on the builder's platform and compiles Go without GOARCH: every image gets the builder's architecture", s.label()),
			Evidence: []string{
				fmt.Sprintf("line %d: FROM --platform=%s", s.from.Line, s.platform),
				fmt.Sprintf("line %d: RUN %s (no GOARCH here nor in an ENV)", in.Line, firstLine(sc)),
			},
			Fix:   c.fix("Pass the target to go: ARG TARGETOS TARGETARCH, then GOOS=$TARGETOS GOARCH=$TARGETARCH go build.", e, ok),
			Links: []string{linkMultiPlatform}})
		return
	}
}

// goarchConstant: GOARCH=amd64 in a RUN or an ENV.
func (c *fileCheck) goarchConstant(s *stage) {
	for _, in := range s.insts {
		var value string
		switch in.Keyword {
		case "RUN":
			sc := in.Script()
			m := goarchSetRE().FindStringSubmatch(sc)
			if m == nil || archVarRE().MatchString(sc) || !c.compilesGo(sc) {
				continue // not chosen per target, or not a build (a linter run for one GOARCH)
			}
			value = m[2]
		case "ENV":
			for _, kv := range envPairs(in.Args) {
				if kv[0] == "GOARCH" {
					value = kv[1]
				}
			}
		default:
			continue
		}
		if value == "" || strings.Contains(value, "$") {
			continue
		}
		if s.kind == onConstant || c.perArchStage(s, value) || !c.ships(s) {
			continue // the platform is constant anyway (reported), per-arch stages, or a build-time tool
		}
		e := c.editor()
		ok := e.replaceRE(in, regexp.MustCompile(`\bGOARCH=("?)`+regexp.QuoteMeta(value)+`("?)`), "GOARCH=$$TARGETARCH")
		if ok && !s.args["TARGETARCH"] {
			e.insertAfter(s.from.EndLine, "ARG TARGETARCH")
		}
		c.add(finding.Finding{ID: RuleGOARCHConstant, Severity: finding.Error, Line: in.Line,
			Title: fmt.Sprintf("GOARCH is hard-coded to %s in %s: every target's image gets a %s binary", value, s.label(), value),
			Evidence: []string{fmt.Sprintf("line %d: %s %s", in.Line, in.Keyword, firstLine(in.Args)),
				"no TARGETARCH, uname -m or dpkg --print-architecture in the instruction chooses it per target"},
			Fix:   c.fix("Use the target's architecture: ARG TARGETARCH and GOARCH=$TARGETARCH.", e, ok),
			Links: []string{linkMultiPlatform}})
	}
}

// downloads: curl/wget/ADD of a URL that names one architecture.
func (c *fileCheck) downloads(s *stage) {
	for _, in := range s.insts {
		var urls []string
		sc := in.Script()
		switch in.Keyword {
		case "RUN":
			if !downloadRE().MatchString(sc) || archVarRE().MatchString(sc) {
				continue
			}
			urls = urlRE().FindAllString(sc, -1)
		case "ADD":
			if archVarRE().MatchString(in.Args) {
				continue
			}
			urls = urlRE().FindAllString(in.Args, -1)
		default:
			continue
		}
		for _, u := range urls {
			if strings.Contains(u, "$") {
				continue
			}
			m := archWordRE().FindStringSubmatch(u)
			if m == nil {
				continue
			}
			word := m[1]
			if s.kind == onConstant && sameArch(word, s.platform) {
				continue
			}
			variable := "TARGETARCH"
			if s.kind == onBuild {
				variable = "BUILDARCH"
			}
			e := c.editor()
			ok := false
			if (word == "amd64" || word == "arm64") && (s.kind == onTarget || s.kind == onBuild) {
				nu := archWordRE().ReplaceAllStringFunc(u, func(x string) string {
					return strings.Replace(x, word, "${"+variable+"}", 1)
				})
				ok = e.replaceIn(in, u, nu)
				if ok && !s.args[variable] {
					e.insertAfter(s.from.EndLine, "ARG "+variable)
				}
			}
			text := fmt.Sprintf("Name the architecture with ${%s} (amd64, arm64) in the URL, and check each architecture's checksum.", variable)
			if !ok {
				text = fmt.Sprintf("Choose the file per architecture from $%s, e.g. case \"$%s\" in amd64) a=x86_64;; arm64) a=aarch64;; esac, and check each one's checksum.", variable, variable)
			}
			c.add(finding.Finding{ID: RuleDownloadOneArch, Severity: finding.Warning, Line: in.Line,
				Title: fmt.Sprintf("%s downloads a file for %s only: %s", s.label(), word, u),
				Evidence: []string{fmt.Sprintf("line %d: %s %s", in.Line, in.Keyword, firstLine(sc)),
					fmt.Sprintf("the URL names %s and nothing in the instruction chooses it per platform", word)},
				Fix: c.fix(text, e, ok)})
		}
	}
}

// sameArch reports whether an architecture word names the platform's architecture.
func sameArch(word, platform string) bool {
	arch := platform[strings.LastIndexByte(platform, '/')+1:]
	switch strings.ToLower(word) {
	case "amd64", "x86_64", "x86-64", "x64", "linux64":
		return arch == "amd64"
	case "arm64", "aarch64":
		return arch == "arm64"
	}
	return false
}

// cgoNoCrossCC: cgo cross-compiled on $BUILDPLATFORM with no C cross compiler.
func (c *fileCheck) cgoNoCrossCC(s *stage) {
	if s.kind != onBuild {
		return
	}
	all := s.scripts()
	cgo := cgoOnRE().MatchString(all) || envIs(s, "CGO_ENABLED", "1")
	v, _ := s.env("GOARCH")
	cross := targetArchRE().MatchString(all) || targetArchRE().MatchString(v)
	if !cgo || !cross || crossCCRE().MatchString(all) {
		return
	}
	if cc, ok := s.env("CC"); ok && crossCCRE().MatchString("CC="+cc) {
		return
	}
	build, goes := c.builds(s)
	if !goes {
		return
	}
	c.add(finding.Finding{ID: RuleCgoNoCrossCC, Severity: finding.Error, Line: build.Line,
		Title: fmt.Sprintf("%s cross-compiles with cgo but installs no C cross compiler: the build fails for every target but the builder's", s.label()),
		Evidence: []string{fmt.Sprintf("line %d: RUN %s", build.Line, firstLine(build.Script())),
			"CGO_ENABLED=1 and GOARCH from TARGETARCH, on --platform=$BUILDPLATFORM",
			"no gcc-<arch>-linux-gnu, crossbuild-essential-<arch>, xx-apt/xx-go, zig cc or CC=<cross compiler> in the stage"},
		Fix: &finding.Fix{Text: "Install a C cross compiler for the target and use it: COPY --from=tonistiigi/xx / / then xx-apt install -y gcc libc6-dev and xx-go build (or apt-get install crossbuild-essential-arm64 and CC=aarch64-linux-gnu-gcc); or build with CGO_ENABLED=0 if no package needs cgo.",
			Needs: finding.NeedsPerson},
		Links: []string{linkXX}})
}

// envIs reports whether an ENV of s sets key to value.
func envIs(s *stage, key, value string) bool {
	v, ok := s.env(key)
	return ok && v == value
}

// crossEdits makes s compile on the builder's platform for the target: the FROM
// gets --platform=$BUILDPLATFORM, ARG TARGETOS TARGETARCH is declared, and each go
// build is given GOOS and GOARCH. It reports false when an edit cannot be made as
// text (an exec-form RUN, go and build on different lines).
func (c *fileCheck) crossEdits(e *editor, s *stage) bool {
	if _, has := s.from.Flag("platform"); has {
		if !e.replaceIn(s.from, "--platform="+s.platform, "--platform=$BUILDPLATFORM") {
			return false
		}
	} else if !e.replaceRE(s.from, regexp.MustCompile(`(?i)^(\s*)FROM(\s+)`), "${1}FROM${2}--platform=$$BUILDPLATFORM ") {
		return false
	}
	var missing []string
	for _, a := range []string{"TARGETOS", "TARGETARCH"} {
		if !s.args[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		e.insertAfter(s.from.EndLine, "ARG "+strings.Join(missing, " "))
	}
	_, envArch := s.env("GOARCH")
	_, envOS := s.env("GOOS")
	for _, in := range s.insts {
		if in.Keyword != "RUN" {
			continue
		}
		sc := in.Script()
		if !c.compilesGo(sc) || strings.Contains(sc, "xx-go") {
			continue
		}
		if in.JSON != nil {
			return false
		}
		prefix := ""
		if !envOS && !goosSetRE().MatchString(sc) {
			prefix += "GOOS=$TARGETOS "
		}
		if !envArch && !goarchSetRE().MatchString(sc) {
			prefix += "GOARCH=$TARGETARCH "
		}
		if prefix == "" {
			continue
		}
		re := goBuildRE()
		if !goBuildRE().MatchString(sc) {
			re = makeRE()
		}
		if !e.prefixMatch(in, re, prefix) {
			return false
		}
	}
	return true
}

// fix is a finding's fix: the text, and the diff when the edit was made.
func (c *fileCheck) fix(text string, e *editor, ok bool) *finding.Fix {
	f := &finding.Fix{Text: text}
	if ok {
		f.Diff = ready.UnifiedDiff(c.rel, c.f.Lines, e.result())
	}
	if f.Diff == "" {
		f.Needs = finding.NeedsPerson
	}
	return f
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
