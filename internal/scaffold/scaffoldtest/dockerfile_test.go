package scaffoldtest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/scaffold"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// parseDockerfile parses with buildkit's own parser and instruction decoder.
func parseDockerfile(t *testing.T, df []byte) ([]instructions.Stage, []instructions.ArgCommand) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		t.Fatalf("buildkit parser: %v\n%s", err, df)
	}
	for _, w := range res.Warnings {
		t.Errorf("buildkit parser warning: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("buildkit instructions: %v\n%s", err, df)
	}
	// Mount options are decoded when a RUN is expanded; the words need no expansion.
	for _, st := range stages {
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok {
				if err := r.Expand(func(w string) (string, error) { return w, nil }); err != nil {
					t.Fatalf("buildkit: RUN mounts: %v", err)
				}
			}
		}
	}
	return stages, metaArgs
}

func argDefault(args []instructions.ArgCommand, key string) (string, bool) {
	for _, a := range args {
		for _, kv := range a.Args {
			if kv.Key == key && kv.Value != nil {
				return *kv.Value, true
			}
		}
	}
	return "", false
}

func TestDockerfile(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, m, files := f.render(t, scaffold.Docker, scaffold.Options{Main: map[string]string{"multi": "two"}[f.name]})
			df := files["Dockerfile"]
			if len(files[".dockerignore"]) == 0 {
				t.Error("no .dockerignore")
			}
			stages, metaArgs := parseDockerfile(t, df)
			if len(stages) != 2 {
				t.Fatalf("%d stages, want builder and final", len(stages))
			}
			b, final := stages[0], stages[1]

			// The builder runs on the build machine's platform; the final stage on the target's.
			if b.Platform != "$BUILDPLATFORM" {
				t.Errorf("builder platform %q, want $BUILDPLATFORM", b.Platform)
			}
			// buildah and podman resolve a final FROM without --platform for the
			// build platform after a $BUILDPLATFORM stage.
			if final.Platform != "$TARGETPLATFORM" {
				t.Errorf("final stage platform %q, want $TARGETPLATFORM", final.Platform)
			}
			if strings.Contains(string(df), "linux/amd64\n") || strings.Contains(string(df), "--platform=linux") {
				t.Error("Dockerfile pins a platform")
			}
			goVersion, _ := argDefault(metaArgs, "GO_VERSION")
			if goVersion != m.GoVersion() {
				t.Errorf("GO_VERSION=%q, want %q", goVersion, m.GoVersion())
			}
			if f.name == "multi" && goVersion != "1.23.4" {
				t.Errorf("multi: GO_VERSION=%q, want the toolchain line's 1.23.4", goVersion)
			}
			base, _ := argDefault(metaArgs, "BASE_IMAGE")
			wantBase := "gcr.io/distroless/static-debian12:nonroot"
			if f.name == "cgo" {
				wantBase = "gcr.io/distroless/base-debian12:nonroot"
			}
			if base != wantBase {
				t.Errorf("BASE_IMAGE=%q, want %q", base, wantBase)
			}

			// In the builder: go mod download with go.mod (and go.sum when it exists)
			// bind-mounted and the module cache mounted, then ARG TARGETOS TARGETARCH,
			// then the build with both caches.
			download, targetArg, buildRun := -1, -1, -1
			var runs []*instructions.RunCommand
			for i, c := range b.Commands {
				switch c := c.(type) {
				case *instructions.RunCommand:
					runs = append(runs, c)
					line := strings.Join(c.CmdLine, " ")
					if strings.Contains(line, "go mod download") {
						download = i
						mounts := instructions.GetMounts(c)
						wantMounts(t, "download", mounts, cacheMount("/go/pkg/mod"), bindMount("go.mod", "/src/go.mod"))
						hasSum := slices.ContainsFunc(mounts, func(m *instructions.Mount) bool { return m.Source == "go.sum" })
						if hasSum != m.HasSum {
							t.Errorf("go.sum mount %v, go.sum exists %v", hasSum, m.HasSum)
						}
					}
					if strings.Contains(line, "go build") {
						buildRun = i
						wantMounts(t, "build", instructions.GetMounts(c), cacheMount("/go/pkg/mod"), cacheMount("/root/.cache/go-build"))
						for _, w := range []string{"-trimpath", "GOOS=$TARGETOS", "GOARCH=$TARGETARCH"} {
							if !strings.Contains(line, w) {
								t.Errorf("build lacks %s: %s", w, line)
							}
						}
						wantCgo := "CGO_ENABLED=0"
						if f.name == "cgo" {
							wantCgo = "CGO_ENABLED=1"
						}
						if !strings.Contains(line, wantCgo) {
							t.Errorf("build lacks %s: %s", wantCgo, line)
						}
						for _, p := range m.Programs {
							if !strings.Contains(line, " "+p.Dir) {
								t.Errorf("build lacks main package %s: %s", p.Dir, line)
							}
						}
					}
				case *instructions.ArgCommand:
					var keys []string
					for _, kv := range c.Args {
						keys = append(keys, kv.Key)
					}
					if slices.Contains(keys, "TARGETARCH") {
						targetArg = i
					}
				}
			}
			if !(download >= 0 && download < targetArg && targetArg < buildRun) {
				t.Errorf("order: download at %d, ARG TARGETARCH at %d, build at %d: the download must come before the target", download, targetArg, buildRun)
			}
			if f.name == "cgo" {
				// The cross compiler is installed per target, after the download,
				// by Debian's packages, and only when missing.
				var cc *instructions.RunCommand
				for _, r := range runs {
					if strings.Contains(strings.Join(r.CmdLine, " "), "apt-get install") {
						cc = r
					}
				}
				if cc == nil {
					t.Fatal("cgo: no step installs a C compiler")
				}
				line := strings.Join(cc.CmdLine, " ")
				for _, w := range []string{"libc6-dev:$debarch", "aarch64-linux-gnu", "x86_64-linux-gnu", "gcc-x86-64-linux-gnu", "gcc-aarch64-linux-gnu", "dpkg --add-architecture"} {
					if !strings.Contains(line, w) {
						t.Errorf("cgo toolchain step lacks %s", w)
					}
				}
			}

			// The final stage: a non-root user, the selected program as entrypoint.
			var user, entry string
			for _, c := range final.Commands {
				switch c := c.(type) {
				case *instructions.UserCommand:
					user = c.User
				case *instructions.EntrypointCommand:
					entry = strings.Join(c.CmdLine, " ")
				}
			}
			if user == "" || user == "root" || strings.HasPrefix(user, "0") {
				t.Errorf("final user %q, want non-root", user)
			}
			want := map[string]string{"plain": "/usr/local/bin/hello", "multi": "/usr/local/bin/two", "cgo": "/usr/local/bin/answer"}[f.name]
			if entry != want {
				t.Errorf("ENTRYPOINT %q, want %q", entry, want)
			}
		})
	}
}

type mountWant struct {
	typ            instructions.MountType
	source, target string
}

func cacheMount(target string) mountWant { return mountWant{instructions.MountTypeCache, "", target} }
func bindMount(source, target string) mountWant {
	return mountWant{instructions.MountTypeBind, source, target}
}

func wantMounts(t *testing.T, step string, got []*instructions.Mount, want ...mountWant) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(got, func(m *instructions.Mount) bool {
			return m.Type == w.typ && m.Target == w.target && (w.source == "" || m.Source == w.source)
		}) {
			t.Errorf("%s step lacks the %s mount of %s", step, w.typ, w.target)
		}
	}
}
