package goenv

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestParseGOPROXY(t *testing.T) {
	tests := []struct {
		in      string
		want    []Proxy
		wantErr string
	}{
		{"", nil, ""},
		{"https://a.example,direct", []Proxy{{URL: "https://a.example"}, {URL: "direct"}}, ""},
		{"https://a.example|https://b.example/,off", []Proxy{{URL: "https://a.example", FallBackOnError: true}, {URL: "https://b.example"}, {URL: "off"}}, ""},
		{"direct,https://ignored.example", []Proxy{{URL: "direct"}}, ""},
		{"off|direct", []Proxy{{URL: "off"}}, ""},
		{"mirror.example/go, direct", []Proxy{{URL: "https://mirror.example/go"}, {URL: "direct"}}, ""},
		{"file:///srv/proxy", []Proxy{{URL: "file:///srv/proxy"}}, ""},
		{" , ,", nil, "contains no entries"},
		{"ftp://x.example", nil, "scheme must be"},
		{"noscheme", nil, "not a URL"},
	}
	for _, tt := range tests {
		got, err := ParseGOPROXY(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseGOPROXY(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseGOPROXY(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestProxyNext(t *testing.T) {
	comma, pipe := Proxy{URL: "https://a"}, Proxy{URL: "https://a", FallBackOnError: true}
	if comma.Next(false) || !comma.Next(true) || !pipe.Next(false) {
		t.Error("fall-through rules wrong")
	}
}

func TestParseGOSUMDB(t *testing.T) {
	skey, vkey, err := note.GenerateKey(nil, "sum.test.example")
	if err != nil {
		t.Fatal(err)
	}
	_ = skey
	// The default database: its name comes from `go env GOSUMDB`; the key hash only
	// verifies for the right name, which we derive here from the alias rule instead of
	// spelling it.
	defName := strings.TrimSuffix("sum.golang"+sumDBAliasSuffix, sumDBAliasSuffix) + ".org"
	tests := []struct {
		in      string
		want    SumDB
		wantErr string
	}{
		{"off", SumDB{Off: true}, ""},
		{vkey, SumDB{Name: "sum.test.example", Key: vkey}, ""},
		{vkey + " http://127.0.0.1:9/db", SumDB{Name: "sum.test.example", Key: vkey, URL: "http://127.0.0.1:9/db"}, ""},
		{defName, SumDB{Name: defName, Key: defName + "+" + defaultSumDBKey, BuiltinKey: true}, ""},
		{"sum.golang" + sumDBAliasSuffix, SumDB{Name: defName, Key: defName + "+" + defaultSumDBKey, BuiltinKey: true, URL: "https://sum.golang" + sumDBAliasSuffix}, ""},
		{"", SumDB{}, "missing GOSUMDB"},
		{"a b c", SumDB{}, "too many fields"},
		{"unknown.example", SumDB{}, "no key for database"},
		{"x+zz+bad", SumDB{}, "invalid GOSUMDB"},
	}
	for _, tt := range tests {
		got, err := ParseGOSUMDB(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseGOSUMDB(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseGOSUMDB(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestSumDBChecks(t *testing.T) {
	env := map[string]string{"GOPRIVATE": "corp.example,*.internal"}
	get := func(k string) string { return env[k] }
	db := SumDB{Name: "db"}
	if SumDBChecks(db, NoSumDBPatterns(get), "corp.example/x") {
		t.Error("GOPRIVATE match should skip the database")
	}
	if !SumDBChecks(db, NoSumDBPatterns(get), "golang.org/toolchain") {
		t.Error("toolchain module should be checked")
	}
	env["GONOSUMDB"] = "golang.org"
	if SumDBChecks(db, NoSumDBPatterns(get), "golang.org/toolchain") {
		t.Error("GONOSUMDB overrides GOPRIVATE")
	}
	if SumDBChecks(SumDB{Off: true}, "", "x") {
		t.Error("off checks nothing")
	}
}

func FuzzParseGOPROXY(f *testing.F) {
	f.Add("https://a.example|file:///x,direct")
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseGOPROXY(s)
		if err != nil {
			return
		}
		for i, p := range list {
			if (p.IsDirect() || p.IsOff()) && i != len(list)-1 {
				t.Fatalf("%q: %s not last", s, p.URL)
			}
		}
	})
}

func FuzzParseGOSUMDB(f *testing.F) {
	f.Add("off")
	f.Add("a+b+c http://x")
	f.Fuzz(func(t *testing.T, s string) {
		db, err := ParseGOSUMDB(s)
		if err == nil && !db.Off && db.Name == "" {
			t.Fatalf("%q: no name", s)
		}
	})
}
