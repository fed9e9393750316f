package iamsts_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// TestIAMMaxItemsSDK: IAM's model bounds MaxItems to 1..1000; AWS refuses
// 0 (and 1001) with ValidationError before anything else, on every List
// operation that has the parameter.
func TestIAMMaxItemsSDK(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	root := iam.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(rak, rsk, ""),
		HTTPClient: srv.HTTPClient(), RetryMaxAttempts: 1}, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trustRoot)}); err != nil {
		t.Fatal(err)
	}
	lists := map[string]func(n *int32) error{
		"ListUsers": func(n *int32) error { _, err := root.ListUsers(ctx, &iam.ListUsersInput{MaxItems: n}); return err },
		"ListRoles": func(n *int32) error { _, err := root.ListRoles(ctx, &iam.ListRolesInput{MaxItems: n}); return err },
		"ListAccessKeys": func(n *int32) error {
			_, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice"), MaxItems: n})
			return err
		},
		"ListUserPolicies": func(n *int32) error {
			_, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), MaxItems: n})
			return err
		},
		"ListRolePolicies": func(n *int32) error {
			_, err := root.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ops"), MaxItems: n})
			return err
		},
	}
	for name, list := range lists {
		for _, tc := range []struct {
			n    int32
			want string
		}{
			{0, "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
			{-5, "1 validation error detected: Value '-5' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
			{1001, "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		} {
			var ae smithy.APIError
			if err := list(aws.Int32(tc.n)); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != tc.want {
				t.Errorf("%s MaxItems=%d: err = %v, want ValidationError %q", name, tc.n, err, tc.want)
			}
		}
		for _, n := range []*int32{nil, aws.Int32(1), aws.Int32(1000)} {
			if err := list(n); err != nil {
				t.Errorf("%s MaxItems=%v: %v", name, n, err)
			}
		}
	}
}
