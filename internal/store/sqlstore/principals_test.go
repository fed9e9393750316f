package sqlstore

import (
	"slices"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/policy"
)

func TestPrincipalARNs(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"statement array", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/a","111122223333"]}},{"NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/r"}}]}`,
			[]string{"arn:aws:iam::111122223333:user/a", "111122223333", "arn:aws:iam::111122223333:role/r"}},
		{"statement object", `{"Statement":{"Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s","Service":"x.amazonaws.com"}}}`,
			[]string{"arn:aws:sts::111122223333:assumed-role/r/s"}},
		{"escaped", `{"Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:user\/a"}}}`, []string{"arn:aws:iam::111122223333:user/a"}},
		{"star", `{"Statement":{"Principal":"*"}}`, nil},
		{"condition is not a principal", `{"Statement":{"Principal":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/a"}}}}`, nil},
		{"not JSON", `{"Statement":`, nil},
		{"no statement", `{}`, nil},
	}
	for _, c := range cases {
		if got := principalARNs(c.doc); !slices.Equal(got, c.want) {
			t.Errorf("%s: principalARNs = %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzPrincipalARNs checks principalARNs, which the migration binds by,
// against the policy engine: for every document the engine accepts, the
// user, role and role-session ARNs it names are exactly the ones
// principalARNs finds.
func FuzzPrincipalARNs(f *testing.F) {
	seeds := []string{
		policy.DefaultKeyPolicy("111122223333"),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/a","111122223333"]},"Action":"kms:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s"},"Action":"kms:*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role\/p\/r"},"Action":"sts:AssumeRole"}]}`,
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	bindable := func(arns []string) []string {
		var out []string
		for _, a := range arns {
			if strings.Contains(a, ":user/") || strings.Contains(a, ":role/") || strings.Contains(a, ":assumed-role/") {
				if !slices.Contains(out, a) {
					out = append(out, a)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got := principalARNs(doc) // must not panic on any input
		for _, kind := range []policy.Kind{policy.KeyPolicy, policy.TrustPolicy} {
			p, err := policy.Parse(doc, kind)
			if err != nil {
				continue
			}
			if want := bindable(p.PrincipalARNs()); !slices.Equal(bindable(got), want) {
				t.Fatalf("principalARNs finds %q, the policy engine %q", bindable(got), want)
			}
		}
	})
}

// FuzzDecodePrincipals: a stored principal binding is read from a column
// that anyone with write access to the database can edit; whatever it
// holds, decoding never panics, and what decodes encodes back to a form
// that decodes to the same binding.
func FuzzDecodePrincipals(f *testing.F) {
	f.Add(``)
	f.Add(`{"arn:aws:iam::111122223333:user/a":"AIDAEXAMPLE"}`)
	f.Add(`{"arn:aws:iam::111122223333:user/a":null}`)
	f.Add(`[]`)
	f.Add(`{"a":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := decodePrincipals(s)
		if err != nil {
			return
		}
		enc, err := encodePrincipals(p)
		if err != nil {
			t.Fatalf("encode %v: %v", p, err)
		}
		q, err := decodePrincipals(enc)
		if err != nil || len(q) != len(p) {
			t.Fatalf("decode(encode(%q)) = %v, %v; want %v", s, q, err, p)
		}
		for k, v := range p {
			if q[k] != v {
				t.Fatalf("decode(encode(%q))[%q] = %q, want %q", s, k, q[k], v)
			}
		}
	})
}
