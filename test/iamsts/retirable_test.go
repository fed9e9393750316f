package iamsts_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestListRetirableGrantsOtherAccount: ListRetirableGrants takes a
// principal of the caller's own account ("Cross-account use: You must
// specify a principal in your AWS account"). Another tenant naming this
// account's principal learns nothing of its grants: not the key ARNs, the
// grant IDs, the grantees or the encryption context constraints.
func TestListRetirableGrantsOtherAccount(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	c := sdkClients{t: t, srv: srv}
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	_, bCred := srv.CreateAccount(t, "")
	bak, bsk := srv.Credentials(t, bCred)
	root, other := c.kms(rak, rsk, ""), c.kms(bak, bsk, "")

	k, err := root.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	aRoot := "arn:aws:iam::" + account + ":root"
	g, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k.KeyMetadata.Arn, GranteePrincipal: &aRoot, RetiringPrincipal: &aRoot,
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: map[string]string{"project": "secret-merger"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The owner lists it.
	own, err := root.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: &aRoot})
	if err != nil || len(own.Grants) != 1 || aws.ToString(own.Grants[0].GrantId) != aws.ToString(g.GrantId) {
		t.Fatalf("the owner's ListRetirableGrants = %+v, %v", own, err)
	}
	// Another account does not.
	out, err := other.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: &aRoot})
	if errCode(err) != "AccessDeniedException" {
		t.Fatalf("ListRetirableGrants of another account's principal = %+v, %v; want AccessDeniedException", out, err)
	}
}
