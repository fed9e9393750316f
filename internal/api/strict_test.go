package api

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// AWS's JSON protocol is stricter than encoding/json about three kinds of
// member, and Trent refuses what AWS refuses (internal/awsjson, which the
// generated decoders of internal/kmsapi use):
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
// A wrong JSON type or a null is a SerializationException naming the
// member, as for any value of the wrong type; malformed base64 is a
// SerializationException saying so.

var (
	bytesType = reflect.TypeFor[[]byte]()
	mapType   = reflect.TypeFor[map[string]string]()
	listType  = reflect.TypeFor[[]string]()
)

// decodeRoute decodes body as the route's operation does.
func decodeRoute(rt *route, body []byte) (any, string) {
	in := rt.op.Model.NewInput()
	return in, decodeInput(body, in)
}

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

// accepted lists, by Go type, values the decoder must take.
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
// operation that has a member of its type: each is refused with a
// SerializationException naming the member; the accepted values are
// accepted.
func TestStrictMembersEveryOperation(t *testing.T) {
	routes := kmsRoutes()
	names := make([]string, 0, len(routes))
	for n := range routes {
		names = append(names, n)
	}
	sort.Strings(names)
	covered := map[reflect.Type]int{}
	for _, name := range names {
		rt := routes[name]
		in, msg := decodeRoute(rt, []byte(`{}`))
		if msg != "" {
			t.Fatalf("%s: {}: %s", name, msg)
		}
		for _, m := range strictMembers(reflect.TypeOf(in).Elem(), nil) {
			covered[m.typ]++
			field := strings.Join(m.path, ".")
			for _, h := range hostileValues[m.typ] {
				body := m.body(h.value)
				_, msg := decodeRoute(rt, body)
				want := msgWrongType(field)
				if h.base64 {
					want = msgBadBase64(field)
				}
				if msg != want {
					t.Errorf("%s %s (%s): %q, want SerializationException %q", name, body, h.name, msg, want)
				}
			}
			for _, v := range accepted[m.typ] {
				if _, msg := decodeRoute(rt, m.body(v)); msg != "" {
					t.Errorf("%s %s: %s", name, m.body(v), msg)
				}
			}
		}
	}
	for typ := range hostileValues {
		if covered[typ] < 5 {
			t.Errorf("members of type %v: %d covered, want many", typ, covered[typ])
		}
	}
}

// TestStrictNullListElementOfStructures: a null in a list of structures
// (Tags) is refused like a null in a list of strings.
func TestStrictNullListElementOfStructures(t *testing.T) {
	rt := kmsRoutes()["TrentService.CreateKey"]
	for _, body := range []string{`{"Tags":[null]}`, `{"Tags":[{"TagKey":"a","TagValue":"b"},null]}`, `{"Tags":["x"]}`} {
		if _, msg := decodeRoute(rt, []byte(body)); msg != msgWrongType("Tags") {
			t.Errorf("CreateKey %s: %q, want %q", body, msg, msgWrongType("Tags"))
		}
	}
	if _, msg := decodeRoute(rt, []byte(`{"Tags":[{"TagKey":"a","TagValue":"b"}]}`)); msg != "" {
		t.Errorf("CreateKey with a tag: %s", msg)
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
// members that several routes share.
func memberRoutes(tb testing.TB) map[string][]string {
	routes := kmsRoutes()
	groups := map[string][]string{}
	for name, rt := range routes {
		in, msg := decodeRoute(rt, []byte(`{}`))
		if msg != "" {
			tb.Fatalf("%s: {}: %s", name, msg)
		}
		for _, m := range allMembers(reflect.TypeOf(in).Elem(), nil) {
			k := strings.Join(m.path, ".") + " " + m.typ.String()
			groups[k] = append(groups[k], name)
		}
	}
	for k, names := range groups {
		if len(names) < 2 {
			delete(groups, k)
		}
		sort.Strings(names)
	}
	if len(groups) < 5 {
		tb.Fatalf("only %d members shared by several operations: %v", len(groups), groups)
	}
	return groups
}

// FuzzMemberValue puts one value under every member that several
// operations share, and checks that every operation with the member gives
// the same verdict: the generated decoders accept and refuse the same
// values with the same message.
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
	routes := kmsRoutes()
	f.Fuzz(func(t *testing.T, value []byte) {
		for k, names := range groups {
			path := strings.Split(strings.Fields(k)[0], ".")
			body := strictMember{path: path}.body(string(value))
			var first string
			for i, name := range names {
				_, msg := decodeRoute(routes[name], body)
				verdict := "ok"
				if msg != "" {
					verdict = msg
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
