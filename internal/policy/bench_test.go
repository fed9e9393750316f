package policy

import (
	"strconv"
	"testing"
)

func BenchmarkAuthorizeDefaultPolicy(b *testing.B) {
	p := mustParse(b, DefaultKeyPolicy(acctA), KeyPolicy)
	in := &AuthzInput{Request: &Request{Principal: rootA, Action: "kms:Encrypt", Resource: keyARN}, KeyPolicy: p, KeyAccount: acctA}
	b.ReportAllocs()
	for b.Loop() {
		if !Authorize(in).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkAuthorizeDefaultPolicyWithIdentity(b *testing.B) {
	p := mustParse(b, DefaultKeyPolicy(acctA), KeyPolicy)
	id := mustParse(b, doc(`{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}`), IdentityPolicy)
	in := &AuthzInput{Request: &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN}, KeyPolicy: p, KeyAccount: acctA, Identity: []*Policy{id}}
	b.ReportAllocs()
	for b.Loop() {
		if !Authorize(in).Allowed {
			b.Fatal("denied")
		}
	}
}

// tenStatements is a 10-statement key policy with conditions of several
// families; the request matches the last Allow and checks every Deny.
func tenStatements() string {
	var s []string
	for i := 0; i < 6; i++ {
		s = append(s, `{"Sid":"s`+strconv.Itoa(i)+`","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/u`+strconv.Itoa(i)+`"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"a`+strconv.Itoa(i)+`"}}}`)
	}
	s = append(s,
		`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
		`{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}}`,
		`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}}`,
		`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:EncryptionContext:app":"billing"},"ForAllValues:StringLike":{"kms:EncryptionContextKeys":["app","tenant-*"]},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}}`,
	)
	return doc(s...)
}

func BenchmarkAuthorizeTenStatements(b *testing.B) {
	p := mustParse(b, tenStatements(), KeyPolicy)
	ctx := kctx("aws:SecureTransport", "true", "aws:SourceIp", "10.1.2.3", "aws:CurrentTime", "2025-06-01T12:00:00Z",
		"kms:CallerAccount", acctA, "kms:EncryptionContext:app", "billing", "kms:EncryptionContextKeys", "app|tenant-id")
	in := &AuthzInput{Request: &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN, Context: ctx}, KeyPolicy: p, KeyAccount: acctA}
	b.ReportAllocs()
	for b.Loop() {
		if !Authorize(in).Allowed {
			b.Fatal("denied")
		}
	}
}

// BenchmarkAuthorizeUserPrincipal: a key policy whose statement names the
// caller, a user, by ARN (bound to its unique ID by mustParse).
func BenchmarkAuthorizeUserPrincipal(b *testing.B) {
	p := mustParse(b, doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/eng/bob","arn:aws:iam::111122223333:user/alice"]},"Action":"kms:*","Resource":"*"}`), KeyPolicy)
	in := &AuthzInput{Request: &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN}, KeyPolicy: p, KeyAccount: acctA}
	b.ReportAllocs()
	for b.Loop() {
		if !Authorize(in).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkEvaluateVariables(b *testing.B) {
	p := mustParse(b, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:alias/${aws:username}-*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`), IdentityPolicy)
	r := &Request{Principal: alice, Action: "kms:CreateAlias", Resource: "arn:aws:kms:us-east-1:111122223333:alias/alice-app", Context: kctx("aws:ResourceTag/team", "blue")}
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(r) != Allow {
			b.Fatal("not allowed")
		}
	}
}

func BenchmarkParseDefaultPolicy(b *testing.B) {
	d := DefaultKeyPolicy(acctA)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(d, KeyPolicy); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHotPathAllocations pins the zero-allocation promise of Authorize.
func TestHotPathAllocations(t *testing.T) {
	p := mustParse(t, DefaultKeyPolicy(acctA), KeyPolicy)
	ten := mustParse(t, tenStatements(), KeyPolicy)
	vars := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:alias/${aws:username}-*"}`), IdentityPolicy)
	ctx := kctx("aws:SecureTransport", "true", "aws:SourceIp", "10.1.2.3", "aws:CurrentTime", "2025-06-01T12:00:00Z",
		"kms:CallerAccount", acctA, "kms:EncryptionContext:app", "billing", "kms:EncryptionContextKeys", "app|tenant-id")
	for name, in := range map[string]*AuthzInput{
		"default": {Request: &Request{Principal: rootA, Action: "kms:Encrypt", Resource: keyARN}, KeyPolicy: p, KeyAccount: acctA},
		"ten":     {Request: &Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN, Context: ctx}, KeyPolicy: ten, KeyAccount: acctA},
		"vars":    {Request: &Request{Principal: alice, Action: "kms:CreateAlias", Resource: "arn:aws:kms:us-east-1:111122223333:alias/alice-x"}, Identity: []*Policy{vars}},
	} {
		if !Authorize(in).Allowed {
			t.Fatalf("%s: denied", name)
		}
		if a := testing.AllocsPerRun(200, func() { Authorize(in) }); a != 0 {
			t.Errorf("%s: Authorize allocates %v times per call", name, a)
		}
	}
}
