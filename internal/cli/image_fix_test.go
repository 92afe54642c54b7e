package cli

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// rebuildLine parses argv as image build's flags and returns the rebuild command
// line for base.
func rebuildLine(t testing.TB, argv []string, base string) (string, bool) {
	cmd, _, err := NewRoot().Find([]string{"image", "build"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(argv); err != nil {
		return "", false
	}
	return imageRebuildCommand(cmd, cmd.Flags().Args(), base), true
}

// flagState is every flag's value and whether it was given, and the arguments.
func flagState(t testing.TB, argv []string) (map[string]string, []string) {
	cmd := newImageBuildCmd()
	if err := cmd.ParseFlags(argv); err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	m := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) { m[f.Name] = f.Value.String() })
	return m, cmd.Flags().Args()
}

// TestImageRebuildCommand: the printed command, read by sh, is image build with the
// same flags and arguments as given, --base replaced: hostile values stay one word.
func TestImageRebuildCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, argv := range [][]string{
		{"--platform", "linux/amd64", "--oci-layout", "out", "./cgo"},
		{"--platform", "linux/amd64,linux/arm64", "-t", "r.invalid/a:v1", "-t", "r.invalid/a:v2", "--push", "--base", "scratch", "."},
		{"--label", "a=b c", "--ldflags", "-X 'main.v=$(id)' -s", "--cc", "linux/arm64=aarch64-linux-gnu-gcc", "--base=oci-layout:x y", "./cmd/it's"},
		{"--platform=linux/arm64", "--platform=linux/amd64", "--cgo", "on", "--json"},
	} {
		line, ok := rebuildLine(t, argv, "debian:bookworm-slim")
		if !ok {
			t.Fatalf("%q does not parse", argv)
		}
		// sh reads the line; printf gets the words the command would.
		rest, found := strings.CutPrefix(line, "gonative image build ")
		if !found {
			t.Fatalf("%q: line %q does not start with the command", argv, line)
		}
		out, err := exec.Command(sh, "-c", `printf '%s\0' `+rest).Output()
		if err != nil {
			t.Fatalf("%q: sh: %v", argv, err)
		}
		words := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		got, gotArgs := flagState(t, words)
		want, wantArgs := flagState(t, argv)
		want["base"] = "debian:bookworm-slim"
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotArgs, wantArgs) {
			t.Errorf("%q: the line %q gives flags %v args %q; want %v %q", argv, line, got, gotArgs, want, wantArgs)
		}
	}
}

// shSplit reads line as sh reads words that goenv.ShellQuote wrote: unquoted safe
// characters, '…' literally, words apart at spaces; ok is false for anything else.
func shSplit(line string) (words []string, ok bool) {
	var b strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ':
			if in {
				words, in = append(words, b.String()), false
				b.Reset()
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			b.WriteString(line[i+1 : i+1+j])
			i, in = i+1+j, true
		case c == '\\' && i+1 < len(line):
			b.WriteByte(line[i+1])
			i, in = i+1, true
		case strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%", c) >= 0:
			b.WriteByte(c)
			in = true
		default:
			return nil, false
		}
	}
	if in {
		words = append(words, b.String())
	}
	return words, true
}

// FuzzImageRebuildCommand: whatever the flag values and the package argument, the
// rebuild line reads back (as sh reads it) as the same flags and arguments, --base
// replaced.
func FuzzImageRebuildCommand(f *testing.F) {
	f.Add("a=b c", "-X 'main.v=$(id)'", "./cmd/it's", "oci-layout:x y")
	f.Add("", "", ".", "debian:bookworm-slim")
	f.Fuzz(func(t *testing.T, label, ldflags, pkg, base string) {
		argv := []string{"--label", label, "--ldflags", ldflags, "--platform", "linux/amd64", "--", pkg}
		line, ok := rebuildLine(t, argv, base)
		if !ok {
			return
		}
		words, ok := shSplit(line)
		if !ok || len(words) < 3 || strings.Join(words[:3], " ") != "gonative image build" {
			t.Fatalf("the line %q does not read back as image build (%q)", line, words)
		}
		got, gotArgs := flagState(t, words[3:])
		want, wantArgs := flagState(t, argv)
		want["base"] = base
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotArgs, wantArgs) {
			t.Errorf("the line %q gives flags %v args %q; want %v %q", line, got, gotArgs, want, wantArgs)
		}
	})
}
