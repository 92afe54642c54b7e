package netcheck

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/netcheck/netchecktest"
)

func moduleZip(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestValidators(t *testing.T) {
	const mod, ver = "example.com/m", "v1.2.3"
	tests := []struct {
		name, body string
		validate   func([]byte) error
		wantErr    string // "" for valid
	}{
		{"info", `{"Version":"v1.2.3","Time":"2024-01-02T03:04:05Z"}`, infoValidator(ver), ""},
		{"info-html", "<!DOCTYPE html><html></html>", infoValidator(ver), "invalid character '<'"},
		{"info-other-version", `{"Version":"v1.2.4","Time":"2024-01-02T03:04:05Z"}`, infoValidator(ver), "instead of requested version"},
		{"info-bad-time", `{"Version":"v1.2.3","Time":"yesterday"}`, infoValidator(ver), "cannot parse"},
		{"mod", "module example.com/m\n\ngo 1.22\n", modValidator(mod), ""},
		{"mod-html", "<html><body>Sign in</body></html>", modValidator(mod), "no module line"},
		{"mod-unparsable", "module \"example.com/m\n", modValidator(mod), "go.mod:1"},
		{"mod-other-path", "module example.com/other\n", modValidator(mod), `declares its path as "example.com/other"`},
		{"mod-no-module", "go 1.22\n", modValidator(mod), "no module line"},
		{"zip-html", "<html></html>", func(b []byte) error { _, err := zipHash(b, mod, ver); return err }, "not a zip archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.validate([]byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("valid answer rejected: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestZipHash(t *testing.T) {
	good := moduleZip(t, map[string]string{"example.com/m@v1.2.3/go.mod": "module example.com/m\n", "example.com/m@v1.2.3/m.go": "package m\n"})
	h, err := zipHash(good, "example.com/m", "v1.2.3")
	if err != nil || !strings.HasPrefix(h, "h1:") {
		t.Fatalf("zipHash = %q, %v", h, err)
	}
	// The hash is dirhash's: the same content under another version differs.
	if h2, _ := zipHash(moduleZip(t, map[string]string{"example.com/m@v1.2.3/go.mod": "module example.com/m\n", "example.com/m@v1.2.3/m.go": "package m // changed\n"}), "example.com/m", "v1.2.3"); h2 == h {
		t.Error("different content, same hash")
	}
	if _, err := zipHash(good, "example.com/m", "v1.2.4"); err == nil {
		t.Error("a zip of another version accepted")
	}
	if _, err := zipHash(moduleZip(t, map[string]string{"../evil": "x"}), "example.com/m", "v1.2.3"); err == nil {
		t.Error("a file outside the module accepted")
	}
}

// FuzzValidators: whatever a proxy answers, a validator returns, and an accepted
// answer is what cmd/go would use: the .info names the version asked, the .mod the
// module path, and every file of an accepted zip lies below MOD@VERSION/.
func FuzzValidators(f *testing.F) {
	f.Add([]byte(`{"Version":"v1.2.3","Time":"2024-01-02T03:04:05Z"}`))
	f.Add([]byte("module example.com/m\n"))
	f.Add([]byte("<!DOCTYPE html>"))
	f.Add(moduleZip(f, map[string]string{"example.com/m@v1.2.3/go.mod": "module example.com/m\n"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if infoValidator("v1.2.3")(b) == nil && !bytes.Contains(b, []byte("v1.2.3")) && !bytes.Contains(b, []byte(`\u`)) {
			t.Errorf("info %q accepted without naming the version", b)
		}
		if modValidator("example.com/m")(b) == nil && !bytes.Contains(b, []byte("example.com/m")) && !bytes.Contains(b, []byte(`\`)) {
			t.Errorf("go.mod %q accepted without the module path", b)
		}
		if h, err := zipHash(b, "example.com/m", "v1.2.3"); err == nil {
			if !strings.HasPrefix(h, "h1:") {
				t.Errorf("hash %q", h)
			}
			zr, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if zerr != nil {
				t.Fatalf("accepted a zip archive/zip cannot read: %v", zerr)
			}
			for _, zf := range zr.File {
				if !strings.HasPrefix(zf.Name, "example.com/m@v1.2.3/") {
					t.Errorf("accepted %q", zf.Name)
				}
			}
		}
	})
}

// TestToolchain: netcheck asks GOPROXY whether the toolchain go switches to exists,
// as cmd/go does; before, whether go1.99.0 existed was "unknown until netcheck" and
// netcheck said nothing about it.
func TestToolchain(t *testing.T) {
	s := startServers(t)
	tests := []struct {
		name, goproxy, version string
		want                   Severity
		title                  string
	}{
		{"exists", s.Good, netchecktest.ToolchainGo, Info, "go" + netchecktest.ToolchainGo + " exists"},
		{"missing", s.Good, "1.99.0", Error, "go1.99.0 does not exist: no entry of GOPROXY has golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64"},
		{"404-then-good", s.NotFound + "," + s.Good, netchecktest.ToolchainGo, Info, "exists"},
		{"html", s.HTML, netchecktest.ToolchainGo, Error, "invalid response from proxy"},
		{"direct", "direct", "1.99.0", Warning, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t, s, map[string]string{"GOPROXY": tt.goproxy})
			opts.Toolchain, opts.ToolchainPlatform = tt.version, "linux-amd64"
			f := Toolchain(context.Background(), opts)
			if f.Severity != tt.want || !strings.Contains(f.Title, tt.title) {
				t.Errorf("got %s %q, want %s containing %q", f.Severity, f.Title, tt.want, tt.title)
			}
			// Run reports the same finding.
			r := Run(context.Background(), opts)
			if g, ok := find(r, "proxy.toolchain"); !ok || g.Severity != tt.want {
				t.Errorf("Run: proxy.toolchain = %+v, %v", g, ok)
			}
		})
	}
}
