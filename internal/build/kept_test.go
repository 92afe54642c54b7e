package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeptOutputs: the outputs an earlier manifest owned stay listed when they are still
// in the directory (re-hashed), and only those.
func TestKeptOutputs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tool_linux_amd64"), []byte("old amd64"), 0o755)
	os.WriteFile(filepath.Join(dir, "tool_linux_arm64"), []byte("changed"), 0o755)
	os.Mkdir(filepath.Join(dir, "tool_windows_amd64.exe"), 0o755) // not a regular file
	old := `{"outputs":[
	  {"target":"linux/amd64","path":"tool_linux_amd64","sha256":"x","size":1},
	  {"target":"linux/arm64","path":"tool_linux_arm64","sha256":"1234","size":1},
	  {"target":"darwin/arm64","path":"tool_darwin_arm64","sha256":"gone"},
	  {"target":"windows/amd64","path":"tool_windows_amd64.exe"},
	  {"target":"linux/386","path":"tool_linux_386","error":"failed"}
	]}`
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(old), 0o644)
	res := &Result{Outputs: []*Output{{Target: "linux/amd64", Path: filepath.Join(dir, "tool_linux_amd64"), SHA256: "new"}}}
	kept := keptOutputs(dir, res)
	if len(kept) != 1 || kept[0].Target != "linux/arm64" || kept[0].Path != filepath.Join(dir, "tool_linux_arm64") {
		t.Fatalf("kept = %+v", kept)
	}
	if kept[0].SHA256 != "d67e2e944994496c8d8ec76eed0cf9f09679448d584b532bebf941852a37f5ed" { // sha256("changed")
		t.Errorf("not re-hashed: %s", kept[0].SHA256)
	}
	if len(kept[0].Notes) != 1 || !strings.Contains(kept[0].Notes[0], "changed since") {
		t.Errorf("notes = %v", kept[0].Notes)
	}
	if kept[0].Size != int64(len("changed")) {
		t.Errorf("size = %d", kept[0].Size)
	}
}

// FuzzKeptOutputs: whatever manifest.json holds, a kept output is a regular file
// directly in the directory, never SHA256SUMS or manifest.json, never listed twice.
func FuzzKeptOutputs(f *testing.F) {
	f.Add(`{"outputs":[{"path":"a"}]}`)
	f.Add(`{"outputs":[{"path":"../../etc/passwd"},{"path":"/etc/passwd"},{"path":"sub/../a"}]}`)
	f.Add(`{"outputs":[{"path":"a"},{"path":"a"}],"kept":[{"path":"a"},{"path":"manifest.json"},{"path":"SHA256SUMS"}]}`)
	f.Add(`{"outputs":[null,{}]}`)
	f.Fuzz(func(t *testing.T, manifest string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644)
		os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644)
		seen := map[string]bool{}
		for _, o := range keptOutputs(dir, &Result{}) {
			if filepath.Dir(o.Path) != dir {
				t.Fatalf("kept %s, outside %s", o.Path, dir)
			}
			name := filepath.Base(o.Path)
			if name == "SHA256SUMS" || name == "manifest.json" || seen[name] {
				t.Fatalf("kept %s (seen %v)", name, seen[name])
			}
			seen[name] = true
			if fi, err := os.Lstat(o.Path); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("kept %s, not a regular file", o.Path)
			}
		}
	})
}
