package kmsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trentkms/trent/internal/awsjson"
)

// filler sets random values, with a bias to the edges encoding/json
// treats specially: nil and empty, zero, characters it escapes.
type filler struct{ r *rand.Rand }

var sampleStrings = []string{"", "a", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	"<a&b>", "é\u2028\u2029", "\x00\x1f\"\\", "bad \xff utf8", "alias/x", strings.Repeat("z", 200)}

func (f filler) str() string { return sampleStrings[f.r.IntN(len(sampleStrings))] }

// fill sets v (settable) to random values. Only fields that also exist in
// the struct type peer (the other side of the comparison) are set, so
// that both sides hold the same data; peer may be nil.
func (f filler) fill(v reflect.Value, peer reflect.Type, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 1, -1, 7, 1 << 40, -1 << 62}[f.r.IntN(6)])
	case reflect.Pointer:
		if f.r.IntN(3) == 0 || depth > 4 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), deref(peer), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch f.r.IntN(4) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		n := 1 + f.r.IntN(3)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			n = f.r.IntN(70)
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), deref(peer), depth+1)
		}
		v.Set(s)
	case reflect.Uint8:
		v.SetUint(uint64(f.r.IntN(256)))
	case reflect.Map:
		switch f.r.IntN(4) {
		case 0:
			v.SetZero()
			return
		}
		m := reflect.MakeMap(v.Type())
		for range f.r.IntN(20) {
			m.SetMapIndex(reflect.ValueOf(f.str()+f.str()), reflect.ValueOf(f.str()))
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type().Name() == "Epoch" {
			ms := f.r.Int64N(4e12) - 1e12
			if f.r.IntN(5) == 0 {
				ms = 0
			}
			v.Set(reflect.ValueOf(time.UnixMilli(ms).Add(time.Duration(f.r.IntN(1e6)))).Convert(v.Type()))
			return
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			var pf reflect.StructField
			if peer != nil {
				var ok bool
				if pf, ok = peer.FieldByName(sf.Name); !ok {
					continue
				}
			}
			f.fill(v.Field(i), pf.Type, depth+1)
		}
	}
}

// deref returns the struct type under pointers and slices, or nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t != nil && t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

// convert copies src into dst field by field (by name), converting the
// named types of one package into the other's; fields dst lacks are
// dropped.
func convert(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(dst.Type().Elem())
		convert(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			convert(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Struct:
		if src.Type().Name() == "Epoch" {
			dst.Set(src.Convert(reflect.TypeFor[time.Time]()).Convert(dst.Type()))
			return
		}
		for i := range src.NumField() {
			if df := dst.FieldByName(src.Type().Field(i).Name); df.IsValid() {
				convert(df, src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}

func encode(o Output) []byte {
	var e awsjson.Encoder
	o.EncodeJSON(&e)
	return e.Bytes()
}

// TestEncodeMatchesService fills each served operation's service response
// type and the generated one with the same random values and checks that
// EncodeJSON writes exactly what encoding/json writes for the service
// type today, and for the generated type.
func TestEncodeMatchesService(t *testing.T) {
	f := filler{rand.New(rand.NewPCG(1, 2))}
	for _, s := range servedOperations(t) {
		for i := range 300 {
			svc := reflect.New(s.svcOut)
			f.fill(svc.Elem(), s.genOut, 0)
			gen := s.op.NewOutput()
			convert(reflect.ValueOf(gen).Elem(), svc.Elem())
			want, err := json.Marshal(svc.Interface())
			if err != nil {
				t.Fatal(err)
			}
			got := encode(gen)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s #%d: EncodeJSON wrote\n%s\nencoding/json wrote for %s\n%s", s.op.Name, i, got, s.svcOut, want)
			}
			if again, _ := json.Marshal(gen); !bytes.Equal(again, want) {
				t.Fatalf("%s #%d: json.Marshal of the generated type wrote\n%s\nwant\n%s", s.op.Name, i, again, want)
			}
		}
	}
}

// TestEncodeEveryResponse checks every operation's response, served or
// not, against json.Marshal of the generated type.
func TestEncodeEveryResponse(t *testing.T) {
	f := filler{rand.New(rand.NewPCG(3, 4))}
	for _, op := range Operations() {
		for i := range 100 {
			out := op.NewOutput()
			f.fill(reflect.ValueOf(out).Elem(), nil, 0)
			want, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := encode(out); !bytes.Equal(got, want) {
				t.Fatalf("%s #%d: EncodeJSON wrote\n%s\njson.Marshal wrote\n%s", op.Name, i, got, want)
			}
		}
	}
}

// decodeGen decodes body with the generated decoder.
func decodeGen(in Input, body []byte) error {
	d := awsjson.NewDecoder(body)
	in.DecodeJSON(d)
	return d.Err()
}

// foldedOrDuplicate reports whether body has, at any depth, an object
// with a repeated member name or a name that equals another only up to
// case: the documented exceptions of internal/awsjson (last wins; exact
// names), which its own tests cover.
func foldedOrDuplicate(body []byte) bool {
	var found bool
	var walk func(d *json.Decoder) error
	walk = func(d *json.Decoder) error {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			var names []string
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				name := k.(string)
				for _, n := range names {
					if strings.EqualFold(n, name) {
						found = true
					}
				}
				names = append(names, name)
				if err := walk(d); err != nil {
					return err
				}
			}
			_, err = d.Token()
		case json.Delim('['):
			for d.More() {
				if err := walk(d); err != nil {
					return err
				}
			}
			_, err = d.Token()
		}
		return err
	}
	walk(json.NewDecoder(bytes.NewReader(body)))
	return found
}

// foldsToMember reports whether body's top-level or nested member names
// match a generated field only up to case (encoding/json would fill it).
func foldsToMember(body []byte, typ reflect.Type) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(x any, t reflect.Type) bool
	walk = func(x any, t reflect.Type) bool {
		t = deref(t)
		switch x := x.(type) {
		case map[string]any:
			if t == nil {
				return false
			}
			for k, val := range x {
				for i := range t.NumField() {
					name := t.Field(i).Name
					if k != name && strings.EqualFold(k, name) {
						return true
					}
					if k == name && walk(val, t.Field(i).Type) {
						return true
					}
				}
			}
		case []any:
			for _, e := range x {
				if walk(e, t) {
					return true
				}
			}
		}
		return false
	}
	return walk(v, typ)
}

// checkDecode compares the generated decoder of s's request with
// encoding/json decoding into the service's request type.
func checkDecode(t *testing.T, s served, body []byte) {
	t.Helper()
	if len(body) == 0 || foldedOrDuplicate(body) || foldsToMember(body, s.genIn) || foldsToMember(body, s.svcIn) {
		return
	}
	// Members only the shared service type has are unknown to the
	// generated decoder, which skips them (see knownFieldDifferences).
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		for _, name := range knownFieldDifferences[s.op.Name] {
			if _, ok := top[name]; ok {
				return
			}
		}
	}
	gen := s.op.NewInput()
	gotErr := decodeGen(gen, body)
	want := reflect.New(s.svcIn)
	wantErr := json.Unmarshal(body, want.Interface())
	if errors.Is(gotErr, awsjson.ErrTooDeep) {
		return
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if wantErr != nil && !errors.As(wantErr, &se) && !errors.As(wantErr, &te) && strings.Contains(wantErr.Error(), "strconv.ParseFloat") {
		// Epoch.UnmarshalJSON's own error for a timestamp that is not a
		// number: the generated decoder reports a type error instead.
		if gotErr == nil {
			t.Fatalf("%s: body %q: no error; encoding/json: %v", s.op.Name, body, wantErr)
		}
		return
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: body %q:\ngenerated: %v\nencoding/json: %v", s.op.Name, body, gotErr, wantErr)
	}
	if gotErr != nil {
		var e *awsjson.Error
		if !errors.As(gotErr, &e) {
			t.Fatalf("%s: body %q: error %T", s.op.Name, body, gotErr)
		}
		wantField := ""
		if te != nil {
			wantField = te.Field
		}
		if e.Field != wantField {
			t.Fatalf("%s: body %q: Field %q, encoding/json %q\n%v\n%v", s.op.Name, body, e.Field, wantField, gotErr, wantErr)
		}
		return
	}
	got := reflect.New(s.svcIn)
	convert(got.Elem(), reflect.ValueOf(gen).Elem())
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		t.Fatalf("%s: body %q: decoders differ (-encoding/json +generated):\n%s", s.op.Name, body, cmp.Diff(want.Interface(), got.Interface()))
	}
}
