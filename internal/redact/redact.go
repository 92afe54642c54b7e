// Package redact removes credentials from text before it leaves the process: the
// password of every URL (net/url.URL.Redacted's rule: "https://alice:xxxxx@host"),
// the value of Authorization and Proxy-Authorization headers, and every secret the
// process registered when it read one (a .netrc password, the credentials GOAUTH
// gave, a URL's password, and the Basic authorization header each makes).
//
// Text output, JSON output, errors and logs pass through Text (internal/cli's Quote
// applies it); a domain package that builds a URL for a report applies URL. Both are
// safe for concurrent use.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Mask replaces a secret.
const Mask = "xxxxx"

// MinSecret is the length below which Register ignores a secret: masking every "ab"
// would garble output without protecting anything a guess would not find.
const MinSecret = 4

var (
	mu      sync.RWMutex
	secrets []string // longest first, so that a secret containing another is masked whole
)

// Register adds secrets that Text masks wherever they appear, for the life of the
// process, in their JSON-escaped form too (a password holding '"' or '\' is written
// differently in JSON output). Secrets shorter than MinSecret are ignored.
func Register(secret ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, s := range secret {
		if len(s) < MinSecret {
			continue
		}
		forms := []string{s}
		if b, err := json.Marshal(s); err == nil && string(b[1:len(b)-1]) != s {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		for _, f := range forms {
			if !contains(secrets, f) {
				secrets = append(secrets, f)
			}
		}
	}
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
}

// RegisterBasic registers a login's password and the Basic authorization that carries
// it (base64 of "login:password"), which a server may echo back in an error.
func RegisterBasic(login, password string) {
	if password == "" {
		return
	}
	Register(password, base64.StdEncoding.EncodeToString([]byte(login+":"+password)))
}

// RegisterURL registers the credentials in a URL's user information (its password,
// and the Basic authorization Go's HTTP client makes of it), so that a server echoing
// them is masked too. A URL without a password registers nothing.
func RegisterURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return
	}
	if p, ok := u.User.Password(); ok {
		RegisterBasic(u.User.Username(), p)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// URL returns raw with its password masked, as url.URL.Redacted does; text that is
// not one URL is passed through Text.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || strings.ContainsAny(raw, " \t\r\n") {
		return Text(raw)
	}
	if _, ok := u.User.Password(); !ok {
		return Text(raw)
	}
	return Text(u.Redacted())
}

// Text returns s with every credential it recognises masked: the password of every
// URL in it (scheme://user:password@host; the user name stays, as url.URL.Redacted
// keeps it), the value of Authorization and Proxy-Authorization headers (to the end
// of the line), and every registered secret. Text without any is returned as it is.
func Text(s string) string {
	if strings.Contains(s, "://") {
		s = urlPasswords(s)
	}
	if indexFold(s, header) >= 0 {
		s = headers(s)
	}
	mu.RLock()
	defer mu.RUnlock()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

// Writer returns a writer that writes to w what Text makes of each write. A JSON
// encoder writes each value in one call, so a value is masked whole. A write with
// nothing to mask goes to w as it is, without a copy.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (x writer) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return x.w.Write(b)
	}
	// Text reads the bytes as a string for the length of this call only; it returns
	// that same string when it masks nothing.
	s := unsafe.String(unsafe.SliceData(b), len(b))
	t := Text(s)
	if len(t) == len(s) && unsafe.StringData(t) == unsafe.StringData(s) {
		return x.w.Write(b)
	}
	if _, err := io.WriteString(x.w, t); err != nil {
		return 0, err
	}
	return len(b), nil
}

// urlPasswords masks the password of every URL in s. A URL's authority ends at the
// first '/', '?', '#', white space or quote; its user information is what precedes
// the last '@' in it (as net/url reads it), and its password what follows the first
// ':' of that.
func urlPasswords(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is written
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		start := i + j + 3
		end := start + strings.IndexFunc(s[start:], endsAuthority)
		if end < start {
			end = len(s)
		}
		// The next URL may start inside this authority ("a://b:c@d,e://...").
		i = start
		auth := s[start:end]
		at := strings.LastIndexByte(auth, '@')
		colon := strings.IndexByte(auth, ':')
		if at < 0 || colon < 0 || colon > at || auth[colon+1:at] == Mask || start+colon+1 < last {
			continue
		}
		b.WriteString(s[last : start+colon+1])
		b.WriteString(Mask)
		last = start + at
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func endsAuthority(r rune) bool {
	switch r {
	case '/', '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>':
		return true
	}
	return false
}

// headers masks the value of every Authorization and Proxy-Authorization header in s
// ("Authorization: Basic ..." to the end of the line; the scheme word stays).
func headers(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := indexFold(s[i:], header)
		if j < 0 {
			break
		}
		k := i + j + len(header)
		// Optional spaces, then ':' or '='.
		for k < len(s) && (s[k] == ' ' || s[k] == '"') {
			k++
		}
		if k >= len(s) || s[k] != ':' && s[k] != '=' {
			i = k
			continue
		}
		k++
		for k < len(s) && (s[k] == ' ' || s[k] == '"') {
			k++
		}
		// Keep a scheme word (Basic, Bearer) when a value follows it.
		if w := strings.IndexAny(s[k:], " \r\n"); w > 0 && s[k+w] == ' ' && isScheme(s[k:k+w]) {
			k += w + 1
		}
		// The value ends at the line's end, or at a quote or backslash (in JSON, so
		// that an escaped quote stays escaped).
		end := k + strings.IndexAny(s[k:], "\r\n\"\\")
		if end < k {
			end = len(s)
		}
		if end > k {
			b.WriteString(s[last:k])
			b.WriteString(Mask)
			last = end
		}
		i = end
		if i >= len(s) {
			break
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// header ends the names of the Authorization and Proxy-Authorization headers.
const header = "authorization"

// indexFold is strings.Index ignoring ASCII case, for a lower-case ASCII substr,
// without allocating. It finds candidates by the first byte of substr that is a
// letter rare in text (z, q, x, j, k, v: 'z' for "authorization"), else the first
// byte, in both cases with strings.IndexByte, and compares around them.
func indexFold(s, substr string) int {
	if len(substr) == 0 {
		return 0
	}
	at := strings.IndexAny(substr, "zqxjkv")
	if at < 0 {
		at = 0
	}
	lo := substr[at]
	up := lo
	if 'a' <= lo && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	// Candidates: positions i of s where s[i] could be substr[at]; the match starts at
	// i-at and must fit in s.
	for i := at; i+len(substr)-at <= len(s); {
		rest := s[i : len(s)-(len(substr)-at)+1]
		j := strings.IndexByte(rest, lo)
		if up != lo {
			if k := strings.IndexByte(rest, up); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		i += j
		if start := i - at; strings.EqualFold(s[start:start+len(substr)], substr) {
			return start
		}
		i++
	}
	return -1
}

func isScheme(w string) bool {
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return w != ""
}

// Setting returns a Go or environment setting's value fit to show: Text of it, and for
// GOAUTH (cmd/go runs its commands to get credentials) every command's arguments
// masked, since they may carry a token; the keywords off, netrc and git DIR stay.
func Setting(name, value string) string {
	if name != "GOAUTH" {
		return Text(value)
	}
	parts := strings.Split(value, ";")
	for i, c := range parts {
		w := strings.Fields(c)
		if len(w) < 2 || w[0] == "git" {
			continue
		}
		parts[i] = w[0] + " " + Mask
	}
	return Text(strings.Join(parts, ";"))
}

// RegisterSetting registers the secrets a setting carries: the passwords of the URLs
// in it (GOPROXY, GOSUMDB, HTTPS_PROXY) and the arguments of GOAUTH's commands.
func RegisterSetting(name, value string) {
	if name == "GOAUTH" {
		for _, c := range strings.Split(value, ";") {
			if w := strings.Fields(c); len(w) > 1 && w[0] != "git" {
				Register(w[1:]...)
			}
		}
		return
	}
	for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == '|' || r == ' ' }) {
		RegisterURL(f)
	}
}
