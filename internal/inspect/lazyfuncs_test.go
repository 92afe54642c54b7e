package inspect

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/fixture"
)

// tableReads counts the bytes read from the file ranges of an image's tables.
type tableReads struct {
	ra     io.ReaderAt
	ranges [][2]int64 // [lo, hi) file offsets
	n      []int64    // bytes read from each range
}

func (c *tableReads) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	for i, r := range c.ranges {
		if lo, hi := max(off, r[0]), min(off+int64(n), r[1]); hi > lo {
			c.n[i] += hi - lo
		}
	}
	return n, err
}

// TestScanReadsFunctionTablesForUses inspects, as inspect --isa does, an x86-64 C
// program of 3,000 functions and counts the bytes read from its symbol table and
// .eh_frame: the function tables serve only to check the uses of an extension the
// scan finds (and the guard rule only for those uses), so a program that uses none
// has them read only as far as their first function, to say where they would come
// from (funcs_from); one that uses one has them read whole. Before
// (exe.Slice.Code), every scan read them whole.
func TestScanReadsFunctionTablesForUses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		body  string // main's body: uses an extension or not
		uses  bool
		from  string
	}{
		{"none", []string{"-O1"}, "return f0(argc);", false, "symbol table"},
		{"POPCNT", []string{"-O1", "-mpopcnt"}, "return f0(argc) + __builtin_popcount(argc);", true, "symbol table"},
		{"stripped", []string{"-O1", "-s"}, "return f0(argc);", false, ".eh_frame"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var src strings.Builder
			for i := range 3000 {
				fmt.Fprintf(&src, "int f%d(int x) { return x * %d + %d; }\n", i, i+3, i)
			}
			fmt.Fprintf(&src, "int main(int argc, char **argv) { %s }\n", tt.body)
			path := fixture.C(t, "gcc", "gcc", src.String(), tt.flags...)
			ef, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			symtab, eh := ef.SectionByType(elf.SHT_SYMTAB), ef.Section(".eh_frame")
			ef.Close()
			if ef.Machine != elf.EM_X86_64 || (symtab == nil) != (tt.from == ".eh_frame") || eh == nil || eh.Size < 50_000 {
				t.Skip("gcc here does not make an x86-64 program with .eh_frame, unstripped unless -s")
			}
			if symtab == nil {
				symtab = &elf.Section{} // no bytes to count
			}
			fd, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			st, err := fd.Stat()
			if err != nil {
				t.Fatal(err)
			}
			c := &tableReads{ra: fd, n: make([]int64, 2), ranges: [][2]int64{
				{int64(symtab.Offset), int64(symtab.Offset + symtab.Size)},
				{int64(eh.Offset), int64(eh.Offset + eh.Size)},
			}}
			f := exe.Read(context.Background(), c, st.Size(), exe.Options{})
			c.n[0], c.n[1] = 0, 0 // what Read took is not the scan's
			reps, problems := Analyze(context.Background(), f, Options{Scan: ScanAlways})
			if len(reps) != 1 || reps[0] == nil || problems != nil {
				t.Fatalf("reports %v, problems %q", reps, problems)
			}
			r := reps[0]
			if !r.Scanned || (len(r.Extensions) > 0) != tt.uses || r.FuncsFrom != tt.from {
				t.Fatalf("scanned %v, extensions %+v, functions from %q: want uses %v, from %q", r.Scanned, r.Extensions, r.FuncsFrom, tt.uses, tt.from)
			}
			t.Logf("read %d of the symbol table's %d bytes, %d of .eh_frame's %d", c.n[0], symtab.Size, c.n[1], eh.Size)
			switch {
			case tt.uses && c.n[0] < int64(symtab.Size):
				t.Errorf("read %d bytes of the %d-byte symbol table: want it whole, for the uses' functions", c.n[0], symtab.Size)
			case !tt.uses && symtab.Size > 0 && c.n[0] >= int64(symtab.Size):
				t.Errorf("read %d bytes of the %d-byte symbol table, no use to check: want only its first function's", c.n[0], symtab.Size)
			case !tt.uses && symtab.Size > 0 && c.n[1] > 0:
				t.Errorf("read %d bytes of .eh_frame, no use to check and the symbol table names functions", c.n[1])
			case !tt.uses && c.n[1] > 4096:
				t.Errorf("read %d bytes of the %d-byte .eh_frame, no use to check: want only its first function's", c.n[1], eh.Size)
			}
		})
	}
}
