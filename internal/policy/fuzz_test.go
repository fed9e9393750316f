package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every rejection is a
// *MalformedError, and that an accepted document evaluates the same way
// twice and after a re-parse (compiled state is immutable and deterministic).
func FuzzParse(f *testing.F) {
	seeds := []string{
		DefaultKeyPolicy(acctA),
		doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"]},"NotAction":"kms:Get*","NotResource":"arn:aws:kms:*:*:key/*"}`),
		allowCond(`"ForAllValues:StringLike":{"aws:TagKeys":["a*","b?"]},"StringEqualsIfExists":{"aws:username":"${aws:username, 'x''y'}"}`),
		allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:username}/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}`),
		allowCond(`"Null":{"kms:ViaService":true},"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":7},"Bool":{"aws:SecureTransport":"true"}`),
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${*}${?}${$}${aws:userid}"}]}`,
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		for k := KeyPolicy; k <= TrustPolicy; k++ {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, d string, k uint8) {
		kind := Kind(k % 3)
		p, err := Parse(d, kind)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || me.Msg == "" {
				t.Fatalf("Parse error %v is not a *MalformedError with a message", err)
			}
			return
		}
		p2, err := Parse(p.Document(), kind)
		if err != nil {
			t.Fatalf("re-parse of accepted document failed: %v", err)
		}
		ctx := kctx("aws:TagKeys", "a1|b2", "aws:SourceIp", "10.1.2.3", "aws:CurrentTime", "2025-01-01T00:00:00Z",
			"kms:ViaService", "s3.us-east-1.amazonaws.com", "aws:SourceArn", "arn:aws:s3:::alice/x", "aws:SecureTransport", "true")
		for _, pr := range []*Principal{alice, sess, rootA, carol, nil} {
			for _, a := range []string{"kms:Encrypt", "kms:PutKeyPolicy", "sts:AssumeRole"} {
				for _, c := range []Context{nil, ctx} {
					r := &Request{Principal: pr, Action: a, Resource: keyARN, Context: c}
					e1, e2, e3 := p.EvaluateResource(r), p.EvaluateResource(r), p2.EvaluateResource(r)
					if e1 != e2 || e1 != e3 {
						t.Fatalf("non-deterministic evaluation: %v %v %v", e1, e2, e3)
					}
					d := Authorize(&AuthzInput{Request: r, KeyPolicy: p, KeyAccount: acctA})
					if d.Allowed && e1 == ResourceDeny {
						t.Fatalf("Authorize allowed a request the key policy denies")
					}
				}
			}
			_ = LockoutSafe(p, pr)
		}
	})
}
