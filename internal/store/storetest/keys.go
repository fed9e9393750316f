package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/store"
)

func testCreateKey(t *testing.T, s store.Store) {
	k := testKey(acct1, region1, "key-1")
	k.Version = 42 // ignored: a new record has version 1
	k.MultiRegion = true
	k.State = "PendingDeletion"
	k.DeletionDate = at(100)
	k.CurrentMaterial = 2
	ms := []store.KeyMaterial{testMaterial(1), testMaterial(2)}
	got := createKey(t, s, k, ms...)
	want := k
	want.Version = 1
	if d := diff(want, got); d != "" {
		t.Errorf("Key mismatch (-want +got):\n%s", d)
	}
	gotMs, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if d := diff(ms, gotMs); d != "" {
		t.Errorf("KeyMaterials mismatch (-want +got):\n%s", d)
	}
}

func testCreateKeyExists(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	dup := testKey(acct1, region1, "key-1")
	dup.Description = "impostor"
	err := s.CreateKey(t.Context(), dup, []store.KeyMaterial{testMaterial(1), testMaterial(2)})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateKey of a taken ID: got error %v, want %v", err, store.ErrExists)
	}
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(k, got); d != "" {
		t.Errorf("Key changed by a failed CreateKey (-want +got):\n%s", d)
	}
	ms, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if d := diff([]store.KeyMaterial{testMaterial(1)}, ms); d != "" {
		t.Errorf("KeyMaterials changed by a failed CreateKey (-want +got):\n%s", d)
	}
}

// testCreateKeyMaterialExists checks that CreateKey is atomic: when a
// material fails to insert, the key is not created either.
func testCreateKeyMaterialExists(t *testing.T, s store.Store) {
	k := testKey(acct1, region1, "key-1")
	if err := s.CreateKey(t.Context(), k, []store.KeyMaterial{testMaterial(1), testMaterial(1)}); err == nil {
		t.Fatalf("CreateKey with a repeated material version: got nil error, want one")
	}
	if _, err := s.Key(t.Context(), k.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key after a failed CreateKey: got error %v, want %v", err, store.ErrNotFound)
	}
}

func testKeyNotFound(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	for _, ref := range []store.KeyRef{
		{Account: acct1, Region: region1, ID: "key-2"},
		{Account: acct1, Region: region2, ID: "key-1"},
		{Account: acct2, Region: region1, ID: "key-1"},
	} {
		if _, err := s.Key(t.Context(), ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Key(%v): got error %v, want %v", ref, err, store.ErrNotFound)
		}
		if _, err := s.KeyMaterials(t.Context(), ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("KeyMaterials(%v): got error %v, want %v", ref, err, store.ErrNotFound)
		}
	}
}

func testKeyIsolation(t *testing.T, s store.Store) {
	refs := []store.KeyRef{
		{Account: acct1, Region: region1, ID: "key-1"},
		{Account: acct1, Region: region2, ID: "key-1"},
		{Account: acct2, Region: region1, ID: "key-1"},
	}
	for i, ref := range refs {
		k := testKey(ref.Account, ref.Region, ref.ID)
		k.Description = fmt.Sprintf("copy %d", i)
		createKey(t, s, k, testMaterial(uint32(i+1)))
	}
	for i, ref := range refs {
		k, err := s.Key(t.Context(), ref)
		if err != nil {
			t.Fatalf("Key(%v): %v", ref, err)
		}
		if want := fmt.Sprintf("copy %d", i); k.Description != want {
			t.Errorf("Key(%v).Description = %q, want %q", ref, k.Description, want)
		}
		ms, err := s.KeyMaterials(t.Context(), ref)
		if err != nil {
			t.Fatalf("KeyMaterials(%v): %v", ref, err)
		}
		if d := diff([]store.KeyMaterial{testMaterial(uint32(i + 1))}, ms); d != "" {
			t.Errorf("KeyMaterials(%v) mismatch (-want +got):\n%s", ref, d)
		}
		list, err := s.ListKeys(t.Context(), ref.Account, ref.Region, "", 100)
		if err != nil {
			t.Fatalf("ListKeys(%s, %s): %v", ref.Account, ref.Region, err)
		}
		if d := diff([]store.Key{k}, list); d != "" {
			t.Errorf("ListKeys(%s, %s) mismatch (-want +got):\n%s", ref.Account, ref.Region, d)
		}
	}
}

// listIDs are in no particular order and differ in case and punctuation,
// which a locale-aware collation orders differently from bytes.
var listIDs = []string{"b-1", "B", "a_b", "a-b", "ab", "a", "c", "0", "Z"}

func testListKeys(t *testing.T, s store.Store) {
	if got, err := s.ListKeys(t.Context(), acct1, region1, "", 10); err != nil || len(got) != 0 {
		t.Fatalf("ListKeys on an empty store = %v, %v; want none, nil", got, err)
	}
	want := map[string]store.Key{}
	for _, id := range listIDs {
		want[id] = createKey(t, s, testKey(acct1, region1, id))
	}
	// Keys in other scopes that sort among them must not appear.
	createKey(t, s, testKey(acct1, region2, "a-c"))
	createKey(t, s, testKey(acct2, region1, "a-c"))

	sorted := slices.Sorted(maps.Keys(want))
	var pages [][]string
	after := ""
	for {
		page, err := s.ListKeys(t.Context(), acct1, region1, after, 2)
		if err != nil {
			t.Fatalf("ListKeys(after %q): %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("ListKeys(limit 2) returned %d keys", len(page))
		}
		var ids []string
		for _, k := range page {
			if d := diff(want[k.ID], k); d != "" {
				t.Errorf("ListKeys record %s mismatch (-want +got):\n%s", k.ID, d)
			}
			ids = append(ids, k.ID)
		}
		pages = append(pages, ids)
		after = page[len(page)-1].ID
		if len(pages) > len(listIDs) {
			t.Fatalf("ListKeys pagination does not end: %v", pages)
		}
	}
	var wantPages [][]string
	for c := range slices.Chunk(sorted, 2) {
		wantPages = append(wantPages, c)
	}
	if d := diff(wantPages, pages); d != "" {
		t.Errorf("ListKeys pages mismatch (-want +got):\n%s", d)
	}

	// after need not be an existing ID.
	page, err := s.ListKeys(t.Context(), acct1, region1, "a.", 100)
	if err != nil {
		t.Fatalf("ListKeys(after %q): %v", "a.", err)
	}
	var got []string
	for _, k := range page {
		got = append(got, k.ID)
	}
	i, _ := slices.BinarySearch(sorted, "a.")
	if d := diff(sorted[i:], got); d != "" {
		t.Errorf("ListKeys(after %q) mismatch (-want +got):\n%s", "a.", d)
	}
}

func testListKeysInvalidLimit(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	for _, limit := range []int{0, -1} {
		if got, err := s.ListKeys(t.Context(), acct1, region1, "", limit); err == nil {
			t.Errorf("ListKeys(limit %d) = %v, nil; want an error", limit, got)
		}
	}
}

func testUpdateKey(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	k.Description = "changed"
	k.State = "PendingDeletion"
	k.DeletionDate = at(500)
	k.Policy = `{"changed":true}`
	k.PolicyPrincipals = store.Principals{"arn:aws:iam::" + acct1 + ":user/alice": "AIDAALICE0000000002"}
	k.Tags = []store.Tag{{Key: "new", Value: ""}}
	k.CurrentMaterial = 7
	got, err := s.UpdateKey(t.Context(), k)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	want := k
	want.Version = 2
	if d := diff(want, got); d != "" {
		t.Errorf("UpdateKey result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("Key after UpdateKey mismatch (-want +got):\n%s", d)
	}

	// The result is the next update's input; zero values round-trip.
	got.State, got.DeletionDate, got.Tags, got.Description, got.PolicyPrincipals = "Enabled", time.Time{}, nil, "", nil
	got2, err := s.UpdateKey(t.Context(), got)
	if err != nil {
		t.Fatalf("second UpdateKey: %v", err)
	}
	want = got
	want.Version = 3
	if d := diff(want, got2); d != "" {
		t.Errorf("second UpdateKey result mismatch (-want +got):\n%s", d)
	}
	if !got2.DeletionDate.IsZero() {
		t.Errorf("DeletionDate = %v, want the zero time", got2.DeletionDate)
	}
}

func testUpdateKeyConflict(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	first := k
	first.Description = "first"
	v2, err := s.UpdateKey(t.Context(), first)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	for _, version := range []int64{k.Version, v2.Version + 1, 0} {
		stale := k
		stale.Version = version
		stale.Description = "stale"
		if _, err := s.UpdateKey(t.Context(), stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateKey with version %d (stored %d): got error %v, want %v", version, v2.Version, err, store.ErrConflict)
		}
	}
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(v2, got); d != "" {
		t.Errorf("Key changed by a conflicting UpdateKey (-want +got):\n%s", d)
	}
}

func testUpdateKeyNotFound(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region2, "key-1"))
	k := testKey(acct1, region1, "key-1")
	k.Version = 1
	if _, err := s.UpdateKey(t.Context(), k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateKey of a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.Key(t.Context(), k.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key after UpdateKey of a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
}

// testUpdateKeyImmutable checks that UpdateKey changes only the mutable
// fields and returns the stored record, not its argument.
func testUpdateKeyImmutable(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	in := k
	in.Description = "changed"
	in.CreatedAt = at(999)
	in.KeySpec = "RSA_2048"
	in.KeyUsage = "SIGN_VERIFY"
	in.Origin = "EXTERNAL"
	in.MultiRegion = true
	got, err := s.UpdateKey(t.Context(), in)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	want := k
	want.Description = "changed"
	want.Version = 2
	if d := diff(want, got); d != "" {
		t.Errorf("UpdateKey result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("Key after UpdateKey mismatch (-want +got):\n%s", d)
	}
}

func testTags(t *testing.T, s store.Store) {
	k := testKey(acct1, region1, "key-1")
	k.Tags = []store.Tag{{Key: "zeta", Value: "1"}, {Key: "alpha", Value: ""}, {Key: "Mu", Value: "ünïcødé \"quoted\" ,;"}}
	got := createKey(t, s, k)
	if d := diff(k.Tags, got.Tags); d != "" {
		t.Fatalf("Tags after CreateKey mismatch (-want +got):\n%s", d)
	}
	for _, tags := range [][]store.Tag{
		{{Key: "Mu", Value: "2"}, {Key: "zeta", Value: "1"}, {Key: "new", Value: "x"}},
		nil,
		{{Key: "only", Value: "one"}},
	} {
		got.Tags = tags
		var err error
		if got, err = s.UpdateKey(t.Context(), got); err != nil {
			t.Fatalf("UpdateKey(tags %v): %v", tags, err)
		}
		stored, err := s.Key(t.Context(), k.Ref())
		if err != nil {
			t.Fatalf("Key: %v", err)
		}
		if d := diff(tags, stored.Tags); d != "" {
			t.Errorf("Tags after UpdateKey mismatch (-want +got):\n%s", d)
		}
	}
}

func testKeyMaterials(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(3), testMaterial(1), testMaterial(2))
	got, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	want := []store.KeyMaterial{testMaterial(1), testMaterial(2), testMaterial(3)}
	if d := diff(want, got); d != "" {
		t.Errorf("KeyMaterials mismatch (-want +got):\n%s", d)
	}

	// A key without material (origin EXTERNAL before import) exists.
	ext := testKey(acct1, region1, "key-external")
	ext.Origin, ext.State, ext.CurrentMaterial = "EXTERNAL", "PendingImport", 0
	createKey(t, s, ext)
	got, err = s.KeyMaterials(t.Context(), ext.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials of a key without material: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("KeyMaterials of a key without material = %v, want none", got)
	}
}

func testUpdateKeyRace(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	results := make([]store.Key, raceN)
	errs := race(raceN, func(i int) error {
		mine := k
		mine.Description = fmt.Sprintf("racer %d", i)
		var err error
		results[i], err = s.UpdateKey(t.Context(), mine)
		return err
	})
	w := oneWinner(t, errs, store.ErrConflict)
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(results[w], got); d != "" {
		t.Errorf("stored key is not the winner's (-want +got):\n%s", d)
	}
	if want := fmt.Sprintf("racer %d", w); got.Description != want || got.Version != 2 {
		t.Errorf("stored key: Description %q, Version %d; want %q, 2", got.Description, got.Version, want)
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.CreateKey(ctx, testKey(acct1, region1, "key-2"), nil); err == nil {
		t.Errorf("CreateKey with a cancelled context: got nil error, want one")
	}
	if _, err := s.Key(t.Context(), store.KeyRef{Account: acct1, Region: region1, ID: "key-2"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key after a cancelled CreateKey: got error %v, want %v", err, store.ErrNotFound)
	}
	upd := k
	upd.Description = "changed"
	if _, err := s.UpdateKey(ctx, upd); err == nil {
		t.Errorf("UpdateKey with a cancelled context: got nil error, want one")
	}
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(k, got); d != "" {
		t.Errorf("Key changed by a cancelled UpdateKey (-want +got):\n%s", d)
	}
}
