package cli

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseThinArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    thinOptions
		wantErr string
	}{
		{"lipo spelling", []string{"-arch", "arm64", "-o", "out", "in"}, thinOptions{arch: "arm64", out: "out", in: "in"}, ""},
		{"equals and two dashes", []string{"--arch=x86_64", "--output=o", "--force", "f"}, thinOptions{arch: "x86_64", out: "o", in: "f", force: true}, ""},
		{"help", []string{"-arch", "arm64", "-h"}, thinOptions{}, "help"},
		{"unknown flag", []string{"-v"}, thinOptions{}, "universal thin: unknown flag -v"},
		{"missing value", []string{"in", "-arch"}, thinOptions{}, "universal thin: -arch needs a value"},
		{"two inputs", []string{"-arch", "arm64", "-o", "o", "a", "b"}, thinOptions{}, "usage: gonative universal thin -arch ARCH -o OUT IN"},
		{"no arch", []string{"-o", "o", "a"}, thinOptions{}, "usage: gonative universal thin -arch ARCH -o OUT IN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseThinArgs(tc.args)
			switch {
			case tc.wantErr == "help":
				if !errors.Is(err, errThinHelp) {
					t.Errorf("parseThinArgs(%q) error %v, want errThinHelp", tc.args, err)
				}
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("parseThinArgs(%q) error %v, want %q", tc.args, err, tc.wantErr)
				}
			case err != nil || got != tc.want:
				t.Errorf("parseThinArgs(%q) = %+v, %v; want %+v", tc.args, got, err, tc.want)
			}
		})
	}
}

// FuzzParseThinArgs checks that whatever thin is given, a success names an input,
// an architecture and an output that are among the arguments (or after their =).
func FuzzParseThinArgs(f *testing.F) {
	f.Add("-arch\x00arm64\x00-o\x00out\x00in")
	f.Add("--arch=x86_64\x00--force\x00--output=o\x00f")
	f.Add("-arch\x00-o\x00-o\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		o, err := parseThinArgs(args)
		if err != nil {
			return
		}
		if o.arch == "" || o.out == "" || !slices.Contains(args, o.in) || strings.HasPrefix(o.in, "-") {
			t.Fatalf("parseThinArgs(%q) = %+v: want a non-flag input among the arguments and a non-empty arch and output", args, o)
		}
		for _, v := range []string{o.arch, o.out} {
			if !slices.ContainsFunc(args, func(a string) bool { return a == v || strings.HasSuffix(a, "="+v) }) {
				t.Fatalf("parseThinArgs(%q) = %+v: %q is not among the arguments", args, o, v)
			}
		}
	})
}

// TestUniversalThinHelp checks thin's help lists the flags its own parser reads, not
// only -h (cobra knows none of them: thin parses its flags as lipo spells them).
func TestUniversalThinHelp(t *testing.T) {
	for _, args := range [][]string{{"universal", "thin", "--help"}, {"universal", "thin", "-h"}, {"help", "universal", "thin"}} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		for _, want := range []string{"--arch string", "-o, --output string", "--force"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out.String())
			}
		}
	}
}
