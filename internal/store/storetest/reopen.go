package storetest

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

// Opener opens one database. Every call opens the same database anew; the
// caller closes what it opens.
type Opener func(ctx context.Context) (store.Store, error)

// NewDB creates a new, empty database for one test, registers its clean-up
// with t.Cleanup, and returns its Opener.
type NewDB func(t *testing.T) Opener

// RunReopen runs the tests that open one database more than once: data
// survives Close, concurrent first opens migrate once, and a database from
// a newer schema is refused.
func RunReopen(t *testing.T, newDB NewDB) {
	t.Run("Reopen/DataSurvives", func(t *testing.T) { testDataSurvives(t, newDB(t)) })
	t.Run("Reopen/ConcurrentOpen", func(t *testing.T) { testConcurrentOpen(t, newDB(t)) })
	t.Run("Reopen/SchemaTooNew", func(t *testing.T) { testSchemaTooNew(t, newDB(t)) })
}

func mustOpen(t *testing.T, open Opener) store.Store {
	t.Helper()
	s, err := open(t.Context())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func mustClose(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// snapshot is everything the suite wrote, read back.
type snapshot struct {
	Domain    store.Domain
	Accounts  []store.Account
	AccessKey store.AccessKey
	Keys      []store.Key
	Materials []store.KeyMaterial
	Aliases   []store.Alias
}

func takeSnapshot(t *testing.T, s store.Store) snapshot {
	t.Helper()
	var sn snapshot
	var err error
	if sn.Domain, err = s.Domain(t.Context()); err != nil {
		t.Fatalf("Domain: %v", err)
	}
	if sn.Accounts, err = s.ListAccounts(t.Context()); err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	if sn.AccessKey, err = s.AccessKey(t.Context(), "AKIA1"); err != nil {
		t.Fatalf("AccessKey: %v", err)
	}
	if sn.Keys, err = s.ListKeys(t.Context(), acct1, region1, "", 100); err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	if sn.Materials, err = s.KeyMaterials(t.Context(), store.KeyRef{Account: acct1, Region: region1, ID: "key-1"}); err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if sn.Aliases, err = s.ListAliases(t.Context(), acct1, region1, "", "", 100); err != nil {
		t.Fatalf("ListAliases: %v", err)
	}
	return sn
}

// Populate fills s with one of everything, some of it updated, for tests
// that check data survives (reopening, backups). Check reads it back.
func Populate(t *testing.T, s store.Store) {
	t.Helper()
	bootstrap(t, s)
	if err := s.CreateAccount(t.Context(), testAccount(acct2), testAccessKey("AKIA2", acct2)); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if err := s.SetCredentialsDelivered(t.Context(), acct1); err != nil {
		t.Fatalf("SetCredentialsDelivered: %v", err)
	}
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1), testMaterial(2))
	createKey(t, s, testKey(acct1, region1, "key-2"))
	k.Description = "updated"
	if _, err := s.UpdateKey(t.Context(), k); err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	a := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 50)
	createAlias(t, s, testAlias(acct1, region1, "alias/two", "key-1"), 50)
	a.TargetKeyID = "key-2"
	if _, err := s.UpdateAlias(t.Context(), a, 50); err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
}

// Check verifies that s holds exactly what Populate wrote.
func Check(t *testing.T, s store.Store) {
	t.Helper()
	got := takeSnapshot(t, s)
	acct1Delivered := testAccount(acct1)
	acct1Delivered.PendingCredentials = false
	k1 := testKey(acct1, region1, "key-1")
	k1.Description, k1.Version = "updated", 2
	k2 := testKey(acct1, region1, "key-2")
	k2.Version = 1
	a1 := testAlias(acct1, region1, "alias/one", "key-2")
	a1.Version = 2
	a2 := testAlias(acct1, region1, "alias/two", "key-1")
	a2.Version = 1
	want := snapshot{
		Domain:    testDomain(),
		Accounts:  []store.Account{acct1Delivered, testAccount(acct2)},
		AccessKey: testAccessKey("AKIA1", acct1),
		Keys:      []store.Key{k1, k2},
		Materials: []store.KeyMaterial{testMaterial(1), testMaterial(2)},
		Aliases:   []store.Alias{a1, a2},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("store contents mismatch (-want +got):\n%s", d)
	}
}

func testDataSurvives(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	Populate(t, s)
	mustClose(t, s)
	for range 2 {
		s = mustOpen(t, open)
		Check(t, s)
		mustClose(t, s)
	}
}

// testConcurrentOpen starts several nodes on one new database at once:
// every open must succeed, and they must then share one schema.
func testConcurrentOpen(t *testing.T, open Opener) {
	const n = 8
	stores := make([]store.Store, n)
	errs := race(n, func(i int) error {
		var err error
		stores[i], err = open(t.Context())
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	defer func() {
		for _, s := range stores {
			if s != nil {
				mustClose(t, s)
			}
		}
	}()
	if t.Failed() {
		return
	}
	Populate(t, stores[0])
	for _, s := range stores {
		Check(t, s)
	}
}

// rawSQL is implemented by the database/sql stores.
type rawSQL interface{ SQL() *sql.DB }

func testSchemaTooNew(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	raw, ok := s.(rawSQL)
	if !ok {
		mustClose(t, s)
		t.Skipf("%T has no schema version to change", s)
	}
	if _, err := raw.SQL().ExecContext(t.Context(), `UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatalf("bump schema version: %v", err)
	}
	mustClose(t, s)
	s, err := open(t.Context())
	if err == nil {
		mustClose(t, s)
	}
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open after a newer binary migrated: got error %v, want %v", err, store.ErrSchemaTooNew)
	}
}
