package policy

import "testing"

// evalCase is one policy-evaluation conformance case. rule names the AWS
// documentation page and paraphrases the sentence the case checks.
type evalCase struct {
	name     string
	rule     string
	keyPol   bool // parse as KeyPolicy (default IdentityPolicy)
	doc      string
	p        *Principal
	action   string
	resource string
	ctx      *Values
	want     Effect
}

const (
	ruleEval      = "IAM policy evaluation logic: an explicit deny overrides any allow; without an allow the request is implicitly denied"
	ruleAction    = "IAM JSON policy elements: Action: action names are case-insensitive and may use * and ? wildcards"
	ruleNotAction = "IAM JSON policy elements: NotAction: the statement matches every action except those listed"
	ruleResource  = "IAM JSON policy elements: Resource: the statement applies to the listed ARNs; * and ? match within an ARN"
	ruleNotRes    = "IAM JSON policy elements: NotResource: the statement matches every resource except those listed"
	ruleCondAnd   = "IAM JSON policy elements: Condition: multiple operators and keys are ANDed, multiple values of one key are ORed"
	ruleMissing   = "IAM JSON policy elements: condition operators: if the key is absent the condition is false, except for negated operators such as StringNotLike or ArnNotLike, which are true"
	ruleIfExists  = "IAM JSON policy elements: condition operators: ...IfExists: if the key is absent from the request context the condition evaluates to true"
	ruleNull      = "IAM JSON policy elements: condition operators: Null: true means the key must be absent, false that it must be present"
	ruleAny       = "IAM single-valued vs multivalued context keys: ForAnyValue: true if at least one request value matches a policy value; false for an absent key or empty set"
	ruleAll       = "IAM single-valued vs multivalued context keys: ForAllValues: true if every request value matches a policy value; true for an absent key or empty set"
	ruleVars      = "IAM policy elements: variables and tags: ${key} is replaced by the request value; a missing key fails to match unless a default ${key, 'default'} is given"
	ruleVarEsc    = "IAM policy elements: variables and tags: special characters ${*}, ${?} and ${$} stand for the literal characters"
	ruleVarLegacy = "IAM JSON policy elements: Version: policy variables are substituted only in Version 2012-10-17; in 2008-10-17 they are literal text"
	ruleEC        = "AWS KMS condition keys: kms:EncryptionContext:context-key: allows the request only when the encryption context has the pair; value comparison is case sensitive"
	ruleECKeys    = "AWS KMS condition keys: kms:EncryptionContextKeys: multivalued key of the encryption context's keys; use ForAnyValue/ForAllValues"
	ruleCaller    = "AWS KMS condition keys: kms:CallerAccount: the account of the caller, e.g. to let all identities of one account use a key"
	rulePrincipal = "AWS JSON policy elements: Principal: a statement applies to the principals it names (ARN, account ID, or *)"
	ruleNotPrinc  = "IAM JSON policy elements: NotPrincipal: with Deny, every principal not listed is denied; a session, its role and its account must all be listed to be exempt"
	ruleRootAcct  = "KMS key policies: Default key policy: arn:aws:iam::ACCOUNT:root names the account, letting IAM policies in it grant access"
)

func TestEvaluateConformance(t *testing.T) {
	cases := []evalCase{
		// ---- Effect, Action, Resource -------------------------------------
		{name: "allow exact action", rule: ruleEval, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`), want: Allow},
		{name: "no matching statement is implicit deny", rule: ruleEval, doc: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`), want: NotApplicable},
		{name: "deny wins over allow", rule: ruleEval, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}`), want: Deny},
		{name: "deny listed first still wins", rule: ruleEval, doc: doc(`{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}`, `{"Effect":"Allow","Action":"*","Resource":"*"}`), want: Deny},
		{name: "deny for other action does not apply", rule: ruleEval, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}`), want: Allow},
		{name: "single statement object", rule: "IAM JSON policy elements: Statement: a single statement or an array of statements", doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}`, want: Allow},
		{name: "action case-insensitive", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"KMS:ENCRYPT","Resource":"*"}`), want: Allow},
		{name: "request action case-insensitive", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`), action: "KMS:encrypt", want: Allow},
		{name: "action star", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`), want: Allow},
		{name: "service star", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), want: Allow},
		{name: "other service star", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: NotApplicable},
		{name: "prefix wildcard", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:Encr*","Resource":"*"}`), want: Allow},
		{name: "prefix wildcard miss", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:Decr*","Resource":"*"}`), want: NotApplicable},
		{name: "GenerateDataKey* matches WithoutPlaintext", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:GenerateDataKey*","Resource":"*"}`), action: "kms:GenerateDataKeyWithoutPlaintext", want: Allow},
		{name: "inner wildcard", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:*Key*","Resource":"*"}`), action: "kms:DescribeKey", want: Allow},
		{name: "question mark one char", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:?ncrypt","Resource":"*"}`), want: Allow},
		{name: "question mark needs a char", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt?","Resource":"*"}`), want: NotApplicable},
		{name: "action list", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}`), want: Allow},
		{name: "ReEncrypt* matches ReEncryptFrom", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:ReEncrypt*","Resource":"*"}`), action: "kms:ReEncryptFrom", want: Allow},
		{name: "exact action does not prefix-match", rule: ruleAction, doc: doc(`{"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*"}`), action: "kms:GenerateDataKeyPair", want: NotApplicable},
		{name: "resource exact ARN", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"` + keyARN + `"}`), want: Allow},
		{name: "resource other key", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"` + keyB + `"}`), want: NotApplicable},
		{name: "resource wildcard key id", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:111122223333:key/*"}`), want: Allow},
		{name: "resource wildcard wrong account", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:999999999999:key/*"}`), want: NotApplicable},
		{name: "resource is case-sensitive", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:us-east-1:111122223333:KEY/*"}`), want: NotApplicable},
		{name: "resource list", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":["` + keyB + `","` + keyARN + `"]}`), want: Allow},
		{name: "resource alias vs key", rule: ruleResource, doc: doc(`{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"arn:aws:kms:us-east-1:111122223333:alias/*"}`), action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:111122223333:alias/app", want: Allow},
		{name: "keyless op needs Resource *", rule: "AWS KMS permissions reference: operations such as CreateKey are not on a key; the policy Resource must be *", doc: doc(`{"Effect":"Allow","Action":"kms:CreateKey","Resource":"arn:aws:kms:*:111122223333:key/*"}`), action: "kms:CreateKey", resource: "*", want: NotApplicable},
		{name: "keyless op with Resource *", rule: "AWS KMS permissions reference: operations such as CreateKey are not on a key; the policy Resource must be *", doc: doc(`{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*"}`), action: "kms:CreateKey", resource: "*", want: Allow},
		{name: "deny with resource wildcard", rule: ruleEval, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/1234*"}`), want: Deny},
		// ---- NotAction / NotResource ---------------------------------------
		{name: "NotAction allows others", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}`), want: Allow},
		{name: "NotAction excludes listed", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","NotAction":"kms:Encrypt","Resource":"*"}`), want: NotApplicable},
		{name: "NotAction wildcard excludes", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}`), want: NotApplicable},
		{name: "NotAction other service", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), want: Allow},
		{name: "Deny NotAction denies everything else", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","NotAction":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`), want: Deny},
		{name: "Deny NotAction spares listed", rule: ruleNotAction, doc: doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","NotAction":["kms:Encrypt"],"Resource":"*"}`), want: Allow},
		{name: "NotResource allows others", rule: ruleNotRes, doc: doc(`{"Effect":"Allow","Action":"kms:*","NotResource":"` + keyB + `"}`), want: Allow},
		{name: "NotResource excludes listed", rule: ruleNotRes, doc: doc(`{"Effect":"Allow","Action":"kms:*","NotResource":"` + keyARN + `"}`), want: NotApplicable},
		{name: "Deny NotResource protects others", rule: ruleNotRes, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/*"}`), want: Allow},
		{name: "Deny NotResource hits other account keys", rule: ruleNotRes, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/*"}`), resource: keyB, want: Deny},
		{name: "NotAction and NotResource together", rule: ruleNotRes, doc: doc(`{"Effect":"Allow","NotAction":"kms:Delete*","NotResource":"` + keyB + `"}`), want: Allow},
	}
	cases = append(cases, conditionCases()...)
	cases = append(cases, variableCases()...)
	cases = append(cases, kmsKeyCases()...)
	runEvalCases(t, cases)
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		if c.rule == "" {
			t.Fatalf("case %q has no rule", c.name)
		}
		t.Run(c.name, func(t *testing.T) {
			kind := IdentityPolicy
			if c.keyPol {
				kind = KeyPolicy
			}
			p := mustParse(t, c.doc, kind)
			r := &Request{Principal: c.p, Action: c.action, Resource: c.resource}
			if r.Principal == nil {
				r.Principal = alice
			}
			if r.Action == "" {
				r.Action = "kms:Encrypt"
			}
			if r.Resource == "" {
				r.Resource = keyARN
			}
			if c.ctx != nil {
				r.Context = c.ctx
			}
			if got := p.Evaluate(r); got != c.want {
				t.Errorf("Evaluate = %v, want %v\nrule: %s\ndoc: %s", got, c.want, c.rule, c.doc)
			}
		})
	}
	t.Logf("%d evaluation cases", len(cases))
}
