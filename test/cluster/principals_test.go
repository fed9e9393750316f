package cluster_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// TestRecreatedPrincipalAcrossNodes: node 2 has a key policy naming user
// contractor, and the contractor's access key, cached. Node 1 deletes the
// contractor and creates it again under the same name: node 2 refuses the
// new contractor in its very first request (the policy names the old
// unique ID, which no one has any more), stops the old access key within
// the change feed's bound, as for any deleted access key, and shows the
// old unique ID in the key policy.
func TestRecreatedPrincipalAcrossNodes(t *testing.T) {
	ctx := t.Context()
	c := startCluster(t, 2)
	acct := c.nodes[0].Accounts[0]
	rak, rsk := harness.Credentials(t, c.creds)
	admin := iamClient(c.nodes[0], rak, rsk)
	userARN := "arn:aws:iam::" + acct + ":user/contractor"
	newContractor := func() (id string, clients []*kms.Client) {
		t.Helper()
		u, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("contractor")})
		if err != nil {
			t.Fatal(err)
		}
		k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("contractor")})
		if err != nil {
			t.Fatal(err)
		}
		return *u.User.UserId, c.kmsAll(aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey})
	}
	oldID, old := newContractor()
	policy := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"},
 {"Effect":"Allow","Principal":{"AWS":"` + userARN + `"},"Action":"kms:Encrypt","Resource":"*"}]}`
	created, err := c.kms(t, 0).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	key := *created.KeyMetadata.Arn
	encrypt := func(cl *kms.Client) error {
		_, err := cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &key, Plaintext: []byte("p")})
		return err
	}
	if err := encrypt(old[1]); err != nil { // node 2 caches the key and the contractor
		t.Fatalf("the contractor on node 2: %v", err)
	}

	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("contractor")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("ListAccessKeys = %+v, %v", keys, err)
	}
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("contractor"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("contractor")}); err != nil {
		t.Fatal(err)
	}
	_, again := newContractor()
	for i, cl := range again {
		if code := errCode(encrypt(cl)); code != "AccessDeniedException" {
			t.Errorf("the contractor created again, first request on node %d: %q, want AccessDeniedException", i+1, code)
		}
	}
	lag := waitFor(t, "the deleted contractor's access key at node 2", func() bool { return errCode(encrypt(old[1])) == "UnrecognizedClientException" })
	report(t, "deleted user's access key refused by another node after %v (feed polled every 500 ms)", lag.Round(1e6))
	got, err := c.kms(t, 1).GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(policy, userARN, oldID, 1); *got.Policy != want {
		t.Errorf("GetKeyPolicy on node 2:\n got %s\nwant %s", *got.Policy, want)
	}
}
