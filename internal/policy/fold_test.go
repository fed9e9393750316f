package policy

import (
	"strings"
	"testing"
)

// Encryption contexts for the folded-key tests: R and P have one entry,
// RP and PI two entries whose keys differ only in case, E none.
var foldContexts = map[string][][2]string{
	"R":  {{"Classification", "restricted"}},
	"P":  {{"Classification", "public"}},
	"RP": {{"Classification", "restricted"}, {"CLASSIFICATION", "public"}},
	"PI": {{"classification", "public"}, {"CLASSIFICATION", "internal"}},
	"E":  {{"other", "x"}},
}

// foldValues builds a fresh Values for context name (a new map, so a new
// iteration order).
func foldValues(name string) *Values {
	v := &Values{}
	for _, kv := range foldContexts[name] {
		v.Set("kms:EncryptionContext:"+kv[0], kv[1])
	}
	return v
}

// TestFoldedKeyRule checks the rule of condition.eval for a single-valued
// key to which several request entries fold: a Deny applies if its
// condition holds for ANY of the values, an Allow only if it holds for
// EVERY one; Null and IfExists see a present key. Each case runs 1,000
// times on fresh contexts, whose entries Lookup returns in varying order,
// and for two spellings of the key in the policy (one equal to an entry's
// key, one equal to none), and must give the same answer every time.
func TestFoldedKeyRule(t *testing.T) {
	allowAll := `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
	deny := func(cond string) string {
		return doc(`{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{`+cond+`}}`, allowAll)
	}
	allow := func(cond string) string {
		return doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{` + cond + `}}`)
	}
	const k = `"kms:EncryptionContext:KEY"`
	cases := []struct {
		name string
		doc  string
		want map[string]Effect
	}{
		{"Deny StringEquals", deny(`"StringEquals":{` + k + `:"restricted"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "PI": Allow, "E": Allow}},
		{"Deny StringNotEquals (deny unless public)", deny(`"StringNotEquals":{` + k + `:"public"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "PI": Deny, "E": Deny}},
		{"Deny StringLike", deny(`"StringLike":{` + k + `:"rest*"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny}},
		{"Deny StringEqualsIgnoreCase", deny(`"StringEqualsIgnoreCase":{` + k + `:"RESTRICTED"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny}},
		{"Deny StringNotLike (deny unless pub*)", deny(`"StringNotLike":{` + k + `:"pub*"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "PI": Deny}},
		{"Deny ForAnyValue:StringEquals", deny(`"ForAnyValue:StringEquals":{` + k + `:"restricted"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "E": Allow}},
		{"Deny ForAllValues:StringNotEquals", deny(`"ForAllValues:StringNotEquals":{` + k + `:"public"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny}},
		{"Deny StringEqualsIfExists", deny(`"StringEqualsIfExists":{` + k + `:"restricted"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "E": Deny}},
		{"Deny StringNotEqualsIfExists", deny(`"StringNotEqualsIfExists":{` + k + `:"public"}`),
			map[string]Effect{"R": Deny, "P": Allow, "RP": Deny, "E": Deny}},
		{"Deny Null false (deny if present)", deny(`"Null":{` + k + `:"false"}`),
			map[string]Effect{"R": Deny, "RP": Deny, "E": Allow}},
		{"Deny Null true (deny if absent)", deny(`"Null":{` + k + `:"true"}`),
			map[string]Effect{"R": Allow, "RP": Allow, "E": Deny}},

		{"Allow StringEquals", allow(`"StringEquals":{` + k + `:"public"}`),
			map[string]Effect{"R": NotApplicable, "P": Allow, "RP": NotApplicable, "PI": NotApplicable, "E": NotApplicable}},
		{"Allow StringEquals, both values listed", allow(`"StringEquals":{` + k + `:["public","restricted"]}`),
			map[string]Effect{"R": Allow, "P": Allow, "RP": Allow, "PI": NotApplicable}},
		{"Allow StringNotEquals", allow(`"StringNotEquals":{` + k + `:"restricted"}`),
			map[string]Effect{"R": NotApplicable, "P": Allow, "RP": NotApplicable, "PI": Allow, "E": Allow}},
		{"Allow StringLike", allow(`"StringLike":{` + k + `:"pub*"}`),
			map[string]Effect{"P": Allow, "RP": NotApplicable}},
		{"Allow ForAnyValue:StringEquals", allow(`"ForAnyValue:StringEquals":{` + k + `:"public"}`),
			map[string]Effect{"P": Allow, "RP": NotApplicable}},
		{"Allow ForAllValues:StringEquals", allow(`"ForAllValues:StringEquals":{` + k + `:["public","internal"]}`),
			map[string]Effect{"P": Allow, "RP": NotApplicable, "PI": Allow, "E": Allow}},
		{"Allow StringEqualsIfExists", allow(`"StringEqualsIfExists":{` + k + `:"public"}`),
			map[string]Effect{"P": Allow, "RP": NotApplicable, "E": Allow}},
		{"Allow Null false (allow if present)", allow(`"Null":{` + k + `:"false"}`),
			map[string]Effect{"RP": Allow, "E": NotApplicable}},
	}
	for _, tc := range cases {
		for _, spelling := range []string{"classification", "Classification"} {
			p := mustParse(t, strings.ReplaceAll(tc.doc, "KEY", spelling), IdentityPolicy)
			for ctxName, want := range tc.want {
				t.Run(tc.name+"/"+spelling+"/"+ctxName, func(t *testing.T) {
					for i := range 1000 {
						r := &Request{Principal: alice, Action: "kms:Decrypt", Resource: keyARN, Context: foldValues(ctxName)}
						if got := p.Evaluate(r); got != want {
							t.Fatalf("iteration %d: %v, want %v", i, got, want)
						}
					}
				})
			}
		}
	}
}

// TestFoldedPrincipalTag: principal tags whose keys differ only in case
// are decided by the same rule.
func TestFoldedPrincipalTag(t *testing.T) {
	p := &Principal{ARN: alice.ARN, Account: acctA, Type: TypeIAMUser, UserID: "AIDAALICE", Username: "alice",
		Tags: map[string]string{"Team": "blue", "TEAM": "red"}}
	deny := mustParse(t, doc(`{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}`,
		`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), IdentityPolicy)
	allow := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}`), IdentityPolicy)
	for i := range 1000 {
		// A new map each time: a new iteration order.
		p.Tags = map[string]string{"Team": "blue", "TEAM": "red"}
		r := &Request{Principal: p, Action: "kms:Encrypt", Resource: keyARN}
		if got := deny.Evaluate(r); got != Deny {
			t.Fatalf("iteration %d: Deny on one of two folded tags: %v", i, got)
		}
		if got := allow.Evaluate(r); got != NotApplicable {
			t.Fatalf("iteration %d: Allow on one of two folded tags: %v", i, got)
		}
	}
}

// TestFoldedVariable: a policy variable naming a folded key with several
// values cannot be resolved; the condition or Resource using it holds in a
// Deny and fails in an Allow, whatever the order of the entries.
func TestFoldedVariable(t *testing.T) {
	ctx := func() *Values {
		v := &Values{}
		v.Set("kms:EncryptionContext:team", "blue")
		v.Set("kms:EncryptionContext:TEAM", "red")
		return v
	}
	denyCond := mustParse(t, doc(`{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${kms:EncryptionContext:team}"}}}`,
		`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), IdentityPolicy)
	allowCond := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${kms:EncryptionContext:team}"}}}`), IdentityPolicy)
	denyRes := mustParse(t, doc(`{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:alias/${kms:EncryptionContext:team}"}`,
		`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), IdentityPolicy)
	allowRes := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:alias/${kms:EncryptionContext:team}"}`), IdentityPolicy)
	const alias = "arn:aws:kms:us-east-1:111122223333:alias/blue"
	for i := range 1000 {
		r := &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN, Context: ctx()}
		if got := denyCond.Evaluate(r); got != Deny {
			t.Fatalf("iteration %d: Deny condition with an ambiguous variable: %v", i, got)
		}
		if got := allowCond.Evaluate(r); got != NotApplicable {
			t.Fatalf("iteration %d: Allow condition with an ambiguous variable: %v", i, got)
		}
		ra := &Request{Principal: alice, Action: "kms:CreateAlias", Resource: alias, Context: ctx()}
		if got := denyRes.Evaluate(ra); got != Deny {
			t.Fatalf("iteration %d: Deny Resource with an ambiguous variable: %v", i, got)
		}
		if got := allowRes.Evaluate(ra); got != NotApplicable {
			t.Fatalf("iteration %d: Allow Resource with an ambiguous variable: %v", i, got)
		}
	}
	// With one entry the variable resolves as before.
	one := &Values{}
	one.Set("kms:EncryptionContext:TEAM", "blue")
	if got := allowCond.Evaluate(&Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN, Context: one}); got != Allow {
		t.Errorf("Allow with one folded entry: %v, want Allow", got)
	}
}

// TestValuesLookupFolded: Values.Lookup returns every entry whose data part
// folds to the name, and allocates nothing when there is at most one.
func TestValuesLookupFolded(t *testing.T) {
	v := &Values{}
	v.Set("kms:EncryptionContext:Classification", "restricted")
	v.Set("kms:EncryptionContext:CLASSIFICATION", "public")
	v.Set("kms:EncryptionContext:app", "billing")
	v.Set("aws:SourceIp", "10.0.0.1")
	got, ok := v.Lookup("kms:encryptioncontext:classification")
	if !ok || len(got) != 2 || !(got[0] == "restricted" && got[1] == "public" || got[0] == "public" && got[1] == "restricted") {
		t.Errorf("Lookup(classification) = %q, %v; want both values", got, ok)
	}
	if got, ok := v.Lookup("kms:encryptioncontext:APP"); !ok || len(got) != 1 || got[0] != "billing" {
		t.Errorf("Lookup(APP) = %q, %v", got, ok)
	}
	if _, ok := v.Lookup("kms:encryptioncontext:nope"); ok {
		t.Error("Lookup(nope) found something")
	}
	if n := testing.AllocsPerRun(100, func() {
		v.Lookup("kms:encryptioncontext:App")
		v.Lookup("aws:sourceip")
	}); n != 0 {
		t.Errorf("Lookup of a single entry allocates %v times", n)
	}
}
