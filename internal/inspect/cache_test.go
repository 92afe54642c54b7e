package inspect

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gonative/gonative/internal/exe"
	"github.com/gonative/gonative/internal/host"
)

// keyedFiles are reports that differ in the fact a forged entry would change: the
// architecture.
var keyedFiles = []struct {
	key  cacheKey
	file exe.File
}{
	{cacheKey{1}, exe.File{Path: "amd64", Format: exe.FormatELF, Size: 1, Slices: []exe.Slice{{OS: "linux", Arch: "amd64", Kind: exe.KindExecutable}}}},
	{cacheKey{2}, exe.File{Path: "arm64", Format: exe.FormatELF, Size: 2, Slices: []exe.Slice{{OS: "linux", Arch: "arm64", Kind: exe.KindExecutable}}}},
	{cacheKey{3}, exe.File{Path: "386", Format: exe.FormatPE, Size: 3, Slices: []exe.Slice{{OS: "windows", Arch: "386", Kind: exe.KindExecutable}}}},
}

// writeKeyedPack writes keyedFiles as one pack in a new cache directory and returns
// the directory and the pack's path.
func writeKeyedPack(t testing.TB) (dir, pack string) {
	t.Helper()
	dir = t.TempDir()
	c, err := OpenCache(dir, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, kf := range keyedFiles {
		f := kf.file
		c.put(kf.key, newEntry(&f, nil, nil))
	}
	c.Close()
	packs, _ := filepath.Glob(filepath.Join(dir, "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs written", len(packs))
	}
	return dir, packs[0]
}

// packIndexAt returns the offset of index entry i of pack b.
func packIndexAt(t testing.TB, b []byte, i int) int {
	t.Helper()
	foot := b[len(b)-packFooter:]
	ioff := int(binary.LittleEndian.Uint64(foot))
	if count := int(binary.LittleEndian.Uint32(foot[8:])); i >= count {
		t.Fatalf("entry %d of %d", i, count)
	}
	return ioff + i*packIndexEntry
}

// checkKeyed fails t when the cache in dir returns, for any key of keyedFiles, a
// report that is not the one put under that key.
func checkKeyed(t *testing.T, dir string) (hits int) {
	t.Helper()
	c, err := OpenCache(dir, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, kf := range keyedFiles {
		got, ok := c.get(kf.key)
		if !ok {
			continue
		}
		hits++
		f := kf.file
		a, _ := json.Marshal(&Result{File: &f})
		b, _ := json.Marshal(resultOf(got))
		if string(a) != string(b) {
			t.Fatalf("key %x: a verdict for another key:\nput %s\ngot %s", kf.key[:1], a, b)
		}
	}
	return hits
}

// TestCacheEntryBoundToKey is issue 24.10(a): swapping two entries of a pack (their
// keys in the index, or their offsets) must not serve one file's report for the
// other.
func TestCacheEntryBoundToKey(t *testing.T) {
	for _, field := range []struct {
		name     string
		from, to int // bytes of an index entry
	}{{"keys", 0, 32}, {"offsets", 32, packIndexEntry}} {
		t.Run(field.name, func(t *testing.T) {
			dir, pack := writeKeyedPack(t)
			if hits := checkKeyed(t, dir); hits != len(keyedFiles) {
				t.Fatalf("%d hits of %d before the swap", hits, len(keyedFiles))
			}
			b, err := os.ReadFile(pack)
			if err != nil {
				t.Fatal(err)
			}
			e0, e1 := packIndexAt(t, b, 0), packIndexAt(t, b, 1)
			for i := field.from; i < field.to; i++ {
				b[e0+i], b[e1+i] = b[e1+i], b[e0+i]
			}
			if err := os.WriteFile(pack, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if hits := checkKeyed(t, dir); hits != 1 {
				t.Errorf("%d hits after swapping two entries, want 1 (the third)", hits)
			}
		})
	}
}

// TestCacheIgnoresUntrustedPacks is issue 24.10(b): a pack another user owns, or that
// its group or others may write, is not read, and Ignored says why.
func TestCacheIgnoresUntrustedPacks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no owners or modes to check on Windows; nothing is cached there")
	}
	tests := []struct {
		name string
		make func(t *testing.T, pack string)
		want PackProblem
	}{
		{"own", func(*testing.T, string) {}, 0},
		{"group-writable", func(t *testing.T, pack string) { os.Chmod(pack, 0o660) }, PackWritableByOthers},
		{"world-writable", func(t *testing.T, pack string) { os.Chmod(pack, 0o606) }, PackWritableByOthers},
		{"foreign", func(t *testing.T, pack string) {
			if os.Geteuid() != 0 {
				t.Skip("giving a file to another user needs root")
			}
			if err := os.Chown(pack, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, PackForeignOwner},
		{"fifo", func(t *testing.T, pack string) {
			os.Remove(pack)
			if err := mkfifo(pack); err != nil {
				t.Skip(err)
			}
		}, PackNotRegular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, pack := writeKeyedPack(t)
			tt.make(t, pack)
			c, err := OpenCache(dir, 0, "test")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, hit := c.get(keyedFiles[0].key)
			ign := c.Ignored()
			if tt.want == 0 {
				if !hit || len(ign) != 0 {
					t.Errorf("own pack: hit %v, ignored %+v", hit, ign)
				}
				return
			}
			if hit {
				t.Errorf("a verdict read from a pack that is %v", tt.want)
			}
			if len(ign) != 1 || ign[0].Problem != tt.want || ign[0].Path != pack || ign[0].Detail == "" {
				t.Errorf("Ignored = %+v, want %v for %s", ign, tt.want, pack)
			}
		})
	}
}

// TestCachePackFIFONoHang is issue 24.9 for inspect: a named pipe called *.pack in
// the cache directory must not hang inspect; the run goes on, reading afresh.
func TestCachePackFIFONoHang(t *testing.T) {
	dir := t.TempDir()
	if err := mkfifo(filepath.Join(dir, "00000000000000000001-0.pack")); err != nil {
		t.Skip(err)
	}
	p := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(p, []byte("\x7fELF not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, _ := host.Parse("linux/amd64")
	done := make(chan *Result, 1)
	go func() {
		c, err := OpenCache(dir, 0, "test")
		if err != nil {
			t.Error(err)
			done <- nil
			return
		}
		defer c.Close()
		done <- File(context.Background(), p, true, Options{Host: h, Cache: c})
	}()
	select {
	case r := <-done:
		if r != nil && r.Err != nil {
			t.Errorf("inspect: %v", r.Err)
		}
	case <-time.After(60 * time.Second): // a hang, not a slow machine
		t.Fatal("inspect hung on a named pipe in the cache directory")
	}
}

// FuzzCachePackKeys edits a real pack of three entries the way an attacker or a
// damaged disk could (swap, copy or point index entries at each other; change any
// byte) and checks the invariant: the cache never returns, for a key, a report that
// was not put under that key.
func FuzzCachePackKeys(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0})              // swap the keys of entries 0 and 1
	f.Add([]byte{1, 2, 0, 0})              // entry 0's key copied onto entry 2
	f.Add([]byte{2, 0, 1, 0})              // entry 0 pointed at entry 1's bytes
	f.Add([]byte{3, 0, 40, 7, 0, 1, 2, 0}) // a flipped byte, then a swap
	_, pack0 := writeKeyedPack(f)
	orig, err := os.ReadFile(pack0)
	if err != nil {
		f.Fatal(err)
	}
	// One directory per fuzzing process, its pack replaced by each input: a
	// directory per input costs more than the check on a busy machine.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, ops []byte) {
		b := append([]byte(nil), orig...)
		n := len(keyedFiles)
		for ; len(ops) >= 4; ops = ops[4:] {
			i, j := int(ops[1])%n, int(ops[2])%n
			ei, ej := packIndexAt(t, orig, i), packIndexAt(t, orig, j)
			switch ops[0] % 4 {
			case 0: // swap two keys
				for x := range 32 {
					b[ei+x], b[ej+x] = b[ej+x], b[ei+x]
				}
			case 1: // copy a key over another
				copy(b[ej:ej+32], b[ei:ei+32])
			case 2: // point an entry at another's offset and length
				copy(b[ei+32:ei+packIndexEntry], b[ej+32:ej+packIndexEntry])
			case 3: // change one byte
				pos := (int(ops[1])<<8 | int(ops[2])) % len(b)
				b[pos] ^= ops[3] | 1
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "1.pack"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		checkKeyed(t, dir)
	})
}

// TestPackEntrySum checks that an entry is summed with CRC-32C over its key and its
// payload, in 4 bytes: SHA-256 (32 bytes) took a quarter of a cached run's
// instructions, all of it to guard against accidents that CRC-32C catches as well.
// Every entry of a real pack is checked against hash/crc32, an independent reckoning.
func TestPackEntrySum(t *testing.T) {
	_, pack := writeKeyedPack(t)
	b, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keyedFiles {
		e := b[packIndexAt(t, b, i):]
		var k cacheKey
		copy(k[:], e)
		off, n := binary.LittleEndian.Uint64(e[32:]), binary.LittleEndian.Uint32(e[40:])
		entry := b[off : off+uint64(n)]
		if len(entry) < 4 {
			t.Fatalf("entry %d: %d bytes", i, len(entry))
		}
		payload := entry[4:]
		want := crc32.Update(crc32.Checksum(k[:], crc32.MakeTable(crc32.Castagnoli)), crc32.MakeTable(crc32.Castagnoli), payload)
		if got := binary.LittleEndian.Uint32(entry); got != want {
			t.Errorf("entry %d: sum %08x, want CRC-32C %08x", i, got, want)
		}
	}
}

// TestCachePacks checks how lookups find entries: by a search of each pack's sorted
// index (keys put in any order are all found, absent ones are not), in the newest
// pack first (the last report put under a key wins), and only in this build's packs
// (another version's packs are not read at all).
func TestCachePacks(t *testing.T) {
	dir := t.TempDir()
	report := func(arch string) *entry {
		return newEntry(&exe.File{Format: exe.FormatELF, Slices: []exe.Slice{{OS: "linux", Arch: arch}}}, nil, nil)
	}
	write := func(version string, keys []byte, arch string) {
		t.Helper()
		c, err := OpenCache(dir, 0, version)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			c.put(cacheKey{k, 0xaa}, report(arch))
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // pack names order by time
	}
	write("v1", []byte{9, 3, 200, 7, 1, 64}, "amd64")
	write("v1", []byte{7, 5}, "arm64") // newer: 7 is arm64 now
	write("v2", []byte{9, 3}, "386")   // another build
	c, err := OpenCache(dir, 0, "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.packs) != 2 {
		t.Errorf("%d packs read, want v1's 2", len(c.packs))
	}
	want := map[byte]string{9: "amd64", 3: "amd64", 200: "amd64", 1: "amd64", 64: "amd64", 7: "arm64", 5: "arm64"}
	for k := range 256 {
		e, ok := c.get(cacheKey{byte(k), 0xaa})
		arch := ""
		if ok {
			arch = e.Report.Slices[0].Arch
		}
		if arch != want[byte(k)] {
			t.Errorf("key %d: %q, want %q", k, arch, want[byte(k)])
		}
	}
}
