package exe

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/gonative/gonative/internal/fixture"
)

// TestVerifyPagesParallel proves that hashing the code pages in parallel runs
// (verifyPages above parallelHashMin) gives the serial result: the same page count,
// problem and validity for an intact binary and for edits in the first, a middle
// and the last page, and in two runs at once (the first bad page in file order wins).
// The binary is read through Read, so the runs also read past its window cache.
func TestVerifyPagesParallel(t *testing.T) {
	path := fixture.Go(t, fixture.Hello, []string{"GOOS=darwin", "GOARCH=arm64"}, "-trimpath")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sigOf := func(t *testing.T, b []byte) *Signature {
		t.Helper()
		f := Read(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
		if len(f.Slices) != 1 || f.Slices[0].Signature == nil {
			t.Fatalf("no signature read: %+v", f)
		}
		return f.Slices[0].Signature
	}
	intact := sigOf(t, orig)
	if intact.Problem != "" || intact.Pages < 8 {
		t.Fatalf("fixture signature: %d pages, problem %q", intact.Pages, intact.Problem)
	}
	codeEnd := int64(intact.Pages) * int64(intact.PageSize) // past the last page's start
	edits := map[string][]int64{
		"intact":      nil,
		"first page":  {100},
		"middle page": {codeEnd / 2},
		"last page":   {codeEnd - int64(intact.PageSize) + 10},
		"two runs":    {codeEnd * 3 / 4, codeEnd / 3},
	}
	oldMin, oldProcs := parallelHashMin, runtime.GOMAXPROCS(4)
	defer func() { parallelHashMin = oldMin; runtime.GOMAXPROCS(oldProcs) }()
	for name, offs := range edits {
		b := bytes.Clone(orig)
		for _, off := range offs {
			b[off] ^= 0x55
		}
		parallelHashMin = 1 << 40 // serial
		want := sigOf(t, b)
		parallelHashMin = 16 << 10 // four runs
		got := sigOf(t, b)
		if got.Pages != want.Pages || got.Problem != want.Problem || got.Valid != want.Valid {
			t.Errorf("%s: parallel %d pages, %q, valid %v; serial %d pages, %q, valid %v",
				name, got.Pages, got.Problem, got.Valid, want.Pages, want.Problem, want.Valid)
		}
		if (len(offs) == 0) != (want.Problem == "") {
			t.Errorf("%s: problem %q", name, want.Problem)
		}
	}
}
