package policy

import (
	"encoding/json"
	"testing"
)

const ruleBind = "IAM JSON policy elements: Principal: an ARN in Principal is saved as the principal's unique ID; if the principal is deleted and created again, the policy no longer applies to it"

// TestBind checks that a bound policy names a principal only while the
// principal's unique ID is the one bound, and that an unbound principal
// ARN names no one.
func TestBind(t *testing.T) {
	// The same names as alice and the session, created again: new IDs.
	alice2 := *alice
	alice2.UserID = "AIDAALICE2"
	sess2 := *sess
	sess2.RoleID, sess2.UserID = "AROAADMIN2", "AROAADMIN2:s1"
	allow := func(principal string) string {
		return doc(`{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"kms:*","Resource":"*"}`)
	}
	notPrincipalDeny := doc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"kms:*","Resource":"*"}`)
	cases := []struct {
		name string
		doc  string
		ids  map[string]string
		p    *Principal
		want ResourceEffect
	}{
		{"user bound to its ID", allow(`"arn:aws:iam::111122223333:user/alice"`), testIDs, alice, ResourceAllowDirect},
		{"user created again", allow(`"arn:aws:iam::111122223333:user/alice"`), testIDs, &alice2, ResourceNotApplicable},
		{"user not bound", allow(`"arn:aws:iam::111122223333:user/alice"`), nil, alice, ResourceNotApplicable},
		{"ID of another ARN", allow(`"arn:aws:iam::111122223333:user/alice"`), map[string]string{alice.ARN: bob.UserID}, alice, ResourceNotApplicable},
		{"role bound: its session", allow(`"arn:aws:iam::111122223333:role/ops/Admin"`), testIDs, sess, ResourceAllowDirect},
		{"role created again: its session", allow(`"arn:aws:iam::111122223333:role/ops/Admin"`), testIDs, &sess2, ResourceNotApplicable},
		{"session bound", allow(`"arn:aws:sts::111122223333:assumed-role/Admin/s1"`), testIDs, sess, ResourceAllowDirect},
		{"session of a role created again", allow(`"arn:aws:sts::111122223333:assumed-role/Admin/s1"`), testIDs, &sess2, ResourceNotApplicable},
		{"account is never bound", allow(`"111122223333"`), nil, &alice2, ResourceAllowAccount},
		{"unbound user beside the account", allow(`["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]`), nil, alice, ResourceAllowAccount},
		{"NotPrincipal spares the bound user", notPrincipalDeny, testIDs, alice, ResourceAllowDirect},
		{"NotPrincipal does not spare it created again", notPrincipalDeny, testIDs, &alice2, ResourceDeny},
		{"NotPrincipal does not spare an unbound user", notPrincipalDeny, nil, alice, ResourceDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.doc, KeyPolicy)
			if err != nil {
				t.Fatal(err)
			}
			r := &Request{Principal: c.p, Action: "kms:Encrypt", Resource: keyARN}
			if got := p.Bind(c.ids).EvaluateResource(r); got != c.want {
				t.Errorf("EvaluateResource = %v, want %v\nrule: %s", got, c.want, ruleBind)
			}
		})
	}
}

// TestBindLeavesOriginal checks that Bind returns a new policy and leaves
// the one it binds as it was (a *Policy is immutable).
func TestBindLeavesOriginal(t *testing.T) {
	p, err := Parse(doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}`), KeyPolicy)
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN}
	b := p.Bind(testIDs)
	if got := b.EvaluateResource(r); got != ResourceAllowDirect {
		t.Fatalf("bound: %v, want AllowDirect", got)
	}
	if got := p.EvaluateResource(r); got != ResourceNotApplicable {
		t.Fatalf("the unbound original after Bind: %v, want NotApplicable", got)
	}
	if b.Document() != p.Document() {
		t.Fatalf("Bind changed the document")
	}
}

func TestPrincipalIs(t *testing.T) {
	cases := []struct {
		name    string
		arn, id string
		p       *Principal
		want    bool
	}{
		{"user", alice.ARN, alice.UserID, alice, true},
		{"user, other ID", alice.ARN, "AIDAOLD", alice, false},
		{"user, unbound", alice.ARN, "", alice, false},
		{"role names its session", sess.RoleARN, sess.RoleID, sess, true},
		{"role, other ID", sess.RoleARN, "AROAOLD", sess, false},
		{"session", sess.ARN, sess.RoleID, sess, true},
		{"session, other role ID", sess.ARN, "AROAOLD", sess, false},
		{"root, unbound", rootA.ARN, "", rootA, true},
		{"root of another account", rootB.ARN, "", rootA, false},
		{"account root is not a user", rootA.ARN, "", alice, false},
		{"empty ARN", "", "", rootA, false},
		{"nil principal", alice.ARN, alice.UserID, nil, false},
	}
	for _, c := range cases {
		if got := c.p.Is(c.arn, c.id); got != c.want {
			t.Errorf("%s: Is(%q, %q) = %v, want %v", c.name, c.arn, c.id, got, c.want)
		}
	}
}

func TestShowPrincipals(t *testing.T) {
	gone := map[string]string{
		"arn:aws:iam::111122223333:user/alice":            "AIDAALICE",
		"arn:aws:sts::111122223333:assumed-role/Admin/s1": "AROAADMIN:s1",
	}
	show := func(arn string) (string, bool) {
		id, ok := gone[arn]
		return id, ok
	}
	cases := []struct{ name, in, want string }{
		{"string principal",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}}`,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"AIDAALICE"},"Action":"kms:*","Resource":"*"}}`},
		{"array, layout kept",
			"{\n  \"Statement\" : [ {\n    \"Principal\" : { \"AWS\" : [ \"arn:aws:iam::111122223333:root\" ,\n \"arn:aws:iam::111122223333:user/alice\", \"arn:aws:sts::111122223333:assumed-role/Admin/s1\" ] }\n  } ]\n}",
			"{\n  \"Statement\" : [ {\n    \"Principal\" : { \"AWS\" : [ \"arn:aws:iam::111122223333:root\" ,\n \"AIDAALICE\", \"AROAADMIN:s1\" ] }\n  } ]\n}"},
		{"NotPrincipal",
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice"]}}]}`,
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["AIDAALICE"]}}]}`},
		{"conditions and resources keep the ARN",
			`{"Statement":[{"Principal":"*","Resource":"arn:aws:iam::111122223333:user/alice","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}},"Sid":"arn:aws:iam::111122223333:user/alice"}]}`,
			`{"Statement":[{"Principal":"*","Resource":"arn:aws:iam::111122223333:user/alice","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}},"Sid":"arn:aws:iam::111122223333:user/alice"}]}`},
		{"an escaped ARN is decoded first",
			`{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:user\/alice"}}]}`,
			`{"Statement":[{"Principal":{"AWS":"AIDAALICE"}}]}`},
		{"nothing gone", DefaultKeyPolicy(acctA), DefaultKeyPolicy(acctA)},
		{"not JSON", `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"`, `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"`},
	}
	for _, c := range cases {
		if got := ShowPrincipals(c.in, show); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// FuzzShowPrincipals checks that ShowPrincipals never panics, leaves a
// document unchanged when it replaces nothing, and keeps valid JSON valid.
func FuzzShowPrincipals(f *testing.F) {
	seeds := []string{
		DefaultKeyPolicy(acctA),
		doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"]},"NotAction":"kms:Get*","NotResource":"arn:aws:kms:*:*:key/*"}`),
		`{"Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:user\/alice","Service":"x.amazonaws.com"}}}`,
		`{"Statement":[{"Principal":{"AWS":[1,true,null,{"a":"b"},["c"]]}}]}`,
		`[{"Statement":"x"}]`,
		`{"Statement"`,
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if got := ShowPrincipals(d, func(string) (string, bool) { return "", false }); got != d {
			t.Fatalf("nothing replaced, but the document changed:\n%q\n%q", d, got)
		}
		got := ShowPrincipals(d, func(arn string) (string, bool) { return "AIDA\"" + arn, true })
		if json.Valid([]byte(d)) && !json.Valid([]byte(got)) {
			t.Fatalf("valid JSON became invalid:\n%q\n%q", d, got)
		}
	})
}
