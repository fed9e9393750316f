package iamsts_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// sdkClients are the IAM, STS and KMS clients of one server.
type sdkClients struct {
	t   *testing.T
	srv *harness.Server
}

func (c sdkClients) cfg(ak, sk, tok string) aws.Config {
	return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, tok),
		HTTPClient: c.srv.HTTPClient(), RetryMaxAttempts: 1}
}

func (c sdkClients) iam(ak, sk string) *iam.Client {
	return iam.NewFromConfig(c.cfg(ak, sk, ""), func(o *iam.Options) { o.BaseEndpoint = aws.String(c.srv.Endpoint) })
}

func (c sdkClients) sts(ak, sk string) *sts.Client {
	return sts.NewFromConfig(c.cfg(ak, sk, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(c.srv.Endpoint) })
}

func (c sdkClients) kms(ak, sk, tok string) *kms.Client {
	return c.srv.KMSWith(aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, SessionToken: tok}, region)
}

// errCode is the AWS error code of err ("" for none).
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// newUser creates an IAM user with an access key and no policy, and
// returns its unique ID and KMS and STS clients.
func newUser(t *testing.T, c sdkClients, admin *iam.Client, name string) (id string, k *kms.Client, s *sts.Client) {
	t.Helper()
	u, err := admin.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	ak, err := admin.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	a, s2 := *ak.AccessKey.AccessKeyId, *ak.AccessKey.SecretAccessKey
	return *u.User.UserId, c.kms(a, s2, ""), c.sts(a, s2)
}

// deleteUser deletes an IAM user and its access keys.
func deleteUser(t *testing.T, admin *iam.Client, name string) {
	t.Helper()
	keys, err := admin.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := admin.DeleteAccessKey(t.Context(), &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.DeleteUser(t.Context(), &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// TestRecreatedPrincipalRefused: a key policy, a grant and a role trust
// policy name user contractor and role app. Once both are deleted and
// created again under the same names, the new ones get nothing from any
// of them, and GetKeyPolicy, ListGrants and GetRole show the old unique
// IDs where the ARNs were; putting the key policy again binds it to the
// principals that exist now.
func TestRecreatedPrincipalRefused(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	c := sdkClients{t, srv}
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	admin, root := c.iam(rak, rsk), c.kms(rak, rsk, "")
	userARN := "arn:aws:iam::" + account + ":user/contractor"
	roleARN := "arn:aws:iam::" + account + ":role/app"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN + `"},"Action":"sts:AssumeRole"}]}`

	oldUser, contractor, contractorSTS := newUser(t, c, admin, "contractor")
	r, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	oldRole := *r.Role.RoleId
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"use","Effect":"Allow","Principal":{"AWS":["` + userARN + `","` + roleARN + `"]},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}`
	k, err := root.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	key := *k.KeyMetadata.Arn
	g, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &key, GranteePrincipal: aws.String(userARN), RetiringPrincipal: aws.String(roleARN),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(cl *kms.Client) error {
		_, err := cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &key, Plaintext: []byte("p"), GrantTokens: []string{*g.GrantToken}})
		return err
	}
	assume := func(s *sts.Client) (*kms.Client, error) {
		ar, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("job")})
		if err != nil {
			return nil, err
		}
		return c.kms(*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken), nil
	}

	// The principals as they were: the key policy and the grant let the
	// user in, the trust policy lets it assume the role, whose sessions
	// the key policy lets in; everything shows the ARNs as written.
	if err := encrypt(contractor); err != nil {
		t.Fatalf("Encrypt by the user the key policy and the grant name: %v", err)
	}
	sess, err := assume(contractorSTS)
	if err != nil {
		t.Fatalf("AssumeRole by the user the trust policy names: %v", err)
	}
	if err := encrypt(sess); err != nil {
		t.Fatalf("Encrypt by a session of the role the key policy names: %v", err)
	}
	showsPolicy := func(want string) {
		t.Helper()
		got, err := root.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default")})
		if err != nil || *got.Policy != want {
			t.Fatalf("GetKeyPolicy = %v\n got %s\nwant %s", err, aws.ToString(got.Policy), want)
		}
	}
	showsGrant := func(grantee, retiring string) {
		t.Helper()
		l, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &key})
		if err != nil || len(l.Grants) != 1 {
			t.Fatalf("ListGrants = %+v, %v", l, err)
		}
		if got := l.Grants[0]; aws.ToString(got.GranteePrincipal) != grantee || aws.ToString(got.RetiringPrincipal) != retiring {
			t.Fatalf("ListGrants shows grantee %s, retiring %s; want %s, %s", aws.ToString(got.GranteePrincipal), aws.ToString(got.RetiringPrincipal), grantee, retiring)
		}
	}
	showsTrust := func(want string) {
		t.Helper()
		got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
		if err != nil {
			t.Fatal(err)
		}
		if doc, err := url.QueryUnescape(*got.Role.AssumeRolePolicyDocument); err != nil || doc != want {
			t.Fatalf("GetRole trust policy = %v\n got %s\nwant %s", err, doc, want)
		}
	}
	showsPolicy(policy)
	showsGrant(userARN, roleARN)
	showsTrust(trust)

	// The user deleted and created again under the same name.
	deleteUser(t, admin, "contractor")
	newID, again, againSTS := newUser(t, c, admin, "contractor")
	if newID == oldUser {
		t.Fatalf("the new user has the old unique ID %s", newID)
	}
	if code := errCode(encrypt(again)); code != "AccessDeniedException" {
		t.Errorf("Encrypt (with the grant's token) by the user created again: %s, want AccessDeniedException", code)
	}
	if _, err := assume(againSTS); errCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole by the user created again: %v, want AccessDenied", err)
	}
	showsPolicy(strings.Replace(policy, `"`+userARN+`"`, `"`+oldUser+`"`, 1))
	showsGrant(oldUser, roleARN)
	showsTrust(strings.Replace(trust, userARN, oldUser, 1))
	roles, err := admin.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil || len(roles.Roles) != 1 {
		t.Fatalf("ListRoles = %+v, %v", roles, err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(roles.Roles[0].AssumeRolePolicyDocument)); doc != strings.Replace(trust, userARN, oldUser, 1) {
		t.Errorf("ListRoles shows trust policy %s; want the old user's unique ID in place of %s", doc, userARN)
	}
	// ListGrants finds the grant by what it shows.
	for filter, want := range map[string]int{userARN: 0, oldUser: 1} {
		l, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &key, GranteePrincipal: aws.String(filter)})
		if err != nil || len(l.Grants) != want {
			t.Errorf("ListGrants(GranteePrincipal %s) = %+v, %v; want %d grants", filter, l, err, want)
		}
	}
	// The policy as GetKeyPolicy shows it cannot be put back: it names a
	// principal that does not exist.
	shown, err := root.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default"), Policy: shown.Policy}); errCode(err) != "MalformedPolicyDocumentException" {
		t.Errorf("PutKeyPolicy of the policy as shown: %v, want MalformedPolicyDocumentException", err)
	}

	// The role deleted and created again, trusting the new user: the key
	// policy and the grant name the old role.
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	r2, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	showsTrust(trust) // bound to the new user, who exists
	sess2, err := assume(againSTS)
	if err != nil {
		t.Fatalf("AssumeRole of the new role by the user its trust policy names: %v", err)
	}
	if code := errCode(encrypt(sess2)); code != "AccessDeniedException" {
		t.Errorf("Encrypt by a session of the role created again: %s, want AccessDeniedException", code)
	}
	if _, err := sess2.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}); errCode(err) != "AccessDeniedException" {
		t.Errorf("RetireGrant by a session of the retiring role created again: %v, want AccessDeniedException", err)
	}
	showsPolicy(strings.Replace(strings.Replace(policy, `"`+userARN+`"`, `"`+oldUser+`"`, 1), `"`+roleARN+`"`, `"`+oldRole+`"`, 1))
	showsGrant(oldUser, oldRole)

	// Putting the policy again binds it to the user and role that exist.
	if _, err := root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	showsPolicy(policy)
	for who, cl := range map[string]*kms.Client{"the new user": again, "a session of the new role": sess2} {
		if err := encrypt(cl); err != nil {
			t.Errorf("Encrypt by %s once the key policy is put again: %v", who, err)
		}
	}
	if *r2.Role.RoleId == oldRole {
		t.Errorf("the new role has the old unique ID")
	}
}

// TestCreateGrantPrincipalMustExistSDK: CreateGrant answers a grantee or
// retiring principal that does not exist with InvalidArnException, as
// PutKeyPolicy answers one with MalformedPolicyDocumentException, and
// makes no grant; CreateRole refuses a trust policy naming one.
func TestCreateGrantPrincipalMustExistSDK(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	c := sdkClients{t, srv}
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	admin, root := c.iam(rak, rsk), c.kms(rak, rsk, "")
	newUser(t, c, admin, "real")
	k, err := root.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	key := *k.KeyMetadata.Arn
	ghost := "arn:aws:iam::" + account + ":user/ghost"
	real := "arn:aws:iam::" + account + ":user/real"
	for _, in := range []*kms.CreateGrantInput{
		{KeyId: &key, GranteePrincipal: aws.String(ghost), Operations: []types.GrantOperation{types.GrantOperationDecrypt}},
		{KeyId: &key, GranteePrincipal: aws.String(real), RetiringPrincipal: aws.String(ghost), Operations: []types.GrantOperation{types.GrantOperationDecrypt}},
	} {
		_, err := root.CreateGrant(ctx, in)
		var ia *types.InvalidArnException
		if !errors.As(err, &ia) || aws.ToString(ia.Message) != "ARN does not refer to a valid principal: "+ghost {
			t.Errorf("CreateGrant(grantee %s, retiring %s): %v; want InvalidArnException %q", *in.GranteePrincipal, aws.ToString(in.RetiringPrincipal), err,
				"ARN does not refer to a valid principal: "+ghost)
		}
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Allow","Principal":{"AWS":"` + ghost + `"},"Action":"kms:Decrypt","Resource":"*"}]}`
	if _, err := root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default"), Policy: aws.String(doc)}); errCode(err) != "MalformedPolicyDocumentException" {
		t.Errorf("PutKeyPolicy naming the same user: %v, want MalformedPolicyDocumentException", err)
	}
	l, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &key})
	if err != nil || len(l.Grants) != 0 {
		t.Fatalf("grants after the refusals: %+v, %v", l, err)
	}
	if _, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &key, GranteePrincipal: aws.String(real), RetiringPrincipal: aws.String(real),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}}); err != nil {
		t.Fatalf("CreateGrant to a user that exists: %v", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + ghost + `"},"Action":"sts:AssumeRole"}]}`
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	var mp *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &mp) || aws.ToString(mp.Message) != `Invalid principal in policy: "AWS":"`+ghost+`"` {
		t.Errorf("CreateRole trusting a user that does not exist: %v; want MalformedPolicyDocument (Invalid principal in policy)", err)
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); errCode(err) != "NoSuchEntity" {
		t.Errorf("GetRole of the refused role: %v, want NoSuchEntity", err)
	}
}

// TestListGrantsGranteeServicePrincipalSDK: ListGrants refuses the
// GranteeServicePrincipal filter, as service principals are refused
// everywhere here, rather than ignore it and list every grant.
func TestListGrantsGranteeServicePrincipalSDK(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	root := sdkClients{t, srv}.kms(rak, rsk, "")
	k, err := root.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k.KeyMetadata.Arn, GranteePrincipal: aws.String("arn:aws:iam::" + account + ":root"),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}}); err != nil {
		t.Fatal(err)
	}
	l, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: k.KeyMetadata.Arn, GranteeServicePrincipal: aws.String("rds.amazonaws.com")})
	if errCode(err) != "UnsupportedOperationException" {
		t.Errorf("ListGrants with GranteeServicePrincipal: %+v, %v; want UnsupportedOperationException", l, err)
	}
}
