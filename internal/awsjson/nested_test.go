package awsjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// epoch is a timestamp as the repository's Epoch types decode it.
type epoch time.Time

func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec := int64(f)
	*e = epoch(time.Unix(sec, int64((f-float64(sec))*1e9)).UTC())
	return nil
}

func (e epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(e).UnixMilli())/1000, 'f', -1, 64), nil
}

type nestedTag struct {
	TagKey   *string `json:"TagKey"`
	TagValue *string `json:"TagValue"`
	Blob     []byte  `json:"Blob"`
}

type nestedInput struct {
	KeyId *string     `json:"KeyId"`
	Tags  []nestedTag `json:"Tags"`
	When  *epoch      `json:"When"`
}

func (t *nestedTag) decode(d *Decoder) {
	for d.Next() {
		switch d.Key() {
		case "TagKey":
			t.TagKey = d.StringPtr()
		case "TagValue":
			t.TagValue = d.StringPtr()
		case "Blob":
			t.Blob = d.Blob()
		}
	}
}

func decodeNested(body []byte) (nestedInput, error) {
	var in nestedInput
	d := NewDecoder(body)
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Tags":
			in.Tags = nil
			if d.ObjectList(func(e *Decoder) {
				in.Tags = append(in.Tags, nestedTag{})
				in.Tags[len(in.Tags)-1].decode(e)
			}) && in.Tags == nil {
				in.Tags = []nestedTag{}
			}
		case "When":
			in.When = nil
			if t, ok := d.Timestamp(); ok {
				e := epoch(t)
				in.When = &e
			}
		}
	}
	return in, d.Err()
}

// checkNested compares ObjectList and Timestamp with encoding/json.
func checkNested(t *testing.T, body []byte) {
	t.Helper()
	if len(body) == 0 || foldedOrRepeated(body) {
		return // documented exceptions, tested in fuzz_test.go
	}
	got, gotErr := decodeNested(body)
	var want nestedInput
	wantErr := json.Unmarshal(body, &want)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	if wantErr != nil && !errors.As(wantErr, &te) && !errors.As(wantErr, &se) && gotErr != nil {
		return // epoch's own error for a non-number: a type error here
	}
	if errors.Is(gotErr, ErrTooDeep) {
		return
	}
	if field := strictNested(body); wantErr == nil && field != "" {
		// What AWS's JSON protocol refuses and encoding/json takes.
		var e *Error
		if !errors.As(gotErr, &e) || e.Field != field {
			t.Fatalf("body %q: %v, want a refusal at %s", body, gotErr, field)
		}
		return
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("body %q: ObjectList/Timestamp: %v, encoding/json: %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		var e *Error
		errors.As(gotErr, &e)
		field := ""
		if te != nil {
			field = te.Field
		}
		if e.Field != field {
			t.Fatalf("body %q: Field %q, encoding/json %q", body, e.Field, field)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q: got %+v, encoding/json %+v", body, got, want)
	}
}

// strictNested returns the path of a member of body that ObjectList or
// Blob refuse although encoding/json takes it: a null element of Tags, a
// blob that is not strict base64. It returns "" if there is none, or if
// body is not what encoding/json reads into nestedInput.
func strictNested(body []byte) string {
	var v struct {
		Tags []*struct{ Blob json.RawMessage }
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	for _, t := range v.Tags { // in document order, as the decoder reads
		if t == nil {
			return "Tags"
		}
		var s string
		if len(t.Blob) > 0 && t.Blob[0] == '"' && json.Unmarshal(t.Blob, &s) == nil {
			if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil || strings.ContainsAny(s, "\r\n") {
				return "Tags.Blob"
			}
		}
		if len(t.Blob) > 0 && t.Blob[0] == '[' {
			return "Tags.Blob"
		}
	}
	return ""
}

var nestedNames = []string{"KeyId", "Tags", "When", "TagKey", "TagValue", "Blob"}

// foldedOrRepeated reports whether some object in body repeats a member
// or has a name that matches a field only up to case.
func foldedOrRepeated(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, map[string]bool{})
			expectKey = true
			continue
		case json.Delim('['):
			stack = append(stack, nil)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if s, ok := tok.(string); ok && expectKey {
				seen := stack[len(stack)-1]
				if seen[s] {
					return true
				}
				seen[s] = true
				for _, n := range nestedNames {
					if s != n && strings.EqualFold(s, n) {
						return true
					}
				}
				expectKey = false
				continue
			}
		}
		expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
	}
}

var nestedSeeds = []string{
	`{"Tags":[{"TagKey":"a","TagValue":"b"},{"TagKey":"c"}],"KeyId":"k"}`,
	`{"Tags":[]}`, `{"Tags":null}`, `{"Tags":[null]}`, `{"Tags":[null,{"TagValue":"v"}]}`,
	`{"Tags":[{"TagKey":5}]}`, `{"Tags":[{"TagKey":"a"},5]}`, `{"Tags":"x"}`, `{"Tags":{}}`, `{"Tags":[[]]}`,
	`{"Tags":[{"Blob":"@@"}],"KeyId":5}`, `{"Tags":[{"Blob":"AQID"}]}`, `{"Tags":[{"x":{"y":[1,2]}}]}`,
	`{"Tags":[{"TagKey":1}],"KeyId":2}`, `{"KeyId":2,"Tags":[{"TagKey":1}]}`, `{"Tags":[{"TagKey":1}],"x":[}`,
	`{"Tags":[{},]}`, `{"Tags":[{}`, `{"Tags":[ { } , { "TagKey" : "\u00e9" } ] }`,
	`{"When":1700000000.123}`, `{"When":-0.5}`, `{"When":0}`, `{"When":null}`, `{"When":"1"}`, `{"When":true}`,
	`{"When":1e400}`, `{"When":1e3}`, `{"When":[]}`,
}

func TestNestedMatchesEncodingJSON(t *testing.T) {
	for _, s := range nestedSeeds {
		checkNested(t, []byte(s))
	}
}

func FuzzNested(f *testing.F) {
	for _, s := range nestedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkNested(t, body) })
}

type nestedOutput struct {
	Tags    []nestedTag `json:"Tags"`
	Nothing *nestedTag  `json:"Nothing"`
	When    epoch       `json:"When"`
}

func TestNestedEncodeMatchesEncodingJSON(t *testing.T) {
	k, v := "k<&>", "\u2028"
	for _, o := range []nestedOutput{
		{},
		{Tags: []nestedTag{}, When: epoch(time.UnixMilli(1700000000123))},
		{Tags: []nestedTag{{TagKey: &k, TagValue: &v, Blob: []byte{1}}, {}}, When: epoch(time.UnixMilli(-1500))},
	} {
		want, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var e Encoder
		e.Begin()
		if o.Tags == nil {
			e.Null("Tags")
		} else {
			e.List("Tags")
			for _, tag := range o.Tags {
				e.ElemObject()
				for _, m := range []struct {
					name string
					v    *string
				}{{"TagKey", tag.TagKey}, {"TagValue", tag.TagValue}} {
					if m.v == nil {
						e.Null(m.name)
					} else {
						e.String(m.name, *m.v)
					}
				}
				e.Blob("Blob", tag.Blob)
				e.End()
			}
			e.EndList()
		}
		e.Null("Nothing")
		e.Timestamp("When", time.Time(o.When))
		e.End()
		if got := e.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("Encoder wrote %s, encoding/json %s", got, want)
		}
	}
}
