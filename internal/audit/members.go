package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/trentkms/trent/internal/awsjson"
)

// Members encodes chosen members of a request or response structure as an
// event's requestParameters or responseElements: a JSON object with the
// members in the order they were named, each under its name in camelCase
// as CloudTrail writes it (KeyId -> keyId). Members that are absent or
// empty (a nil pointer; an empty list or map; false, zero or "" held by
// value) are left out, unless the member was named with a default
// ("Name=VALUE"):
// then the default is written in its place, as a string. Strings,
// integers, booleans, lists of strings and maps of strings (whose keys
// keep their case) are written directly; a timestamp as its MarshalJSON
// writes it; a nested structure or a list of them through CamelJSON, with
// their member names in camelCase too.
//
// A Members is made once per structure type and is safe for concurrent
// use. Encoding reads the structure with reflection and allocates only
// the output, for the members that are not nested structures.
type Members struct {
	typ    reflect.Type
	fields []memberField
}

type memberField struct {
	index   int
	name    string // camelCase
	kind    memberKind
	def     string // written when the member is absent; "" for none
	hasDef  bool
	marshal bool // the field's type implements json.Marshaler
}

type memberKind int

const (
	mString memberKind = iota + 1
	mInt
	mBool
	mStrings
	mMap
	mOther // encoded with CamelJSON or its MarshalJSON
)

// NewMembers returns the encoder of the members names of struct type t
// (given as the Go field names, each optionally followed by "=DEFAULT").
// It fails when t has no such field.
func NewMembers(t reflect.Type, names []string) (*Members, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("audit members of %s: not a struct", t)
	}
	m := &Members{typ: t}
	for _, n := range names {
		name, def, hasDef := strings.Cut(n, "=")
		sf, ok := t.FieldByName(name)
		if !ok || len(sf.Index) != 1 {
			return nil, fmt.Errorf("audit members of %s: no member %s", t, name)
		}
		f := memberField{index: sf.Index[0], name: lowerFirst(name), def: def, hasDef: hasDef}
		ft := sf.Type
		f.marshal = ft.Implements(reflect.TypeFor[json.Marshaler]())
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
			f.marshal = f.marshal || reflect.PointerTo(ft).Implements(reflect.TypeFor[json.Marshaler]())
		}
		switch {
		case f.marshal:
			f.kind = mOther
		case ft.Kind() == reflect.String:
			f.kind = mString
		case ft.Kind() == reflect.Int || ft.Kind() == reflect.Int64:
			f.kind = mInt
		case ft.Kind() == reflect.Bool:
			f.kind = mBool
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			f.kind = mStrings
		case ft.Kind() == reflect.Map && ft.Key().Kind() == reflect.String && ft.Elem().Kind() == reflect.String:
			f.kind = mMap
		default:
			f.kind = mOther
		}
		m.fields = append(m.fields, f)
	}
	return m, nil
}

// JSON encodes the members of v, a pointer to a structure of the type m
// was made for; it returns nil when none is present, or when v is of
// another type.
func (m *Members) JSON(v any) json.RawMessage {
	rv := reflect.ValueOf(v)
	if m == nil || len(m.fields) == 0 || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Type().Elem() != m.typ {
		return nil
	}
	rv = rv.Elem()
	var e awsjson.Encoder
	e.Reset(make([]byte, 0, 256)) // most events' members fit: one allocation
	n := 0
	for i := range m.fields {
		f := &m.fields[i]
		fv := rv.Field(f.index)
		if isEmpty(fv) {
			if f.hasDef {
				if n == 0 {
					e.Begin()
				}
				n++
				e.String(f.name, f.def)
			}
			continue
		}
		if n == 0 {
			e.Begin()
		}
		n++
		if fv.Kind() == reflect.Pointer && f.kind != mOther {
			fv = fv.Elem()
		}
		switch f.kind {
		case mString:
			e.String(f.name, fv.String())
		case mInt:
			e.Int(f.name, int(fv.Int()))
		case mBool:
			e.Bool(f.name, fv.Bool())
		case mStrings:
			e.StringList(f.name, fv.Interface().([]string))
		case mMap:
			e.StringMap(f.name, fv.Interface().(map[string]string))
		default:
			var b []byte
			var err error
			if f.marshal {
				b, err = fv.Interface().(json.Marshaler).MarshalJSON()
			} else {
				b, err = CamelJSON(fv.Interface())
			}
			if err != nil {
				b = []byte("null")
			}
			e.Raw(f.name, b)
		}
	}
	if n == 0 {
		return nil
	}
	e.End()
	return e.Bytes()
}

// isEmpty reports whether a member is absent or empty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0
	}
	return v.IsZero()
}
