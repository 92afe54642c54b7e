package cli

import (
	"bytes"
	"context"
	"testing"
)

// TestRootForOneCommand: a command line that names a command builds that command
// alone (a cached inspect run starts without building the twenty others: 535
// allocations for them all), and what every command prints for --help, and for a
// bad flag, is what it prints among all the others.
func TestRootForOneCommand(t *testing.T) {
	r := newRootFor([]string{"inspect", "-"})
	if cs := r.Commands(); len(cs) != 1 || cs[0].Name() != "inspect" {
		t.Fatalf("root for inspect has %d commands, want inspect alone", len(cs))
	}
	if n := testing.AllocsPerRun(10, func() { newRootFor([]string{"inspect", "-"}) }); n > 100 {
		t.Errorf("building the root for inspect: %v allocations, want at most 100", n)
	}
	if all := NewRoot(); len(all.Commands()) != len(subcommands) {
		t.Errorf("NewRoot has %d commands, subcommands lists %d", len(all.Commands()), len(subcommands))
	}
	run := func(full bool, args ...string) (string, string) {
		root := newRootFor(args)
		if full {
			root = NewRoot()
		}
		var out, errb bytes.Buffer
		root.SetArgs(args)
		root.SetIn(&bytes.Buffer{})
		root.SetOut(&out)
		root.SetErr(&errb)
		err := root.ExecuteContext(context.Background())
		if err != nil {
			errb.WriteString("error: " + err.Error())
		}
		return out.String(), errb.String()
	}
	cases := [][]string{{"image", "build", "--help"}, {"universal", "info", "--help"}, {"inspect"}}
	for _, c := range subcommands {
		cases = append(cases, []string{c.name, "--help"}, []string{c.name, "--no-such-flag"})
	}
	for _, args := range cases {
		o1, e1 := run(false, args...)
		o2, e2 := run(true, args...)
		if o1 != o2 || e1 != e2 {
			t.Errorf("%q alone prints\n%s%s\namong all the others\n%s%s", args, o1, e1, o2, e2)
		}
	}
}
