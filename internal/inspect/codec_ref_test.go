package inspect

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// refCodec is the cache's encoding (codec.go) written with reflection: the reference
// that codec_gen.go is generated from (genCodec uses its fields) and checked against
// (TestCodecMatchesReference, FuzzCodec). It encodes floats too, which no report has.
//
// The zero value is ready to use; it is safe for concurrent use.
type refCodec struct {
	fields sync.Map // reflect.Type -> []int: the encoded fields of a struct type
}

// structFields returns the indexes of t's encoded fields.
func (c *refCodec) structFields(t reflect.Type) []int {
	if v, ok := c.fields.Load(t); ok {
		return v.([]int)
	}
	var idx []int
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == "-" {
			continue
		}
		idx = append(idx, i)
	}
	c.fields.Store(t, idx)
	return idx
}

// append appends the encoding of v to b.
func (c *refCodec) append(b []byte, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Float())), nil
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...), nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0), nil
		}
		return c.append(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		var err error
		for i := range v.Len() {
			if b, err = c.append(b, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return b, nil
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		keys := v.MapKeys()
		if v.Type().Key().Kind() == reflect.String {
			slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		}
		var err error
		for _, k := range keys {
			if b, err = c.append(b, k); err != nil {
				return nil, err
			}
			if b, err = c.append(b, v.MapIndex(k)); err != nil {
				return nil, err
			}
		}
		return b, nil
	case reflect.Struct:
		var err error
		for _, i := range c.structFields(v.Type()) {
			if b, err = c.append(b, v.Field(i)); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("cache: cannot encode a %s", v.Type())
}

// decoder reads an encoding: b is what is left of it. s, when set, is the whole
// encoding as a string, so b is always its suffix: decoded strings are substrings of
// s, not one allocation each.
type refDecoder struct {
	c *refCodec
	b []byte
	s string
}

func (d *refDecoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errCodec
	}
	d.b = d.b[n:]
	return x, nil
}

// length reads a length that has at least one byte of encoding per element left.
func (d *refDecoder) length(x uint64) (int, error) {
	if x > uint64(len(d.b)) {
		return 0, errCodec
	}
	return int(x), nil
}

// count reads the element count of a slice or map: 0 encodes nil, n+1 n elements.
func (d *refDecoder) count() (n int, isNil bool, err error) {
	x, err := d.uvarint()
	if err != nil || x == 0 {
		return 0, err == nil, err
	}
	n, err = d.length(x - 1)
	return n, false, err
}

// decode sets v (settable) from the encoding.
func (d *refDecoder) decode(v reflect.Value, depth int) error {
	if depth > maxCodecDepth {
		return errCodec
	}
	switch v.Kind() {
	case reflect.Bool:
		if len(d.b) == 0 || d.b[0] > 1 {
			return errCodec
		}
		v.SetBool(d.b[0] == 1)
		d.b = d.b[1:]
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 || v.OverflowInt(x) {
			return errCodec
		}
		v.SetInt(x)
		d.b = d.b[n:]
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uvarint()
		if err != nil || v.OverflowUint(x) {
			return errCodec
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		if len(d.b) < 8 {
			return errCodec
		}
		v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(d.b)))
		d.b = d.b[8:]
	case reflect.String:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		n, err := d.length(x)
		if err != nil {
			return err
		}
		if len(d.s) >= len(d.b) {
			at := len(d.s) - len(d.b)
			v.SetString(d.s[at : at+n])
		} else {
			v.SetString(string(d.b[:n]))
		}
		d.b = d.b[n:]
	case reflect.Pointer:
		if len(d.b) == 0 || d.b[0] > 1 {
			return errCodec
		}
		present := d.b[0] == 1
		d.b = d.b[1:]
		if !present {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.decode(p.Elem(), depth+1); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Slice:
		n, isNil, err := d.count()
		if err != nil || isNil {
			v.SetZero()
			return err
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			if err := d.decode(s.Index(i), depth+1); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		n, isNil, err := d.count()
		if err != nil || isNil {
			v.SetZero()
			return err
		}
		t := v.Type()
		m := reflect.MakeMapWithSize(t, n)
		for range n {
			k := reflect.New(t.Key()).Elem()
			e := reflect.New(t.Elem()).Elem()
			if err := d.decode(k, depth+1); err != nil {
				return err
			}
			if err := d.decode(e, depth+1); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for _, i := range d.c.structFields(v.Type()) {
			if err := d.decode(v.Field(i), depth+1); err != nil {
				return err
			}
		}
	default:
		return errCodec
	}
	return nil
}

// refMarshal encodes *p.
func refMarshal[T any](c *refCodec, p *T) ([]byte, error) {
	return c.append(nil, reflect.ValueOf(p).Elem())
}

// refUnmarshal decodes b, all of it, into *p.
func refUnmarshal[T any](c *refCodec, b []byte, p *T) (err error) {
	defer func() {
		if recover() != nil {
			err = errCodec // a damaged entry is a miss, never a crash
		}
	}()
	// One copy of the encoding for all the strings it holds: a report's strings
	// are most of its values.
	d := refDecoder{c: c, b: b, s: string(b)}
	if err := d.decode(reflect.ValueOf(p).Elem(), 0); err != nil {
		return err
	}
	if len(d.b) != 0 {
		return errCodec
	}
	return nil
}
