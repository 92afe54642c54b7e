package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSplitImageArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app")
	os.WriteFile(file, nil, 0o644)
	images, files := splitImageArgs([]string{"oci-layout:out", file, "-", "127.0.0.1:5000/app:v1", "docker-archive:x.tar", "missing"})
	if !slices.Equal(images, []string{"oci-layout:out", "127.0.0.1:5000/app:v1", "docker-archive:x.tar"}) || !slices.Equal(files, []string{file, "-", "missing"}) {
		t.Errorf("images %q files %q", images, files)
	}
}
