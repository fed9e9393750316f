// Package iamsts_test drives IAM and STS on a real trent process with the
// AWS CLI (Debian's /usr/bin/aws, or TRENT_AWS_CLI) and aws-sdk-go-v2:
// users, access keys, inline policies, revocation at once, and role
// sessions used for KMS calls. Without the CLI the CLI test skips, or fails
// when TRENT_REQUIRE_ALL=1.
package iamsts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	account = "111122223333"
)

// cli runs the AWS CLI with the given credentials against srv.
type cli struct {
	t        *testing.T
	aws, dp  string
	endpoint string
	home     string
}

func newCLI(t *testing.T, srv *harness.Server) *cli {
	aws := os.Getenv("TRENT_AWS_CLI")
	if aws == "" {
		aws = "/usr/bin/aws"
	}
	if _, err := os.Stat(aws); err != nil {
		harness.Missing(t, "AWS CLI %s: %v", aws, err)
	}
	dp := os.Getenv("AWS_DATA_PATH")
	if dp == "" {
		var err error
		if dp, err = harness.AWSDataPath(); err != nil {
			harness.Missing(t, "%v", err)
		}
	}
	return &cli{t: t, aws: aws, dp: dp, endpoint: srv.Endpoint, home: t.TempDir()}
}

// run runs aws with args as (ak, sk, token) and returns stdout, the error
// output and whether it succeeded.
func (c *cli) run(ak, sk, token string, args ...string) (string, string, bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.aws, append(args, "--endpoint-url", c.endpoint)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + c.home, "LANG=C.UTF-8", "AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_DEFAULT_OUTPUT=json", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_DATA_PATH=" + c.dp,
		"AWS_MAX_ATTEMPTS=1", "AWS_ACCESS_KEY_ID=" + ak, "AWS_SECRET_ACCESS_KEY=" + sk}
	if token != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+token)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

func (c *cli) ok(v any, ak, sk, token string, args ...string) {
	c.t.Helper()
	out, errOut, ok := c.run(ak, sk, token, args...)
	if !ok {
		c.t.Fatalf("aws %s failed:\n%s", strings.Join(args, " "), errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), out, err)
		}
	}
}

func (c *cli) fails(code, ak, sk, token string, args ...string) {
	c.t.Helper()
	_, errOut, ok := c.run(ak, sk, token, args...)
	if ok || !strings.Contains(errOut, "("+code+")") {
		c.t.Fatalf("aws %s: succeeded=%v, stderr %q; want error %s", strings.Join(args, " "), ok, errOut, code)
	}
}

const trustRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`

func TestCLI(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	c := newCLI(t, srv)
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())

	var who struct{ UserId, Account, Arn string }
	c.ok(&who, rak, rsk, "", "sts", "get-caller-identity")
	if who.Account != account || who.Arn != "arn:aws:iam::"+account+":root" || who.UserId != account {
		t.Fatalf("root get-caller-identity = %+v", who)
	}

	var cu struct {
		User struct{ UserName, UserId, Arn, Path string }
	}
	c.ok(&cu, rak, rsk, "", "iam", "create-user", "--user-name", "alice", "--tags", "Key=team,Value=blue")
	if cu.User.UserName != "alice" || !strings.HasPrefix(cu.User.UserId, "AIDA") || cu.User.Arn != "arn:aws:iam::"+account+":user/alice" || cu.User.Path != "/" {
		t.Fatalf("create-user = %+v", cu)
	}
	c.fails("EntityAlreadyExists", rak, rsk, "", "iam", "create-user", "--user-name", "Alice")
	c.fails("NoSuchEntity", rak, rsk, "", "iam", "get-user", "--user-name", "bob")

	var ck struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey, Status, UserName string }
	}
	c.ok(&ck, rak, rsk, "", "iam", "create-access-key", "--user-name", "alice")
	ak, sk := ck.AccessKey.AccessKeyId, ck.AccessKey.SecretAccessKey
	if !strings.HasPrefix(ak, "AKIA") || len(sk) != 40 || ck.AccessKey.Status != "Active" || ck.AccessKey.UserName != "alice" {
		t.Fatalf("create-access-key = %+v", ck.AccessKey)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`
	c.ok(nil, rak, rsk, "", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "kms", "--policy-document", policy)
	c.fails("MalformedPolicyDocument", rak, rsk, "", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "bad", "--policy-document", "{not json")
	var gp struct {
		PolicyName     string
		PolicyDocument map[string]any
	}
	c.ok(&gp, rak, rsk, "", "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "kms")
	if gp.PolicyName != "kms" || gp.PolicyDocument["Version"] != "2012-10-17" {
		t.Errorf("get-user-policy = %+v", gp)
	}
	var lu struct{ Users []struct{ UserName string } }
	c.ok(&lu, rak, rsk, "", "iam", "list-users")
	if len(lu.Users) != 1 || lu.Users[0].UserName != "alice" {
		t.Errorf("list-users = %+v", lu)
	}
	c.fails("DeleteConflict", rak, rsk, "", "iam", "delete-user", "--user-name", "alice")

	// The user's key works; a non-root user may not call IAM until the
	// policy engine is wired.
	c.ok(&who, ak, sk, "", "sts", "get-caller-identity")
	if who.Arn != "arn:aws:iam::"+account+":user/alice" || who.UserId != cu.User.UserId {
		t.Fatalf("alice get-caller-identity = %+v", who)
	}
	c.ok(nil, ak, sk, "", "kms", "list-keys")
	c.fails("AccessDenied", ak, sk, "", "iam", "create-user", "--user-name", "mallory")

	// A role alice may assume; its session uses KMS and ends with the role.
	c.ok(nil, rak, rsk, "", "iam", "create-role", "--role-name", "deployer", "--assume-role-policy-document", trustRoot)
	c.ok(nil, rak, rsk, "", "iam", "put-role-policy", "--role-name", "deployer", "--policy-name", "kms", "--policy-document", policy)
	var ar struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ AssumedRoleId, Arn string }
	}
	c.fails("AccessDenied", rak, rsk, "", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/deployer", "--role-session-name", "s1")
	// The trust policy names the account, which leaves the decision to
	// alice's identity policies: without sts:AssumeRole she may not.
	c.fails("AccessDenied", ak, sk, "", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/deployer", "--role-session-name", "s1")
	c.ok(nil, rak, rsk, "", "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+account+`:role/deployer"}]}`)
	c.ok(&ar, ak, sk, "", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/deployer", "--role-session-name", "s1", "--duration-seconds", "900")
	if !strings.HasPrefix(ar.Credentials.AccessKeyId, "ASIA") || ar.AssumedRoleUser.Arn != "arn:aws:sts::"+account+":assumed-role/deployer/s1" ||
		!strings.HasPrefix(ar.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(ar.AssumedRoleUser.AssumedRoleId, ":s1") {
		t.Fatalf("assume-role = %+v", ar.AssumedRoleUser)
	}
	if exp, err := time.Parse(time.RFC3339, ar.Credentials.Expiration); err != nil || exp.Sub(time.Now()) > 901*time.Second || exp.Sub(time.Now()) < 800*time.Second {
		t.Errorf("Expiration %q, want 900 s from now", ar.Credentials.Expiration)
	}
	sak, ssk, stok := ar.Credentials.AccessKeyId, ar.Credentials.SecretAccessKey, ar.Credentials.SessionToken
	c.ok(&who, sak, ssk, stok, "sts", "get-caller-identity")
	if who.Arn != ar.AssumedRoleUser.Arn {
		t.Errorf("session get-caller-identity = %+v", who)
	}
	c.ok(nil, sak, ssk, stok, "kms", "list-keys")
	c.fails("UnrecognizedClientException", sak, ssk, stok[:len(stok)-8]+"AAAAAAA=", "kms", "list-keys")
	c.ok(nil, rak, rsk, "", "iam", "delete-role-policy", "--role-name", "deployer", "--policy-name", "kms")
	// Without the role's policy the session may no longer use KMS; once
	// the role is gone its sessions are not even recognised.
	c.fails("AccessDeniedException", sak, ssk, stok, "kms", "list-keys")
	c.ok(nil, rak, rsk, "", "iam", "delete-role", "--role-name", "deployer")
	c.fails("UnrecognizedClientException", sak, ssk, stok, "kms", "list-keys")

	// Deactivating alice's key stops it at once.
	c.ok(nil, rak, rsk, "", "iam", "update-access-key", "--user-name", "alice", "--access-key-id", ak, "--status", "Inactive")
	c.fails("UnrecognizedClientException", ak, sk, "", "kms", "list-keys")
	c.fails("InvalidClientTokenId", ak, sk, "", "sts", "get-caller-identity")
	var lk struct {
		AccessKeyMetadata []struct{ AccessKeyId, Status string }
	}
	c.ok(&lk, rak, rsk, "", "iam", "list-access-keys", "--user-name", "alice")
	if len(lk.AccessKeyMetadata) != 1 || lk.AccessKeyMetadata[0].Status != "Inactive" {
		t.Errorf("list-access-keys = %+v", lk)
	}
	c.ok(nil, rak, rsk, "", "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", ak)
	c.ok(nil, rak, rsk, "", "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "kms")
	c.ok(nil, rak, rsk, "", "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "assume")
	c.ok(nil, rak, rsk, "", "iam", "delete-user", "--user-name", "alice")
	c.fails("NoSuchEntity", rak, rsk, "", "iam", "get-user", "--user-name", "alice")
}

// TestSDK runs the same flow through aws-sdk-go-v2's IAM and STS clients.
func TestSDK(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	cfg := func(ak, sk, tok string) aws.Config {
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, tok),
			HTTPClient: srv.HTTPClient(), RetryMaxAttempts: 1}
	}
	iamFor := func(ak, sk, tok string) *iam.Client {
		return iam.NewFromConfig(cfg(ak, sk, tok), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	}
	stsFor := func(ak, sk, tok string) *sts.Client {
		return sts.NewFromConfig(cfg(ak, sk, tok), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	}
	wantCode := func(err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("err = %v, want %s", err, code)
		}
	}
	root := iamFor(rak, rsk, "")
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/eng/")}); err != nil {
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bak, bsk := *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
	u, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("BOB")})
	if err != nil || *u.User.UserName != "bob" || *u.User.Path != "/eng/" {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantCode(err, "DeleteConflict")
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trustRoot),
		MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("kms"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	names, err := root.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ops")})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "kms" {
		t.Fatalf("ListRolePolicies = %+v, %v", names, err)
	}
	bob := stsFor(bak, bsk, "")
	_, err = bob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/ops"), RoleSessionName: aws.String("xx")})
	wantCode(err, "AccessDenied") // the trust policy leaves it to bob's identity policies, which are empty
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/ops"), RoleSessionName: aws.String("x"),
		DurationSeconds: aws.Int32(7201)})
	wantCode(err, "ValidationError")
	ar, err := bob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/ops"), RoleSessionName: aws.String("sdk")})
	if err != nil {
		t.Fatal(err)
	}
	c := ar.Credentials
	id, err := stsFor(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Arn != "arn:aws:sts::"+account+":assumed-role/ops/sdk" {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}
	kc := srv.KMSWith(aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}, region)
	if _, err := kc.CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Fatalf("CreateKey with session credentials: %v", err)
	}
	// Deleting bob's key ends the session derived from it, at once.
	if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(bak)}); err != nil {
		t.Fatal(err)
	}
	_, err = kc.ListKeys(ctx, &kms.ListKeysInput{})
	wantCode(err, "UnrecognizedClientException")
	_, err = stsFor(bak, bsk, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(err, "InvalidClientTokenId")
	// Sessions survive a restart (the token is self-describing): a fresh
	// session before the restart still works after it.
	if _, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
}
