package iamsts_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trentkms/trent/test/harness"
)

// TestTrustPolicyOtherPartitionAccount: an account principal of another
// partition (arn:aws-cn:iam::ACCT:root) is another account than ACCT in
// the aws partition, where every Trent principal is: a trust policy that
// names it lets no principal of ACCT assume the role, even one whose
// identity policy allows sts:AssumeRole; the account named in the aws
// partition still does.
func TestTrustPolicyOtherPartitionAccount(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	c := sdkClients{t: t, srv: srv}
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	admin := c.iam(rak, rsk)
	_, _, userSTS := newUser(t, c, admin, "worker")
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("worker"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role, principal string
		allowed         bool
	}{
		{"china", "arn:aws-cn:iam::" + account + ":root", false},
		{"govcloud", "arn:aws-us-gov:iam::" + account + ":root", false},
		{"local", "arn:aws:iam::" + account + ":root", true},
	} {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + tc.principal + `"},"Action":"sts:AssumeRole"}]}`
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(tc.role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatalf("CreateRole trusting %s: %v", tc.principal, err)
		}
		_, err := userSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + tc.role), RoleSessionName: aws.String("job")})
		switch {
		case tc.allowed && err != nil:
			t.Errorf("AssumeRole of a role trusting %s: %v", tc.principal, err)
		case !tc.allowed && errCode(err) != "AccessDenied":
			t.Errorf("AssumeRole of a role trusting %s: %v, want AccessDenied", tc.principal, err)
		}
	}
}
