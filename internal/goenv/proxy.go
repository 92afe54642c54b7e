package goenv

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/note"
)

// Special GOPROXY list entries.
const (
	ProxyDirect = "direct" // fetch from the origin (version control or the download site)
	ProxyOff    = "off"    // fail every fetch
)

// Proxy is one entry of a GOPROXY list.
type Proxy struct {
	// URL is the proxy's base URL (https://, http:// or file://), or ProxyDirect or
	// ProxyOff.
	URL string `json:"url"`
	// FallBackOnError is true when the entry was followed by '|': any error moves on
	// to the next entry. After ',' only "not found" (HTTP 404 or 410) does.
	FallBackOnError bool `json:"fall_back_on_error,omitempty"`
}

// IsDirect reports whether p is the "direct" entry; IsOff whether it is "off".
func (p Proxy) IsDirect() bool { return p.URL == ProxyDirect }

// IsOff reports whether p is the "off" entry.
func (p Proxy) IsOff() bool { return p.URL == ProxyOff }

// IsFile reports whether p is a file:// proxy (a directory laid out as a proxy).
func (p Proxy) IsFile() bool { return strings.HasPrefix(p.URL, "file://") }

// Next reports whether, after p failed with err, the list moves on to the next entry:
// always after '|', and after ',' only when notFound (the fetch returned 404 or 410,
// or the file does not exist). This is cmd/go's modfetch.TryProxies rule.
func (p Proxy) Next(notFound bool) bool { return p.FallBackOnError || notFound }

// ParseGOPROXY parses a GOPROXY value with cmd/go's rules
// (cmd/go/internal/modfetch/proxy.go, proxyList): entries are separated by ',' or '|',
// blank entries are skipped, "direct" and "off" end the list (anything after them is
// ignored), an entry with a dot, colon or slash that is neither a URL (":/") nor an
// absolute path gets "https://" prepended, and only https, http and file URLs are
// accepted. An empty value returns no entries and no error: the caller decides the
// default (`go env GOPROXY` knows it).
func ParseGOPROXY(value string) ([]Proxy, error) {
	if value == "" {
		return nil, nil
	}
	var list []Proxy
	for rest := value; rest != ""; {
		var entry string
		fallBack := false
		if i := strings.IndexAny(rest, ",|"); i >= 0 {
			entry, fallBack, rest = rest[:i], rest[i] == '|', rest[i+1:]
		} else {
			entry, rest = rest, ""
		}
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if entry == ProxyOff || entry == ProxyDirect {
			list = append(list, Proxy{URL: entry})
			break
		}
		if strings.ContainsAny(entry, ".:/") && !strings.Contains(entry, ":/") && !filepath.IsAbs(entry) && !path.IsAbs(entry) {
			entry = "https://" + entry
		}
		u, err := url.Parse(entry)
		if err != nil {
			return nil, fmt.Errorf("invalid GOPROXY entry %q: %w", entry, err)
		}
		switch u.Scheme {
		case "http", "https", "file":
		case "":
			return nil, fmt.Errorf("invalid GOPROXY entry %q: not a URL, \"direct\" or \"off\"", entry)
		default:
			return nil, fmt.Errorf("invalid GOPROXY entry %q: scheme must be https, http or file", entry)
		}
		list = append(list, Proxy{URL: strings.TrimSuffix(entry, "/"), FallBackOnError: fallBack})
	}
	if len(list) == 0 {
		return nil, errors.New("GOPROXY list is not the empty string, but contains no entries")
	}
	return list, nil
}

// FileProxyDir returns the local directory of a file:// proxy URL.
func FileProxyDir(proxyURL string) (string, error) {
	u, err := url.Parse(proxyURL)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("not a file:// URL: %q", proxyURL)
	}
	p := u.Path
	// file:///C:/dir on Windows.
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p), nil
}

// SumDB is a parsed GOSUMDB setting.
type SumDB struct {
	// Off is true for GOSUMDB=off: nothing is verified.
	Off bool `json:"off,omitempty"`
	// Name is the database name (the verifier key's name, host[/path]).
	Name string `json:"name,omitempty"`
	// Key is the full verifier key, "name+hash+keydata".
	Key string `json:"key,omitempty"`
	// URL is the explicit base URL from "key url"; empty means: through a proxy that
	// supports /sumdb/<name>/, else https://<name>.
	URL string `json:"url,omitempty"`
	// BuiltinKey is true when Key was not in GOSUMDB but is the key cmd/go knows for
	// the default database.
	BuiltinKey bool `json:"builtin_key,omitempty"`
}

// defaultSumDBKey is the hash and public key of the default checksum database, as
// cmd/go's modfetch/key.go (knownGOSUMDB) holds it, without the database name: the name
// comes from GOSUMDB (`go env GOSUMDB`), and note.NewVerifier checks that the name
// hashes to the key hash, so only the right name is accepted.
const defaultSumDBKey = "033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

// sumDBAliasSuffix marks the mainland China alias of the default database:
// cmd/go's modfetch/sumdb.go (dbDial) treats GOSUMDB=<that host> as
// "<default name> https://<that host>". The alias is the default name with its ".org"
// replaced by this suffix.
const sumDBAliasSuffix = ".google.cn"

// ParseGOSUMDB parses a GOSUMDB value the way cmd/go does (modfetch/sumdb.go, dbDial):
// "off"; "key"; or "key url", where key is either a full verifier key
// "name+hash+keydata" or the bare name of the default database (whose key is built
// in); the mainland China alias of the default database stands for the default
// database reached at the alias. An empty value is an error: the caller supplies the
// default from `go env GOSUMDB`.
func ParseGOSUMDB(value string) (SumDB, error) {
	value = strings.TrimSpace(value)
	if value == "off" {
		return SumDB{Off: true}, nil
	}
	f := strings.Fields(value)
	switch {
	case len(f) == 0:
		return SumDB{}, errors.New("missing GOSUMDB")
	case len(f) > 2:
		return SumDB{}, fmt.Errorf("invalid GOSUMDB %q: too many fields", value)
	}
	db := SumDB{Key: f[0]}
	if len(f) == 2 {
		db.URL = f[1]
	}
	if !strings.Contains(db.Key, "+") {
		name := db.Key
		if base, ok := strings.CutSuffix(name, sumDBAliasSuffix); ok && len(f) == 1 {
			if k := name + "+" + defaultSumDBKey; !verifies(k) && verifies(base+".org+"+defaultSumDBKey) {
				db.URL = "https://" + name
				name = base + ".org"
			}
		}
		k := name + "+" + defaultSumDBKey
		if !verifies(k) {
			return SumDB{}, fmt.Errorf("invalid GOSUMDB %q: no key for database %q (give the full key: name+hash+key)", value, name)
		}
		db.Key, db.BuiltinKey = k, true
	}
	v, err := note.NewVerifier(db.Key)
	if err != nil {
		return SumDB{}, fmt.Errorf("invalid GOSUMDB %q: %w", value, err)
	}
	db.Name = v.Name()
	direct, err := url.Parse("https://" + db.Name)
	if err != nil || strings.HasSuffix(db.Name, "/") || direct.Host == "" || direct.RawPath != "" ||
		*direct != (url.URL{Scheme: "https", Host: direct.Host, Path: direct.Path}) {
		return SumDB{}, fmt.Errorf("invalid GOSUMDB %q: database name must be host[/path]: %s", value, db.Name)
	}
	if db.URL != "" {
		if _, err := url.Parse(db.URL); err != nil {
			return SumDB{}, fmt.Errorf("invalid GOSUMDB URL %q: %w", db.URL, err)
		}
	}
	return db, nil
}

func verifies(key string) bool {
	_, err := note.NewVerifier(key)
	return err == nil
}

// DirectURL is the database's own URL, used when no proxy passes it through:
// db.URL when GOSUMDB named one, else https://<name>.
func (db SumDB) DirectURL() string {
	if db.URL != "" {
		return strings.TrimSuffix(db.URL, "/")
	}
	return "https://" + db.Name
}

// NoSumDBPatterns returns the effective GONOSUMDB patterns: GONOSUMDB, or GOPRIVATE when
// GONOSUMDB is unset (cmd/go/internal/cfg). getenv returns "" for unset variables.
func NoSumDBPatterns(getenv func(string) string) string {
	if v := getenv("GONOSUMDB"); v != "" {
		return v
	}
	return getenv("GOPRIVATE")
}

// NoProxyPatterns returns the effective GONOPROXY patterns: GONOPROXY, or GOPRIVATE when
// GONOPROXY is unset.
func NoProxyPatterns(getenv func(string) string) string {
	if v := getenv("GONOPROXY"); v != "" {
		return v
	}
	return getenv("GOPRIVATE")
}

// SumDBChecks reports whether cmd/go checks module path modPath against the checksum
// database: GOSUMDB is not off and no GONOSUMDB pattern (see NoSumDBPatterns) matches
// (module.MatchPrefixPatterns: comma-separated globs matching a path prefix).
// cmd/go always checks the toolchain module unless GOPROXY is a single file:// URL; a
// caller installing toolchains applies that rule itself.
func SumDBChecks(db SumDB, noSumDB, modPath string) bool {
	return !db.Off && !module.MatchPrefixPatterns(noSumDB, modPath)
}
