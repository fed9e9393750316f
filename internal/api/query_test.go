package api

import (
	"net/url"
	"testing"
)

func TestDecodeQuery(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want queryParams
		ok   bool
	}{
		{"Action=CreateUser&Version=2010-05-08&UserName=a%2Bb+c", queryParams{"Action": "CreateUser", "Version": "2010-05-08", "UserName": "a+b c"}, true},
		{"A=1&&A=2&B", queryParams{"A": "2", "B": ""}, true},
		{"A=%zz", nil, false},
		{"%=1", nil, false},
	} {
		got := queryParams{}
		err := decodeQuery(tc.in, got)
		if (err == nil) != tc.ok {
			t.Fatalf("decodeQuery(%q) err = %v, want ok %v", tc.in, err, tc.ok)
		}
		if tc.ok && len(got) != len(tc.want) {
			t.Errorf("decodeQuery(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("decodeQuery(%q)[%q] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

// FuzzDecodeQuery: the decoder never panics, and what url.Values encodes
// decodes back to the same values.
func FuzzDecodeQuery(f *testing.F) {
	f.Add("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&Tags.member.1.Key=k")
	f.Add("a=%&b")
	f.Fuzz(func(t *testing.T, s string) {
		_ = decodeQuery(s, queryParams{})
		v := url.Values{"K": {s}, s: {"v"}}
		got := queryParams{}
		if err := decodeQuery(v.Encode(), got); err != nil {
			t.Fatalf("decodeQuery(%q): %v", v.Encode(), err)
		}
		if s != "" && (got["K"] != s && s != "K" || got[s] != "v") {
			t.Fatalf("round trip of %q: %v", s, got)
		}
	})
}
