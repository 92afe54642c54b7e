package testrun

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"testing"
)

// TestCollectGoTestJSON reads what go test -json really printed for a module run as
// linux/arm64 under qemu-user (testdata/arm64.json): one test passed, one failed on
// the architecture, one skipped with a reason.
func TestCollectGoTestJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/arm64.json")
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector("linux/arm64")
	var done []*PackageResult
	events := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		e, ok := c.add(line)
		if !ok {
			t.Fatalf("not an event: %s", line)
		}
		events++
		var m map[string]any
		if err := json.Unmarshal(e.JSON, &m); err != nil || m["Target"] != "linux/arm64" {
			t.Fatalf("tagged event %s: %v", e.JSON, err)
		}
		if e.Done != nil {
			done = append(done, e.Done)
		}
	}
	if len(done) != 1 {
		t.Fatalf("%d packages ended, want 1", len(done))
	}
	p := done[0]
	want := PackageResult{Package: "example.com/m", Action: "fail", Passed: 1, Failed: 1, Skipped: 1,
		Skips: []Skip{{Test: "TestSkip", Reason: "not on Tuesdays"}}, Elapsed: 0.4}
	p.Output = nil
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("package result\n%+v\nwant\n%+v", *p, want)
	}
}

func TestTag(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"Action":"pass","Package":"p"}`, `{"Target":"linux/arm64","Action":"pass","Package":"p"}`},
		{`{}`, `{"Target":"linux/arm64"}`},
		{`{ "A":1}`, `{"Target":"linux/arm64","A":1}`},
	}
	for _, tt := range tests {
		got, ok := Tag([]byte(tt.in), "linux/arm64")
		if !ok || string(got) != tt.want {
			t.Errorf("Tag(%s) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
	for _, in := range []string{"", "FAIL", `{"a":`, `[1]`} {
		if got, ok := Tag([]byte(in), "x/y"); ok || string(got) != in {
			t.Errorf("Tag(%q) = %q, %v; want it unchanged", in, got, ok)
		}
	}
}

// FuzzTag: a tagged event is valid JSON, holds the target and every field of the
// event unchanged; anything else is left as it is.
func FuzzTag(f *testing.F) {
	f.Add([]byte(`{"Time":"2026-12-06T22:13:17Z","Action":"output","Package":"p","Test":"T","Output":"ok\n"}`), "linux/arm64")
	f.Add([]byte(`{}`), "darwin/amd64")
	f.Add([]byte(`not json`), "a/b")
	f.Fuzz(func(t *testing.T, line []byte, target string) {
		out, ok := Tag(line, target)
		if !ok {
			if !bytes.Equal(out, line) {
				t.Fatalf("an untagged line changed: %q -> %q", line, out)
			}
			return
		}
		var in, got map[string]json.RawMessage
		if err := json.Unmarshal(line, &in); err != nil {
			return // valid JSON but no object can never be tagged: checked by ok
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("tagged %q is not JSON: %v", out, err)
		}
		if _, had := in["Target"]; had {
			return // the event's own field wins, as a JSON decoder reads the last
		}
		var tg string
		if err := json.Unmarshal(got["Target"], &tg); err != nil || tg != target {
			// json.Marshal replaces invalid UTF-8: compare as it would.
			want, _ := json.Marshal(target)
			var w string
			json.Unmarshal(want, &w)
			if tg != w {
				t.Fatalf("Target %q, want %q", tg, target)
			}
		}
		delete(got, "Target")
		if !maps.EqualFunc(in, got, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Fatalf("fields changed: %s -> %s", line, out)
		}
	})
}

// FuzzCollect: any go test output is read without a panic, and a package's counts are
// the test results that were reported for it.
func FuzzCollect(f *testing.F) {
	data, err := os.ReadFile("testdata/arm64.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("{\"Action\":\"skip\",\"Package\":\"p\",\"Test\":\"T\"}\n{\"Action\":\"build-output\",\"ImportPath\":\"p\",\"Output\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector("t/t")
		want := map[string]int{}
		for _, line := range bytes.Split(data, []byte("\n")) {
			e, ok := c.add(line)
			if !ok {
				continue
			}
			if e.Package != "" && e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip") {
				want[e.Package]++
			}
		}
		for _, p := range c.packages {
			if n := p.Passed + p.Failed + p.Skipped; n != want[p.Package] || len(p.Skips) != p.Skipped {
				t.Fatalf("%s: %d+%d+%d results (%d skips), want %d", p.Package, p.Passed, p.Failed, p.Skipped, len(p.Skips), want[p.Package])
			}
		}
	})
}
