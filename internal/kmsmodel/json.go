package kmsmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// value is a JSON value that keeps the order of object members, so that a
// merged model lists members and enum values in the model's order and is
// written the same way every time.
type value struct {
	kind   byte // '{', '[', '"', 'n' (number), 'b' (bool), '0' (null)
	str    string
	num    json.Number
	bool   bool
	arr    []*value
	fields []field
}

type field struct {
	name string
	val  *value
}

// get returns the member called name of an object, or nil.
func (v *value) get(name string) *value {
	if v == nil || v.kind != '{' {
		return nil
	}
	for _, f := range v.fields {
		if f.name == name {
			return f.val
		}
	}
	return nil
}

// set replaces or appends the member called name.
func (v *value) set(name string, x *value) {
	for i := range v.fields {
		if v.fields[i].name == name {
			v.fields[i].val = x
			return
		}
	}
	v.fields = append(v.fields, field{name, x})
}

// parseJSON reads one JSON document, rejecting duplicate object members
// (a model with two definitions of one shape is a mistake, not a merge).
func parseJSON(b []byte) (*value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON document")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (*value, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &value{kind: '{'}
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name := k.(string)
				if seen[name] {
					return nil, fmt.Errorf("duplicate member %q", name)
				}
				seen[name] = true
				x, err := parseValue(dec)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				v.fields = append(v.fields, field{name, x})
			}
			_, err := dec.Token()
			return v, err
		case '[':
			v := &value{kind: '['}
			for dec.More() {
				x, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, x)
			}
			_, err := dec.Token()
			return v, err
		}
	case string:
		return &value{kind: '"', str: t}, nil
	case json.Number:
		return &value{kind: 'n', num: t}, nil
	case bool:
		return &value{kind: 'b', bool: t}, nil
	case nil:
		return &value{kind: '0'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// write appends v as indented JSON (two spaces, botocore's layout without
// its column alignment), without HTML escaping.
func (v *value) write(buf *bytes.Buffer, indent int) {
	pad := func(n int) {
		buf.WriteByte('\n')
		for range n {
			buf.WriteString("  ")
		}
	}
	switch v.kind {
	case '{':
		if len(v.fields) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteByte('{')
		for i, f := range v.fields {
			if i > 0 {
				buf.WriteByte(',')
			}
			pad(indent + 1)
			writeString(buf, f.name)
			buf.WriteByte(':')
			f.val.write(buf, indent+1)
		}
		pad(indent)
		buf.WriteByte('}')
	case '[':
		if len(v.arr) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteByte('[')
		for i, x := range v.arr {
			if i > 0 {
				buf.WriteByte(',')
			}
			pad(indent + 1)
			x.write(buf, indent+1)
		}
		pad(indent)
		buf.WriteByte(']')
	case '"':
		writeString(buf, v.str)
	case 'n':
		buf.WriteString(v.num.String())
	case 'b':
		buf.WriteString(strconv.FormatBool(v.bool))
	default:
		buf.WriteString("null")
	}
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)               // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode's newline
}

// text returns a string value's contents, or "" for nil or another kind.
func (v *value) text() string {
	if v == nil || v.kind != '"' {
		return ""
	}
	return v.str
}
