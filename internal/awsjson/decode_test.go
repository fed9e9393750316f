package awsjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"go/build"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// one decodes {"V": value} reading V with read, and checks the result
// against json.Unmarshal of value into a T. With aws set the value is one
// that AWS's JSON protocol refuses and encoding/json accepts, so only the
// Decoder is expected to fail.
func one[T any](t *testing.T, value string, read func(*Decoder) T, aws bool) (T, error) {
	t.Helper()
	d := NewDecoder([]byte(`{"V":` + value + `}`))
	var got T
	for d.Next() {
		if d.KeyIs("V") {
			got = read(d)
		}
	}
	err := d.Err()
	var want T
	jerr := json.Unmarshal([]byte(value), &want)
	if aws {
		if jerr != nil {
			t.Fatalf("value %s: encoding/json refuses it too (%v): not an AWS-only rule", value, jerr)
		}
		return got, err
	}
	if (err == nil) != (jerr == nil) {
		t.Fatalf("value %s: error %v, encoding/json error %v", value, err, jerr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("value %s: got %#v, encoding/json %#v", value, got, want)
	}
	return got, err
}

// valueCase is one row of the per-method tables. wantErr is "" for
// success, "type" for a type error naming V, "base64" for an ErrBase64
// error naming V, or "other" for an error with no Field; an "aws-" prefix
// marks a value that encoding/json accepts and AWS (so the Decoder) does
// not.
type valueCase[T any] struct {
	name, value string
	want        T
	wantErr     string
}

func runValues[T any](t *testing.T, cases []valueCase[T], read func(*Decoder) T) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr, aws := strings.CutPrefix(c.wantErr, "aws-")
			got, err := one(t, c.value, read, aws)
			var e *Error
			switch {
			case wantErr == "" && err != nil:
				t.Fatalf("got error %v, want %#v", err, c.want)
			case wantErr == "":
				if diff := cmp.Diff(c.want, got); diff != "" || isNil(c.want) != isNil(got) {
					t.Fatalf("got %#v, want %#v (-want +got):\n%s", got, c.want, diff)
				}
			case !errors.As(err, &e):
				t.Fatalf("got %#v, %v; want a *Error", got, err)
			case wantErr == "type" && (e.Field != "V" || errors.Is(err, ErrBase64)),
				wantErr == "base64" && (e.Field != "V" || !errors.Is(err, ErrBase64)),
				wantErr == "other" && e.Field != "":
				t.Fatalf("error %v: Field %q, want %s error", err, e.Field, wantErr)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// isNil reports whether v is a nil pointer, slice or map (cmp.Diff treats
// nil and empty alike only with an option, but be explicit).
func isNil(v any) bool {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return rv.IsNil()
	}
	return false
}

func TestStringPtr(t *testing.T) {
	runValues(t, []valueCase[*string]{
		{"plain", `"abc"`, ptr("abc"), ""},
		{"empty", `""`, ptr(""), ""},
		{"null", `null`, nil, ""},
		{"escapes", `"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac"`, ptr("\"\\/\b\f\n\r\tAé€"), ""},
		{"surrogate pair", `"\ud83d\ude00"`, ptr("😀"), ""},
		{"lone high surrogate", `"\ud800x"`, ptr("\ufffdx"), ""},
		{"lone low surrogate", `"\udc00"`, ptr("\ufffd"), ""},
		{"high then non-low escape", `"\ud800\u0041"`, ptr("\ufffdA"), ""},
		{"two high surrogates", `"\ud800\ud800\udc00"`, ptr("\ufffd𐀀"), ""},
		{"raw UTF-8", `"é😀"`, ptr("é😀"), ""},
		{"invalid UTF-8", "\"a\xffb\xc3\"", ptr("a\ufffdb\ufffd"), ""},
		{"UTF-8 surrogate", "\"\xed\xa0\x80\"", ptr("\ufffd\ufffd\ufffd"), ""},
		{"long", `"` + strings.Repeat("x", 1000) + `"`, ptr(strings.Repeat("x", 1000)), ""},
		{"number", `1`, nil, "type"},
		{"bool", `true`, nil, "type"},
		{"object", `{"a":"b"}`, nil, "type"},
		{"array", `["a"]`, nil, "type"},
		{"control character", "\"a\x01\"", nil, "other"},
		{"bad escape", `"\x"`, nil, "other"},
		{"single quote escape", `"\'"`, nil, "other"},
		{"short unicode escape", `"\u12"`, nil, "other"},
		{"unterminated", `"abc`, nil, "other"},
	}, (*Decoder).StringPtr)
}

func TestIntPtr(t *testing.T) {
	runValues(t, []valueCase[*int]{
		{"zero", `0`, ptr(0), ""},
		{"negative zero", `-0`, ptr(0), ""},
		{"positive", `1024`, ptr(1024), ""},
		{"negative", `-17`, ptr(-17), ""},
		{"max", `9223372036854775807`, ptr(9223372036854775807), ""},
		{"min", `-9223372036854775808`, ptr(-9223372036854775808), ""},
		{"null", `null`, nil, ""},
		{"overflow", `9223372036854775808`, nil, "type"},
		{"underflow", `-9223372036854775809`, nil, "type"},
		{"huge", `1` + strings.Repeat("0", 400), nil, "type"},
		{"fraction", `1.0`, nil, "type"},
		{"exponent", `1e2`, nil, "type"},
		{"string", `"1"`, nil, "type"},
		{"bool", `false`, nil, "type"},
		{"array", `[1]`, nil, "type"},
		{"leading zero", `01`, nil, "other"},
		{"bare minus", `-`, nil, "other"},
		{"trailing dot", `1.`, nil, "other"},
		{"bare exponent", `1e`, nil, "other"},
		{"leading dot", `.5`, nil, "other"},
		{"plus sign", `+1`, nil, "other"},
	}, (*Decoder).IntPtr)
}

func TestBool(t *testing.T) {
	runValues(t, []valueCase[bool]{
		{"true", `true`, true, ""},
		{"false", `false`, false, ""},
		{"null", `null`, false, ""},
		{"string", `"true"`, false, "type"},
		{"number", `1`, false, "type"},
		{"object", `{}`, false, "type"},
		{"misspelled", `tru`, false, "other"},
		{"capitalised", `True`, false, "other"},
		{"run on", `truex`, false, "other"},
	}, (*Decoder).Bool)
}

func TestBlob(t *testing.T) {
	runValues(t, []valueCase[[]byte]{
		{"hello", `"aGVsbG8="`, []byte("hello"), ""},
		{"no padding needed", `"aGVsbG8h"`, []byte("hello!"), ""},
		{"two padding", `"aA=="`, []byte("h"), ""},
		{"empty", `""`, []byte{}, ""},
		{"null", `null`, nil, ""},
		{"long", `"` + strings.Repeat("AAAA", 300) + `"`, make([]byte, 900), ""},
		{"escaped padding", `"aGk\u003d"`, []byte("hi"), ""},
		{"escaped letter", `"a\u0047k="`, []byte("hi"), ""},
		// AWS takes a blob only as canonical base64 text (RFC 4648
		// sections 3.3 and 3.5); encoding/json is laxer.
		{"non-zero trailing bits", `"aGl="`, nil, "aws-base64"},
		{"non-zero trailing bits, two padding", `"aB=="`, nil, "aws-base64"},
		{"non-zero trailing bits, long", `"` + strings.Repeat("AAAA", 20) + `aGl="`, nil, "aws-base64"},
		{"escaped newline", `"aGVs\nbG8="`, nil, "aws-base64"},
		{"escaped CRLF", `"aGVs\r\nbG8="`, nil, "aws-base64"},
		{"escaped trailing newline", `"aGk=\n"`, nil, "aws-base64"},
		{"escaped CR in a long blob", `"` + strings.Repeat("AAAA", 20) + `\r"`, nil, "aws-base64"},
		{"byte array", `[104, 105]`, nil, "aws-type"},
		{"empty array", `[]`, nil, "aws-type"},
		{"array with null", `[null,1]`, nil, "aws-type"},
		{"missing padding", `"aGk"`, nil, "base64"},
		{"padding inside", `"aG==aGk="`, nil, "base64"},
		{"bad character", `"aG!k"`, nil, "base64"},
		{"URL alphabet", `"-_-_"`, nil, "base64"},
		{"space", `"aGk= "`, nil, "base64"},
		{"array element too big", `[256]`, nil, "type"},
		{"string element", `["a"]`, nil, "type"},
		{"number", `12`, nil, "type"},
		{"object", `{}`, nil, "type"},
		{"bool", `true`, nil, "type"},
		{"unterminated array", `[1,`, nil, "other"},
	}, (*Decoder).Blob)
}

func TestStringMap(t *testing.T) {
	runValues(t, []valueCase[map[string]string]{
		{"one", `{"purpose":"bench"}`, map[string]string{"purpose": "bench"}, ""},
		{"empty", `{}`, map[string]string{}, ""},
		{"null", `null`, nil, ""},
		{"null value", `{"a":null}`, nil, "aws-type"},
		{"null value after a string", `{"a":"b","c":null}`, nil, "aws-type"},
		{"repeated key", `{"a":"1","a":"2"}`, map[string]string{"a": "2"}, ""},
		{"escaped key", `{"\u0041\n":"v"}`, map[string]string{"A\n": "v"}, ""},
		{"whitespace", " { \"a\" :\t\"b\" ,\n\"c\":\"d\" } ", map[string]string{"a": "b", "c": "d"}, ""},
		{"long key and value", `{"` + strings.Repeat("k", 200) + `":"` + strings.Repeat("v", 300) + `"}`,
			map[string]string{strings.Repeat("k", 200): strings.Repeat("v", 300)}, ""},
		{"number value", `{"a":1}`, nil, "type"},
		{"object value", `{"a":{}}`, nil, "type"},
		{"array", `[]`, nil, "type"},
		{"string", `"a"`, nil, "type"},
		{"missing colon", `{"a" "b"}`, nil, "other"},
		{"trailing comma", `{"a":"b",}`, nil, "other"},
		{"unquoted key", `{a:"b"}`, nil, "other"},
	}, (*Decoder).StringMap)
}

func TestStringList(t *testing.T) {
	runValues(t, []valueCase[[]string]{
		{"two", `["a","b"]`, []string{"a", "b"}, ""},
		{"empty", `[]`, []string{}, ""},
		{"null", `null`, nil, ""},
		{"null element", `["a",null]`, nil, "aws-type"},
		{"only null", `[null]`, nil, "aws-type"},
		{"number element", `["a",1]`, nil, "type"},
		{"nested array", `[["a"]]`, nil, "type"},
		{"object", `{"a":"b"}`, nil, "type"},
		{"string", `"a"`, nil, "type"},
		{"trailing comma", `["a",]`, nil, "other"},
		{"missing comma", `["a" "b"]`, nil, "other"},
	}, (*Decoder).StringList)
}

func TestSkip(t *testing.T) {
	for _, c := range []struct {
		value string
		ok    bool
	}{
		{`1`, true}, {`-1.5e+10`, true}, {`"s"`, true}, {`true`, true}, {`null`, true}, {`{}`, true}, {`[]`, true},
		{`{"a":[1,{"b":null}],"c":{}}`, true}, {`[[[[]]],[{}]]`, true},
		{`[1,]`, false}, {`{"a"}`, false}, {`{"a":1,}`, false}, {`[1 2]`, false}, {`{1:2}`, false}, {`nul`, false}, {`[`, false}, {`"`, false},
	} {
		d := NewDecoder([]byte(`{"V":` + c.value + `}`))
		for d.Next() {
			d.Skip()
		}
		if err := d.Err(); (err == nil) != c.ok {
			t.Errorf("Skip %s: error %v, want ok %v", c.value, err, c.ok)
		}
	}
}

func TestBodyErrors(t *testing.T) {
	for _, c := range []struct {
		name, body string
		field      string // "" for errors without Field
		msg        string // substring of the message
	}{
		{"empty", ``, "", "unexpected end"},
		{"whitespace", " \n", "", "unexpected end"},
		{"array", `[]`, "", "JSON array into an object"},
		{"string", `"x"`, "", "JSON string into an object"},
		{"number", `12`, "", "JSON number into an object"},
		{"invalid non-object", `[1,]`, "", "invalid character"},
		{"trailing garbage", `{}x`, "", "after top-level value"},
		{"two objects", `{} {}`, "", "after top-level value"},
		{"byte order mark", "\ufeff{}", "", "invalid character"},
		{"unterminated", `{"KeyId":"k"`, "", "unexpected end"},
		{"missing value", `{"KeyId":}`, "", "invalid character"},
		{"trailing comma", `{"KeyId":"k",}`, "", "invalid character"},
		{"type error", `{"KeyId":1}`, "KeyId", "JSON number into string"},
		{"first type error wins", `{"DryRun":1,"KeyId":1}`, "DryRun", "into bool"},
		{"syntax error after type error wins", `{"KeyId":1,"x":[}`, "", "invalid character"},
		{"trailing garbage after type error wins", `{"KeyId":1} x`, "", "after top-level value"},
		{"type error after base64 error", `{"Plaintext":"!!","KeyId":1}`, "Plaintext", "illegal base64 data at input byte 0"},
		{"base64 error after type error", `{"KeyId":1,"Plaintext":"!!"}`, "KeyId", "into string"},
		{"null map value before type error", `{"EncryptionContext":{"a":null},"KeyId":1}`, "EncryptionContext", "JSON null into string"},
		{"nested type error", `{"Recipient":{"KeyEncryptionAlgorithm":1}}`, "Recipient.KeyEncryptionAlgorithm", "into string"},
		{"nested object type error", `{"Recipient":[]}`, "Recipient", "JSON array into object"},
		{"int", `{"NumberOfBytes":1.5}`, "NumberOfBytes", "number 1.5 into int"},
		{"long number shortened", `{"NumberOfBytes":` + strings.Repeat("9", 100) + `}`, "NumberOfBytes", strings.Repeat("9", 32) + "..."},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeInput(NewDecoder([]byte(c.body)))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want a *Error", err)
			}
			if e.Field != c.field || !strings.Contains(e.Msg, c.msg) {
				t.Fatalf("got Field %q Msg %q, want Field %q and Msg containing %q", e.Field, e.Msg, c.field, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "awsjson: ") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestNullBody(t *testing.T) {
	got, err := decodeInput(NewDecoder([]byte(" null ")))
	if err != nil || !reflect.DeepEqual(got, testInput{}) {
		t.Fatalf("got %+v, %v; want the zero value, nil (as encoding/json)", got, err)
	}
}

func TestDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, c := range []struct {
		name, body string
		deep       bool
	}{
		{"body at limit", nest(MaxDepth), false},
		{"body over limit", nest(MaxDepth + 1), true},
		{"member at limit", `{"x":` + nest(MaxDepth-1) + `}`, false},
		{"member over limit", `{"x":` + nest(MaxDepth) + `}`, true},
		{"huge", `{"x":` + strings.Repeat("[", 1<<20), true},
		{"objects at limit", `{"x":` + strings.Repeat(`{"a":`, MaxDepth-1) + `1` + strings.Repeat("}", MaxDepth-1) + `}`, false},
		{"objects over limit", `{"x":` + strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat("}", MaxDepth) + `}`, true},
		{"map over limit", `{"Recipient":` + strings.Repeat(`{"Recipient":`, MaxDepth-2) + `{"AttestationDocument":[]}` + strings.Repeat("}", MaxDepth-1) + `}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			d := NewDecoder([]byte(c.body))
			for d.Next() {
				if d.KeyIs("Recipient") {
					d.Object() // enter as deep as the body goes
				} else if d.KeyIs("AttestationDocument") {
					d.Blob()
				}
			}
			err = d.Err()
			if got := errors.Is(err, ErrTooDeep); got != c.deep {
				t.Fatalf("error %v: errors.Is(err, ErrTooDeep) = %v, want %v", err, got, c.deep)
			}
		})
	}
}

func TestKey(t *testing.T) {
	d := NewDecoder([]byte("{\"Plain\":1,\"Esc\\u0061ped\\n\":2,\"Ütf8\":3,\"bad\xff\":4}"))
	var keys []string
	for d.Next() {
		keys = append(keys, strings.Clone(d.Key()))
		if d.KeyIs("Escaped\n") != (d.Key() == "Escaped\n") {
			t.Errorf("KeyIs and Key disagree on %q", d.Key())
		}
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Plain", "Escaped\n", "Ütf8", "bad\ufffd"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
}

func TestKeyAndSkipDoNotAllocate(t *testing.T) {
	body := []byte(`{"KeyId":"k","Unknown":{"a":[1,2,{"b":"c"}]},"Esc\u0061ped":true,"DryRun":false}`)
	var d Decoder
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset(body)
		for d.Next() {
			switch d.Key() {
			case "DryRun":
				d.Bool()
			default:
				d.Skip()
			}
		}
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per body, want 0", allocs)
	}
}

func TestUnreadMembersAreValidated(t *testing.T) {
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"unread value", `{"a":[1,{"b":2}],"c":3}`, true},
		{"bad unread value", `{"a":[1,}`, false},
		{"garbage after early break", `{"DryRun":true,"x":1} x`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder([]byte(c.body))
			for d.Next() {
				if d.KeyIs("DryRun") {
					d.Bool()
					break // stop early: Err must still check the rest
				}
			}
			if err := d.Err(); (err == nil) != c.ok {
				t.Fatalf("Err() = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestObjectNeedsCommaAfter(t *testing.T) {
	// Found by FuzzDecode: a comma was not required after an empty object
	// entered with Object.
	for _, body := range []string{`{"Recipient":{} "x":1}`, `{"Recipient":{"KeyEncryptionAlgorithm":"a"} "x":1}`} {
		if _, err := decodeInput(NewDecoder([]byte(body))); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
}

func TestObjectLoopContinuesOuter(t *testing.T) {
	got, err := decodeInput(NewDecoder([]byte(`{"Recipient":{"X":{"y":[]},"KeyEncryptionAlgorithm":"RSA"},"KeyId":"k","Recipient":null,"Recipient":{}}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := testInput{KeyId: ptr("k"), Recipient: &testRecipient{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestMisusePanics(t *testing.T) {
	for name, f := range map[string]func(d *Decoder){
		"value before Next": func(d *Decoder) { d.StringPtr() },
		"value twice":       func(d *Decoder) { d.Next(); d.Bool(); d.Bool() },
		"value after end":   func(d *Decoder) { d.Next(); d.Skip(); d.Next(); d.Skip() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f(NewDecoder([]byte(`{"a":true}`)))
		})
	}
	// After an error, value methods return zero values instead.
	d := NewDecoder([]byte(`{"a":1,"b":`))
	d.Next()
	d.Bool()
	if d.Next() || d.StringPtr() != nil || d.Bool() || d.Blob() != nil {
		t.Fatal("values after an error")
	}
}

func TestStringsOutliveBodyAndReset(t *testing.T) {
	body := []byte(`{"KeyId":"arn:k","EncryptionContext":{"purpose":"bench"},"GrantTokens":["g"]}`)
	var d Decoder
	d.Reset(body)
	in, err := decodeInput(&d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'X'
	}
	for range 200 { // refill the slab many times
		d.Reset([]byte(`{"KeyId":"other","EncryptionContext":{"k":"v"}}`))
		if _, err := decodeInput(&d); err != nil {
			t.Fatal(err)
		}
	}
	want := testInput{KeyId: ptr("arn:k"), EncryptionContext: map[string]string{"purpose": "bench"}, GrantTokens: []string{"g"}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("values changed (-want +got):\n%s", diff)
	}
}

// TestHostileInputIsLinear decodes 1 MiB bodies built to trip quadratic
// paths; a quadratic decoder would take hours.
func TestHostileInputIsLinear(t *testing.T) {
	const n = 1 << 20
	bodies := map[string]string{
		"many members":         "{" + strings.Repeat(`"a":1,`, n/6) + `"a":1}`,
		"many map entries":     `{"EncryptionContext":{` + strings.Repeat(`"k":"v",`, n/8) + `"k":"v"}}`,
		"many list elements":   `{"GrantTokens":[` + strings.Repeat(`"",`, n/3) + `""]}`,
		"escaped keys":         "{" + strings.Repeat(`"\u0041\n":1,`, n/13) + `"a":1}`,
		"invalid UTF-8 string": `{"KeyId":"` + strings.Repeat("\xff", n) + `"}`,
		"escapes in blob":      `{"Plaintext":"` + strings.Repeat(`\/`, n/2) + `"}`,
		"deep then wide":       `{"x":[` + strings.Repeat(strings.Repeat("[", 60)+strings.Repeat("]", 60)+",", n/121) + `0]}`,
		"unterminated string":  `{"KeyId":"` + strings.Repeat("a", n),
		"byte array":           `{"Plaintext":[` + strings.Repeat("255,", n/4) + `0]}`,
		"nested unclosed":      `{"x":` + strings.Repeat(`{"a":[`, n/6),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			decodeInput(NewDecoder([]byte(body)))
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("took %v for %d bytes", el, len(body))
			}
		})
	}
}

// TestImports keeps the package free of reflection: it must not import
// reflect or encoding/json.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if imp == "reflect" || imp == "encoding/json" || strings.HasPrefix(imp, "encoding/json/") {
			t.Errorf("package imports %s", imp)
		}
	}
}

// TestFastBlobPath checks that well-formed base64 takes the fast path (the
// differential tests pass either way, since the slow path is exact).
func TestFastBlobPath(t *testing.T) {
	for n := range 64 {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i*71 + n)
		}
		body := []byte(`"` + base64.StdEncoding.EncodeToString(want) + `",`)
		d := NewDecoder(body)
		got, end := d.fastBlob(0)
		if end != len(body)-1 || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: fastBlob = %x, %d; want %x, %d", n, got, end, want, len(body)-1)
		}
	}
}

func TestBlobScratchIsZeroed(t *testing.T) {
	for _, body := range []string{`{"Plaintext":[1,2,3,4]}`, `{"Plaintext":"c2VjcmV0\nc2VjcmV0"}`, `{"Plaintext":[1,2,"x"]}`} {
		var d Decoder
		d.Reset([]byte(body))
		decodeInput(&d)
		for i, c := range d.scratch[:cap(d.scratch)] {
			if c != 0 {
				t.Fatalf("%s: scratch[%d] = %#x after decoding", body, i, c)
			}
		}
	}
}
