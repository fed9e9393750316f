package service

import (
	"strings"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// recreate deletes IAM user name of account from the store and creates a
// user of the same name with another unique ID, returning its caller.
func recreate(t *testing.T, n node, account, name string) *Caller {
	t.Helper()
	if err := n.store.DeleteUser(t.Context(), account, name); err != nil {
		t.Fatal(err)
	}
	c := user(account, name)
	c.Principal.UserID += "2"
	if err := n.store.CreateUser(t.Context(), store.User{Account: account, Name: name, Path: "/", ID: c.Principal.UserID, ARN: c.ARN, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPrincipalsBoundToUniqueIDs: a key policy and a grant name the user
// that existed when they were put; a user deleted and created again under
// the same name gets nothing from them, on this node and on a node that
// cached the key before, and they show the old user's unique ID.
func TestPrincipalsBoundToUniqueIDs(t *testing.T) {
	nodes := newNodes(t, 2)
	n, s, other := nodes[0], nodes[0].svc, nodes[1].svc
	iamUser(t, n, acctA, "contractor")
	old := user(acctA, "contractor")
	contractorARN := old.ARN
	policy := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"` + contractorARN + `"},"Action":"kms:Encrypt","Resource":"*"}]}`
	arn := newTestKey(t, s, rootOf(acctA), &policy)
	g, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(contractorARN),
		RetiringPrincipal: ptr(contractorARN), Operations: []string{"Encrypt", "Decrypt"}})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := s.Encrypt(t.Context(), rootOf(acctA), &kmsapi.EncryptRequest{KeyId: ptr(arn), Plaintext: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	decrypt := func(svc *Service, c *Caller) error {
		_, err := svc.Decrypt(t.Context(), c, &kmsapi.DecryptRequest{CiphertextBlob: blob.CiphertextBlob, GrantTokens: []string{g.GrantToken}})
		return err
	}
	for i, svc := range []*Service{s, other} { // node 2 caches the key now
		if err := encrypt(t, svc, user(acctA, "contractor"), arn, nil); err != nil {
			t.Fatalf("node %d: Encrypt by the user the key policy names: %v", i+1, err)
		}
		if err := decrypt(svc, user(acctA, "contractor")); err != nil {
			t.Fatalf("node %d: Decrypt by the grantee: %v", i+1, err)
		}
	}

	again := recreate(t, n, acctA, "contractor")
	fresh := func() *Caller { c := *again; return &c }
	for i, svc := range []*Service{s, other} {
		wantDenied(t, encrypt(t, svc, fresh(), arn, nil), contractorARN, "kms:Encrypt")
		if err := decrypt(svc, fresh()); kindOf(err) != KindAccessDenied {
			t.Errorf("node %d: Decrypt by the user created again, with the grant's token: got %v, want AccessDenied", i+1, err)
		}
	}
	if _, err := s.RetireGrant(t.Context(), fresh(), &kmsapi.RetireGrantRequest{GrantToken: ptr(g.GrantToken)}); kindOf(err) != KindAccessDenied {
		t.Errorf("RetireGrant by the retiring principal's namesake: got %v, want AccessDenied", err)
	}

	// What the key policy and the grant show: the old user's unique ID.
	got, err := s.GetKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.GetKeyPolicyRequest{KeyId: ptr(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(policy, contractorARN, old.Principal.UserID, 1); got.Policy != want {
		t.Errorf("GetKeyPolicy after the user was deleted:\n got %s\nwant %s", got.Policy, want)
	}
	list, err := s.ListGrants(t.Context(), rootOf(acctA), &kmsapi.ListGrantsRequest{KeyId: ptr(arn)})
	if err != nil || len(list.Grants) != 1 {
		t.Fatalf("ListGrants: %+v %v", list, err)
	}
	if e := list.Grants[0]; e.GranteePrincipal != old.Principal.UserID || e.RetiringPrincipal != old.Principal.UserID {
		t.Errorf("ListGrants shows grantee %q, retiring %q; want the old user's unique ID %q", e.GranteePrincipal, e.RetiringPrincipal, old.Principal.UserID)
	}
	for _, filter := range []string{contractorARN, old.Principal.UserID} {
		list, err := s.ListGrants(t.Context(), rootOf(acctA), &kmsapi.ListGrantsRequest{KeyId: ptr(arn), GranteePrincipal: ptr(filter)})
		want := 0
		if filter == old.Principal.UserID {
			want = 1
		}
		if err != nil || len(list.Grants) != want {
			t.Errorf("ListGrants(GranteePrincipal %s) = %+v, %v; want %d grants", filter, list, err, want)
		}
	}
	ret, err := s.ListRetirableGrants(t.Context(), rootOf(acctA), &kmsapi.ListRetirableGrantsRequest{RetiringPrincipal: ptr(contractorARN)})
	if err != nil || len(ret.Grants) != 0 {
		t.Errorf("ListRetirableGrants of the user created again = %+v, %v; want none", ret, err)
	}

	// Putting the policy again binds it to the user that exists now.
	if _, err := s.PutKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.PutKeyPolicyRequest{KeyId: ptr(arn), Policy: ptr(policy)}); err != nil {
		t.Fatal(err)
	}
	if err := encrypt(t, s, fresh(), arn, nil); err != nil {
		t.Errorf("Encrypt by the new user once the policy is put again: %v", err)
	}
	if got, err := s.GetKeyPolicy(t.Context(), rootOf(acctA), &kmsapi.GetKeyPolicyRequest{KeyId: ptr(arn)}); err != nil || got.Policy != policy {
		t.Errorf("GetKeyPolicy after the put: %v\n%s", err, got.Policy)
	}
	// A named grant repeated for the new user is a new grant, not the old one.
	in := &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(contractorARN), Operations: []string{"Decrypt"}, Name: ptr("n")}
	g1, err := s.CreateGrant(t.Context(), rootOf(acctA), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.DeleteUser(t.Context(), acctA, "contractor"); err != nil {
		t.Fatal(err)
	}
	iamUser(t, n, acctA, "contractor") // the first unique ID again, not the one g1 names
	g2, err := s.CreateGrant(t.Context(), rootOf(acctA), in)
	if err != nil || g2.GrantId == g1.GrantId {
		t.Errorf("named CreateGrant for a user created again: %+v, %v; want a new grant (the first was %s)", g2, err, g1.GrantId)
	}
}

// TestCreateGrantPrincipalMustExist: CreateGrant refuses, as PutKeyPolicy
// does, a grantee or retiring principal that does not exist, with AWS's
// InvalidArnException, and writes nothing.
func TestCreateGrantPrincipalMustExist(t *testing.T) {
	n := newNodes(t, 1)[0]
	s := n.svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	iamUser(t, n, acctA, "real")
	real := user(acctA, "real").ARN
	for _, c := range []struct{ grantee, retiring, bad string }{
		{"arn:aws:iam::" + acctA + ":user/ghost", "", "arn:aws:iam::" + acctA + ":user/ghost"},
		{"arn:aws:iam::" + acctA + ":role/ghost", "", "arn:aws:iam::" + acctA + ":role/ghost"},
		{"arn:aws:sts::" + acctA + ":assumed-role/ghost/s", "", "arn:aws:sts::" + acctA + ":assumed-role/ghost/s"},
		{"arn:aws:iam::999988887777:root", "", "arn:aws:iam::999988887777:root"},
		{"arn:aws:iam::" + acctA + ":user/other/real", "", "arn:aws:iam::" + acctA + ":user/other/real"}, // another path
		{real, "arn:aws:iam::" + acctA + ":user/ghost", "arn:aws:iam::" + acctA + ":user/ghost"},
	} {
		in := &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(c.grantee), Operations: []string{"Decrypt"}}
		if c.retiring != "" {
			in.RetiringPrincipal = ptr(c.retiring)
		}
		_, err := s.CreateGrant(t.Context(), rootOf(acctA), in)
		if want := "ARN does not refer to a valid principal: " + c.bad; kindOf(err) != KindInvalidArn || !strings.Contains(err.Error(), want) {
			t.Errorf("CreateGrant(grantee %s, retiring %s): got %v, want InvalidArn %q", c.grantee, c.retiring, err, want)
		}
	}
	if list, err := s.ListGrants(t.Context(), rootOf(acctA), &kmsapi.ListGrantsRequest{KeyId: ptr(arn)}); err != nil || len(list.Grants) != 0 {
		t.Errorf("grants after the refusals: %+v %v", list, err)
	}
	for _, p := range []string{real, "arn:aws:iam::" + acctB + ":root"} {
		if _, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(p), RetiringPrincipal: ptr(p), Operations: []string{"Decrypt"}}); err != nil {
			t.Errorf("CreateGrant to %s, which exists: %v", p, err)
		}
	}
}

// TestListGrantsGranteeServicePrincipal: the filter is refused, as service
// principals are everywhere else, rather than ignored.
func TestListGrantsGranteeServicePrincipal(t *testing.T) {
	s := newNodes(t, 1)[0].svc
	arn := newTestKey(t, s, rootOf(acctA), nil)
	if _, err := s.CreateGrant(t.Context(), rootOf(acctA), &kmsapi.CreateGrantRequest{KeyId: ptr(arn), GranteePrincipal: ptr(iam.RootARN(acctB)), Operations: []string{"Decrypt"}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.ListGrants(t.Context(), rootOf(acctA), &kmsapi.ListGrantsRequest{KeyId: ptr(arn), GranteeServicePrincipal: ptr("rds.amazonaws.com")})
	if kindOf(err) != KindUnsupportedOperation {
		t.Errorf("ListGrants with GranteeServicePrincipal: got %+v, %v; want UnsupportedOperation", out, err)
	}
}
