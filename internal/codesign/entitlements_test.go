package codesign

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
)

// plistXML wraps a dict's members in a property list.
func plistXML(members string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>` + members + "</dict></plist>\n")
}

// TestEntitlementsDER encodes entitlements as codesign does: the expected bytes are
// the DER that Apple's codesign --generate-entitlement-der wrote for each property
// list, as apple-codesign's plist_der.rs records them (its test vectors).
func TestEntitlementsDER(t *testing.T) {
	for _, tc := range []struct {
		members string
		want    []byte
	}{
		{``, []byte{112, 5, 2, 1, 1, 176, 0}},
		{`<key>key</key><false/>`, []byte{112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 1, 1, 0}},
		{`<key>key</key><true/>`, []byte{112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 1, 1, 255}},
		{`<key>key</key><integer>0</integer>`, []byte{112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 2, 1, 0}},
		{`<key>key</key><integer>-1</integer>`, []byte{112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 2, 1, 255}},
		{`<key>key</key><integer>42</integer>`, []byte{112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 2, 1, 42}},
		{`<key>key</key><string></string>`, []byte{112, 14, 2, 1, 1, 176, 9, 48, 7, 12, 3, 107, 101, 121, 12, 0}},
		{`<key>key</key><string>value</string>`, []byte{112, 19, 2, 1, 1, 176, 14, 48, 12, 12, 3, 107, 101, 121, 12, 5, 118, 97, 108, 117, 101}},
		{`<key>key</key><array/>`, []byte{112, 14, 2, 1, 1, 176, 9, 48, 7, 12, 3, 107, 101, 121, 48, 0}},
		{`<key>key</key><array><false/></array>`, []byte{112, 17, 2, 1, 1, 176, 12, 48, 10, 12, 3, 107, 101, 121, 48, 3, 1, 1, 0}},
		{`<key>key</key><array><true/><string>foo</string></array>`, []byte{112, 22, 2, 1, 1, 176, 17, 48, 15, 12, 3, 107, 101, 121, 48, 8, 1, 1, 255, 12, 3, 102, 111, 111}},
		{`<key>key</key><dict/>`, []byte{112, 14, 2, 1, 1, 176, 9, 48, 7, 12, 3, 107, 101, 121, 176, 0}},
		{`<key>key</key><dict><key>inner</key><false/></dict>`, []byte{112, 26, 2, 1, 1, 176, 21, 48, 19, 12, 3, 107, 101, 121, 176, 12, 48, 10, 12, 5, 105, 110, 110, 101, 114, 1, 1, 0}},
		// Keys are sorted, whatever their order in the file.
		{`<key>key3</key><integer>42</integer><key>key</key><false/><key>key2</key><true/>`, []byte{112, 37, 2, 1, 1, 176, 32, 48, 8, 12, 3, 107, 101, 121, 1, 1, 0, 48, 9, 12, 4, 107, 101, 121, 50, 1, 1, 255, 48, 9, 12, 4, 107, 101, 121, 51, 2, 1, 42}},
	} {
		v, err := parsePlist(plistXML(tc.members))
		if err != nil {
			t.Errorf("%s: %v", tc.members, err)
			continue
		}
		got, err := entitlementsDER(v)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: DER %v (%v)\nwant %v", tc.members, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		`<key>key</key><real>1.0</real>`, `<key>key</key><data>AAAA</data>`, `<key>key</key><date>2026-01-01T00:00:00Z</date>`,
		`<key>key</key><true/><key>key</key><false/>`, `<key>key</key>`, `<true/>`, `<key>key</key><integer>0x10</integer>`,
		`<key>key</key><string>a</string>text`, `<key>key</key><thing/>`,
	} {
		v, err := parsePlist(plistXML(bad))
		if err == nil {
			_, err = entitlementsDER(v)
		}
		if !errors.Is(err, ErrEntitlements) {
			t.Errorf("%s: %v, want an ErrEntitlements", bad, err)
		}
	}
	if _, err := parsePlist([]byte(`<plist><array/></plist>`)); !errors.Is(err, ErrEntitlements) {
		t.Errorf("an array at the root: %v", err)
	}
}

// decodeDERPlist is the tests' own reader of DER entitlements (encoding/asn1), to Go
// values: map[string]any, []any, string, bool, int64.
func decodeDERPlist(t *testing.T, der []byte) map[string]any {
	t.Helper()
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &outer); err != nil || len(rest) > 0 || outer.Class != asn1.ClassApplication || outer.Tag != 16 {
		t.Fatalf("not [APPLICATION 16]: %v", err)
	}
	var version int
	rest, err := asn1.Unmarshal(outer.Bytes, &version)
	if err != nil || version != 1 {
		t.Fatalf("version %d: %v", version, err)
	}
	var value func(raw asn1.RawValue) any
	value = func(raw asn1.RawValue) any {
		switch {
		case raw.Class == asn1.ClassContextSpecific && raw.Tag == 16:
			m := map[string]any{}
			var last string
			for in := raw.Bytes; len(in) > 0; {
				var pair, k, v asn1.RawValue
				in, _ = asn1.Unmarshal(in, &pair)
				r, _ := asn1.Unmarshal(pair.Bytes, &k)
				asn1.Unmarshal(r, &v)
				if k.Tag != asn1.TagUTF8String || string(k.Bytes) <= last && len(m) > 0 {
					t.Fatalf("key %q (tag %d) out of order after %q", k.Bytes, k.Tag, last)
				}
				last = string(k.Bytes)
				m[last] = value(v)
			}
			return m
		case raw.Tag == asn1.TagSequence:
			a := []any{}
			for in := raw.Bytes; len(in) > 0; {
				var v asn1.RawValue
				in, _ = asn1.Unmarshal(in, &v)
				a = append(a, value(v))
			}
			return a
		case raw.Tag == asn1.TagUTF8String:
			return string(raw.Bytes)
		case raw.Tag == asn1.TagBoolean:
			return raw.Bytes[0] != 0
		case raw.Tag == asn1.TagInteger:
			return new(big.Int).SetBytes(raw.Bytes).Int64()
		}
		t.Fatalf("tag %d class %d", raw.Tag, raw.Class)
		return nil
	}
	var dict asn1.RawValue
	asn1.Unmarshal(rest, &dict)
	m, ok := value(dict).(map[string]any)
	if !ok {
		t.Fatal("the root is not a dict")
	}
	return m
}

// TestEntitlementsDERSigned: with entitlements, the signature holds the DER blob in
// slot 7, hashed in the CodeDirectory's special slots; exe's reader (inspect's) reads
// its keys and get-task-allow, and the tests' own DER reader its values, which are
// the XML's.
func TestEntitlementsDERSigned(t *testing.T) {
	in := darwinGo(t, "arm64")
	ent := plistXML(`
	<key>com.apple.security.get-task-allow</key><true/>
	<key>com.apple.security.cs.allow-jit</key><true/>
	<key>com.apple.security.application-groups</key><array><string>ABCDE12345.group</string><string>b &amp; c</string></array>
	<key>com.example.level</key><integer>3</integer>
	<key>com.example.nested</key><dict><key>on</key><false/></dict>`)
	out, res, err := Sign(in, "hello", Options{Entitlements: ent})
	if err != nil {
		t.Fatal(err)
	}
	sig := mustVerify(t, in, out, res)[0]
	der := sig.slots[slotEntDER]
	if der == nil || sig.cds[0].nSpecial < slotEntDER {
		t.Fatalf("no DER entitlements blob hashed in slot 7 (%d special slots)", sig.cds[0].nSpecial)
	}
	want := map[string]any{
		"com.apple.security.get-task-allow":     true,
		"com.apple.security.cs.allow-jit":       true,
		"com.apple.security.application-groups": []any{"ABCDE12345.group", "b & c"},
		"com.example.level":                     int64(3),
		"com.example.nested":                    map[string]any{"on": false},
	}
	if got := decodeDERPlist(t, der[8:]); !reflect.DeepEqual(got, want) {
		t.Errorf("DER entitlements %v\nwant %v", got, want)
	}
	// exe reads the XML blob first: with its magic broken, it reads the DER one.
	broken := bytes.Clone(out)
	x := bytes.Index(broken, sig.slots[slotEntitlements])
	broken[x+3] ^= 0xff
	f := exe.Read(context.Background(), bytes.NewReader(broken), int64(len(broken)), exe.Options{HeadersOnly: true})
	if f.Err != nil || len(f.Slices) != 1 || f.Slices[0].Signature == nil {
		t.Fatalf("exe.Read: %v", f.Err)
	}
	s := f.Slices[0].Signature
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(s.Entitlements, keys) || !s.GetTaskAllow {
		t.Errorf("exe reads the DER entitlements as %q, get-task-allow %v; want %q", s.Entitlements, s.GetTaskAllow, keys)
	}
	// Re-signed without --entitlements, both blobs stay.
	out2, res2, err := Sign(out, "hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sig2 := mustVerify(t, out, out2, res2)[0]
	if !bytes.Equal(sig2.slots[slotEntDER], der) || !bytes.Equal(sig2.slots[slotEntitlements], sig.slots[slotEntitlements]) {
		t.Error("re-signing dropped or changed the entitlements")
	}
	if _, _, err := Sign(in, "hello", Options{Entitlements: plistXML(`<key>k</key><real>1</real>`)}); !errors.Is(err, ErrEntitlements) ||
		!strings.Contains(err.Error(), "<real>") {
		t.Errorf("a <real> entitlement: %v", err)
	}
}
