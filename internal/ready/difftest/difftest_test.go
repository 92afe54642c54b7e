package difftest

import (
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name, src, diff, want, err string
	}{
		{"change", "a\nb\nc\n", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n", "a\nB\nc\n", ""},
		{"one-line range", "a\n", "--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n a\n+b\n", "a\nb\n", ""},
		{"add after line (count 0)", "a\nb\n", "--- a/f\n+++ b/f\n@@ -1,0 +2 @@\n+x\n", "a\nx\nb\n", ""},
		{"no newline at end", "a\nb", "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n", "a\nc", ""},
		{"context mismatch", "a\nb\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-x\n+y\n", "", "the diff says"},
		{"counts disagree", "a\nb\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n", "", "its header says"},
		{"other file", "a\n", "--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n", "", "not among the files"},
		{"no header", "a\n", "@@ -1 +1 @@\n-a\n+b\n", "", "no file header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyFile("f", tt.src, tt.diff)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ApplyFile = %q, %v; want %q", got, err, tt.want)
			}
			Patch(t, map[string]string{"f": tt.src}, tt.diff, map[string]string{"f": tt.want})
		})
	}
}
