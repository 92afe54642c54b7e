package readycorpus

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "corpus.txt")
	os.WriteFile(p, []byte("# header\nm b f:2 # true: reviewed\n\nm a f:1\n"), 0o644)
	got, err := read(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"m a f:1", "m b f:2"}; !slices.Equal(got, want) {
		t.Errorf("read = %q, want %q", got, want)
	}
}

// TestCompare: a finding that is new, gone or doubled is a problem; Write's file
// compares equal to what it was written from.
func TestCompare(t *testing.T) {
	p := filepath.Join(t.TempDir(), "corpus.txt")
	os.WriteFile(p, []byte("m a f:1 # note\nm b f:2\n"), 0o644)
	for _, tc := range []struct {
		got      []string
		problems int
	}{
		{[]string{"m b f:2", "m a f:1"}, 0},
		{[]string{"m a f:1"}, 1},
		{[]string{"m a f:1", "m b f:2", "m c f:3"}, 1},
		{[]string{"m c f:3"}, 3},
		{[]string{"m a f:1", "m a f:1", "m b f:2"}, 1},
	} {
		problems, err := Compare(tc.got, p)
		if err != nil || len(problems) != tc.problems {
			t.Errorf("Compare(%q) = %q, %v; want %d problems", tc.got, problems, err, tc.problems)
		}
	}
	got := []string{"m z f:9", "m y f:8"}
	if err := Write(got, p); err != nil {
		t.Fatal(err)
	}
	if problems, err := Compare(got, p); err != nil || len(problems) != 0 {
		t.Errorf("after Write: %q, %v", problems, err)
	}
	os.WriteFile(p, []byte("# nothing\n"), 0o644)
	if _, err := Compare(got, p); err == nil {
		t.Error("an empty truth file compares without error")
	}
}
