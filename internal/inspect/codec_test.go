package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

// codecSeeds are cache entries of real files (this test binary, a system program and
// library, the corpus when present) and hand-made ones with nil, empty and unknown
// facts.
func codecSeeds(t testing.TB) []*entry {
	t.Helper()
	files := []*entry{
		newEntry(&exe.File{Path: "empty", Format: exe.FormatUnknown}, nil, nil),
		newEntry(&exe.File{Path: "nil-vs-empty", Format: exe.FormatELF, Slices: []exe.Slice{
			{Arch: "amd64", PIE: exe.KnownFact(true), Stripped: exe.UnknownFact[bool]("why"), Libraries: []exe.Library{}},
			{Arch: "arm64", PIE: exe.KnownFact(false), Notes: []string{"", "\x00\xff"}},
		}}, nil, []string{"", "no code"}),
	}
	paths := []string{os.Args[0], "/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6"}
	if d := os.Getenv("GONATIVE_CORPUS"); d != "" {
		more, _ := filepath.Glob(filepath.Join(d, "*"))
		paths = append(paths, more...)
	} else if cache, err := os.UserCacheDir(); err == nil {
		more, _ := filepath.Glob(filepath.Join(cache, "gonative", "corpus", "files", "*"))
		paths = append(paths, more...)
	}
	h, _ := host.Parse("darwin/arm64,macos=14.5")
	for _, p := range paths {
		fd, err := os.Open(p)
		if err != nil {
			continue
		}
		st, _ := fd.Stat()
		f := exe.Read(context.Background(), fd, st.Size(), exe.Options{Deps: true})
		f.Path = p
		reports, problems := Analyze(context.Background(), f, Options{Host: h, Scan: ScanAlways})
		fd.Close()
		files = append(files, newEntry(f, reports, problems))
	}
	return files
}

// TestCodecRoundTrip checks that a result read back from the cache's encoding prints
// the JSON of the result written, for real files and for the corner cases (nil and
// empty slices and maps, unknown facts, a failed analysis).
func TestCodecRoundTrip(t *testing.T) {
	for _, e := range codecSeeds(t) {
		path := e.Report.Path
		b := marshal(e)
		g, err := unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want, _ := json.Marshal(resultOf(e))
		got, _ := json.Marshal(resultOf(g))
		if !bytes.Equal(want, got) {
			t.Errorf("%s:\nwrote %s\nread  %s", path, want, got)
		}
		// Every shorter encoding is refused, never taken for a report.
		for _, n := range []int{0, 1, len(b) / 2, len(b) - 1} {
			if _, err := unmarshal(b[:n]); n < len(b) && err == nil {
				t.Errorf("%s: the first %d of %d bytes decoded", path, n, len(b))
			}
		}
	}
}

// resultOf is the result a cache entry gives.
func resultOf(e *entry) *Result {
	var r Result
	r.File, r.ISA, r.ISAProblems = e.result()
	return &r
}

// TestCodecMatchesReference: the generated codec (codec_gen.go) encodes the entries
// of real files and the corner cases to the bytes of the reflection codec (refCodec),
// and decodes them to equal entries.
func TestCodecMatchesReference(t *testing.T) {
	var c refCodec
	for _, e := range codecSeeds(t) {
		want, err := refMarshal(&c, e)
		if err != nil {
			t.Fatal(err)
		}
		if got := marshal(e); !bytes.Equal(got, want) {
			t.Errorf("%s: the generated encoder writes %d bytes, the reflection codec %d (or others)", e.Report.Path, len(got), len(want))
		}
		var r entry
		g, err := unmarshal(want)
		if err != nil {
			t.Fatalf("%s: %v", e.Report.Path, err)
		}
		if err := refUnmarshal(&c, want, &r); err != nil {
			t.Fatalf("%s: %v", e.Report.Path, err)
		}
		if !reflect.DeepEqual(*g, r) {
			t.Errorf("%s: the generated decoder and the reflection codec read different entries", e.Report.Path)
		}
	}
}

// FuzzCodec decodes arbitrary bytes as a cache entry: it never panics (the decoder
// runs here without unmarshal's recover); the generated decoder accepts exactly what
// the reflection codec (refCodec) accepts, and reads the same entry; what it accepts
// encodes to bytes that decode to the same entry (the encoding is canonical once
// decoded), the generated encoder writing the reflection codec's bytes; and the
// result it gives, stored again, prints the same JSON.
func FuzzCodec(f *testing.F) {
	var c refCodec
	for _, file := range codecSeeds(f)[:4] {
		f.Add(marshal(file))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ref entry
		d := decoder{b: b}
		file, err := d.decodeEntry(0)
		accepted := err == nil && len(d.b) == 0
		rd := refDecoder{c: &c, b: b}
		rerr := rd.decode(reflect.ValueOf(&ref).Elem(), 0)
		if refAccepted := rerr == nil && len(rd.b) == 0; accepted != refAccepted {
			t.Fatalf("the generated decoder accepts: %v (%v), the reflection codec: %v (%v)", accepted, err, refAccepted, rerr)
		}
		if !accepted {
			return
		}
		if !reflect.DeepEqual(file, ref) {
			t.Fatal("the generated decoder and the reflection codec read different entries")
		}
		again := marshal(&file)
		if want, err := refMarshal(&c, &file); err != nil || !bytes.Equal(again, want) {
			t.Fatalf("the generated encoder and the reflection codec write different bytes (%v)", err)
		}
		file2, err := unmarshal(again)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if third := marshal(file2); !bytes.Equal(again, third) {
			t.Fatal("encoding is not stable")
		}
		// A result read from the cache and stored again prints the same.
		r1 := resultOf(&file)
		r2 := resultOf(newEntry(r1.File, r1.ISA, r1.ISAProblems))
		j1, err1 := json.Marshal(r1)
		j2, err2 := json.Marshal(r2)
		if err1 != nil || err2 != nil || !bytes.Equal(j1, j2) {
			t.Fatalf("stored again, the result changes (%v, %v):\n%s\n%s", err1, err2, j1, j2)
		}
	})
}

// BenchmarkCodec decodes the reports of real files (see codecSeeds) from the cache's
// encoding and, for comparison, with the reflection codec (refCodec: the cache's
// decoder before) and from JSON (the cache's encoding before that).
func BenchmarkCodec(b *testing.B) {
	var c refCodec
	var enc, js [][]byte
	size, jsize := 0, 0
	for _, f := range codecSeeds(b) {
		e := marshal(f)
		j, _ := json.Marshal(resultOf(f))
		enc, js = append(enc, e), append(js, j)
		size += len(e)
		jsize += len(j)
	}
	b.Run("codec", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, e := range enc {
				if _, err := unmarshal(e); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(enc)), "reports/op")
	})
	b.Run("reflection", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, e := range enc {
				var f entry
				if err := refUnmarshal(&c, e, &f); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(enc)), "reports/op")
	})
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(jsize))
		b.ReportAllocs()
		for b.Loop() {
			for _, j := range js {
				var f Report
				if err := json.Unmarshal(j, &f); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(js)), "reports/op")
	})
}
