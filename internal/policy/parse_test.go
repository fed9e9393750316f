package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMalformed(t *testing.T) {
	st := func(s string) string { return doc(s) }
	cases := []struct {
		name string
		kind Kind
		doc  string
		msg  string // exact MalformedError.Msg, or prefix when it ends in "…"
	}{
		{"empty", KeyPolicy, "", "Policy document is empty."},
		{"not JSON", KeyPolicy, "{", MsgSyntax + " The document is not valid JSON: unexpected end of document."},
		{"bad token", KeyPolicy, `{"Version":}`, MsgSyntax + " The document is not valid JSON: invalid character '}' looking for beginning of value at byte 12."},
		{"trailing text", KeyPolicy, DefaultKeyPolicy(acctA) + " x", MsgSyntax + " The document has text after the closing brace."},
		{"array root", KeyPolicy, `[]`, MsgSyntax + " The document must be a JSON object."},
		{"unknown top field", KeyPolicy, `{"Version":"2012-10-17","Statment":[]}`, MsgSyntax + " Unknown field Statment."},
		{"bad version", KeyPolicy, `{"Version":"2013-01-01","Statement":[]}`, `Invalid policy Version "2013-01-01": it must be "2012-10-17" or "2008-10-17".`},
		{"numeric version", KeyPolicy, `{"Version":2012,"Statement":[]}`, `Invalid policy Version 2012: it must be "2012-10-17" or "2008-10-17".`},
		{"id not string", KeyPolicy, `{"Version":"2012-10-17","Id":1,"Statement":[]}`, MsgSyntax + " Id must be a string, not 1."},
		{"no statement", KeyPolicy, `{"Version":"2012-10-17"}`, "Missing required field Statement."},
		{"empty statement array", KeyPolicy, `{"Version":"2012-10-17","Statement":[]}`, "Policy document must contain at least one statement."},
		{"statement string", KeyPolicy, `{"Version":"2012-10-17","Statement":"x"}`, MsgSyntax + ` Statement must be an object or an array of objects, not "x".`},
		{"statement element not object", KeyPolicy, `{"Version":"2012-10-17","Statement":[1]}`, MsgSyntax + " Statement 1 must be an object, not 1."},
		{"unknown statement field", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Foo":1}`), MsgSyntax + " Unknown field Foo in statement."},
		{"lower-case field name", KeyPolicy, st(`{"effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`), MsgSyntax + " Unknown field effect in statement."},
		{"missing effect", KeyPolicy, st(`{"Principal":"*","Action":"kms:*","Resource":"*"}`), "Missing required field Effect."},
		{"bad effect", KeyPolicy, st(`{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}`), `Invalid effect: "allow". Effect must be "Allow" or "Deny".`},
		{"sid not string", KeyPolicy, st(`{"Sid":5,"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`), MsgSyntax + " Sid must be a string, not 5."},
		{"key policy without principal", KeyPolicy, st(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), "Missing required field Principal."},
		{"principal and notprincipal", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"kms:*","Resource":"*"}`), "A statement cannot contain both Principal and NotPrincipal."},
		{"principal string not star", KeyPolicy, st(`{"Effect":"Allow","Principal":"alice","Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal bad ARN", KeyPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1234:user/x"},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal wildcard ARN", KeyPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal unknown type", KeyPolicy, st(`{"Effect":"Allow","Principal":{"Users":"x"},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal empty object", KeyPolicy, st(`{"Effect":"Allow","Principal":{},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal empty list", KeyPolicy, st(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"federated in key policy", KeyPolicy, st(`{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal s3 arn", KeyPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"kms:*","Resource":"*"}`), MsgInvalidPrincipals},
		{"principal list with number", KeyPolicy, st(`{"Effect":"Allow","Principal":{"AWS":[1]},"Action":"kms:*","Resource":"*"}`), MsgSyntax + " Principal must be a string or an array of strings; found 1."},
		{"no action", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Resource":"*"}`), MsgNoActions},
		{"empty action list", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}`), MsgNoActions},
		{"action and notaction", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Encrypt","Resource":"*"}`), "A statement cannot contain both Action and NotAction."},
		{"action without vendor", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"Encrypt","Resource":"*"}`), MsgVendor},
		{"action wildcard vendor", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"k*:Encrypt","Resource":"*"}`), "Vendor k* is not valid: the service prefix of an action cannot contain wildcards."},
		{"action not string", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":{"a":1},"Resource":"*"}`), MsgSyntax + ` Action must be a string or an array of strings, not {"a":1}.`},
		{"no resource", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*"}`), MsgNoResources},
		{"resource and notresource", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","NotResource":"*"}`), "A statement cannot contain both Resource and NotResource."},
		{"resource not ARN", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"mykey"}`), `Resource mykey must be in ARN format or "*".`},
		{"condition not object", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":[]}`), MsgSyntax + " Condition must be an object, not []."},
		{"unknown operator", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEqualz":{"kms:CallerAccount":"1"}}}`), `Invalid condition operator "StringEqualz".`},
		{"unknown set operator", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}}}`), `Invalid condition operator "ForSomeValues:StringEquals": unknown set operator "ForSomeValues" (use ForAnyValue or ForAllValues).`},
		{"NullIfExists", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NullIfExists":{"aws:TagKeys":"true"}}}`), `Invalid condition operator "NullIfExists": Null cannot be combined with IfExists or a set operator.`},
		{"operator maps to string", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":"x"}}`), MsgSyntax + ` Condition operator StringEquals must map to an object of condition keys, not "x".`},
		{"operator with no keys", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{}}}`), "Condition operator StringEquals has no condition keys."},
		{"condition key without vendor", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"CallerAccount":"1"}}}`), MsgVendor},
		{"condition value object", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":{"a":"b"}}}}`), MsgSyntax + ` Condition StringEquals key kms:CallerAccount must have a string or an array of strings, not {"a":"b"}.`},
		{"condition empty values", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":[]}}}`), "Condition StringEquals for key kms:CallerAccount has no values."},
		{"numeric not number", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"ten"}}}`), `Invalid value "ten" for condition NumericLessThan on key kms:ScheduleKeyDeletionPendingWindowInDays: not a number`},
		{"date not date", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), `Invalid value "tomorrow" for condition DateLessThan on key aws:CurrentTime: not an ISO 8601 date or epoch seconds`},
		{"ip not ip", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), `Invalid value "10.0.0.0/33" for condition IpAddress on key aws:SourceIp: not an IP address or CIDR block`},
		{"bool not bool", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), `Invalid value "yes" for condition Bool on key aws:SecureTransport: Bool takes true or false`},
		{"binary not base64", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"BinaryEquals":{"kms:RecipientAttestation:Nonce":"***"}}}`), `Invalid value "***" for condition BinaryEquals on key kms:RecipientAttestation:Nonce: BinaryEquals takes a base64 value`},
		{"null not bool", KeyPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Null":{"aws:TagKeys":"maybe"}}}`), `Invalid value "maybe" for condition Null on key aws:TagKeys: Null takes true or false`},
		{"identity with principal", IdentityPolicy, st(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`), MsgIdentityPrincipal},
		{"identity with notprincipal", IdentityPolicy, st(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`), MsgIdentityPrincipal},
		{"identity without resource", IdentityPolicy, st(`{"Effect":"Allow","Action":"kms:*"}`), MsgNoResources},
		{"identity sid with space", IdentityPolicy, st(`{"Sid":"Allow all","Effect":"Allow","Action":"kms:*","Resource":"*"}`), MsgSidChars},
		{"identity duplicate sid", IdentityPolicy, doc(`{"Sid":"A","Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Sid":"A","Effect":"Deny","Action":"kms:*","Resource":"*"}`), MsgSidUnique},
		{"trust with resource", TrustPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"trust without principal", TrustPolicy, st(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "Missing required field Principal."},
		{"trust bad principal", TrustPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`},
		{"trust non-sts action", TrustPolicy, st(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt"}`), "Trust policy action kms:Encrypt is not valid: a role trust policy may only name sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity or sts:SetContext."},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d malformed cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.doc, c.kind)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse error = %v, want *MalformedError", err)
			}
			if me.Msg != c.msg {
				t.Errorf("Msg:\n got %q\nwant %q", me.Msg, c.msg)
			}
			if me.Limit {
				t.Errorf("Limit set for a malformed (not oversized) document")
			}
		})
	}
	t.Logf("%d malformed documents", len(cases))
}

func TestParseSizeLimit(t *testing.T) {
	// KMS PutKeyPolicy: Policy length constraint 1..32768; larger → LimitExceededException.
	pad := strings.Repeat(" ", MaxKeyPolicySize-len(DefaultKeyPolicy(acctA)))
	if _, err := Parse(DefaultKeyPolicy(acctA)+pad, KeyPolicy); err != nil {
		t.Fatalf("32768-byte policy rejected: %v", err)
	}
	_, err := Parse(DefaultKeyPolicy(acctA)+pad+" ", KeyPolicy)
	var me *MalformedError
	if !errors.As(err, &me) || !me.Limit {
		t.Fatalf("32769-byte policy: err = %v, want MalformedError with Limit", err)
	}
	// The limit is KMS's; IAM identity policies are not held to it here.
	if _, err := Parse(DefaultKeyPolicy(acctA)+pad+" ", KeyPolicy); err == nil {
		t.Fatal("oversized key policy accepted")
	}
}

func TestParseValid(t *testing.T) {
	valid := []struct {
		kind Kind
		doc  string
	}{
		{KeyPolicy, DefaultKeyPolicy(acctA)},
		{KeyPolicy, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/a/b","arn:aws:sts::444455556666:assumed-role/r/s"]},"Action":["kms:Encrypt"],"Resource":["*"]}}`},
		{KeyPolicy, doc(`{"Sid":"Allow use by the service","Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":"kms:Encrypt*","Resource":"*","Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:us-east-1:111122223333:*"}}}`)},
		{IdentityPolicy, doc(`{"Sid":"A1","Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*","Condition":{"NumericLessThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":7},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}`)},
		{TrustPolicy, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`)},
		{TrustPolicy, doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}`)},
		{TrustPolicy, doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML"}`)},
	}
	for i, v := range valid {
		if _, err := Parse(v.doc, v.kind); err != nil {
			t.Errorf("valid document %d rejected: %v", i, err)
		}
	}
}

func TestTrustPolicyEvaluation(t *testing.T) {
	rule := "IAM roles: trust policy: the principals named may assume the role; an account principal delegates to that account's IAM policies"
	p := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/alice"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x1"}}}`), TrustPolicy)
	ctx := kctx("sts:ExternalId", "x1")
	for _, c := range []struct {
		p    *Principal
		ctx  Context
		want ResourceEffect
	}{
		{alice, ctx, ResourceAllowDirect},
		{carol, ctx, ResourceAllowAccount},
		{bob, ctx, ResourceNotApplicable},
		{alice, nil, ResourceNotApplicable},
	} {
		got := p.EvaluateResource(&Request{Principal: c.p, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/r", Context: c.ctx})
		if got != c.want {
			t.Errorf("%s: EvaluateResource = %v, want %v (%s)", c.p.ARN, got, c.want, rule)
		}
	}
}
