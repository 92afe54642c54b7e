package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/cli"
)

// TestCorpusISAObjdump measures the x86-64 scan against llvm-objdump, an independent
// disassembler, on every x86-64 slice of the real-world corpus: for each instruction
// class inspect --isa reports (and does not call doubtful), objdump's decoding of the
// function that holds the use inspect names (from the function start inspect decoded
// from, as objdump decodes a function) must show an instruction at that address, of
// that class. A class only the linear sweep saw in data (a jump table read as AVX-512)
// fails it. Doubtful classes are counted and logged, never required.
func TestCorpusISAObjdump(t *testing.T) {
	objdump, err := exec.LookPath("llvm-objdump-14")
	if err != nil {
		t.Skip("llvm-objdump-14 is not installed (Debian llvm-14)")
	}
	if testing.Short() {
		t.Skip("-short: the objdump comparison reads every x86-64 file of the corpus")
	}
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	var checked, doubtful, sweep int
	for _, f := range tr.Files {
		amd64 := false
		for _, s := range f.Slices {
			amd64 = amd64 || s.Arch == "amd64"
		}
		if !amd64 {
			continue
		}
		t.Run(f.ID, func(t *testing.T) {
			p := corpusPath(t, dir, f)
			for i, s := range inspectISA(t, p).Slices {
				if s.Arch != "amd64" || s.ISA == nil {
					continue
				}
				if i < len(f.Slices) {
					for _, none := range f.Slices[i].ISANone {
						for _, e := range s.ISA.Extensions {
							if e.Name == none && e.Confidence != "doubtful" {
								t.Errorf("%s[%d]: %s ×%d reported (%s, first at %s); objdump's disassembly has none", f.ID, i, e.Name, e.Count, e.Confidence, e.FirstAddr)
							}
						}
					}
				}
				img := p
				if f.Format == "macho-fat" {
					img = sliceFile(t, p, s.Offset, s.Size)
				}
				for _, e := range s.ISA.Extensions {
					switch e.Confidence {
					case "doubtful":
						doubtful++
						t.Logf("%s[%d]: %s ×%d doubtful: %s", f.ID, i, e.Name, e.Count, e.Doubt)
						continue
					case "sweep", "":
						// The file names no function holding a use: objdump decodes from
						// the section start as the sweep does; the use is checked there.
						sweep++
					}
					at, fn := e.ConfirmedAt, e.ConfirmedFunc
					if at == "" {
						at, fn = e.FirstAddr, e.FirstAddr
					}
					line, ok := objdumpAt(t, objdump, img, fn, at)
					checked++
					if !ok {
						t.Errorf("%s[%d]: %s (%s, ×%d) at %s: objdump decoding from %s shows no instruction there:\n%s",
							f.ID, i, e.Name, e.Confidence, e.Count, at, fn, line)
						continue
					}
					if why := objdumpClass(e.Name, line); why != "" {
						t.Errorf("%s[%d]: %s (%s) at %s: objdump shows %q: %s", f.ID, i, e.Name, e.Confidence, at, line, why)
					}
				}
			}
		})
	}
	t.Logf("%d classes checked against llvm-objdump (%d from the sweep alone), %d doubtful ones not required", checked, sweep, doubtful)
}

type isaOut struct {
	Slices []struct {
		Offset int64  `json:"offset"`
		Size   int64  `json:"size"`
		Arch   string `json:"arch"`
		ISA    *struct {
			Extensions []struct {
				Name          string `json:"name"`
				Count         int64  `json:"count"`
				FirstAddr     string `json:"first_addr"`
				Confidence    string `json:"confidence"`
				ConfirmedAt   string `json:"confirmed_at"`
				ConfirmedFunc string `json:"confirmed_func"`
				Doubt         string `json:"doubt"`
			} `json:"extensions"`
		} `json:"isa"`
	} `json:"slices"`
}

func inspectISA(t *testing.T, path string) isaOut {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"inspect", "--json", "--isa", "--no-cache", path}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("gonative inspect --json --isa %s: exit %d: %s", path, code, stderr.String())
	}
	var out isaOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("gonative inspect --json --isa %s: %v", path, err)
	}
	return out
}

// sliceFile writes the slice of a universal file to a file of its own (objdump reads
// a thin image).
func sliceFile(t *testing.T, path string, off, size int64) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), fmt.Sprintf("slice-%d", off))
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := io.Copy(w, io.NewSectionReader(f, off, size)); err != nil {
		t.Fatal(err)
	}
	return out
}

// objdumpAt disassembles from fn to just past at and returns objdump's line for the
// instruction at address at ("bytes<TAB>mnemonic operands"), and whether it decoded
// one there.
func objdumpAt(t *testing.T, objdump, path, fn, at string) (string, bool) {
	t.Helper()
	a, err := strconv.ParseUint(strings.TrimPrefix(at, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("address %q: %v", at, err)
	}
	out, err := exec.Command(objdump, "-d", "--start-address="+fn, fmt.Sprintf("--stop-address=%#x", a+16), path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s -d %s: %v\n%s", objdump, path, err, out)
	}
	prefix := strconv.FormatUint(a, 16) + ":"
	var tail []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, prefix) {
			rest := strings.TrimSpace(strings.TrimPrefix(l, prefix))
			return rest, !strings.Contains(rest, "<unknown>") && !strings.Contains(rest, "(bad)")
		}
		if l != "" {
			tail = append(tail, l)
		}
	}
	return strings.Join(tail[max(0, len(tail)-6):], "\n"), false
}

// objdumpClass says why objdump's instruction (raw bytes, a tab, the AT&T mnemonic and
// operands) is not of the class named, or "" when it is.
func objdumpClass(class, line string) string {
	raw, asm, _ := strings.Cut(line, "\t")
	asm = strings.TrimSpace(asm)
	mn, _, _ := strings.Cut(asm, " ")
	mn = strings.TrimSpace(strings.Split(mn, "\t")[0])
	var bs []byte
	for _, h := range strings.Fields(raw) {
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil {
			break
		}
		bs = append(bs, byte(v))
	}
	// The first byte after the legacy prefixes: VEX (c4, c5) or EVEX (62).
	op := byte(0)
	for _, b := range bs {
		switch b {
		case 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0xf0:
			continue
		}
		op = b
		break
	}
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(mn, p) || strings.HasPrefix(mn, "v"+p) {
				return true
			}
		}
		return false
	}
	ok := false
	switch class {
	case "AVX-512":
		ok = op == 0x62
	case "AVX", "AVX2", "FMA", "F16C":
		ok = op == 0xc4 || op == 0xc5
	case "BMI1":
		ok = has("andn", "bextr", "blsi", "blsmsk", "blsr", "tzcnt")
	case "BMI2":
		ok = has("bzhi", "mulx", "pdep", "pext", "rorx", "sarx", "shlx", "shrx")
	case "LZCNT":
		ok = has("lzcnt")
	case "POPCNT":
		ok = has("popcnt")
	case "MOVBE":
		ok = has("movbe")
	case "CMPXCHG16B":
		ok = has("cmpxchg16b")
	case "LAHF-SAHF":
		ok = mn == "lahf" || mn == "sahf"
	case "AES-NI":
		ok = has("aes")
	case "PCLMULQDQ":
		ok = has("pclmul")
	case "SHA":
		ok = has("sha1", "sha256")
	case "RDRAND":
		ok = has("rdrand")
	case "RDSEED":
		ok = has("rdseed")
	case "SSE3":
		ok = has("addsubp", "haddp", "hsubp", "lddqu", "movddup", "movshdup", "movsldup", "fisttp", "monitor", "mwait")
	case "SSSE3":
		ok = has("pabs", "palignr", "phadd", "phsub", "pmaddubsw", "pmulhrsw", "pshufb", "psign")
	case "SSE4.1":
		ok = has("blendp", "blendvp", "dpp", "extractps", "insertps", "movntdqa", "mpsadbw", "packusdw", "pblend",
			"pcmpeqq", "pextr", "phminposuw", "pinsr", "pmaxs", "pmaxu", "pmins", "pminu", "pmovsx", "pmovzx", "pmuldq",
			"pmulld", "ptest", "round")
	case "SSE4.2":
		ok = has("crc32", "pcmpestr", "pcmpistr", "pcmpgtq")
	case "AMX":
		ok = has("tile", "ldtilecfg", "sttilecfg", "tdp")
	case "APX":
		return "llvm-objdump-14 decodes no APX (REX2 or EVEX map 4): a 2024 binary has none"
	default:
		return "no objdump rule for this class"
	}
	if !ok {
		return "not an instruction of that class"
	}
	return ""
}

// TestCorpusUniversalKilled edits one byte of code in the arm64 slice of the corpus's
// universal, Developer-ID-signed executable: macOS's kernel picks the arm64 slice on
// Apple Silicon (XNU's grade_binary grades only arm64 there), finds its signature
// invalid and kills it, without trying the x86_64 slice. inspect must say "does not
// run" with that reason, the x86_64 slice only as a note; on an Intel Mac the x86_64
// slice still runs.
func TestCorpusUniversalKilled(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	for _, f := range tr.Files {
		if f.ID != "npm-sentry-cli-darwin-2.58.2" {
			continue
		}
		b, err := os.ReadFile(corpusPath(t, dir, f))
		if err != nil {
			t.Fatal(err)
		}
		images, err := machoSlices(b)
		if err != nil || len(images) != 2 {
			t.Fatalf("%s: %d slices (%v)", f.ID, len(images), err)
		}
		arm := -1
		for i, s := range f.Slices {
			if s.Arch == "arm64" {
				arm = i
			}
		}
		off := cap(b) - cap(images[arm].data) + 0x800 // a byte of the first code page
		b[off] ^= 0xff
		p := filepath.Join(t.TempDir(), f.ID)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ host, runs, has string }{
			{"darwin/arm64,macos=14.5", "no", "does not fall back to another"},
			{"darwin/arm64,macos=14.5", "no", "Killed: 9"},
			{"darwin/arm64,macos=14.5", "no", "would run translated by Rosetta 2 only when asked for (arch -x86_64)"},
			{"darwin/amd64", "native", ""},
		} {
			var stdout, stderr bytes.Buffer
			cli.Run(context.Background(), []string{"inspect", "--json", "--no-cache", "--host", tt.host, p}, strings.NewReader(""), &stdout, &stderr)
			var out struct {
				Verdict struct{ Runs, Reason string } `json:"verdict"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("inspect --host %s: %v: %s%s", tt.host, err, stdout.String(), stderr.String())
			}
			if out.Verdict.Runs != tt.runs || !strings.Contains(out.Verdict.Reason, tt.has) {
				t.Errorf("%s, arm64 slice edited, on %s: runs %q (%s); want %q with %q", f.ID, tt.host, out.Verdict.Runs, out.Verdict.Reason, tt.runs, tt.has)
			}
		}
		return
	}
	t.Fatal("npm-sentry-cli-darwin-2.58.2 is not in the truth")
}

// TestCorpusGOOSHostExpect: esbuild's sunos-x64 build is GOOS=illumos with Solaris's
// ELF marks; the build info settles the OS for the report, --host and --expect.
func TestCorpusGOOSHostExpect(t *testing.T) {
	tr := loadTruth(t)
	dir := corpusDir(t)
	requireCorpus(t, dir)
	for _, f := range tr.Files {
		if f.ID != "npm-esbuild-0.16.17-sunos-x64" {
			continue
		}
		p := corpusPath(t, dir, f)
		for _, tt := range []struct {
			args []string
			code int
			has  string
		}{
			{[]string{"--host", "illumos/amd64"}, 0, "=> runs natively on illumos/amd64"},
			{[]string{"--host", "solaris/amd64"}, 0, "=> does not run on solaris/amd64"},
			{[]string{"--expect", "illumos/amd64:GOAMD64=v1:cgo=0"}, 0, "ELF executable illumos/amd64"},
			{[]string{"--expect", "solaris/amd64"}, 3, "UNMET: no solaris/amd64 slice (has illumos/amd64)"},
		} {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"inspect", "--no-cache"}, tt.args...), p)
			code := cli.Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.has) {
				t.Errorf("gonative %s: exit %d (want %d): %s%s (want %q)", strings.Join(tt.args, " "), code, tt.code, stdout.String(), stderr.String(), tt.has)
			}
		}
		return
	}
	t.Fatal("npm-esbuild-0.16.17-sunos-x64 is not in the truth")
}
