package service

import (
	"strings"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

// user returns a caller that is IAM user name of account with the given
// identity policies.
func user(account, name string, policies ...string) *Caller {
	p := &iam.Principal{Type: iam.TypeUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/" + name,
		UserID: "AIDA" + strings.ToUpper(name), UserName: name, Policies: policies}
	return &Caller{Account: account, ARN: p.ARN, Region: "us-east-1", Principal: p}
}

// iamUser stores IAM user name of account, with the unique ID user()
// gives it, so that key policies and grants may name it.
func iamUser(t *testing.T, n node, account, name string) {
	t.Helper()
	u := user(account, name).Principal
	if err := n.store.CreateUser(t.Context(), store.User{Account: account, Name: name, Path: "/", ID: u.UserID, ARN: u.ARN, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func rootOf(account string) *Caller {
	return &Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root", Region: "us-east-1"}
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`

func allowActions(actions ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(actions, `","`) + `"],"Resource":"*"}]}`
}

func newTestKey(t *testing.T, s *Service, c *Caller, policy *string) string {
	t.Helper()
	out, err := s.CreateKey(t.Context(), c, &kmsapi.CreateKeyRequest{Policy: policy})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata.Arn
}

func encrypt(t *testing.T, s *Service, c *Caller, keyID string, ec map[string]string) error {
	t.Helper()
	_, err := s.Encrypt(t.Context(), c, &kmsapi.EncryptRequest{KeyId: ptr(keyID), Plaintext: []byte("secret"), EncryptionContext: ec})
	return err
}

func wantDenied(t *testing.T, err error, who, action string) {
	t.Helper()
	if kindOf(err) != KindAccessDenied {
		t.Fatalf("got %v, want AccessDenied", err)
	}
	want := "User: " + who + " is not authorized to perform: " + action + " on resource: "
	if !strings.HasPrefix(err.Error(), want) && !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not start with %q", err.Error(), want)
	}
}

func TestAuthorizationIdentityPolicies(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	arn := newTestKey(t, s, rootOf(acctA), nil)

	// The default key policy delegates to IAM: a user with no identity
	// policy may do nothing.
	nobody := user(acctA, "nobody")
	wantDenied(t, encrypt(t, s, nobody, arn, nil), nobody.ARN, "kms:Encrypt")
	_, err := s.ListKeys(t.Context(), user(acctA, "nobody"), &kmsapi.ListKeysRequest{})
	wantDenied(t, err, nobody.ARN, "kms:ListKeys")

	// An identity policy that allows Encrypt allows it, and only it.
	enc := func() *Caller { return user(acctA, "enc", allowActions("kms:Encrypt")) }
	if err := encrypt(t, s, enc(), arn, nil); err != nil {
		t.Fatalf("Encrypt allowed by identity policy: %v", err)
	}
	_, err = s.DescribeKey(t.Context(), enc(), &kmsapi.DescribeKeyRequest{KeyId: ptr(arn)})
	wantDenied(t, err, enc().ARN, "kms:DescribeKey")

	// A dry run by a caller who may not make the call is denied, not a
	// DryRunOperationException.
	_, err = s.Encrypt(t.Context(), user(acctA, "nobody"), &kmsapi.EncryptRequest{KeyId: ptr(arn), Plaintext: []byte("x"), DryRun: true})
	wantDenied(t, err, nobody.ARN, "kms:Encrypt")
	_, err = s.Encrypt(t.Context(), enc(), &kmsapi.EncryptRequest{KeyId: ptr(arn), Plaintext: []byte("x"), DryRun: true})
	if kindOf(err) != KindDryRun {
		t.Errorf("allowed dry run: got %v, want DryRunOperation", err)
	}
}

func TestAuthorizationKeyPolicyDenyWithEncryptionContext(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	policy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*",
		 "Condition":{"StringEquals":{"kms:EncryptionContext:dept":"secret"}}}]}`
	arn := newTestKey(t, s, rootOf(acctA), &policy)
	alice := func() *Caller { return user(acctA, "alice", allowAll) }
	if err := encrypt(t, s, alice(), arn, map[string]string{"dept": "sales"}); err != nil {
		t.Fatalf("Encrypt with another context: %v", err)
	}
	wantDenied(t, encrypt(t, s, alice(), arn, map[string]string{"dept": "secret"}), alice().ARN, "kms:Encrypt")
	// The explicit deny binds the root user too.
	wantDenied(t, encrypt(t, s, rootOf(acctA), arn, map[string]string{"dept": "secret"}), rootOf(acctA).ARN, "kms:Encrypt")
}

func TestAuthorizationCrossAccount(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	private := newTestKey(t, s, rootOf(acctA), nil)
	shared := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey"],"Resource":"*"}]}`
	sharedARN := newTestKey(t, s, rootOf(acctA), &shared)

	bob := func() *Caller { return user(acctB, "bob", allowAll) }
	// Both sides must allow: the key policy of A and bob's identity policy.
	wantDenied(t, encrypt(t, s, bob(), private, nil), bob().ARN, "kms:Encrypt")
	if err := encrypt(t, s, bob(), sharedARN, nil); err != nil {
		t.Fatalf("cross-account Encrypt allowed by both sides: %v", err)
	}
	wantDenied(t, encrypt(t, s, user(acctB, "carol"), sharedARN, nil), user(acctB, "carol").ARN, "kms:Encrypt")
	// The key policy allows B only some actions.
	_, err := s.GenerateDataKey(t.Context(), bob(), &kmsapi.GenerateDataKeyRequest{KeyId: ptr(sharedARN), NumberOfBytes: ptr(32)})
	wantDenied(t, err, bob().ARN, "kms:GenerateDataKey")
	// A key ID alone names a key of the caller's own account.
	id := sharedARN[strings.LastIndex(sharedARN, "/")+1:]
	if err := encrypt(t, s, bob(), id, nil); kindOf(err) != KindNotFound {
		t.Errorf("key ID of another account: got %v, want NotFound", err)
	}
	// Operations that do not work across accounts refuse another account's key.
	_, err = s.DisableKey(t.Context(), bob(), &kmsapi.DisableKeyRequest{KeyId: ptr(sharedARN)})
	if kindOf(err) != KindAccessDenied {
		t.Errorf("cross-account DisableKey: got %v, want AccessDenied", err)
	}
	// Decrypt without KeyId finds the other account's key in the blob.
	out, err := s.Encrypt(t.Context(), bob(), &kmsapi.EncryptRequest{KeyId: ptr(sharedARN), Plaintext: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := s.Decrypt(t.Context(), bob(), &kmsapi.DecryptRequest{CiphertextBlob: out.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "hello" {
		t.Fatalf("cross-account Decrypt: %v %q", err, dec)
	}
	// Without a KeyId, a denial does not say whether the key exists.
	_, err = s.Decrypt(t.Context(), user(acctB, "carol"), &kmsapi.DecryptRequest{CiphertextBlob: out.CiphertextBlob})
	if kindOf(err) != KindAccessDenied || !strings.Contains(err.Error(), "The ciphertext refers to a customer master key that does not exist") {
		t.Errorf("Decrypt of a blob of a key carol may not use: %v", err)
	}
}

func TestGrants(t *testing.T) {
	nodes := newNodes(t, 2)
	s, other := nodes[0].svc, nodes[1].svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	dave := func() *Caller { return user(acctB, "dave") } // no identity policy at all
	iamUser(t, nodes[0], acctB, "dave")
	enc, err := s.Encrypt(t.Context(), rootOf(acctA), &kmsapi.EncryptRequest{KeyId: ptr(arn), Plaintext: []byte("p"), EncryptionContext: map[string]string{"app": "x", "env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	decrypt := func(svc *Service, c *Caller, tokens ...string) error {
		_, err := svc.Decrypt(t.Context(), c, &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"app": "x", "env": "prod"}, GrantTokens: tokens})
		return err
	}
	// Node 2 caches the key (with no grants) before the grant exists.
	if err := decrypt(other, dave()); kindOf(err) != KindAccessDenied {
		t.Fatalf("Decrypt before the grant: got %v, want AccessDenied", err)
	}
	g, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{
		KeyId: ptr(arn), GranteePrincipal: ptr(dave().ARN), RetiringPrincipal: ptr(dave().ARN),
		Operations: []string{"Decrypt"}, Constraints: &kmsapi.GrantConstraints{EncryptionContextSubset: map[string]string{"env": "prod"}},
	})
	if err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	if len(g.GrantId) != 64 || g.GrantToken == "" {
		t.Fatalf("CreateGrant returned %+v", g)
	}
	if err := decrypt(s, dave()); err != nil {
		t.Fatalf("Decrypt allowed by the grant: %v", err)
	}
	// The grant allows Decrypt only, and only with its context.
	wantDenied(t, encrypt(t, s, dave(), arn, map[string]string{"env": "prod"}), dave().ARN, "kms:Encrypt")
	_, err = s.Decrypt(t.Context(), dave(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"app": "x"}})
	if kindOf(err) != KindAccessDenied && kindOf(err) != KindInvalidCiphertext {
		t.Errorf("Decrypt outside the grant's constraint: got %v", err)
	}
	// Node 2 has not heard of the grant; with the token it reads it.
	if err := decrypt(other, dave()); kindOf(err) != KindAccessDenied {
		t.Fatalf("node 2 before invalidation, no token: got %v, want AccessDenied", err)
	}
	if err := decrypt(other, dave(), g.GrantToken); err != nil {
		t.Fatalf("node 2 with the grant token: %v", err)
	}
	// A forged token is refused.
	forged := []byte(g.GrantToken)
	forged[len(forged)-3] ^= 1
	if err := decrypt(other, dave(), string(forged)); kindOf(err) != KindInvalidGrantToken {
		t.Errorf("forged token: got %v, want InvalidGrantToken", err)
	}
	// Named grants are idempotent.
	in := &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(dave().ARN), Operations: []string{"Encrypt", "DescribeKey"}, Name: ptr("once")}
	g1, err := s.CreateGrant(t.Context(), rootOf(acctA), in)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := s.CreateGrant(t.Context(), rootOf(acctA), in)
	if err != nil || g2.GrantId != g1.GrantId || g2.GrantToken == g1.GrantToken {
		t.Errorf("repeated named CreateGrant: %+v %v, first %+v", g2, err, g1)
	}
	list, err := s.ListGrants(t.Context(), rootOf(acctA), &kmsapi.ListGrantsRequest{KeyId: ptr(arn)})
	if err != nil || len(list.Grants) != 2 {
		t.Fatalf("ListGrants: %+v %v", list, err)
	}
	ret, err := s.ListRetirableGrants(t.Context(), rootOf(acctB), &kmsapi.ListRetirableGrantsRequest{RetiringPrincipal: ptr(dave().ARN)})
	if err != nil || len(ret.Grants) != 1 || ret.Grants[0].GrantId != g.GrantId {
		t.Fatalf("ListRetirableGrants: %+v %v", ret, err)
	}
	// The retiring principal retires it; it stops working at once.
	if _, err := s.RetireGrant(t.Context(), dave(), &kmsapi.RetireGrantRequest{GrantToken: ptr(g.GrantToken), DryRun: true}); kindOf(err) != KindDryRun {
		t.Errorf("RetireGrant dry run: got %v", err)
	}
	if _, err := s.RetireGrant(t.Context(), user(acctB, "eve"), &kmsapi.RetireGrantRequest{GrantToken: ptr(g.GrantToken)}); kindOf(err) != KindAccessDenied {
		t.Errorf("RetireGrant by a stranger: got %v, want AccessDenied", err)
	}
	if _, err := s.RetireGrant(t.Context(), dave(), &kmsapi.RetireGrantRequest{GrantToken: ptr(g.GrantToken)}); err != nil {
		t.Fatalf("RetireGrant: %v", err)
	}
	if err := decrypt(s, dave(), g.GrantToken); kindOf(err) != KindAccessDenied {
		t.Errorf("Decrypt after RetireGrant: got %v, want AccessDenied", err)
	}
	if _, err := s.RevokeGrant(t.Context(), rootOf(acctA), &kmsapi.RevokeGrantRequest{KeyId: ptr(arn), GrantId: ptr(g1.GrantId)}); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	if _, err := s.RevokeGrant(t.Context(), rootOf(acctA), &kmsapi.RevokeGrantRequest{KeyId: ptr(arn), GrantId: ptr(g1.GrantId)}); kindOf(err) != KindInvalidGrantID {
		t.Errorf("second RevokeGrant: got %v, want InvalidGrantId", err)
	}
}

func TestGrantThatAllowsCreateGrant(t *testing.T) {
	n := newNodes(t, 1)[0]
	s := n.svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	admin := func() *Caller { return user(acctA, "admin") }
	iamUser(t, n, acctA, "admin")
	iamUser(t, n, acctA, "x")
	if _, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(admin().ARN),
		Operations: []string{"CreateGrant", "Decrypt"}}); err != nil {
		t.Fatal(err)
	}
	// A grant with CreateGrant may pass on what it has, not more.
	if _, err := s.CreateGrant(t.Context(), admin(), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(user(acctA, "x").ARN),
		Operations: []string{"Decrypt"}}); err != nil {
		t.Errorf("narrower grant through a grant: %v", err)
	}
	_, err := s.CreateGrant(t.Context(), admin(), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(user(acctA, "x").ARN),
		Operations: []string{"Encrypt"}})
	if kindOf(err) != KindAccessDenied {
		t.Errorf("wider grant through a grant: got %v, want AccessDenied", err)
	}
	// Operations must suit the key.
	_, err = s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(admin().ARN), Operations: []string{"Sign"}})
	if kindOf(err) != KindValidation {
		t.Errorf("Sign grant on a symmetric key: got %v, want Validation", err)
	}
	_, err = s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr("bob"), Operations: []string{"Decrypt"}})
	if kindOf(err) != KindValidation {
		t.Errorf("grantee that is not an ARN: got %v, want Validation", err)
	}
}

func TestKeyPolicyOperations(t *testing.T) {
	n := newNodes(t, 1)[0]
	s := n.svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	if err := n.store.CreateUser(t.Context(), store.User{Account: acctA, Name: "other", Path: "/", ID: "AIDAOTHER",
		ARN: "arn:aws:iam::" + acctA + ":user/other", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.GetKeyPolicyRequest{KeyId: ptr(arn)})
	if err != nil || got.Policy != DefaultKeyPolicy(acctA) || got.PolicyName != "default" {
		t.Fatalf("GetKeyPolicy: %+v %v", got, err)
	}
	if _, err := s.GetKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.GetKeyPolicyRequest{KeyId: ptr(arn), PolicyName: ptr("other")}); kindOf(err) != KindNotFound {
		t.Errorf("GetKeyPolicy of another name: got %v, want NotFound", err)
	}
	names, err := s.ListKeyPolicies(t.Context(), rootOf(acctA), &kmsapi.ListKeyPoliciesRequest{KeyId: ptr(arn)})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
		t.Errorf("ListKeyPolicies: %+v %v", names, err)
	}
	// A policy that would lock the caller out is refused unless bypassed.
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/other"},"Action":"kms:Encrypt","Resource":"*"}]}`
	_, err = s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(lockout)})
	if kindOf(err) != KindMalformedPolicy || !strings.Contains(err.Error(), "will not allow you to update the key policy in the future") {
		t.Errorf("lockout policy: got %v", err)
	}
	// A policy naming a principal that does not exist is refused.
	for _, p := range []string{"arn:aws:iam::" + acctA + ":user/ghost", "arn:aws:iam::999988887777:root", "arn:aws:iam::" + acctA + ":role/none",
		"arn:aws:iam::" + acctA + ":user/elsewhere/other"} { // another path: not user other's ARN
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"kms:Decrypt","Resource":"*"}]}`
		_, err := s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(doc)})
		if kindOf(err) != KindMalformedPolicy || !strings.Contains(err.Error(), "invalid principals") {
			t.Errorf("policy naming %s: got %v, want MalformedPolicyDocument (invalid principals)", p, err)
		}
	}
	for _, bad := range []string{`{`, `{"Statement":[]}`, `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}]}`} {
		if _, err := s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(bad)}); kindOf(err) != KindMalformedPolicy {
			t.Errorf("PutKeyPolicy(%s): got %v, want MalformedPolicyDocument", bad, err)
		}
	}
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 33000) + `","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`
	if _, err := s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(big)}); kindOf(err) != KindLimitExceeded {
		t.Errorf("PutKeyPolicy over 32 KB: got %v, want LimitExceeded", err)
	}
	if _, err := s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(lockout), BypassPolicyLockoutSafetyCheck: true}); err != nil {
		t.Fatalf("PutKeyPolicy with bypass: %v", err)
	}
	// The new policy takes effect at once: the account no longer decides.
	if err := encrypt(t, s, rootOf(acctA), arn, nil); kindOf(err) != KindAccessDenied {
		t.Errorf("Encrypt by root after lockout: got %v, want AccessDenied", err)
	}
	if err := encrypt(t, s, user(acctA, "other"), arn, nil); err != nil {
		t.Errorf("Encrypt by the principal the policy names: %v", err)
	}
	// CreateKey applies the same checks to its Policy.
	_, err = s.CreateKey(t.Context(), rootOf(acctA), &kmsapi.CreateKeyRequest{Policy: ptr(lockout)})
	if kindOf(err) != KindMalformedPolicy {
		t.Errorf("CreateKey with a lockout policy: got %v", err)
	}
}

func TestAliasAuthorization(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	// Permission on the key alone is not enough: the alias is a resource too.
	keyOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"` + arn + `"}]}`
	c := user(acctA, "k", keyOnly)
	_, err := s.CreateAlias(t.Context(), c, &kmsapi.CreateAliasRequest{AliasName: ptr("alias/a"), TargetKeyId: ptr(arn)})
	wantDenied(t, err, c.ARN, "kms:CreateAlias")
	both := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateAlias","Resource":["` + arn + `","arn:aws:kms:us-east-1:` + acctA + `:alias/a"]}]}`
	if _, err := s.CreateAlias(t.Context(), user(acctA, "k", both), &kmsapi.CreateAliasRequest{AliasName: ptr("alias/a"), TargetKeyId: ptr(arn)}); err != nil {
		t.Fatalf("CreateAlias with both permissions: %v", err)
	}
	// kms:RequestAlias names the alias a request used.
	viaAlias := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/a"}}}]}`
	if err := encrypt(t, s, user(acctA, "v", viaAlias), "alias/a", nil); err != nil {
		t.Errorf("Encrypt through the alias the condition names: %v", err)
	}
	if err := encrypt(t, s, user(acctA, "v", viaAlias), arn, nil); kindOf(err) != KindAccessDenied {
		t.Errorf("Encrypt by key ARN under a RequestAlias condition: got %v, want AccessDenied", err)
	}
}

// A grant to an account lets that account's IAM policies decide which of
// its principals use it.
func TestGrantToAccount(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	if _, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr("arn:aws:iam::" + acctB + ":root"),
		Operations: []string{"Encrypt"}}); err != nil {
		t.Fatal(err)
	}
	if err := encrypt(t, s, rootOf(acctB), arn, nil); err != nil {
		t.Errorf("the grantee account's root: %v", err)
	}
	if err := encrypt(t, s, user(acctB, "with", allowActions("kms:Encrypt")), arn, nil); err != nil {
		t.Errorf("a user of the grantee account with an identity policy: %v", err)
	}
	wantDenied(t, encrypt(t, s, user(acctB, "without"), arn, nil), user(acctB, "without").ARN, "kms:Encrypt")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}`
	wantDenied(t, encrypt(t, s, user(acctB, "denied", deny), arn, nil), user(acctB, "denied").ARN, "kms:Encrypt")
	// Another account's users get nothing from it.
	wantDenied(t, encrypt(t, s, user("999988887777", "x", allowAll), arn, nil), user("999988887777", "x").ARN, "kms:Encrypt")
}
