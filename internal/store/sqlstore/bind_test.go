package sqlstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// TestBindPrincipalsMigration runs the migration step on data as earlier
// releases wrote it (no bindings): what names an existing user, role or
// role session is bound to its unique ID; what names a user deleted before
// the upgrade, an account or anything outside a Principal element is not.
func TestBindPrincipalsMigration(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const acct = "111122223333"
	now := time.Unix(1700000000, 0).UTC()
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{2}, SealType: "file", CreatedAt: now},
		store.Account{ID: acct, CreatedAt: now}, store.AccessKey{ID: "AKIAROOT", AccountID: acct, PrincipalARN: "arn:aws:iam::" + acct + ":root",
			WrappedSecret: []byte{3}, Active: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	alice := "arn:aws:iam::" + acct + ":user/eng/alice"
	gone := "arn:aws:iam::" + acct + ":user/gone"
	role := "arn:aws:iam::" + acct + ":role/app"
	session := "arn:aws:sts::" + acct + ":assumed-role/app/s1"
	for _, u := range []store.User{
		{Account: acct, Name: "alice", Path: "/eng/", ID: "AIDAALICE", ARN: alice, CreatedAt: now},
		{Account: acct, Name: "gone", Path: "/", ID: "AIDAGONE", ARN: gone, CreatedAt: now},
	} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + alice + `","` + gone + `","` + acct + `"]},"Action":"sts:AssumeRole"}]}`
	if err := st.CreateRole(ctx, store.Role{Account: acct, Name: "app", Path: "/", ID: "AROAAPP", ARN: role, TrustPolicy: trust, MaxSessionDuration: 3600, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + acct + `:root","` + alice + `","` + gone + `","` + role + `"]},"Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Deny","NotPrincipal":{"AWS":"` + session + `"},"Action":"kms:Decrypt","Resource":"*",` +
		`"Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::` + acct + `:user/nobody"}}}]}`
	key := store.Key{Account: acct, Region: "us-east-1", ID: "k1", CreatedAt: now, KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT",
		Origin: "AWS_KMS", State: "Enabled", Policy: policy}
	if err := st.CreateKey(ctx, key, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []store.Grant{
		{Account: acct, Region: "us-east-1", KeyID: "k1", ID: "g1", GranteePrincipal: alice, RetiringPrincipal: role, IssuingAccount: "arn:aws:iam::" + acct + ":root", CreatedAt: now},
		{Account: acct, Region: "us-east-1", KeyID: "k1", ID: "g2", GranteePrincipal: gone, RetiringPrincipal: session, IssuingAccount: "arn:aws:iam::" + acct + ":root", CreatedAt: now},
		{Account: acct, Region: "us-east-1", KeyID: "k1", ID: "g3", GranteePrincipal: "arn:aws:iam::" + acct + ":root", IssuingAccount: "arn:aws:iam::" + acct + ":root", CreatedAt: now},
	} {
		if err := st.CreateGrant(ctx, g, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DeleteUser(ctx, acct, "gone"); err != nil {
		t.Fatal(err)
	}

	if err := st.BindPrincipals(ctx); err != nil {
		t.Fatalf("bind principals: %v", err)
	}
	k, err := st.Key(ctx, key.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(store.Principals{alice: "AIDAALICE", role: "AROAAPP", session: "AROAAPP"}, k.PolicyPrincipals); d != "" {
		t.Errorf("key policy bindings (-want +got):\n%s", d)
	}
	r, err := st.Role(ctx, acct, "app")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(store.Principals{alice: "AIDAALICE"}, r.TrustPrincipals); d != "" {
		t.Errorf("trust policy bindings (-want +got):\n%s", d)
	}
	gs, err := st.Grants(ctx, key.Ref())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]string{}
	for _, g := range gs {
		got[g.ID] = [2]string{g.GranteeID, g.RetiringID}
	}
	if d := cmp.Diff(map[string][2]string{"g1": {"AIDAALICE", "AROAAPP"}, "g2": {"", "AROAAPP"}, "g3": {"", ""}}, got); d != "" {
		t.Errorf("grant bindings (-want +got):\n%s", d)
	}
}
