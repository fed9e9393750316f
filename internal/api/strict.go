package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"sync"

	"github.com/trentkms/trent/internal/awsjson"
)

// AWS's JSON protocol is stricter than encoding/json about three kinds of
// member, and Trent refuses what AWS refuses, on both of its decoders:
//
//   - a blob is a string of standard, padded base64 (RFC 4648 section 4)
//     with zero padding bits and no line breaks; encoding/json also takes
//     an array of integers 0-255, skips CR and LF and ignores the padding
//     bits;
//   - a value of a string map (EncryptionContext, the grant constraints)
//     is a string, never null; encoding/json stores "" for null;
//   - an element of a list is never null; encoding/json stores "" (or a
//     zero structure) for null.
//
// The hot operations are decoded by internal/awsjson, which applies these
// rules itself (fast.go). The others are decoded by encoding/json after a
// first pass over the body into a strict shadow of their input type: a
// struct with the same JSON names whose blob, map and list members are
// checked by awsjson's own Blob, StringMap and StringList, so both paths
// apply one implementation of the rules. A wrong JSON type or a null is a
// SerializationException naming the member, as for any value of the wrong
// type; malformed base64 is a SerializationException saying so.
//
// One difference remains between the two paths, in the message only: for
// a body with several faulty members, awsjson names the first in document
// order, while the encoding/json path names a faulty blob, map or list
// member before any other member's type error.

const base64Marker = "malformed base64"

var (
	bytesType = reflect.TypeFor[[]byte]()
	mapType   = reflect.TypeFor[map[string]string]()
	listType  = reflect.TypeFor[[]string]()
)

// strictBlob, strictMap, strictList and strictObjects stand in the shadow
// for a []byte, a map[string]string, a []string and a slice of structures.
type (
	strictBlob    struct{}
	strictMap     struct{}
	strictList    struct{}
	strictObjects struct{}
)

func (*strictBlob) UnmarshalJSON(b []byte) error {
	return checkValue(b, bytesType, func(d *awsjson.Decoder) { clear(d.Blob()) })
}

func (*strictMap) UnmarshalJSON(b []byte) error {
	return checkValue(b, mapType, func(d *awsjson.Decoder) { d.StringMap() })
}

func (*strictList) UnmarshalJSON(b []byte) error {
	return checkValue(b, listType, func(d *awsjson.Decoder) { d.StringList() })
}

// UnmarshalJSON accepts null or an array of objects; the objects' members
// are left to encoding/json (the shadow has no structure lists whose
// elements need the strict rules: strictShadow panics otherwise).
func (*strictObjects) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' {
		return nil
	}
	var elems []json.RawMessage
	if b[0] != '[' || json.Unmarshal(b, &elems) != nil {
		return &json.UnmarshalTypeError{Value: "non-array", Type: reflect.TypeFor[[]struct{}]()}
	}
	for _, e := range elems {
		if e[0] != '{' {
			return &json.UnmarshalTypeError{Value: "non-object element", Type: reflect.TypeFor[struct{}]()}
		}
	}
	return nil
}

// checkValue reads the JSON value b as the member of a one-member body with
// read, and turns awsjson's verdict into an error that encoding/json
// completes with the member's path (it fills in Field of an
// *json.UnmarshalTypeError returned by an Unmarshaler).
func checkValue(b []byte, t reflect.Type, read func(*awsjson.Decoder)) error {
	body := make([]byte, 0, len(b)+6)
	body = append(append(append(body, `{"V":`...), b...), '}')
	defer clear(body) // a blob may be secret
	d := decoders.Get().(*awsjson.Decoder)
	d.Reset(body)
	for d.Next() {
		read(d)
	}
	err := d.Err()
	d.Reset(nil)
	decoders.Put(d)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, awsjson.ErrBase64):
		return &json.UnmarshalTypeError{Value: base64Marker, Type: t}
	}
	return &json.UnmarshalTypeError{Value: "value", Type: t}
}

// shadows caches strictShadow's answers by input type.
var shadows sync.Map // reflect.Type -> reflect.Type (nil: no strict members)

// shadowOf returns the strict shadow of struct type t, or nil.
func shadowOf(t reflect.Type) reflect.Type {
	if s, ok := shadows.Load(t); ok {
		st, _ := s.(reflect.Type)
		return st
	}
	st := strictShadow(t)
	shadows.Store(t, st)
	return st
}

// strictShadow builds a struct type with, under the same names and tags, a
// strict stand-in for every member of struct type t that the rules above
// cover, directly or inside a nested structure; nil when there is none.
func strictShadow(t reflect.Type) reflect.Type {
	var fields []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || f.Tag.Get("json") == "-" {
			continue
		}
		var ft reflect.Type
		switch {
		case f.Type == bytesType:
			ft = reflect.TypeFor[strictBlob]()
		case f.Type == mapType:
			ft = reflect.TypeFor[strictMap]()
		case f.Type == listType:
			ft = reflect.TypeFor[strictList]()
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			if s := strictShadow(f.Type.Elem()); s != nil {
				ft = reflect.PointerTo(s)
			}
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			if strictShadow(f.Type.Elem()) != nil {
				panic("api: strict decoding of a list of " + f.Type.Elem().String() + " is not implemented")
			}
			ft = reflect.TypeFor[strictObjects]()
		}
		if ft != nil {
			fields = append(fields, reflect.StructField{Name: f.Name, Type: ft, Tag: f.Tag})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return reflect.StructOf(fields)
}

// strictCheck applies the rules above to body, to be decoded into v (a
// pointer to a struct). It returns nil or a *serializationError.
func strictCheck(body []byte, v any) error {
	st := shadowOf(reflect.TypeOf(v).Elem())
	if st == nil {
		return nil
	}
	return decodeError(json.Unmarshal(body, reflect.New(st).Interface()))
}
