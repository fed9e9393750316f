package iam_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// TestPrincipalIDs: which ARNs bind, to which unique IDs, and what stands
// in place of a bound principal once it is gone.
func TestPrincipalIDs(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const acct = "111122223333"
	now := time.Now()
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{1}, SealType: "file"}, store.Account{ID: acct},
		store.AccessKey{ID: "AKIAROOT", AccountID: acct, PrincipalARN: iam.RootARN(acct), WrappedSecret: []byte{1}, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, store.User{Account: acct, Name: "Alice", Path: "/eng/", ID: "AIDAALICE", ARN: "arn:aws:iam::" + acct + ":user/eng/Alice", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRole(ctx, store.Role{Account: acct, Name: "app", Path: "/svc/", ID: "AROAAPP", ARN: "arn:aws:iam::" + acct + ":role/svc/app", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		arn, want string
		none      bool // a *NoSuchPrincipalError
	}{
		{arn: "arn:aws:iam::" + acct + ":user/eng/Alice", want: "AIDAALICE"},
		{arn: "arn:aws:iam::" + acct + ":role/svc/app", want: "AROAAPP"},
		{arn: "arn:aws:sts::" + acct + ":assumed-role/app/s1", want: "AROAAPP"},
		{arn: "arn:aws:iam::" + acct + ":user/Alice", none: true},     // another path
		{arn: "arn:aws:iam::" + acct + ":user/eng/alice", none: true}, // another case: not Alice's ARN
		{arn: "arn:aws:sts::" + acct + ":assumed-role/App/s1", none: true},
		{arn: "arn:aws:iam::" + acct + ":user/ghost", none: true},
		{arn: "arn:aws:iam::" + acct + ":role/ghost", none: true},
		{arn: "arn:aws:iam::" + acct + ":root"},               // accounts do not bind
		{arn: "arn:aws:sts::" + acct + ":federated-user/bob"}, // nor federated users
		{arn: "arn:aws:iam::" + acct + ":user/eng/"},          // nor what is no principal
	}
	for _, c := range cases {
		got, err := iam.PrincipalID(ctx, st, c.arn)
		var none *iam.NoSuchPrincipalError
		if c.none != errors.As(err, &none) || !c.none && err != nil || got != c.want {
			t.Errorf("PrincipalID(%s) = %q, %v; want %q (no such principal: %v)", c.arn, got, err, c.want, c.none)
		}
		if iam.Bindable(c.arn) != (c.want != "" || c.none) {
			t.Errorf("Bindable(%s) = %v", c.arn, iam.Bindable(c.arn))
		}
	}

	bound, err := iam.Bind(ctx, st, []string{"arn:aws:iam::" + acct + ":root", "arn:aws:iam::" + acct + ":user/eng/Alice", "arn:aws:sts::" + acct + ":assumed-role/app/s1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(store.Principals{"arn:aws:iam::" + acct + ":user/eng/Alice": "AIDAALICE", "arn:aws:sts::" + acct + ":assumed-role/app/s1": "AROAAPP"}, bound); d != "" {
		t.Errorf("Bind (-want +got):\n%s", d)
	}
	if _, err := iam.Bind(ctx, st, []string{"arn:aws:iam::" + acct + ":user/ghost"}); err == nil {
		t.Errorf("Bind of a user that does not exist: no error")
	}
	if gone, err := iam.Gone(ctx, st, bound); err != nil || gone != nil {
		t.Errorf("Gone while all exist = %v, %v; want none", gone, err)
	}
	// The role deleted and created again: its sessions show as the old
	// role's unique ID and the session name.
	if err := st.DeleteRole(ctx, acct, "app"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRole(ctx, store.Role{Account: acct, Name: "app", Path: "/svc/", ID: "AROAAPP2", ARN: "arn:aws:iam::" + acct + ":role/svc/app", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, acct, "Alice"); err != nil {
		t.Fatal(err)
	}
	gone, err := iam.Gone(ctx, st, bound)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"arn:aws:iam::" + acct + ":user/eng/Alice": "AIDAALICE", "arn:aws:sts::" + acct + ":assumed-role/app/s1": "AROAAPP:s1"}, gone); d != "" {
		t.Errorf("Gone (-want +got):\n%s", d)
	}
}
