package scaffoldtest

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/scaffold"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tailscale/hujson"
)

// The devcontainers JSON schema, vendored from github.com/devcontainers/spec
// (schemas/devContainer.base.schema.json at d424cc157e9a110f3bf67d311b46c7306d5a465d,
// CC BY 4.0); see testdata/README.md.
const schemaFile = "testdata/devContainer.base.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("devContainer.base.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("devContainer.base.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parseJSONC parses the file as JSONC (comments allowed) and returns it as JSON. The
// schema says allowTrailingCommas: false, so a trailing comma is an error here.
func parseJSONC(t *testing.T, b []byte) []byte {
	t.Helper()
	v, err := hujson.Parse(b)
	if err != nil {
		t.Fatalf("JSONC: %v", err)
	}
	std := v.Clone()
	std.Standardize()
	// Standardize drops trailing commas too: a file with one differs from its
	// minimized form only there, so compare the value with comments removed.
	min := v.Clone()
	min.Minimize()
	if bytes.Contains(min.Pack(), []byte(",}")) || bytes.Contains(min.Pack(), []byte(",]")) {
		t.Errorf("trailing comma (the devcontainer schema forbids them)")
	}
	return std.Pack()
}

func TestDevcontainer(t *testing.T) {
	schema := compileSchema(t)
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, m, files := f.render(t, scaffold.Devcontainer, scaffold.Options{GonativeVersion: "v0.4.1"})
			raw := files[".devcontainer/devcontainer.json"]
			if !bytes.Contains(raw, []byte("//")) {
				t.Error("no comments: every setting should say why it is there")
			}
			js := parseJSONC(t, raw)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("devcontainer schema: %v\n%s", err, raw)
			}
			var dc struct {
				Image  string
				Mounts []struct {
					Source, Target, Type string
				}
				RemoteUser        string
				CapAdd            []string
				PostCreateCommand string
				RunArgs           []string
			}
			if err := json.Unmarshal(js, &dc); err != nil {
				t.Fatal(err)
			}
			wantImage := "mcr.microsoft.com/devcontainers/go:1-" + map[string]string{"plain": "1.22", "multi": "1.23", "cgo": "1.22"}[f.name] + "-bookworm"
			if dc.Image != wantImage {
				t.Errorf("image %q, want %q (go.mod %s, toolchain %q)", dc.Image, wantImage, m.Go, m.Toolchain)
			}
			if strings.Contains(string(js), "--platform") {
				t.Error("pins a platform")
			}
			targets := map[string]string{}
			for _, mt := range dc.Mounts {
				targets[mt.Target] = mt.Type
			}
			if targets["/go/pkg/mod"] != "volume" || targets["/home/vscode/.cache/go-build"] != "volume" {
				t.Errorf("mounts %+v: want volumes for the module and build caches", dc.Mounts)
			}
			// Named volumes are global to the Docker host: the devcontainer's id keeps
			// two projects of the same name apart.
			for _, mt := range dc.Mounts {
				if mt.Type == "volume" && !strings.Contains(mt.Source, "${devcontainerId}") {
					t.Errorf("volume %q: two projects named %s would share it (want ${devcontainerId} in the name)", mt.Source, m.Name())
				}
			}
			if !strings.Contains(dc.PostCreateCommand, "go install github.com/gonative/gonative/cmd/gonative@v0.4.1 ") {
				t.Errorf("postCreateCommand %q: want gonative installed at the pinned v0.4.1", dc.PostCreateCommand)
			}
			if dc.RemoteUser == "" || dc.RemoteUser == "root" {
				t.Errorf("remoteUser %q", dc.RemoteUser)
			}
			if !strings.Contains(dc.PostCreateCommand, "chown "+dc.RemoteUser) || !strings.Contains(dc.PostCreateCommand, "gonative doctor") {
				t.Errorf("postCreateCommand %q: want the volumes given to %s and gonative doctor", dc.PostCreateCommand, dc.RemoteUser)
			}
			if len(dc.CapAdd) != 1 || dc.CapAdd[0] != "SYS_PTRACE" {
				t.Errorf("capAdd %v, want SYS_PTRACE for delve", dc.CapAdd)
			}
		})
	}
}

// TestSchemaRejects makes sure the schema check can fail: a wrong type is caught.
func TestSchemaRejects(t *testing.T) {
	schema := compileSchema(t)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"image": "x", "capAdd": "SYS_PTRACE", "remoteUser": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err == nil {
		t.Error("schema accepted remoteUser: 1 and capAdd as a string")
	}
}
