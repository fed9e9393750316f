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

func encode(o Output) []byte {
	var e awsjson.Encoder
	o.EncodeJSON(&e)
	return e.Bytes()
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

// checkDecode is the differential test of op's generated decoder against
// encoding/json into the same generated type, on valid input: a body the
// generated decoder accepts must be one encoding/json accepts too, giving
// the same value (encoding/json is the looser of the two: it also takes
// what AWS's JSON protocol refuses, see internal/awsjson). A body it
// refuses must be refused with an *awsjson.Error naming a member, or
// saying the JSON is malformed.
func checkDecode(t *testing.T, op *Operation, body []byte) {
	t.Helper()
	if len(body) == 0 {
		return
	}
	gen := op.NewInput()
	gotErr := decodeGen(gen, body)
	if gotErr != nil {
		var e *awsjson.Error
		if !errors.As(gotErr, &e) {
			t.Fatalf("%s: body %q: error %T %v", op.Name, body, gotErr, gotErr)
		}
		return
	}
	if foldedOrDuplicate(body) || foldsToMember(body, reflect.TypeOf(gen)) {
		return // the documented exceptions: exact names, last one wins
	}
	want := op.NewInput()
	if err := json.Unmarshal(body, want); err != nil {
		t.Fatalf("%s: body %q: the generated decoder accepts it, encoding/json says %v", op.Name, body, err)
	}
	if !reflect.DeepEqual(gen, want) {
		t.Fatalf("%s: body %q: decoders differ (-encoding/json +generated):\n%s", op.Name, body, cmp.Diff(want, gen))
	}
}
