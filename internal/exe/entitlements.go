package exe

import (
	"bytes"
	"encoding/asn1"
	"encoding/xml"
	"errors"
	"io"
	"slices"
)

// GetTaskAllow is the entitlement that lets a debugger attach (Xcode's development
// builds carry it): notarization refuses a binary that has it set to true.
const GetTaskAllow = "com.apple.security.get-task-allow"

// entitlements are the keys of a signature's entitlements dictionary and whether
// get-task-allow is true.
type entitlements struct {
	keys         []string
	getTaskAllow bool
}

// maxEntitlementKeys bounds the keys kept.
const maxEntitlementKeys = 256

// parseXMLEntitlements reads the XML property list of an entitlements blob (slot 5,
// magic 0xfade7171): the keys of its top-level dict.
func parseXMLEntitlements(b []byte) (entitlements, error) {
	var e entitlements
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth := 0       // of elements inside <plist>
	inKey := false   // inside a top-level <key>
	var last string  // the last top-level key
	var key []byte   // text of the key being read
	sawDict := false // the top-level dict was opened
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return e, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && t.Name.Local == "dict":
				sawDict = true
			case depth == 3 && t.Name.Local == "key":
				inKey, key = true, key[:0]
			case depth == 3 && t.Name.Local == "true" && last == GetTaskAllow:
				e.getTaskAllow = true
			}
		case xml.EndElement:
			if inKey && depth == 3 {
				inKey = false
				last = string(key)
				if len(e.keys) < maxEntitlementKeys {
					e.keys = append(e.keys, last)
				}
			}
			depth--
		case xml.CharData:
			if inKey {
				key = append(key, t...)
			}
		}
	}
	if !sawDict {
		return e, errors.New("no dict in the entitlements property list")
	}
	slices.Sort(e.keys)
	return e, nil
}

// parseDEREntitlements reads the DER entitlements of slot 7 (magic 0xfade7172), as
// Apple's CoreEntitlements encode them: [APPLICATION 16] { INTEGER version, [16]
// dict { SEQUENCE { UTF8String key, value } ... } }.
func parseDEREntitlements(b []byte) (entitlements, error) {
	var e entitlements
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(b, &outer); err != nil {
		return e, err
	}
	if outer.Class != asn1.ClassApplication || outer.Tag != 16 {
		return e, errors.New("DER entitlements: not [APPLICATION 16]")
	}
	var version int
	rest, err := asn1.Unmarshal(outer.Bytes, &version)
	if err != nil {
		return e, err
	}
	var dict asn1.RawValue
	if _, err := asn1.Unmarshal(rest, &dict); err != nil {
		return e, err
	}
	if dict.Class != asn1.ClassContextSpecific || dict.Tag != 16 {
		return e, errors.New("DER entitlements: no dict")
	}
	for in := dict.Bytes; len(in) > 0; {
		var pair asn1.RawValue
		if in, err = asn1.Unmarshal(in, &pair); err != nil {
			return e, err
		}
		var key string
		val, err := asn1.UnmarshalWithParams(pair.Bytes, &key, "utf8")
		if err != nil {
			return e, err
		}
		if len(e.keys) < maxEntitlementKeys {
			e.keys = append(e.keys, key)
		}
		if key == GetTaskAllow {
			var v bool
			if _, err := asn1.Unmarshal(val, &v); err == nil && v {
				e.getTaskAllow = true
			}
		}
	}
	slices.Sort(e.keys)
	return e, nil
}
