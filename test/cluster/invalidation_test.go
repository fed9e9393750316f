package cluster_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

func denyProdPolicy(acct string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"NoProd","Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:stage":"prod"}}}]}`
}

// TestInvalidationAcrossNodes makes each kind of change through node 1
// while nodes 2 and 3 have the old state cached (each has just served a
// request that used it): node 1 honours the change in its very next
// request, and node 2 (for access keys: every node) within the bound,
// polled every 20 ms. The lag each change took is reported. A grant token
// is honoured by any node at once, before the grant has propagated.
func TestInvalidationAcrossNodes(t *testing.T) {
	ctx := t.Context()
	c := startCluster(t, 3)
	acct := c.nodes[0].Accounts[0]
	a, b := c.kms(t, 0), c.kms(t, 1)
	rak, rsk := harness.Credentials(t, c.creds)
	admin := iamClient(c.nodes[0], rak, rsk)

	type lag struct {
		change string
		d      time.Duration
	}
	var lags []lag
	seen := func(change string, d time.Duration) { lags = append(lags, lag{change, d}) }
	encrypt := func(cl *kms.Client, key string, ec map[string]string, tokens ...string) error {
		_, err := cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &key, Plaintext: []byte("p"), EncryptionContext: ec, GrantTokens: tokens})
		return err
	}
	mustCode := func(err error, want, what string) {
		t.Helper()
		if got := errCode(err); got != want {
			t.Fatalf("%s: err = %v, want %s", what, err, want)
		}
	}

	created, err := a.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	key := *created.KeyMetadata.Arn
	if err := encrypt(b, key, nil); err != nil { // node 2 caches the key
		t.Fatal(err)
	}

	// DisableKey and EnableKey.
	if _, err := a.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &key}); err != nil {
		t.Fatal(err)
	}
	mustCode(encrypt(a, key, nil), "DisabledException", "node 1 right after its DisableKey")
	seen("DisableKey", waitFor(t, "DisableKey at node 2", func() bool { return errCode(encrypt(b, key, nil)) == "DisabledException" }))
	if _, err := a.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &key}); err != nil {
		t.Fatal(err)
	}
	if err := encrypt(a, key, nil); err != nil {
		t.Fatalf("node 1 right after its EnableKey: %v", err)
	}
	seen("EnableKey", waitFor(t, "EnableKey at node 2", func() bool { return encrypt(b, key, nil) == nil }))

	// PutKeyPolicy: a Deny on one encryption context.
	prod := map[string]string{"stage": "prod"}
	if err := encrypt(b, key, prod); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default"), Policy: aws.String(denyProdPolicy(acct))}); err != nil {
		t.Fatal(err)
	}
	mustCode(encrypt(a, key, prod), "AccessDeniedException", "node 1 right after its PutKeyPolicy")
	seen("PutKeyPolicy", waitFor(t, "PutKeyPolicy at node 2", func() bool { return errCode(encrypt(b, key, prod)) == "AccessDeniedException" }))

	// A user with no policy of its own, used on every node so that each has
	// its access key cached.
	u, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grantee")})
	if err != nil {
		t.Fatal(err)
	}
	ck, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grantee")})
	if err != nil {
		t.Fatal(err)
	}
	user := c.kmsAll(aws.Credentials{AccessKeyID: *ck.AccessKey.AccessKeyId, SecretAccessKey: *ck.AccessKey.SecretAccessKey})
	for i, cl := range user {
		mustCode(encrypt(cl, key, nil), "AccessDeniedException", fmt.Sprintf("the user on node %d before any grant", i+1))
	}

	// CreateGrant: its token works on nodes 1 and 2 in the very next
	// request; the grant itself reaches node 3, which has never seen the
	// token, within the bound.
	g, err := a.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &key, GranteePrincipal: u.User.Arn,
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	for i, cl := range user[:2] {
		if err := encrypt(cl, key, nil, *g.GrantToken); err != nil {
			t.Errorf("the user on node %d with the new grant's token: %v", i+1, err)
		}
	}
	if err := encrypt(user[0], key, nil); err != nil {
		t.Errorf("the user on node 1 right after its CreateGrant, without the token: %v", err)
	}
	seen("CreateGrant", waitFor(t, "CreateGrant at node 3 (no token)", func() bool { return encrypt(user[2], key, nil) == nil }))

	// RetireGrant.
	if _, err := a.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: &key, GrantId: g.GrantId}); err != nil {
		t.Fatal(err)
	}
	mustCode(encrypt(user[0], key, nil), "AccessDeniedException", "the user on node 1 right after its RetireGrant")
	seen("RetireGrant", waitFor(t, "RetireGrant at node 2", func() bool { return errCode(encrypt(user[1], key, nil)) == "AccessDeniedException" }))

	// UpdateAccessKey Inactive: every node refuses the key.
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("grantee"), AccessKeyId: ck.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	mustCode(encrypt(user[0], key, nil), "UnrecognizedClientException", "the user on node 1 right after its UpdateAccessKey Inactive")
	start := time.Now()
	var worst time.Duration
	for i, cl := range user {
		waitFor(t, fmt.Sprintf("UpdateAccessKey Inactive at node %d", i+1), func() bool {
			return errCode(encrypt(cl, key, nil)) == "UnrecognizedClientException"
		})
		worst = time.Since(start) // nodes are polled one after another
	}
	seen("UpdateAccessKey Inactive (all nodes)", worst)

	// DeleteAlias.
	if _, err := a.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/inv"), TargetKeyId: &key}); err != nil {
		t.Fatal(err)
	}
	if err := encrypt(b, "alias/inv", nil); err != nil {
		t.Fatalf("node 2 through a new alias: %v", err)
	}
	if _, err := a.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/inv")}); err != nil {
		t.Fatal(err)
	}
	mustCode(encrypt(a, "alias/inv", nil), "NotFoundException", "node 1 right after its DeleteAlias")
	seen("DeleteAlias", waitFor(t, "DeleteAlias at node 2", func() bool { return errCode(encrypt(b, "alias/inv", nil)) == "NotFoundException" }))

	var parts []string
	var max time.Duration
	for _, l := range lags {
		parts = append(parts, fmt.Sprintf("%s %v", l.change, l.d.Round(time.Millisecond)))
		max = slices.Max([]time.Duration{max, l.d})
	}
	report(t, "invalidation lag (change on node 1, seen on another node; feed polled every 500 ms): max %v; %s",
		max.Round(time.Millisecond), strings.Join(parts, ", "))
}

// iamClient is an IAM client of node n.
func iamClient(n *harness.Server, ak, sk string) *iam.Client {
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient: n.HTTPClient(), RetryMaxAttempts: 1}
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(n.Endpoint) })
}
