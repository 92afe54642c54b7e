package redact

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	Register("n3trcPassw0rd")
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"https://proxy.example.com/mod", "https://proxy.example.com/mod"},
		{"https://alice:s3cr3t@proxy.example.com/", "https://alice:xxxxx@proxy.example.com/"},
		{"https://alice@proxy.example.com:8443/", "https://alice@proxy.example.com:8443/"},
		{"GOPROXY=https://a:p1@h1,https://b:p2@h2|direct", "GOPROXY=https://a:xxxxx@h1,https://b:xxxxx@h2|direct"},
		{"GOPROXY=https://h0,https://b:p2@h2", "GOPROXY=https://h0,https://b:xxxxx@h2"},
		{`Get "https://u:p:q@h/x": EOF`, `Get "https://u:xxxxx@h/x": EOF`},
		{"redirected from secure URL https://u:pw@h/a to insecure URL http://u:pw@h/a", "redirected from secure URL https://u:xxxxx@h/a to insecure URL http://u:xxxxx@h/a"},
		{"https://u:xxxxx@h/", "https://u:xxxxx@h/"},
		{"https://u:p%40ss@h/", "https://u:xxxxx@h/"},
		{"https://u:p@ss@h/", "https://u:xxxxx@h/"},
		{"file:///tmp/a:b@c", "file:///tmp/a:b@c"},
		{"Authorization: Basic YWxpY2U6czNjcjN0\nnext", "Authorization: Basic xxxxx\nnext"},
		{"proxy-authorization=Bearer tok123", "proxy-authorization=Bearer xxxxx"},
		{`{"Authorization": "Bearer tok"}`, `{"Authorization": "Bearer xxxxx"}`},
		{"authorization required", "authorization required"},
		{"the password is n3trcPassw0rd!", "the password is xxxxx!"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestURLIsRedacted(t *testing.T) {
	for _, raw := range []string{
		"https://alice:s3cr3t@proxy.example.com/path?q=1",
		"https://alice@proxy.example.com/",
		"https://proxy.example.com/",
		"http://u:p@127.0.0.1:8080",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := URL(raw), u.Redacted(); got != want {
			t.Errorf("URL(%q) = %q, want url.Redacted's %q", raw, got, want)
		}
	}
	if got := URL("not a url https://a:b@c"); got != "not a url https://a:xxxxx@c" {
		t.Errorf("URL of text = %q", got)
	}
}

func TestRegisterBasicMasksTheHeaderValue(t *testing.T) {
	RegisterBasic("carol", "basicCanary")
	// base64("carol:basicCanary")
	got := Text("401: you sent Y2Fyb2w6YmFzaWNDYW5hcnk= and basicCanary")
	if strings.Contains(got, "Y2Fyb2w6YmFzaWNDYW5hcnk=") || strings.Contains(got, "basicCanary") {
		t.Errorf("Text = %q", got)
	}
	RegisterURL("https://dave:urlCanary9@h/")
	if got := Text("echo urlCanary9"); got != "echo xxxxx" {
		t.Errorf("RegisterURL: Text = %q", got)
	}
	Register("abc") // too short to mask
	if got := Text("abc"); got != "abc" {
		t.Errorf("short secret masked: %q", got)
	}
}

// FuzzText: the password of a URL anywhere in any text never survives Text, and text
// without "://", "authorization" or a registered secret is returned as it is.
func FuzzText(f *testing.F) {
	f.Add("see ", "alice", "s3cr3t", "host.example:443", "/x, then more")
	f.Add("a://b:c@d,", "u", "p", "h", "")
	f.Add("", "", "p:q", "h", "?x=https://v:w@z/")
	f.Fuzz(func(t *testing.T, prefix, user, pass, host, suffix string) {
		if pass == "" || pass == Mask || strings.ContainsAny(user+pass+host, "/?#@ \t\r\n\"'`<>") ||
			strings.Contains(user, ":") || strings.Contains(pass, Mask) {
			return
		}
		s := prefix + "https://" + user + ":" + pass + "@" + host + "/" + suffix
		got := Text(s)
		if strings.Contains(got, "://"+user+":"+pass+"@"+host+"/") {
			t.Fatalf("Text(%q) = %q keeps the password", s, got)
		}
		if Text(got) != got {
			t.Fatalf("Text is not idempotent on %q: %q then %q", s, got, Text(got))
		}
		plain := prefix + suffix
		if !strings.Contains(plain, "://") && !strings.Contains(strings.ToLower(plain), "authorization") && !strings.Contains(plain, "n3trcPassw0rd") &&
			!strings.Contains(plain, "basicCanary") && !strings.Contains(plain, "urlCanary9") && !strings.Contains(plain, "Y2Fyb2w6") {
			if Text(plain) != plain {
				t.Fatalf("Text(%q) = %q changed text without credentials", plain, Text(plain))
			}
		}
	})
}

func TestSetting(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"GOPROXY", "https://u:pw@h/,direct", "https://u:xxxxx@h/,direct"},
		{"GOAUTH", "netrc", "netrc"},
		{"GOAUTH", "git /src/repo;netrc", "git /src/repo;netrc"},
		{"GOAUTH", "/usr/bin/cred --token=T0KEN;netrc", "/usr/bin/cred xxxxx;netrc"},
		{"GOAUTH", "off", "off"},
	} {
		if got := Setting(c.name, c.in); got != c.want {
			t.Errorf("Setting(%s, %q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
	RegisterSetting("GOAUTH", "cred --token=goauthCanary")
	RegisterSetting("GOPROXY", "https://u:proxyCanary@h,direct")
	if got := Text("echo --token=goauthCanary and proxyCanary"); strings.Contains(got, "Canary") {
		t.Errorf("registered setting secrets shown: %q", got)
	}
}

func TestIndexFold(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{{"", -1}, {"authorization", 0}, {"x-AUTHORIZATION", 2}, {"Authorizatio", -1}, {"ÄAuthorization", 2}} {
		if got := indexFold(c.s, header); got != c.want {
			t.Errorf("indexFold(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// BenchmarkText is the cost Quote adds to every string printed: a path with nothing
// to mask, and a line with a URL password.
func BenchmarkText(b *testing.B) {
	for _, s := range []string{"/usr/local/Cellar/go/1.23.4/libexec/bin/go", "GET https://alice:s3cr3t@proxy.example.com/mod/@v/list: 401 Unauthorized"} {
		b.Run(strings.Fields(s)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Text(s)
			}
		})
	}
}

// TestJSONStaysValid: masking inside JSON text keeps it valid JSON, and a registered
// secret is masked in its JSON-escaped form too.
func TestJSONStaysValid(t *testing.T) {
	Register(`qu"ote\canary`)
	for _, v := range []map[string]string{
		{"e": `401: Authorization: Bearer abc\" and more`},
		{"e": "https://u:p\"w@h/ Authorization: Basic YWxpY2U6czNjcjN0"},
		{"e": `the password qu"ote\canary`},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got := Text(string(b))
		var back map[string]string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("Text(%s) = %s: not JSON: %v", b, got, err)
		}
		if strings.Contains(back["e"], "canary") || strings.Contains(back["e"], "YWxpY2U6") || strings.Contains(back["e"], "abc") {
			t.Errorf("Text(%s) = %s keeps a secret", b, got)
		}
	}
}

// FuzzIndexFold holds indexFold to the plain definition: the first i where
// s[i:i+len(header)] equals header ignoring ASCII case.
func FuzzIndexFold(f *testing.F) {
	for _, s := range []string{"", "authorization", "x-AUTHORIZATION", "Authorizatio", "ÄAuthorization", "zzz authoriZation", "AuThOrIzAtIoN: Basic", "z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := -1
		for i := 0; i+len(header) <= len(s); i++ {
			if strings.EqualFold(s[i:i+len(header)], header) && isASCIIFold(s[i:i+len(header)]) {
				want = i
				break
			}
		}
		if got := indexFold(s, header); got != want {
			t.Fatalf("indexFold(%q) = %d, want %d", s, got, want)
		}
	})
}

// isASCIIFold: strings.EqualFold also folds the Kelvin sign to k and ſ to s; a
// window of exactly len(header) bytes that matches holds ASCII only.
func isASCIIFold(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestWriter: a JSON encoder writing through Writer masks what Text masks and reports
// the length it was given, and text without a secret passes as it is.
func TestWriter(t *testing.T) {
	var b strings.Builder
	enc := json.NewEncoder(Writer(&b))
	if err := enc.Encode(map[string]string{"proxy": "https://alice:s3cr3t-pw@proxy.test/", "path": "/usr/bin/go"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cr3t-pw") || !strings.Contains(b.String(), "alice:xxxxx@proxy.test") || !strings.Contains(b.String(), `"/usr/bin/go"`) {
		t.Errorf("through Writer: %s", b.String())
	}
	b.Reset()
	if n, err := Writer(&b).Write([]byte("plain text\n")); n != 11 || err != nil || b.String() != "plain text\n" {
		t.Errorf("Write = %d, %v; wrote %q", n, err, b.String())
	}
	line := []byte(`{"path":"/usr/bin/go","format":"elf","slices":[{"arch":"amd64","os":"linux"}]}` + "\n")
	if n := testing.AllocsPerRun(100, func() { Writer(io.Discard).Write(line) }); n != 0 {
		t.Errorf("a line with nothing to mask: %v allocations, want 0 (no copy)", n)
	}
}
