package scaffoldtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonative/gonative/internal/scaffold"
)

// fixture is a module the tests render files for.
type fixture struct {
	name  string
	files map[string]string
}

var (
	plain = fixture{"plain", map[string]string{
		"go.mod":  "module example.com/hello\n\ngo 1.22\n",
		"go.sum":  "",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	}}
	multi = fixture{"multi", map[string]string{
		"go.mod":          "module example.com/tools\n\ngo 1.22.3\n\ntoolchain go1.23.4\n",
		"cmd/one/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"one\") }\n",
		"cmd/two/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"two\") }\n",
		"lib/lib.go":      "package lib\n\nconst Name = \"lib\"\n",
	}}
	cgo = fixture{"cgo", map[string]string{
		"go.mod":  "module example.com/answer\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"answer\", answer()) }\n",
		"cgo.go":  "package main\n\n/*\nstatic int answer(void) { return 42; }\n*/\nimport \"C\"\n\nfunc answer() int { return int(C.answer()) }\n",
	}}
	fixtures = []fixture{plain, multi, cgo}
)

// write writes the fixture into a new directory and returns it.
func (f fixture) write(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range f.files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// render writes the fixture, reads it as gonative init does and renders kind.
func (f fixture) render(t testing.TB, kind scaffold.Kind, o scaffold.Options) (string, *scaffold.Module, map[string][]byte) {
	t.Helper()
	dir := f.write(t)
	m, err := scaffold.ReadModule(context.Background(), dir, scaffold.ReadOptions{Env: append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")})
	if err != nil {
		t.Fatal(err)
	}
	files, err := scaffold.Render(kind, m, o)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, file := range files {
		out[file.Path] = file.Data
	}
	return dir, m, out
}
