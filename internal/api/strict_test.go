package api

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/service"
)

// hostile is a member value that AWS's JSON protocol refuses and
// encoding/json accepts, with the message Trent answers.
type hostile struct {
	name, value string
	base64      bool // the message is the base64 one, else the wrong-type one
}

// hostileValues lists, by Go type of the member, the values to refuse.
var hostileValues = map[reflect.Type][]hostile{
	bytesType: {
		{"array of numbers", `[104,105]`, false},
		{"empty array", `[]`, false},
		{"escaped newline", `"aGVs\nbG8="`, true},
		{"escaped CRLF", `"aGVs\r\nbG8="`, true},
		{"trailing newline", `"aGk=\n"`, true},
		{"non-zero padding bits, one pad", `"aGl="`, true},
		{"non-zero padding bits, two pads", `"aB=="`, true},
		{"non-zero padding bits after whole quanta", `"AAAAAAAAAAAAAAAAaGl="`, true},
		{"missing padding", `"aGk"`, true},
	},
	mapType: {
		{"null value", `{"a":null}`, false},
		{"null value after a string", `{"a":"b","c":null}`, false},
	},
	listType: {
		{"null element", `[null]`, false},
		{"null after a string", `["a",null]`, false},
	},
}

// accepted lists, by Go type, values both decoders must take.
var accepted = map[reflect.Type][]string{
	bytesType: {`"aGk="`, `"aA=="`, `"aGk\u003d"`, `""`, `null`},
	mapType:   {`{"a":"b"}`, `{}`, `null`},
	listType:  {`["a"]`, `[]`, `null`},
}

// strictMember is a member of an operation's input (a path such as
// "Recipient.AttestationDocument") and its Go type.
type strictMember struct {
	path []string
	typ  reflect.Type
}

// strictMembers lists the members of struct type t that hostileValues
// covers, nested ones included.
func strictMembers(t reflect.Type, prefix []string) []strictMember {
	var out []strictMember
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("json")
		if j := strings.IndexByte(name, ','); j >= 0 {
			name = name[:j]
		}
		if name == "" {
			name = f.Name
		}
		path := append(append([]string(nil), prefix...), name)
		switch {
		case hostileValues[f.Type] != nil:
			out = append(out, strictMember{path, f.Type})
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			out = append(out, strictMembers(f.Type.Elem(), path)...)
		}
	}
	return out
}

// body nests value under path: {"A":{"B":value}}.
func (m strictMember) body(value string) []byte {
	var b strings.Builder
	for _, p := range m.path {
		b.WriteString(`{"` + p + `":`)
	}
	b.WriteString(value)
	b.WriteString(strings.Repeat("}", len(m.path)))
	return []byte(b.String())
}

// TestStrictMembersEveryOperation runs every hostile value through every
// operation that has a member of its type, on both decoders (awsjson for
// the hot operations, encoding/json for the rest): each is refused with a
// SerializationException naming the member, the same on both.
func TestStrictMembersEveryOperation(t *testing.T) {
	routes := kmsRoutes(&service.Service{})
	for n := range fastRoutes {
		if _, ok := routes[n]; !ok {
			t.Fatalf("fastRoutes names %s, which is not a route", n)
		}
	}
	names := make([]string, 0, len(routes))
	for n := range routes {
		names = append(names, n)
	}
	sort.Strings(names)
	covered := map[reflect.Type]map[bool]bool{} // type -> fast path? -> seen
	for _, name := range names {
		rt := routes[name]
		in, err := rt.decode([]byte(`{}`))
		if err != nil {
			t.Fatalf("%s: {}: %v", name, err)
		}
		fast := fastRoutes[name]
		for _, m := range strictMembers(reflect.TypeOf(in).Elem(), nil) {
			if covered[m.typ] == nil {
				covered[m.typ] = map[bool]bool{}
			}
			covered[m.typ][fast] = true
			field := strings.Join(m.path, ".")
			for _, h := range hostileValues[m.typ] {
				body := m.body(h.value)
				_, err := rt.decode(body)
				want := errWrongType(field).Error()
				if h.base64 {
					want = errBadBase64(field).Error()
				}
				var se *serializationError
				if !errors.As(err, &se) || se.msg != want {
					t.Errorf("%s %s (%s): decode error %v, want SerializationException %q", name, body, h.name, err, want)
				}
			}
			for _, v := range accepted[m.typ] {
				if _, err := rt.decode(m.body(v)); err != nil {
					t.Errorf("%s %s: %v", name, m.body(v), err)
				}
			}
		}
	}
	for typ := range hostileValues {
		if !covered[typ][true] || !covered[typ][false] {
			t.Errorf("members of type %v: covered on the awsjson path %v, on the encoding/json path %v; want both", typ, covered[typ][true], covered[typ][false])
		}
	}
}

// fastRoutes names the operations decoded by awsjson (api.go: fastOp).
var fastRoutes = map[string]bool{
	"TrentService.Encrypt": true, "TrentService.Decrypt": true, "TrentService.ReEncrypt": true,
	"TrentService.GenerateDataKey": true, "TrentService.GenerateDataKeyWithoutPlaintext": true,
	"TrentService.GenerateRandom": true, "TrentService.Sign": true, "TrentService.Verify": true,
	"TrentService.GenerateMac": true, "TrentService.VerifyMac": true,
}

// TestStrictNullListElementOfStructures: a null in a list of structures
// (Tags) is refused like a null in a list of strings.
func TestStrictNullListElementOfStructures(t *testing.T) {
	rt := kmsRoutes(&service.Service{})["TrentService.CreateKey"]
	for _, body := range []string{`{"Tags":[null]}`, `{"Tags":[{"TagKey":"a","TagValue":"b"},null]}`, `{"Tags":["x"]}`} {
		_, err := rt.decode([]byte(body))
		var se *serializationError
		if !errors.As(err, &se) || se.msg != errWrongType("Tags").Error() {
			t.Errorf("CreateKey %s: %v, want %q", body, err, errWrongType("Tags"))
		}
	}
	if _, err := rt.decode([]byte(`{"Tags":[{"TagKey":"a","TagValue":"b"}]}`)); err != nil {
		t.Errorf("CreateKey with a tag: %v", err)
	}
}

// allMembers lists every member of struct type t, nested ones included,
// with its Go type.
func allMembers(t reflect.Type, prefix []string) []strictMember {
	var out []strictMember
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		path := append(append([]string(nil), prefix...), name)
		out = append(out, strictMember{path, f.Type})
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem().NumField() > 0 &&
			f.Type.Elem().Field(0).IsExported() {
			out = append(out, allMembers(f.Type.Elem(), path)...)
		}
	}
	return out
}

// memberRoutes groups the routes by member (path and Go type), keeping the
// members that at least one awsjson route and one encoding/json route
// share.
func memberRoutes(tb testing.TB) map[string][]string {
	routes := kmsRoutes(&service.Service{})
	groups := map[string][]string{}
	kinds := map[string]map[bool]bool{}
	for name, rt := range routes {
		in, err := rt.decode([]byte(`{}`))
		if err != nil {
			tb.Fatalf("%s: {}: %v", name, err)
		}
		for _, m := range allMembers(reflect.TypeOf(in).Elem(), nil) {
			k := strings.Join(m.path, ".") + " " + m.typ.String()
			groups[k] = append(groups[k], name)
			if kinds[k] == nil {
				kinds[k] = map[bool]bool{}
			}
			kinds[k][fastRoutes[name]] = true
		}
	}
	for k := range groups {
		if !kinds[k][true] || !kinds[k][false] {
			delete(groups, k)
		}
	}
	if len(groups) < 5 {
		tb.Fatalf("only %d members shared by both decoders: %v", len(groups), groups)
	}
	return groups
}

// FuzzMemberValue puts one value under every member that an awsjson route
// and an encoding/json route share, and checks that every route with the
// member gives the same verdict: the two decoders accept and refuse the
// same values with the same message.
func FuzzMemberValue(f *testing.F) {
	for _, hs := range hostileValues {
		for _, h := range hs {
			f.Add([]byte(h.value))
		}
	}
	for _, vs := range accepted {
		for _, v := range vs {
			f.Add([]byte(v))
		}
	}
	for _, v := range []string{`1`, `-1.5`, `true`, `"x"`, `{}`, `{"KeyEncryptionAlgorithm":1}`, `{"AttestationDocument":[1]}`,
		`[1,`, `"\u00e9"`, `9223372036854775808`, `null`} {
		f.Add([]byte(v))
	}
	groups := memberRoutes(f)
	routes := kmsRoutes(&service.Service{})
	f.Fuzz(func(t *testing.T, value []byte) {
		for k, names := range groups {
			path := strings.Split(strings.Fields(k)[0], ".")
			body := strictMember{path: path}.body(string(value))
			var first string
			for i, name := range names {
				_, err := routes[name].decode(body)
				verdict := "ok"
				if err != nil {
					verdict = err.Error()
				}
				if i == 0 {
					first = verdict
				} else if verdict != first {
					t.Fatalf("member %s, body %q: %s answers %q, %s answers %q", k, body, names[0], first, name, verdict)
				}
			}
		}
	})
}
