package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// testDeleteKey checks that DeleteKey removes the key, its materials and
// its aliases, leaves other keys and their aliases alone, and appends one
// change-feed entry for the key and one per alias.
func testDeleteKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1), rotatedMaterial(2, store.RotationOnDemand))
	other := createKey(t, s, testKey(acct1, region1, "key-2"), testMaterial(1))
	twin := createKey(t, s, testKey(acct1, region2, "key-1"), testMaterial(1)) // same ID, other region
	createAlias(t, s, testAlias(acct1, region1, "alias/a", k.ID), 0)
	createAlias(t, s, testAlias(acct1, region1, "alias/b", k.ID), 0)
	createAlias(t, s, testAlias(acct1, region1, "alias/keep", other.ID), 0)
	createAlias(t, s, testAlias(acct1, region2, "alias/a", twin.ID), 0)
	seq, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}

	if err := s.DeleteKey(ctx, k.Ref(), k.Version); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if _, err := s.Key(ctx, k.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key after DeleteKey: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.KeyMaterials(ctx, k.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyMaterials after DeleteKey: got error %v, want %v", err, store.ErrNotFound)
	}
	for _, name := range []string{"alias/a", "alias/b"} {
		if _, err := s.Alias(ctx, acct1, region1, name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Alias(%s) after DeleteKey: got error %v, want %v", name, err, store.ErrNotFound)
		}
	}
	if _, err := s.Alias(ctx, acct1, region1, "alias/keep"); err != nil {
		t.Errorf("Alias(alias/keep) of another key after DeleteKey: %v", err)
	}
	if _, err := s.Alias(ctx, acct1, region2, "alias/a"); err != nil {
		t.Errorf("Alias(alias/a) in another region after DeleteKey: %v", err)
	}
	for _, ref := range []store.KeyRef{other.Ref(), twin.Ref()} {
		ms, err := s.KeyMaterials(ctx, ref)
		if err != nil || len(ms) != 1 {
			t.Errorf("KeyMaterials(%s/%s) after deleting another key = %d materials, %v; want 1, nil", ref.Region, ref.ID, len(ms), err)
		}
	}

	type entry struct {
		Kind                  store.ChangeKind
		Account, Region, Name string
	}
	var got []entry
	for _, c := range changesSince(t, s, seq) {
		got = append(got, entry{c.Kind, c.Account, c.Region, c.Name})
	}
	want := []entry{
		{store.ChangeKey, acct1, region1, k.ID},
		{store.ChangeAlias, acct1, region1, "alias/a"},
		{store.ChangeAlias, acct1, region1, "alias/b"},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("change feed after DeleteKey (-want +got):\n%s", d)
	}

	// The ID may be used again, with nothing of the old key attached.
	createKey(t, s, testKey(acct1, region1, "key-1"))
	ms, err := s.KeyMaterials(ctx, k.Ref())
	if err != nil || len(ms) != 0 {
		t.Errorf("KeyMaterials of a new key with a deleted key's ID = %+v, %v; want none", ms, err)
	}
}

// testDeleteKeyErrors checks that a stale version and a missing key change
// nothing.
func testDeleteKeyErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	createAlias(t, s, testAlias(acct1, region1, "alias/a", k.ID), 0)
	k.Description = "changed"
	upd, err := s.UpdateKey(ctx, k)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	seq, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	if err := s.DeleteKey(ctx, k.Ref(), k.Version); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteKey with a stale version: got error %v, want %v", err, store.ErrConflict)
	}
	if err := s.DeleteKey(ctx, store.KeyRef{Account: acct1, Region: region2, ID: k.ID}, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteKey of a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
	got, err := s.Key(ctx, k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(upd, got); d != "" {
		t.Errorf("Key changed by a failed DeleteKey (-want +got):\n%s", d)
	}
	if ms, err := s.KeyMaterials(ctx, k.Ref()); err != nil || len(ms) != 1 {
		t.Errorf("KeyMaterials after a failed DeleteKey = %d materials, %v; want 1, nil", len(ms), err)
	}
	if _, err := s.Alias(ctx, acct1, region1, "alias/a"); err != nil {
		t.Errorf("Alias after a failed DeleteKey: %v", err)
	}
	if c := changesSince(t, s, seq); len(c) != 0 {
		t.Errorf("a failed DeleteKey appended to the change feed: %+v", c)
	}
}

// testDeleteKeyRace checks that of deletions racing from one version
// exactly one succeeds; each loser sees the key gone or changed.
func testDeleteKeyRace(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	createAlias(t, s, testAlias(acct1, region1, "alias/a", k.ID), 0)
	seq, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	errs := race(raceN, func(int) error { return s.DeleteKey(t.Context(), k.Ref(), k.Version) })
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: got error %v, want nil, %v or %v", i, err, store.ErrNotFound, store.ErrConflict)
		}
	}
	if wins != 1 {
		t.Errorf("got %d successful deletions, want exactly 1", wins)
	}
	if c := changesSince(t, s, seq); len(c) != 2 {
		t.Errorf("change feed after the race has %d entries, want 2 (key and alias): %+v", len(c), c)
	}
}

// testDueKeys checks which keys DueKeys returns, across accounts and
// regions, and its order and limit.
func testDueKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateAccount(ctx, testAccount(acct2), testAccessKey("AKIA2", acct2)); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	now := at(1000)
	mk := func(account, region, id, state string, deletion time.Time, rotation bool, next time.Time) {
		k := testKey(account, region, id)
		k.State, k.DeletionDate = state, deletion
		if rotation {
			k.RotationEnabled, k.RotationPeriodDays, k.NextRotation = true, 90, next
		}
		createKey(t, s, k, testMaterial(1))
	}
	mk(acct1, region1, "del-due", "PendingDeletion", at(999), false, time.Time{})
	mk(acct1, region1, "del-exact", "PendingDeletion", now, false, time.Time{})
	mk(acct1, region1, "del-later", "PendingDeletion", at(1001), false, time.Time{})
	mk(acct2, region2, "del-due", "PendingDeletion", at(1), true, at(1)) // deletion wins over rotation
	mk(acct1, region2, "rot-due", "Enabled", time.Time{}, true, at(500))
	mk(acct1, region1, "rot-exact", "Enabled", time.Time{}, true, now)
	mk(acct1, region1, "rot-later", "Enabled", time.Time{}, true, at(1001))
	mk(acct1, region1, "rot-disabled-key", "Disabled", time.Time{}, true, at(500))
	mk(acct1, region1, "rot-off", "Enabled", time.Time{}, false, time.Time{})
	mk(acct2, region1, "rot-due", "Enabled", time.Time{}, true, at(2))
	// Imported material that expires (origin EXTERNAL).
	imp := func(id, state string, model string, validTo time.Time, deletion time.Time, material bool) {
		k := testKey(acct1, region1, id)
		k.Origin, k.State, k.ExpirationModel, k.ValidTo, k.DeletionDate = "EXTERNAL", state, model, validTo, deletion
		var ms []store.KeyMaterial
		if material {
			m := testMaterial(1)
			m.ExpirationModel, m.ValidTo = model, validTo
			ms = append(ms, m)
		} else {
			k.CurrentMaterial = 0
		}
		createKey(t, s, k, ms...)
	}
	imp("exp-due", "Enabled", "KEY_MATERIAL_EXPIRES", at(999), time.Time{}, true)
	imp("exp-exact-disabled", "Disabled", "KEY_MATERIAL_EXPIRES", now, time.Time{}, true)
	imp("exp-later", "Enabled", "KEY_MATERIAL_EXPIRES", at(1001), time.Time{}, true)
	imp("exp-never", "Enabled", "KEY_MATERIAL_DOES_NOT_EXPIRE", time.Time{}, time.Time{}, true)
	imp("exp-gone", "PendingImport", "", time.Time{}, time.Time{}, false)
	imp("exp-pending-deletion", "PendingDeletion", "KEY_MATERIAL_EXPIRES", at(10), at(2000), true)
	imp("exp-and-del-due", "PendingDeletion", "KEY_MATERIAL_EXPIRES", at(10), at(20), true) // listed once
	// Per-material expiry: a non-current material that expires makes its
	// key due; one whose bytes are already deleted does not.
	{
		k := testKey(acct1, region1, "exp-noncurrent")
		k.Origin, k.ExpirationModel = "EXTERNAL", "KEY_MATERIAL_DOES_NOT_EXPIRE"
		m1, m2 := testMaterial(1), testMaterial(2)
		m1.ExpirationModel, m1.ValidTo = "KEY_MATERIAL_EXPIRES", at(900)
		m2.ExpirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE"
		k.CurrentMaterial = 2
		createKey(t, s, k, m1, m2)
		k = testKey(acct1, region1, "exp-deleted")
		k.Origin, k.State, k.CurrentMaterial = "EXTERNAL", "PendingImport", 0
		m1.Wrapped = nil
		createKey(t, s, k, m1)
	}

	ids := func(ks []store.Key) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.Account+"/"+k.Region+"/"+k.ID)
		}
		return out
	}
	want := []string{
		acct1 + "/" + region2 + "/rot-due",
		acct1 + "/" + region1 + "/del-due",
		acct1 + "/" + region1 + "/del-exact",
		acct1 + "/" + region1 + "/rot-exact",
		acct2 + "/" + region2 + "/del-due",
		acct2 + "/" + region1 + "/rot-due",
		acct1 + "/" + region1 + "/exp-due",
		acct1 + "/" + region1 + "/exp-exact-disabled",
		acct1 + "/" + region1 + "/exp-pending-deletion",
		acct1 + "/" + region1 + "/exp-and-del-due",
		acct1 + "/" + region1 + "/exp-noncurrent",
	}
	// Ordered by account, region, ID, bytewise.
	slices.Sort(want)
	got, err := s.DueKeys(ctx, now, store.KeyRef{}, 100)
	if err != nil {
		t.Fatalf("DueKeys: %v", err)
	}
	if d := diff(want, ids(got)); d != "" {
		t.Errorf("DueKeys (-want +got):\n%s", d)
	}
	for _, k := range got {
		if k.Version != 1 || k.Description == "" {
			t.Errorf("DueKeys returned an incomplete record %+v", k)
		}
	}
	got, err = s.DueKeys(ctx, now, store.KeyRef{}, 2)
	if err != nil {
		t.Fatalf("DueKeys with limit 2: %v", err)
	}
	if d := diff(want[:2], ids(got)); d != "" {
		t.Errorf("DueKeys with limit 2 (-want +got):\n%s", d)
	}
	// Pages of 3 from a cursor list every due key once, in order; the
	// cursor need not exist.
	var paged []string
	for after := (store.KeyRef{}); ; {
		page, err := s.DueKeys(ctx, now, after, 3)
		if err != nil {
			t.Fatalf("DueKeys after %v: %v", after, err)
		}
		paged = append(paged, ids(page)...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Ref()
	}
	if d := diff(want, paged); d != "" {
		t.Errorf("DueKeys in pages of 3 (-want +got):\n%s", d)
	}
	got, err = s.DueKeys(ctx, now, store.KeyRef{Account: acct1, Region: region1, ID: "del-exact~"}, 100)
	if err != nil {
		t.Fatalf("DueKeys after a missing key: %v", err)
	}
	if d := diff(want[slices.Index(want, acct1+"/"+region1+"/del-exact")+1:], ids(got)); d != "" {
		t.Errorf("DueKeys after a key that does not exist (-want +got):\n%s", d)
	}
	if got, err := s.DueKeys(ctx, at(0), store.KeyRef{}, 10); err != nil || len(got) != 0 {
		t.Errorf("DueKeys before anything is due = %v, %v; want none", ids(got), err)
	}
	if _, err := s.DueKeys(ctx, now, store.KeyRef{}, 0); err == nil {
		t.Errorf("DueKeys with limit 0 succeeded, want an error")
	}
}
