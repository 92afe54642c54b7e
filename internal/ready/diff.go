package ready

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines around each change, as diff -u.
const diffContext = 3

// maxDiffCells bounds the line-matching table of UnifiedDiff (changed region's old
// lines times new lines); beyond it the whole region is one replacement.
const maxDiffCells = 1 << 20

// UnifiedDiff returns the unified diff that turns old into new, the file at path
// (relative, with forward slashes) in both, as `patch -p1` and `git apply` read it:
// "--- a/path", "+++ b/path" and hunks with three lines of context. old and new are
// the files' lines, each with its line ending ("\n" or "\r\n"); a last line without
// one is marked "\ No newline at end of file". Equal inputs give "".
func UnifiedDiff(path string, old, new []string) string {
	ops := diffOps(old, new)
	if len(ops) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", path, path)
	for start := 0; start < len(ops); {
		// A hunk: from diffContext lines before a change to diffContext lines after
		// the last change that is at most 2*diffContext lines from the next one.
		end := start
		for end < len(ops) && ops[end].kind == ' ' {
			end++
		}
		if end == len(ops) {
			break
		}
		first := max(end-diffContext, start)
		last := end
		for i := end; i < len(ops); i++ {
			if ops[i].kind != ' ' {
				last = i
			} else if i-last > 2*diffContext {
				break
			}
		}
		stop := min(last+1+diffContext, len(ops))
		oldStart, newStart := ops[first].oldLine, ops[first].newLine
		oldN, newN := 0, 0
		for _, o := range ops[first:stop] {
			if o.kind != '+' {
				oldN++
			}
			if o.kind != '-' {
				newN++
			}
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(oldStart, oldN), hunkRange(newStart, newN))
		for _, o := range ops[first:stop] {
			b.WriteByte(o.kind)
			b.WriteString(o.text)
			if !strings.HasSuffix(o.text, "\n") {
				b.WriteString("\n\\ No newline at end of file\n")
			}
		}
		start = stop
	}
	return b.String()
}

// hunkRange is a hunk header's "start,count" (a count of 0 names the line before).
func hunkRange(start, n int) string {
	if n == 0 {
		start--
	}
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// op is one line of a diff: ' ' kept, '-' removed, '+' added; oldLine and newLine
// are the 1-based numbers it has (or would have) in each file.
type op struct {
	kind             byte
	text             string
	oldLine, newLine int
}

// diffOps matches old and new: the common prefix and suffix are kept, and the
// region between is matched by longest common subsequence (bounded).
func diffOps(old, new []string) []op {
	p := 0
	for p < len(old) && p < len(new) && old[p] == new[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(new)-p && old[len(old)-1-s] == new[len(new)-1-s] {
		s++
	}
	if p == len(old) && p == len(new) {
		return nil
	}
	var ops []op
	for i := 0; i < p; i++ {
		ops = append(ops, op{' ', old[i], i + 1, i + 1})
	}
	a, b := old[p:len(old)-s], new[p:len(new)-s]
	i, j := 0, 0
	if len(a)*len(b) <= maxDiffCells {
		// lcs[x][y] is the length of the longest common subsequence of a[x:], b[y:].
		lcs := make([][]int32, len(a)+1)
		for x := range lcs {
			lcs[x] = make([]int32, len(b)+1)
		}
		for x := len(a) - 1; x >= 0; x-- {
			for y := len(b) - 1; y >= 0; y-- {
				if a[x] == b[y] {
					lcs[x][y] = lcs[x+1][y+1] + 1
				} else {
					lcs[x][y] = max(lcs[x+1][y], lcs[x][y+1])
				}
			}
		}
		for i < len(a) && j < len(b) {
			switch {
			case a[i] == b[j]:
				ops = append(ops, op{' ', a[i], p + i + 1, p + j + 1})
				i, j = i+1, j+1
			case lcs[i+1][j] >= lcs[i][j+1]:
				ops = append(ops, op{'-', a[i], p + i + 1, p + j + 1})
				i++
			default:
				ops = append(ops, op{'+', b[j], p + i + 1, p + j + 1})
				j++
			}
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, op{'-', a[i], p + i + 1, p + j + 1})
	}
	for ; j < len(b); j++ {
		ops = append(ops, op{'+', b[j], p + i + 1, p + j + 1})
	}
	for k := 0; k < s; k++ {
		ops = append(ops, op{' ', old[len(old)-s+k], len(old) - s + k + 1, len(new) - s + k + 1})
	}
	return ops
}
