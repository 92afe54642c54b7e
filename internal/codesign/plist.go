package codesign

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// plistKind is the type of a property list value.
type plistKind int

// The kinds of property list values (Apple's PropertyList-1.0 DTD).
const (
	plistBool plistKind = iota
	plistInteger
	plistString
	plistArray
	plistDict
	plistData
	plistReal
	plistDate
)

var plistKindNames = map[string]plistKind{
	"true": plistBool, "false": plistBool, "integer": plistInteger, "string": plistString,
	"array": plistArray, "dict": plistDict, "data": plistData, "real": plistReal, "date": plistDate,
}

// plistValue is one value of an XML property list.
type plistValue struct {
	kind plistKind
	b    bool
	i    *big.Int
	s    string // string, and the text of data, real and date
	arr  []plistValue
	keys []string // dict keys, in file order (unique)
	vals []plistValue
}

// maxPlistDepth bounds the nesting of arrays and dicts.
const maxPlistDepth = 32

// parsePlist reads an XML property list whose root is a dict (what entitlements
// are). It is strict: one root value, known elements, keys before values, no
// duplicate keys, no text outside values.
func parsePlist(b []byte) (plistValue, error) {
	if len(b) > maxEntitlements {
		return plistValue{}, fmt.Errorf("%w: %d bytes, more than %d", ErrEntitlements, len(b), maxEntitlements)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	root, err := func() (plistValue, error) {
		start, err := nextStart(d)
		if err != nil {
			return plistValue{}, err
		}
		if start.Name.Local != "plist" {
			return plistValue{}, fmt.Errorf("the root element is <%s>, not <plist>", start.Name.Local)
		}
		start, err = nextStart(d)
		if err != nil {
			return plistValue{}, err
		}
		v, err := readPlistValue(d, start, 0)
		if err != nil {
			return v, err
		}
		if v.kind != plistDict {
			return v, fmt.Errorf("the plist holds a <%s>, not a <dict>", start.Name.Local)
		}
		if err := expectEnd(d); err != nil {
			return v, err
		}
		return v, nil
	}()
	if err != nil {
		return root, fmt.Errorf("%w: %v", ErrEntitlements, err)
	}
	return root, nil
}

// nextStart returns the next start element, skipping white space, comments,
// processing instructions and the doctype.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("no value where one was expected")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("</%s> where a value was expected", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, fmt.Errorf("text %q outside a value", truncate(string(t)))
			}
		}
	}
}

// expectEnd reads to the end of the enclosing element: nothing but white space and
// comments may come first.
func expectEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			return fmt.Errorf("<%s> after the value", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text %q after the value", truncate(string(t)))
			}
		}
	}
}

// readPlistValue reads the value that start opens, through its end element.
func readPlistValue(d *xml.Decoder, start xml.StartElement, depth int) (plistValue, error) {
	name := start.Name.Local
	kind, ok := plistKindNames[name]
	if !ok {
		return plistValue{}, fmt.Errorf("<%s> is not a property list value", name)
	}
	v := plistValue{kind: kind}
	switch kind {
	case plistBool:
		v.b = name == "true"
		return v, expectEnd(d)
	case plistArray, plistDict:
		if depth >= maxPlistDepth {
			return v, fmt.Errorf("nested more than %d deep", maxPlistDepth)
		}
		return v, readContainer(d, &v, depth)
	}
	var text []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return v, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text = append(text, t...)
			continue
		case xml.StartElement:
			return v, fmt.Errorf("<%s> inside <%s>", t.Name.Local, name)
		case xml.EndElement:
		default:
			continue
		}
		break
	}
	v.s = string(text)
	switch kind {
	case plistInteger:
		n, ok := new(big.Int).SetString(strings.TrimSpace(v.s), 10)
		if !ok {
			return v, fmt.Errorf("<integer> %q is not a decimal integer", truncate(v.s))
		}
		v.i = n
	case plistData:
		if _, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.s), "")); err != nil {
			return v, fmt.Errorf("<data> is not base64: %v", err)
		}
	}
	return v, nil
}

// readContainer reads the members of an array or dict v.
func readContainer(d *xml.Decoder, v *plistValue, depth int) error {
	var key *string
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if key != nil {
				return fmt.Errorf("the key %q has no value", truncate(*key))
			}
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text %q between values", truncate(string(t)))
			}
		case xml.StartElement:
			if v.kind == plistDict && key == nil {
				if t.Name.Local != "key" {
					return fmt.Errorf("<%s> where a <key> was expected", t.Name.Local)
				}
				k, err := readKey(d)
				if err != nil {
					return err
				}
				if slices.Contains(v.keys, k) {
					return fmt.Errorf("the key %q is there twice", truncate(k))
				}
				key = &k
				continue
			}
			m, err := readPlistValue(d, t, depth+1)
			if err != nil {
				return err
			}
			if v.kind == plistArray {
				v.arr = append(v.arr, m)
				continue
			}
			v.keys, v.vals = append(v.keys, *key), append(v.vals, m)
			key = nil
		}
	}
}

// readKey reads a <key>'s text.
func readKey(d *xml.Decoder) (string, error) {
	var text []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text = append(text, t...)
		case xml.StartElement:
			return "", fmt.Errorf("<%s> inside <key>", t.Name.Local)
		case xml.EndElement:
			return string(text), nil
		}
	}
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// entitlementFlags checks that ent is an XML property list whose root is a dict and
// returns the exec-segment flags its true booleans ask for.
func entitlementFlags(ent []byte) (uint64, error) {
	v, err := parsePlist(ent)
	if err != nil {
		return 0, err
	}
	return v.execSegFlags(), nil
}

// execSegFlags are the exec-segment flags the top-level true booleans of the
// entitlements dict v ask for.
func (v plistValue) execSegFlags() uint64 {
	var flags uint64
	for i, k := range v.keys {
		if v.vals[i].kind == plistBool && v.vals[i].b {
			flags |= entitlementExecSeg[k]
		}
	}
	return flags
}

// entitlementsDER is the DER form of the entitlements dict v, the payload of the DER
// entitlements blob (0xfade7172) codesign writes for macOS 12 and later, as Apple's
// CoreEntitlements encode a property list (apple-codesign's plist_der.rs, whose test
// vectors come from codesign --generate-entitlement-der): [APPLICATION 16] {
// INTEGER 1, value }, a dict [CONTEXT 16] { SEQUENCE { UTF8String key, value } ... }
// sorted by key, an array a SEQUENCE, a string a UTF8String, true and false a
// BOOLEAN, an integer an INTEGER. data, real and date values have no DER form
// (codesign refuses them too).
func entitlementsDER(v plistValue) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	var bad error
	b.AddASN1(cbasn1.Tag(16)|0x40|0x20, func(b *cryptobyte.Builder) { // [APPLICATION 16], constructed
		b.AddASN1Int64(1)
		bad = addPlistDER(b, v)
	})
	if bad != nil {
		return nil, fmt.Errorf("%w: %v", ErrEntitlements, bad)
	}
	return b.Bytes()
}

// addPlistDER adds the DER of v.
func addPlistDER(b *cryptobyte.Builder, v plistValue) error {
	var err error
	switch v.kind {
	case plistBool:
		b.AddASN1Boolean(v.b)
	case plistInteger:
		b.AddASN1BigInt(v.i)
	case plistString:
		b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(v.s)) })
	case plistArray:
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, m := range v.arr {
				if e := addPlistDER(b, m); e != nil && err == nil {
					err = e
				}
			}
		})
	case plistDict:
		order := make([]int, len(v.keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(x, y int) int { return strings.Compare(v.keys[x], v.keys[y]) })
		b.AddASN1(cbasn1.Tag(16).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			for _, i := range order {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(v.keys[i])) })
					if e := addPlistDER(b, v.vals[i]); e != nil && err == nil {
						err = e
					}
				})
			}
		})
	default:
		names := map[plistKind]string{plistData: "<data>", plistReal: "<real>", plistDate: "<date>"}
		return fmt.Errorf("a %s value has no DER form (codesign refuses it too)", names[v.kind])
	}
	return err
}
