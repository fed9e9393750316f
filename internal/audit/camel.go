package audit

import (
	"bytes"
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// CamelJSON encodes v with encoding/json and rewrites every object member
// name to start with a lower-case letter (KeyMetadata -> keyMetadata), the
// way CloudTrail writes KMS request and response members.
func CamelJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var x any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	return json.Marshal(camel(x))
}

func camel(x any) any {
	switch t := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[lowerFirst(k)] = camel(v)
		}
		return m
	case []any:
		for i := range t {
			t[i] = camel(t[i])
		}
		return t
	}
	return x
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
