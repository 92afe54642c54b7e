package dockerfile

import (
	"strings"
	"testing"
)

// FuzzExpandGlobal: a FROM's image without "$" is left as written; expansion never adds
// a "$" (a default holding one is not substituted); and a ${NAME} whose global has a
// plain default does not remain.
func FuzzExpandGlobal(f *testing.F) {
	f.Add("build-base-${BASE_VARIANT}", "BASE_VARIANT", "alpine")
	f.Add("golang:${GO_VERSION}-alpine$ALPINE", "GO_VERSION", "1.26")
	f.Add("b-${V}", "V", "")
	f.Add("${A}${A}$A", "A", "x")
	f.Add("$$A", "A", "A")
	f.Add("$", "A", "$B")
	f.Fuzz(func(t *testing.T, s, name, value string) {
		global := map[string]string{name: value}
		got := expandGlobal(s, global)
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("expandGlobal(%q) = %q: changed an image without a variable", s, got)
		}
		if strings.Count(got, "$") > strings.Count(s, "$") {
			t.Fatalf("expandGlobal(%q) = %q: a $ added", s, got)
		}
		ref := "${" + name + "}"
		if value != "" && !strings.ContainsAny(value, "${}") && !strings.Contains(value, name) &&
			globalRefRE().FindString(ref) == ref && strings.Contains(got, ref) {
			t.Fatalf("expandGlobal(%q) = %q: %s left with default %q", s, got, ref, value)
		}
	})
}

// FuzzCompilesGo: a script counts as compiling Go only where the old predicate (go
// build, or a make with a Go Makefile) held: the cmake rule only takes findings away.
func FuzzCompilesGo(f *testing.F) {
	f.Add("cd c && cmake .. && make -j8 && make install", true)
	f.Add("cd c && cmake . && make && cd /src && make", true)
	f.Add("./configure && make", true)
	f.Add("CC=gcc make", true)
	f.Add("go build -o /app .", false)
	f.Fuzz(func(t *testing.T, sc string, makeGo bool) {
		c := &fileCheck{makeGo: makeGo}
		old := goBuildRE().MatchString(sc) || makeGo && makeRE().MatchString(sc)
		if c.compilesGo(sc) && !old {
			t.Fatalf("compilesGo(%q) with makeGo %v: true where neither go build nor make is", sc, makeGo)
		}
		if goBuildRE().MatchString(sc) && !c.compilesGo(sc) {
			t.Fatalf("compilesGo(%q): a go build not counted", sc)
		}
	})
}
