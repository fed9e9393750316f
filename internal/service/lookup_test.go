package service

import (
	"slices"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

// TestCallerLookupFolded: the encryption-context and tag condition keys
// return every entry whose key equals the name ignoring case (the policy
// engine decides such keys by one order-independent rule), and nothing
// is allocated when at most one entry matches (the request path).
func TestCallerLookupFolded(t *testing.T) {
	c := caller()
	c.setEncryptionContext(map[string]string{"Classification": "restricted", "CLASSIFICATION": "public", "app": "billing", "empty": ""})
	c.key = &store.Key{Tags: []store.Tag{{Key: "Team", Value: "blue"}, {Key: "TEAM", Value: "red"}, {Key: "env", Value: "prod"}}}
	c.reqTags = []store.Tag{{Key: "Env", Value: "x"}, {Key: "env", Value: "prod"}}
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"kms:encryptioncontext:classification", []string{"public", "restricted"}},
		{"kms:encryptioncontext:Classification", []string{"public", "restricted"}},
		{"kms:encryptioncontext:APP", []string{"billing"}},
		{"kms:encryptioncontext:empty", nil},
		{"kms:encryptioncontext:none", nil},
		{"aws:resourcetag/team", []string{"blue", "red"}},
		{"aws:resourcetag/ENV", []string{"prod"}},
		{"aws:requesttag/env", []string{"prod", "x"}},
	} {
		got, ok := c.Lookup(tc.key)
		got = slices.Clone(got)
		slices.Sort(got)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("Lookup(%s) = %q, %v; want %q", tc.key, got, ok, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		c.Lookup("kms:encryptioncontext:app")
		c.Lookup("kms:encryptioncontext:none")
		c.Lookup("aws:resourcetag/env")
	}); n != 0 {
		t.Errorf("Lookup of a key with one entry allocates %v times", n)
	}
}
