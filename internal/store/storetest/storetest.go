// Package storetest is the conformance suite for store.Store: every
// implementation's tests call Run and RunReopen, so that every engine keeps
// the contracts documented in package store, including under concurrency.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trentkms/trent/internal/store"
)

// Open returns a new, empty store for one test. It registers the store's
// Close (and any clean-up of the database) with t.Cleanup.
type Open func(t *testing.T) store.Store

// Run runs the conformance suite: each subtest calls open for a store of
// its own.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Domain/NotInitialised", testDomainNotInitialised},
		{"Domain/Bootstrap", testBootstrap},
		{"Domain/BootstrapTwice", testBootstrapTwice},
		{"Domain/BootstrapRace", testBootstrapRace},
		{"Domain/SetInstallation", testSetInstallation},
		{"Domain/SetInstallationRace", testSetInstallationRace},
		{"Domain/RegionsInUse", testRegionsInUse},
		{"Accounts/CreateAndGet", testCreateAccount},
		{"Accounts/Exists", testCreateAccountExists},
		{"Accounts/AccessKeyExists", testCreateAccountAccessKeyExists},
		{"Accounts/NotFound", testAccountNotFound},
		{"Accounts/List", testListAccounts},
		{"Accounts/SetCredentialsDelivered", testSetCredentialsDelivered},
		{"AccessKeys/Get", testGetAccessKey},
		{"AccessKeys/Of", testAccessKeysOf},
		{"Keys/CreateAndGet", testCreateKey},
		{"Keys/Exists", testCreateKeyExists},
		{"Keys/MaterialExists", testCreateKeyMaterialExists},
		{"Keys/NotFound", testKeyNotFound},
		{"Keys/Isolation", testKeyIsolation},
		{"Keys/List", testListKeys},
		{"Keys/ListInvalidLimit", testListKeysInvalidLimit},
		{"Keys/Update", testUpdateKey},
		{"Keys/ImportFields", testImportFields},
		{"Keys/DeleteMaterials", testDeleteMaterials},
		{"Keys/ImportedMaterials", testImportedMaterials},
		{"Keys/UpdateConflict", testUpdateKeyConflict},
		{"Keys/UpdateNotFound", testUpdateKeyNotFound},
		{"Keys/UpdateKeepsImmutableFields", testUpdateKeyImmutable},
		{"Keys/Tags", testTags},
		{"Keys/Materials", testKeyMaterials},
		{"Keys/UpdateRace", testUpdateKeyRace},
		{"Keys/CancelledContext", testCancelledContext},
		{"Rotation/Fields", testRotationFields},
		{"Rotation/RotateKey", testRotateKey},
		{"Rotation/Conflict", testRotateKeyConflict},
		{"Rotation/MaterialExists", testRotateKeyMaterialExists},
		{"Rotation/NotFound", testRotateKeyNotFound},
		{"Rotation/Race", testRotateKeyRace},
		{"Aliases/CreateAndGet", testCreateAlias},
		{"Aliases/Exists", testCreateAliasExists},
		{"Aliases/TargetNotFound", testCreateAliasTargetNotFound},
		{"Aliases/Limit", testAliasLimit},
		{"Aliases/Update", testUpdateAlias},
		{"Aliases/UpdateErrors", testUpdateAliasErrors},
		{"Aliases/Delete", testDeleteAlias},
		{"Aliases/List", testListAliases},
		{"Aliases/ListFiltered", testListAliasesFiltered},
		{"Aliases/ListInvalidLimit", testListAliasesInvalidLimit},
		{"Aliases/CreateRace", testCreateAliasRace},
		{"Aliases/LimitRace", testAliasLimitRace},
		{"Aliases/UpdateRace", testUpdateAliasRace},
		{"Changes/Feed", testChanges},
		{"Lifecycle/DeleteKey", testDeleteKey},
		{"Lifecycle/DeleteKeyErrors", testDeleteKeyErrors},
		{"Lifecycle/DeleteKeyRace", testDeleteKeyRace},
		{"Lifecycle/DueKeys", testDueKeys},
		{"Grants/CreateAndList", testCreateGrant},
		{"Grants/LimitRace", testGrantLimit},
		{"Grants/Delete", testDeleteGrant},
		{"Grants/Retirable", testRetirableGrants},
		{"IAM/Users", testUsers},
		{"IAM/ListUsers", testListUsers},
		{"IAM/DeleteUser", testDeleteUser},
		{"IAM/DeleteUserRace", testDeleteUserRace},
		{"IAM/Roles", testRoles},
		{"IAM/Policies", testPolicies},
		{"IAM/PolicyLimitRace", testPolicyLimitRace},
		{"IAM/Tags", testTagPrincipal},
		{"IAM/AccessKeys", testUserAccessKeys},
		{"IAM/Changes", testIAMChanges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// Fixtures. Times carry nanoseconds so that a store which rounds them fails.
var base = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

const (
	acct1   = "111122223333"
	acct2   = "444455556666"
	region1 = "us-east-1"
	region2 = "eu-west-1"
	// raceN is how many goroutines race in the concurrency tests.
	raceN = 16
)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func testDomain() store.Domain {
	return store.Domain{WrappedKey: []byte{0, 1, 2, 0xff}, KeyCheck: []byte("check"), SealType: "file", CreatedAt: at(0),
		Installation: store.Installation{ID: "inst-1", Regions: "eu-west-1,us-east-1"}}
}

func testAccount(id string) store.Account {
	return store.Account{ID: id, CreatedAt: at(1), PendingCredentials: true}
}

func testAccessKey(id, account string) store.AccessKey {
	return store.AccessKey{
		ID:            id,
		AccountID:     account,
		PrincipalARN:  "arn:aws:iam::" + account + ":root",
		WrappedSecret: []byte("wrapped-" + id + "\x00\xfe"),
		Active:        true,
		CreatedAt:     at(2),
	}
}

func testKey(account, region, id string) store.Key {
	return store.Key{
		Account:     account,
		Region:      region,
		ID:          id,
		CreatedAt:   at(3),
		Description: "key " + id,
		KeySpec:     "SYMMETRIC_DEFAULT",
		KeyUsage:    "ENCRYPT_DECRYPT",
		Origin:      "AWS_KMS",
		State:       "Enabled",
		Policy:      `{"Version":"2012-10-17","Statement":[]}`,
		PolicyPrincipals: store.Principals{
			"arn:aws:iam::" + account + ":user/alice": "AIDAALICE0000000000",
			"arn:aws:iam::" + account + ":role/ops":   "AROAOPS000000000000",
		},
		Tags:            []store.Tag{{Key: "team", Value: "blue"}, {Key: "env", Value: "prod"}},
		CurrentMaterial: 1,
	}
}

func testMaterial(v uint32) store.KeyMaterial {
	return store.KeyMaterial{
		Version:    v,
		MaterialID: fmt.Sprintf("%064x", v),
		Wrapped:    []byte{byte(v), 0, 0xff, 'w'},
		CreatedAt:  at(int(v) + 10),
	}
}

func testAlias(account, region, name, target string) store.Alias {
	return store.Alias{Account: account, Region: region, Name: name, TargetKeyID: target, CreatedAt: at(4), UpdatedAt: at(4)}
}

// equate compares nil and empty slices as equal; time.Time compares with
// its Equal method.
var equate = cmpopts.EquateEmpty()

func diff(want, got any) string { return cmp.Diff(want, got, equate) }

func bootstrap(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Bootstrap(t.Context(), testDomain(), testAccount(acct1), testAccessKey("AKIA1", acct1)); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
}

func createKey(t *testing.T, s store.Store, k store.Key, ms ...store.KeyMaterial) store.Key {
	t.Helper()
	if err := s.CreateKey(t.Context(), k, ms); err != nil {
		t.Fatalf("CreateKey(%s/%s/%s): %v", k.Account, k.Region, k.ID, err)
	}
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key(%s): %v", k.ID, err)
	}
	return got
}

func createAlias(t *testing.T, s store.Store, a store.Alias, maxPerKey int) store.Alias {
	t.Helper()
	if err := s.CreateAlias(t.Context(), a, maxPerKey); err != nil {
		t.Fatalf("CreateAlias(%s -> %s): %v", a.Name, a.TargetKeyID, err)
	}
	got, err := s.Alias(t.Context(), a.Account, a.Region, a.Name)
	if err != nil {
		t.Fatalf("Alias(%s): %v", a.Name, err)
	}
	return got
}

// race runs fn(0) ... fn(n-1) in n goroutines released at once and returns
// their errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one of errs is nil and that every other is
// loser; it returns the winner's index.
func oneWinner(t *testing.T, errs []error, loser error) int {
	t.Helper()
	winner, wins := -1, 0
	for i, err := range errs {
		switch {
		case err == nil:
			winner = i
			wins++
		case !errors.Is(err, loser):
			t.Errorf("racer %d: got error %v, want nil or %v", i, err, loser)
		}
	}
	if wins != 1 {
		t.Fatalf("got %d winners, want exactly 1", wins)
	}
	return winner
}
