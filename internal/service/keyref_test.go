package service

import (
	"testing"

	"github.com/trentkms/trent/internal/kmsapi"
)

// TestARNOfAnotherPartition: an ARN whose partition is not Trent's ("aws")
// never resolves to a local key or alias, whatever else it names correctly;
// it is NotFoundException "Invalid arn <partition>", as an ARN of another
// region is.
func TestARNOfAnotherPartition(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	ctx := t.Context()
	c := caller()
	k, err := s.CreateKey(ctx, c, &kmsapi.CreateKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := k.KeyMetadata.KeyId
	if _, err := s.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: ptr("alias/p"), TargetKeyId: ptr(id)}); err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGrant(ctx, caller(), &kmsapi.CreateGrantRequest{KeyId: ptr(id), GranteePrincipal: ptr(c.ARN), Operations: []string{"Encrypt"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"aws-cn", "aws-us-gov", "aws-iso", "AWS", "x"} {
		keyARN := "arn:" + p + ":kms:us-east-1:111122223333:key/" + id
		aliasARN := "arn:" + p + ":kms:us-east-1:111122223333:alias/p"
		want := "Invalid arn " + p
		check := func(what string, err error) {
			t.Helper()
			if kindOf(err) != KindNotFound || err.(*Error).Message != want {
				t.Errorf("%s with %s ARN: %v, want NotFoundException %q", what, p, err, want)
			}
		}
		_, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: ptr(keyARN)})
		check("DescribeKey", err)
		_, err = s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: ptr(aliasARN)})
		check("DescribeKey by alias", err)
		_, err = s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: ptr(keyARN), Plaintext: []byte("x")})
		check("Encrypt", err)
		_, err = s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: ptr(aliasARN), Plaintext: []byte("x")})
		check("Encrypt by alias", err)
		_, err = s.DisableKey(ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: ptr(keyARN)})
		check("DisableKey", err)
		_, err = s.RetireGrant(ctx, caller(), &kmsapi.RetireGrantRequest{KeyId: ptr(keyARN), GrantId: ptr(g.GrantId)})
		check("RetireGrant", err)
	}
	// The key, its state and its grant are untouched, and Trent's own
	// partition still works.
	d, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: ptr(k.KeyMetadata.Arn)})
	if err != nil || !d.KeyMetadata.Enabled {
		t.Fatalf("DescribeKey by its own ARN: %+v, %v", d, err)
	}
	if _, err := s.RetireGrant(ctx, caller(), &kmsapi.RetireGrantRequest{KeyId: ptr(k.KeyMetadata.Arn), GrantId: ptr(g.GrantId)}); err != nil {
		t.Errorf("RetireGrant by the key's own ARN: %v", err)
	}
}
