package build

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreateOpensInputsOneAtATime: with the file descriptor limit just above what
// the process holds, merging the most slices allowed still works.
func TestCreateOpensInputsOneAtATime(t *testing.T) {
	dir := t.TempDir()
	ins := distinctInputs(t, dir, MaxCreateSlices)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(len(fds) + 6)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	_, err = CreateUniversal(filepath.Join(dir, "fat"), ins, CreateOptions{})
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	if err != nil {
		t.Fatalf("with %d descriptors: %v", lim.Cur, err)
	}
}
