package iamsts_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// The access-control flows of issue 7, end to end: a user with no policy is
// denied every KMS call; an identity policy allows; a key policy Deny with
// a kms:EncryptionContext condition denies only that context; a role
// assumed through STS uses a key; a grant lets a second account decrypt
// until it is retired.

const kmsAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","sts:AssumeRole"],"Resource":"*"}]}`

func denyProdPolicy(acct string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"NoProd","Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:stage":"prod"}}}]}`
}

func TestAccessControlCLI(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	c := newCLI(t, srv)
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	bAcct, bCred := srv.CreateAccount(t, "")
	bak, bsk := srv.Credentials(t, bCred)

	var key struct{ KeyMetadata struct{ Arn string } }
	c.ok(&key, rak, rsk, "", "kms", "create-key", "--description", "shared")
	arn := key.KeyMetadata.Arn

	var ck struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	c.ok(nil, rak, rsk, "", "iam", "create-user", "--user-name", "app")
	c.ok(&ck, rak, rsk, "", "iam", "create-access-key", "--user-name", "app")
	ak, sk := ck.AccessKey.AccessKeyId, ck.AccessKey.SecretAccessKey

	// No policy: every KMS call is denied.
	for _, args := range [][]string{
		{"kms", "list-keys"},
		{"kms", "create-key"},
		{"kms", "describe-key", "--key-id", arn},
		{"kms", "encrypt", "--key-id", arn, "--plaintext", "aGVsbG8="},
		{"kms", "generate-random", "--number-of-bytes", "16"},
	} {
		c.fails("AccessDeniedException", ak, sk, "", args...)
	}
	// An identity policy allows.
	c.ok(nil, rak, rsk, "", "iam", "put-user-policy", "--user-name", "app", "--policy-name", "kms", "--policy-document", kmsAll)
	c.ok(nil, ak, sk, "", "kms", "encrypt", "--key-id", arn, "--plaintext", "aGVsbG8=", "--encryption-context", "stage=prod")

	// A key policy Deny conditioned on the encryption context.
	c.ok(nil, rak, rsk, "", "kms", "put-key-policy", "--key-id", arn, "--policy-name", "default", "--policy", denyProdPolicy(account))
	c.fails("AccessDeniedException", ak, sk, "", "kms", "encrypt", "--key-id", arn, "--plaintext", "aGVsbG8=", "--encryption-context", "stage=prod")
	var enc struct{ CiphertextBlob string }
	c.ok(&enc, ak, sk, "", "kms", "encrypt", "--key-id", arn, "--plaintext", "aGVsbG8=", "--encryption-context", "stage=dev")

	// A role assumed through STS uses the key.
	c.ok(nil, rak, rsk, "", "iam", "create-role", "--role-name", "worker", "--assume-role-policy-document", trustRoot)
	c.ok(nil, rak, rsk, "", "iam", "put-role-policy", "--role-name", "worker", "--policy-name", "use", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"`+arn+`"}]}`)
	var ar struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	c.ok(&ar, ak, sk, "", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/worker", "--role-session-name", "job")
	s := ar.Credentials
	blob := filepath.Join(t.TempDir(), "blob")
	raw, err := base64.StdEncoding.DecodeString(enc.CiphertextBlob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var dec struct{ Plaintext string }
	c.ok(&dec, s.AccessKeyId, s.SecretAccessKey, s.SessionToken, "kms", "decrypt", "--ciphertext-blob", "fileb://"+blob, "--encryption-context", "stage=dev")
	if dec.Plaintext != "aGVsbG8=" {
		t.Fatalf("role session decrypt = %q", dec.Plaintext)
	}
	c.fails("AccessDeniedException", s.AccessKeyId, s.SecretAccessKey, s.SessionToken, "kms", "describe-key", "--key-id", arn)

	// A grant lets the second account decrypt, until it is retired.
	c.fails("AccessDeniedException", bak, bsk, "", "kms", "decrypt", "--key-id", arn, "--ciphertext-blob", "fileb://"+blob, "--encryption-context", "stage=dev")
	var g struct{ GrantId, GrantToken string }
	bRoot := "arn:aws:iam::" + bAcct + ":root"
	c.ok(&g, rak, rsk, "", "kms", "create-grant", "--key-id", arn, "--grantee-principal", bRoot, "--retiring-principal", bRoot,
		"--operations", "Decrypt", "--constraints", "EncryptionContextSubset={stage=dev}")
	c.ok(&dec, bak, bsk, "", "kms", "decrypt", "--key-id", arn, "--ciphertext-blob", "fileb://"+blob, "--encryption-context", "stage=dev",
		"--grant-tokens", g.GrantToken)
	var lg struct {
		Grants []struct{ GrantId, GranteePrincipal string }
	}
	c.ok(&lg, rak, rsk, "", "kms", "list-grants", "--key-id", arn)
	if len(lg.Grants) != 1 || lg.Grants[0].GrantId != g.GrantId || lg.Grants[0].GranteePrincipal != bRoot {
		t.Fatalf("list-grants = %+v", lg)
	}
	c.ok(nil, bak, bsk, "", "kms", "retire-grant", "--grant-token", g.GrantToken)
	c.fails("AccessDeniedException", bak, bsk, "", "kms", "decrypt", "--key-id", arn, "--ciphertext-blob", "fileb://"+blob, "--encryption-context", "stage=dev")
}

func TestAccessControlSDK(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	bAcct, bCred := srv.CreateAccount(t, "")
	bak, bsk := srv.Credentials(t, bCred)
	cfg := func(ak, sk, tok string) aws.Config {
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, tok),
			HTTPClient: srv.HTTPClient(), RetryMaxAttempts: 1}
	}
	kmsFor := func(ak, sk, tok string) *kms.Client {
		return srv.KMSWith(aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, SessionToken: tok}, region)
	}
	admin := iam.NewFromConfig(cfg(rak, rsk, ""), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	denied := func(err error, what string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
			t.Fatalf("%s: err = %v, want AccessDeniedException", what, err)
		}
	}
	root := kmsFor(rak, rsk, "")
	k, err := root.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := *k.KeyMetadata.Arn

	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	ck, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	app := kmsFor(*ck.AccessKey.AccessKeyId, *ck.AccessKey.SecretAccessKey, "")
	_, err = app.ListKeys(ctx, &kms.ListKeysInput{})
	denied(err, "ListKeys without a policy")
	_, err = app.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: []byte("x")})
	denied(err, "Encrypt without a policy")
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("app"), PolicyName: aws.String("kms"), PolicyDocument: aws.String(kmsAll)}); err != nil {
		t.Fatal(err)
	}
	// The policy takes effect on the very next request.
	if _, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: []byte("x"), EncryptionContext: map[string]string{"stage": "prod"}}); err != nil {
		t.Fatalf("Encrypt with an identity policy: %v", err)
	}
	if _, err := root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &arn, PolicyName: aws.String("default"), Policy: aws.String(denyProdPolicy(account))}); err != nil {
		t.Fatal(err)
	}
	_, err = app.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: []byte("x"), EncryptionContext: map[string]string{"stage": "prod"}})
	denied(err, "Encrypt with the denied context")
	enc, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: []byte("x"), EncryptionContext: map[string]string{"stage": "dev"}})
	if err != nil {
		t.Fatalf("Encrypt with another context: %v", err)
	}
	pol, err := root.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &arn, PolicyName: aws.String("default")})
	if err != nil || !strings.Contains(*pol.Policy, "NoProd") {
		t.Fatalf("GetKeyPolicy: %v", err)
	}

	// A role session.
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"), AssumeRolePolicyDocument: aws.String(trustRoot)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("use"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + arn + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	stsc := sts.NewFromConfig(cfg(*ck.AccessKey.AccessKeyId, *ck.AccessKey.SecretAccessKey, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	ar, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/worker"), RoleSessionName: aws.String("job")})
	if err != nil {
		t.Fatal(err)
	}
	sess := kmsFor(*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken)
	decIn := &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"stage": "dev"}}
	if d, err := sess.Decrypt(ctx, decIn); err != nil || string(d.Plaintext) != "x" {
		t.Fatalf("role session Decrypt: %v", err)
	}
	_, err = sess.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: []byte("x")})
	denied(err, "role session Encrypt the role policy does not allow")

	// A grant to the second account.
	other := kmsFor(bak, bsk, "")
	bRoot := "arn:aws:iam::" + bAcct + ":root"
	_, err = other.Decrypt(ctx, &kms.DecryptInput{KeyId: &arn, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"stage": "dev"}})
	denied(err, "second account before the grant")
	g, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &arn, GranteePrincipal: &bRoot, RetiringPrincipal: &bRoot,
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := other.Decrypt(ctx, &kms.DecryptInput{KeyId: &arn, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"stage": "dev"}, GrantTokens: []string{*g.GrantToken}})
	if err != nil || string(d.Plaintext) != "x" {
		t.Fatalf("second account Decrypt through the grant: %v", err)
	}
	rg, err := other.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: &bRoot})
	if err != nil || len(rg.Grants) != 1 || *rg.Grants[0].GrantId != *g.GrantId {
		t.Fatalf("ListRetirableGrants: %+v %v", rg, err)
	}
	if _, err := other.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: &arn, GrantId: g.GrantId}); err != nil {
		t.Fatalf("RetireGrant: %v", err)
	}
	_, err = other.Decrypt(ctx, &kms.DecryptInput{KeyId: &arn, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"stage": "dev"}})
	denied(err, "second account after RetireGrant")

	// IAM and STS calls are in the audit log under their own sources, with
	// the caller's identity, and no secret is in any event.
	args := []string{"audit", "list", "--data-dir", srv.DataDir}
	if a := srv.Args(); slices.Contains(a, "--store") {
		args = append(args, "--store", a[slices.Index(a, "--store")+1])
	}
	r := srv.Run(t, args...)
	if r.ExitCode != 0 {
		t.Fatalf("trent audit list: %s", r.Stderr)
	}
	for _, want := range []string{`"eventSource":"iam.amazonaws.com","eventName":"CreateUser"`, `"eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy"`,
		`"eventSource":"sts.amazonaws.com","eventName":"AssumeRole"`, `"eventName":"CreateGrant"`, `"eventName":"RetireGrant"`, `"errorCode":"AccessDeniedException"`} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("audit log has no event with %s", want)
		}
	}
	for name, secret := range map[string]string{"secret access key": *ck.AccessKey.SecretAccessKey, "session secret": *ar.Credentials.SecretAccessKey,
		"session token": *ar.Credentials.SessionToken, "grant token": *g.GrantToken} {
		if strings.Contains(r.Stdout, secret) {
			t.Errorf("the audit log holds the %s", name)
		}
	}
}
