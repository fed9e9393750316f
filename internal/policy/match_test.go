package policy

import (
	"strings"
	"testing"
	"time"
)

func TestGlobMatch(t *testing.T) {
	// IAM JSON policy elements: Action/Resource: * matches any run of
	// characters (including none), ? exactly one.
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"**x", "abx", true},
		{"*ab", "aab", true},
		{"a*a*a*a*a*a*a*a*b", strings.Repeat("a", 4000), false},
	}
	for _, c := range cases {
		p := compilePattern(c.pat, true, false, false)
		start := time.Now()
		if got := p.match(c.s, &evalCtx{}); got != c.want {
			t.Errorf("match(%q, %.20q) = %v, want %v", c.pat, c.s, got, c.want)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("match(%q) took %v: wildcard matching must stay polynomial", c.pat, d)
		}
	}
}
