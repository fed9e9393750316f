package iam_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// TestSessionLifecycle: a session token verifies, expires with the clock,
// and stops working when its role is deleted or a forged token is shown.
func TestSessionLifecycle(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dk, _ := keyring.NewDomainKey(nil)
	kr, err := keyring.Open(dk, keyring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	const acct = "111122223333"
	rootKey, _, _ := iam.NewAccessKey(kr, acct, iam.RootARN(acct), time.Now())
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{1}, SealType: "file"}, store.Account{ID: acct}, rootKey); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dir := iam.NewDirectory(st, kr)
	svc := iam.NewService(iam.Config{Store: st, Secrets: kr, Directory: dir, Validator: iam.JSONSyntaxValidator{},
		Trust: iam.NaiveTrustChecker{}, Now: func() time.Time { return now }})
	dir.SetClock(func() time.Time { return now })
	root := &iam.Principal{Type: iam.TypeRoot, Account: acct, ARN: iam.RootARN(acct), UserID: acct}
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "u"}); err != nil {
		t.Fatal(err)
	}
	k, _, err := svc.CreateAccessKey(ctx, root, "u")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := dir.Lookup(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	user := cred.Handle.(*iam.Principal)
	trust := `{"Statement":{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}}`
	if _, err := svc.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	out, err := svc.AssumeRole(ctx, user, k.ID, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + acct + ":role/r", RoleSessionName: "s1", DurationSeconds: 900})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dir.LookupSession(ctx, out.AccessKeyID, out.SessionToken)
	if err != nil || string(c.Secret) != out.SecretAccessKey || c.Handle.(*iam.Principal).ARN != "arn:aws:sts::"+acct+":assumed-role/r/s1" {
		t.Fatalf("LookupSession = %v, %v", c, err)
	}
	// A token shown with another access key ID does not open.
	if _, err := dir.LookupSession(ctx, "ASIAAAAAAAAAAAAAAAAA", out.SessionToken); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Errorf("transplanted token: %v", err)
	}
	// A fresh directory (another node, or after a restart) verifies it too.
	other := iam.NewDirectory(st, kr)
	other.SetClock(func() time.Time { return now })
	if _, err := other.LookupSession(ctx, out.AccessKeyID, out.SessionToken); err != nil {
		t.Errorf("token on a fresh directory: %v", err)
	}
	now = now.Add(900 * time.Second)
	for _, d := range []*iam.Directory{dir, other} {
		if _, err := d.LookupSession(ctx, out.AccessKeyID, out.SessionToken); !errors.Is(err, sigv4.ErrExpiredToken) {
			t.Errorf("after expiry: %v, want ErrExpiredToken", err)
		}
	}
	now = now.Add(-time.Minute)
	if err := svc.DeleteRole(ctx, root, "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.LookupSession(ctx, out.AccessKeyID, out.SessionToken); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Errorf("after DeleteRole: %v, want ErrUnknownAccessKey", err)
	}
	// Root may not assume roles.
	var ie *iam.Error
	if _, err := svc.AssumeRole(ctx, root, rootKey.ID, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + acct + ":role/r", RoleSessionName: "s1"}); !errors.As(err, &ie) || ie.Kind != iam.KindAccessDenied {
		t.Errorf("root AssumeRole: %v", err)
	}
}
