package exe

import (
	"slices"
	"testing"
)

const xmlEntitlements = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>com.apple.security.get-task-allow</key>
	<true/>
	<key>com.apple.security.cs.allow-jit</key>
	<true/>
	<key>nested</key>
	<dict><key>inner</key><true/></dict>
</dict>
</plist>`

// derEntitlements is the DER form of {get-task-allow: true, allow-jit: false}, as
// CoreEntitlements encodes it (written out by hand from its layout).
var derEntitlements = func() []byte {
	pair := func(k string, v bool) []byte {
		b := byte(0)
		if v {
			b = 0xff
		}
		in := append([]byte{0x0c, byte(len(k))}, k...)
		in = append(in, 0x01, 0x01, b)
		return append([]byte{0x30, byte(len(in))}, in...)
	}
	d := append(pair("com.apple.security.cs.allow-jit", false), pair(GetTaskAllow, true)...)
	dict := append([]byte{0xb0, byte(len(d))}, d...)
	in := append([]byte{0x02, 0x01, 0x01}, dict...)
	return append([]byte{0x70, byte(len(in))}, in...)
}()

// TestEntitlements: both encodings give the top-level keys, sorted, and whether
// get-task-allow is true; a nested dict's keys are not the top level's.
func TestEntitlements(t *testing.T) {
	want := []string{"com.apple.security.cs.allow-jit", GetTaskAllow}
	x, err := parseXMLEntitlements([]byte(xmlEntitlements))
	if err != nil || !x.getTaskAllow || !slices.Equal(x.keys, append(want[:1:1], GetTaskAllow, "nested")) {
		t.Errorf("XML: %+v %v", x, err)
	}
	d, err := parseDEREntitlements(derEntitlements)
	if err != nil || !d.getTaskAllow || !slices.Equal(d.keys, want) {
		t.Errorf("DER: %+v %v", d, err)
	}
	if e, err := parseXMLEntitlements([]byte(`<plist><dict><key>` + GetTaskAllow + `</key><false/></dict></plist>`)); err != nil || e.getTaskAllow {
		t.Errorf("get-task-allow false: %+v %v", e, err)
	}
}

// FuzzEntitlements: the parsers never panic, and what they return is consistent:
// keys sorted and bounded, get-task-allow true only when it is one of the keys.
func FuzzEntitlements(f *testing.F) {
	f.Add([]byte(xmlEntitlements))
	f.Add(derEntitlements)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (entitlements, error){parseXMLEntitlements, parseDEREntitlements} {
			e, err := parse(b)
			if err != nil {
				continue
			}
			if !slices.IsSorted(e.keys) || len(e.keys) > maxEntitlementKeys {
				t.Fatalf("keys %q", e.keys)
			}
			if e.getTaskAllow && !slices.Contains(e.keys, GetTaskAllow) && len(e.keys) < maxEntitlementKeys {
				t.Fatalf("get-task-allow true without the key: %q", e.keys)
			}
		}
	})
}
