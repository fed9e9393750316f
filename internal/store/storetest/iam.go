package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/internal/store"
)

func testUser(account, name, path string) store.User {
	return store.User{
		Account: account, Name: name, Path: path,
		ID:        "AIDA" + fmt.Sprintf("%016X", len(name)*7919+int(name[0])),
		ARN:       "arn:aws:iam::" + account + ":user" + path + name,
		CreatedAt: at(10),
		Tags:      []store.Tag{{Key: "team", Value: "blue"}},
	}
}

func testRole(account, name string) store.Role {
	return store.Role{
		Account: account, Name: name, Path: "/",
		ID:                 "AROA" + fmt.Sprintf("%016X", len(name)*104729+int(name[0])),
		ARN:                "arn:aws:iam::" + account + ":role/" + name,
		Description:        "a role",
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[]}`,
		TrustPrincipals:    store.Principals{"arn:aws:iam::" + account + ":user/alice": "AIDAALICE0000000000"},
		MaxSessionDuration: 3600,
		CreatedAt:          at(11),
	}
}

// withAccounts bootstraps acct1 and creates acct2.
func withAccounts(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Bootstrap(t.Context(), testDomain(), testAccount(acct1), testAccessKey("AKIAROOT1", acct1)); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if err := s.CreateAccount(t.Context(), testAccount(acct2), testAccessKey("AKIAROOT2", acct2)); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
}

func userKey(id, account, user string) store.AccessKey {
	k := testAccessKey(id, account)
	k.UserName = user
	k.PrincipalARN = "arn:aws:iam::" + account + ":user/" + user
	return k
}

// testUsers: create, get (any case), duplicate names in any case, isolation
// between accounts, unknown account.
func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	u := testUser(acct1, "Alice", "/eng/")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.User(ctx, acct1, name)
		if err != nil {
			t.Fatalf("User(%q): %v", name, err)
		}
		if diff := cmp.Diff(u, got); diff != "" {
			t.Errorf("User(%q) (-want +got):\n%s", name, diff)
		}
	}
	dup := testUser(acct1, "aLICE", "/")
	dup.ID = "AIDADIFFERENT000000"
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateUser with a name differing in case: %v, want ErrExists", err)
	}
	if _, err := s.User(ctx, acct2, "Alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User in another account: %v, want ErrNotFound", err)
	}
	other := testUser(acct2, "Alice", "/")
	other.ID = "AIDAOTHERACCOUNT000"
	if err := s.CreateUser(ctx, other); err != nil {
		t.Errorf("CreateUser of the same name in another account: %v", err)
	}
	if err := s.CreateUser(ctx, testUser("999999999999", "bob", "/")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateUser in an unknown account: %v, want ErrNotFound", err)
	}
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	for _, u := range []struct{ name, path string }{{"carol", "/ops/"}, {"Bob", "/eng/"}, {"alice", "/eng/"}, {"dave", "/"}} {
		if err := s.CreateUser(ctx, testUser(acct1, u.name, u.path)); err != nil {
			t.Fatalf("CreateUser %s: %v", u.name, err)
		}
	}
	names := func(us []store.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"/", "", 10, []string{"alice", "Bob", "carol", "dave"}},
		{"/", "", 2, []string{"alice", "Bob"}},
		{"/", "bob", 10, []string{"carol", "dave"}},
		{"/eng/", "", 10, []string{"alice", "Bob"}},
		{"/ops/", "", 10, []string{"carol"}},
		{"/none/", "", 10, nil},
	}
	for _, tt := range tests {
		got, err := s.ListUsers(ctx, acct1, tt.prefix, tt.after, tt.limit)
		if err != nil {
			t.Fatalf("ListUsers(%q, %q, %d): %v", tt.prefix, tt.after, tt.limit, err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("ListUsers(%q, %q, %d) (-want +got):\n%s", tt.prefix, tt.after, tt.limit, diff)
		}
	}
	if got, _ := s.ListUsers(ctx, acct2, "/", "", 10); len(got) != 0 {
		t.Errorf("ListUsers of another account: %v", names(got))
	}
	if _, err := s.ListUsers(ctx, acct1, "/", "", 0); err == nil {
		t.Errorf("ListUsers with limit 0 succeeded")
	}
}

// testDeleteUser: a user with access keys or inline policies cannot be
// deleted; once they are gone it can.
func testDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccessKey(ctx, userKey("AKIAALICE1", acct1, "alice"), 2); err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	pol := store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalUser, Owner: "alice", Name: "p", Document: "{}"}
	if err := s.PutPolicy(ctx, pol, 0); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	if err := s.DeleteUser(ctx, acct1, "ALICE"); !errors.Is(err, store.ErrAccessKeysRemain) {
		t.Fatalf("DeleteUser with keys: %v, want ErrAccessKeysRemain", err)
	}
	if err := s.DeleteAccessKey(ctx, acct1, "AKIAALICE1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, acct1, "alice"); !errors.Is(err, store.ErrPoliciesRemain) {
		t.Fatalf("DeleteUser with policies: %v, want ErrPoliciesRemain", err)
	}
	if err := s.DeletePolicy(ctx, store.PrincipalUser, acct1, "alice", "p"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, acct1, "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := s.User(ctx, acct1, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User after DeleteUser: %v", err)
	}
	if err := s.DeleteUser(ctx, acct1, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteUser: %v, want ErrNotFound", err)
	}
}

func testRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	r := testRole(acct1, "Deployer")
	r.Tags = []store.Tag{{Key: "env", Value: "prod"}}
	if err := s.CreateRole(ctx, r); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	got, err := s.Role(ctx, acct1, "deployer")
	if err != nil {
		t.Fatalf("Role: %v", err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("Role (-want +got):\n%s", diff)
	}
	dup := testRole(acct1, "DEPLOYER")
	dup.ID = "AROADIFFERENT"
	if err := s.CreateRole(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateRole duplicate: %v, want ErrExists", err)
	}
	if err := s.CreateRole(ctx, testRole(acct1, "auditor")); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListRoles(ctx, acct1, "/", "", 10)
	if err != nil || len(list) != 2 || list[0].Name != "auditor" || list[1].Name != "Deployer" {
		t.Errorf("ListRoles = %v, %v; want auditor, Deployer", list, err)
	}
	list, err = s.ListRoles(ctx, acct1, "/", "auditor", 10)
	if err != nil || len(list) != 1 || list[0].Name != "Deployer" {
		t.Errorf("ListRoles after auditor = %v, %v", list, err)
	}
	pol := store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalRole, Owner: "Deployer", Name: "kms", Document: "{}"}
	if err := s.PutPolicy(ctx, pol, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, acct1, "deployer"); !errors.Is(err, store.ErrPoliciesRemain) {
		t.Errorf("DeleteRole with policies: %v, want ErrPoliciesRemain", err)
	}
	if err := s.DeletePolicy(ctx, store.PrincipalRole, acct1, "deployer", "kms"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, acct1, "deployer"); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	if _, err := s.Role(ctx, acct1, "Deployer"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Role after DeleteRole: %v", err)
	}
	if err := s.DeleteRole(ctx, acct1, "Deployer"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteRole: %v", err)
	}
}

// testPolicies: put replaces, get and list, the aggregate size limit counts
// the replaced document once, unknown owners.
func testPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	put := func(name, doc string, max int) error {
		return s.PutPolicy(ctx, store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalUser, Owner: "Alice", Name: name, Document: doc}, max)
	}
	if err := put("b", "0123456789", 20); err != nil {
		t.Fatal(err)
	}
	if err := put("a", "0123456789", 20); err != nil {
		t.Fatalf("PutPolicy to exactly the limit: %v", err)
	}
	if err := put("c", "x", 20); !errors.Is(err, store.ErrLimitExceeded) {
		t.Errorf("PutPolicy over the limit: %v, want ErrLimitExceeded", err)
	}
	if err := put("a", "abcdefghij", 20); err != nil {
		t.Errorf("replacing a policy at the limit: %v", err)
	}
	got, err := s.Policy(ctx, store.PrincipalUser, acct1, "alice", "a")
	if err != nil || got.Document != "abcdefghij" {
		t.Errorf("Policy = %+v, %v; want the replaced document", got, err)
	}
	list, err := s.Policies(ctx, store.PrincipalUser, acct1, "alice")
	if err != nil || len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" {
		t.Errorf("Policies = %+v, %v", list, err)
	}
	if _, err := s.Policy(ctx, store.PrincipalUser, acct1, "alice", "c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Policy of a rejected put: %v", err)
	}
	if _, err := s.Policy(ctx, store.PrincipalRole, acct1, "alice", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a user's policy found as a role's: %v", err)
	}
	if err := s.PutPolicy(ctx, store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalUser, Owner: "nobody", Name: "a", Document: "{}"}, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutPolicy for an unknown user: %v", err)
	}
	if err := s.DeletePolicy(ctx, store.PrincipalUser, acct1, "alice", "zzz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeletePolicy of an unknown policy: %v", err)
	}
}

// testPolicyLimitRace: concurrent puts never exceed the aggregate limit.
func testPolicyLimitRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range raceN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.PutPolicy(ctx, store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalUser, Owner: "alice", Name: fmt.Sprint("p", i), Document: "0123456789"}, 35)
		}()
	}
	wg.Wait()
	list, err := s.Policies(ctx, store.PrincipalUser, acct1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Errorf("%d policies of 10 bytes under a 35-byte limit, want 3", len(list))
	}
}

func testTagPrincipal(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	if err := s.TagPrincipal(ctx, store.PrincipalUser, acct1, "ALICE", []store.Tag{{Key: "team", Value: "red"}, {Key: "cc", Value: "42"}}, 3); err != nil {
		t.Fatalf("TagPrincipal: %v", err)
	}
	u, _ := s.User(ctx, acct1, "alice")
	want := []store.Tag{{Key: "team", Value: "red"}, {Key: "cc", Value: "42"}}
	if diff := cmp.Diff(want, u.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if err := s.TagPrincipal(ctx, store.PrincipalUser, acct1, "alice", []store.Tag{{Key: "a", Value: ""}, {Key: "b", Value: ""}}, 3); !errors.Is(err, store.ErrLimitExceeded) {
		t.Errorf("TagPrincipal over the limit: %v", err)
	}
	if err := s.TagPrincipal(ctx, store.PrincipalRole, acct1, "alice", []store.Tag{{Key: "a"}}, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TagPrincipal of an unknown role: %v", err)
	}
	if err := s.CreateRole(ctx, testRole(acct1, "r")); err != nil {
		t.Fatal(err)
	}
	if err := s.TagPrincipal(ctx, store.PrincipalRole, acct1, "r", []store.Tag{{Key: "env", Value: "dev"}}, 50); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Role(ctx, acct1, "r")
	if diff := cmp.Diff([]store.Tag{{Key: "env", Value: "dev"}}, r.Tags); diff != "" {
		t.Errorf("role tags (-want +got):\n%s", diff)
	}
}

func testUserAccessKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	k1, k2 := userKey("AKIAALICE1", acct1, "alice"), userKey("AKIAALICE2", acct1, "alice")
	k2.CreatedAt = at(3)
	for _, k := range []store.AccessKey{k1, k2} {
		if err := s.CreateAccessKey(ctx, k, 2); err != nil {
			t.Fatalf("CreateAccessKey %s: %v", k.ID, err)
		}
	}
	if err := s.CreateAccessKey(ctx, userKey("AKIAALICE3", acct1, "alice"), 2); !errors.Is(err, store.ErrLimitExceeded) {
		t.Errorf("third key: %v, want ErrLimitExceeded", err)
	}
	if err := s.CreateAccessKey(ctx, userKey("AKIANOBODY", acct1, "nobody"), 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key of an unknown user: %v, want ErrNotFound", err)
	}
	if err := s.CreateAccessKey(ctx, userKey("AKIAROOT1", acct1, ""), 0); !errors.Is(err, store.ErrExists) {
		t.Errorf("key with a taken ID: %v, want ErrExists", err)
	}
	got, err := s.UserAccessKeys(ctx, acct1, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.AccessKey{k1, k2}, got); diff != "" {
		t.Errorf("UserAccessKeys (-want +got):\n%s", diff)
	}
	root, err := s.UserAccessKeys(ctx, acct1, "")
	if err != nil || len(root) != 1 || root[0].ID != "AKIAROOT1" {
		t.Errorf("root's keys = %v, %v", root, err)
	}
	if err := s.SetAccessKeyActive(ctx, acct1, k1.ID, false); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.AccessKey(ctx, k1.ID); k.Active || k.UserName != "alice" {
		t.Errorf("after SetAccessKeyActive(false): %+v", k)
	}
	if err := s.SetAccessKeyActive(ctx, acct2, k1.ID, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAccessKeyActive from another account: %v", err)
	}
	if err := s.DeleteAccessKey(ctx, acct2, k1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteAccessKey from another account: %v", err)
	}
	if err := s.DeleteAccessKey(ctx, acct1, k1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccessKey(ctx, k1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessKey after delete: %v", err)
	}
}

// testIAMChanges: every IAM mutation appends its change-feed entry; a
// failed one appends none.
func testIAMChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	start, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return s.CreateUser(ctx, testUser(acct1, "Alice", "/")) },
		func() error { return s.CreateAccessKey(ctx, userKey("AKIAALICE1", acct1, "Alice"), 2) },
		func() error { return s.SetAccessKeyActive(ctx, acct1, "AKIAALICE1", false) },
		func() error {
			return s.PutPolicy(ctx, store.InlinePolicy{Account: acct1, OwnerKind: store.PrincipalUser, Owner: "Alice", Name: "p", Document: "{}"}, 0)
		},
		func() error {
			return s.TagPrincipal(ctx, store.PrincipalUser, acct1, "Alice", []store.Tag{{Key: "k"}}, 0)
		},
		func() error { return s.DeletePolicy(ctx, store.PrincipalUser, acct1, "Alice", "p") },
		func() error { return s.DeleteAccessKey(ctx, acct1, "AKIAALICE1") },
		func() error { return s.DeleteUser(ctx, acct1, "Alice") },
		func() error { return s.CreateRole(ctx, testRole(acct1, "R")) },
		func() error { return s.DeleteRole(ctx, acct1, "R") },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := s.DeleteUser(ctx, acct1, "Alice"); err == nil { // fails: no entry
		t.Fatal("deleting a deleted user succeeded")
	}
	got, err := s.Changes(ctx, start, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Kind          store.ChangeKind
		Account, Name string
	}
	var entries []entry
	for _, c := range got {
		entries = append(entries, entry{c.Kind, c.Account, c.Name})
	}
	want := []entry{
		{store.ChangeUser, acct1, "alice"},
		{store.ChangeAccessKey, acct1, "AKIAALICE1"},
		{store.ChangeAccessKey, acct1, "AKIAALICE1"},
		{store.ChangeUser, acct1, "alice"},
		{store.ChangeUser, acct1, "alice"},
		{store.ChangeUser, acct1, "alice"},
		{store.ChangeAccessKey, acct1, "AKIAALICE1"},
		{store.ChangeUser, acct1, "alice"},
		{store.ChangeRole, acct1, "r"},
		{store.ChangeRole, acct1, "r"},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("change feed (-want +got):\n%s", diff)
	}
}

// testDeleteUserRace: a user deleted while access keys are being created
// never leaves a key without its user.
func testDeleteUserRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	withAccounts(t, s)
	if err := s.CreateUser(ctx, testUser(acct1, "alice", "/")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	created := make([]bool, raceN)
	for i := range raceN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created[i] = s.CreateAccessKey(ctx, userKey(fmt.Sprintf("AKIARACE%02d", i), acct1, "alice"), 0) == nil
		}()
	}
	wg.Add(1)
	var delErr error
	go func() { defer wg.Done(); delErr = s.DeleteUser(ctx, acct1, "alice") }()
	wg.Wait()
	keys, err := s.UserAccessKeys(ctx, acct1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, userErr := s.User(ctx, acct1, "alice")
	if delErr == nil && (len(keys) > 0 || userErr == nil) {
		t.Errorf("DeleteUser succeeded but the user has %d keys (user lookup: %v)", len(keys), userErr)
	}
	if delErr != nil && !errors.Is(delErr, store.ErrAccessKeysRemain) {
		t.Errorf("DeleteUser: %v", delErr)
	}
}
