package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

func testCreateAlias(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	a := testAlias(acct1, region1, "alias/one", "key-1")
	a.Version = 42 // ignored: a new record has version 1
	a.UpdatedAt = at(5)
	got := createAlias(t, s, a, 50)
	want := a
	want.Version = 1
	if d := diff(want, got); d != "" {
		t.Errorf("Alias mismatch (-want +got):\n%s", d)
	}
}

func testCreateAliasExists(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region1, "key-2"))
	createKey(t, s, testKey(acct1, region2, "key-2"))
	orig := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 50)
	err := s.CreateAlias(t.Context(), testAlias(acct1, region1, "alias/one", "key-2"), 50)
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateAlias of a taken name: got error %v, want %v", err, store.ErrExists)
	}
	got, err := s.Alias(t.Context(), acct1, region1, "alias/one")
	if err != nil {
		t.Fatalf("Alias: %v", err)
	}
	if d := diff(orig, got); d != "" {
		t.Errorf("Alias changed by a failed CreateAlias (-want +got):\n%s", d)
	}
	// The name is free in another region.
	createAlias(t, s, testAlias(acct1, region2, "alias/one", "key-2"), 50)
}

func testCreateAliasTargetNotFound(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region2, "key-1"))
	createKey(t, s, testKey(acct2, region1, "key-1"))
	err := s.CreateAlias(t.Context(), testAlias(acct1, region1, "alias/one", "key-1"), 50)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateAlias to a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.Alias(t.Context(), acct1, region1, "alias/one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alias after a failed CreateAlias: got error %v, want %v", err, store.ErrNotFound)
	}
}

func testAliasLimit(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region1, "key-2"))
	createAlias(t, s, testAlias(acct1, region1, "alias/a", "key-1"), 2)
	createAlias(t, s, testAlias(acct1, region1, "alias/b", "key-1"), 2)
	err := s.CreateAlias(t.Context(), testAlias(acct1, region1, "alias/c", "key-1"), 2)
	if !errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("CreateAlias beyond the limit: got error %v, want %v", err, store.ErrLimitExceeded)
	}
	if _, err := s.Alias(t.Context(), acct1, region1, "alias/c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alias after a failed CreateAlias: got error %v, want %v", err, store.ErrNotFound)
	}
	// The limit is per key, and maxPerKey <= 0 means none.
	createAlias(t, s, testAlias(acct1, region1, "alias/c", "key-2"), 2)
	createAlias(t, s, testAlias(acct1, region1, "alias/d", "key-1"), 0)
}

func testUpdateAlias(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region1, "key-2"))
	a := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 50)
	in := a
	in.TargetKeyID = "key-2"
	in.UpdatedAt = at(60)
	in.CreatedAt = at(999) // not updatable
	got, err := s.UpdateAlias(t.Context(), in, 50)
	if err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
	want := a
	want.TargetKeyID, want.UpdatedAt, want.Version = "key-2", at(60), 2
	if d := diff(want, got); d != "" {
		t.Errorf("UpdateAlias result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.Alias(t.Context(), acct1, region1, "alias/one")
	if err != nil {
		t.Fatalf("Alias: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("Alias after UpdateAlias mismatch (-want +got):\n%s", d)
	}
	// The result is the next update's input.
	got.TargetKeyID = "key-1"
	if got, err = s.UpdateAlias(t.Context(), got, 50); err != nil {
		t.Fatalf("second UpdateAlias: %v", err)
	}
	if got.Version != 3 || got.TargetKeyID != "key-1" {
		t.Errorf("second UpdateAlias: Version %d, target %q; want 3, key-1", got.Version, got.TargetKeyID)
	}
}

func testUpdateAliasErrors(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region1, "key-full"))
	createKey(t, s, testKey(acct1, region2, "key-elsewhere"))
	a := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 2)
	createAlias(t, s, testAlias(acct1, region1, "alias/two", "key-1"), 2)
	createAlias(t, s, testAlias(acct1, region1, "alias/f1", "key-full"), 2)
	createAlias(t, s, testAlias(acct1, region1, "alias/f2", "key-full"), 2)

	tests := []struct {
		name   string
		modify func(a *store.Alias)
		want   error
	}{
		{"StaleVersion", func(a *store.Alias) { a.Version-- }, store.ErrConflict},
		{"FutureVersion", func(a *store.Alias) { a.Version++ }, store.ErrConflict},
		{"MissingAlias", func(a *store.Alias) { a.Name = "alias/missing" }, store.ErrNotFound},
		{"MissingTarget", func(a *store.Alias) { a.TargetKeyID = "key-missing" }, store.ErrNotFound},
		{"TargetInOtherRegion", func(a *store.Alias) { a.TargetKeyID = "key-elsewhere" }, store.ErrNotFound},
		{"TargetAtLimit", func(a *store.Alias) { a.TargetKeyID = "key-full" }, store.ErrLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := a
			in.UpdatedAt = at(70)
			tt.modify(&in)
			if _, err := s.UpdateAlias(t.Context(), in, 2); !errors.Is(err, tt.want) {
				t.Errorf("UpdateAlias: got error %v, want %v", err, tt.want)
			}
			got, err := s.Alias(t.Context(), acct1, region1, "alias/one")
			if err != nil {
				t.Fatalf("Alias: %v", err)
			}
			if d := diff(a, got); d != "" {
				t.Errorf("Alias changed by a failed UpdateAlias (-want +got):\n%s", d)
			}
			if _, err := s.Alias(t.Context(), acct1, region1, "alias/missing"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Alias(alias/missing): got error %v, want %v", err, store.ErrNotFound)
			}
		})
	}
	// Re-pointing an alias to the key it already names adds no alias to
	// it, so the limit does not refuse it.
	t.Run("SameTargetAtLimit", func(t *testing.T) {
		in := a
		in.UpdatedAt = at(80)
		if _, err := s.UpdateAlias(t.Context(), in, 2); err != nil {
			t.Errorf("UpdateAlias to the same target at the limit: %v", err)
		}
	})
}

func testDeleteAlias(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region2, "key-1"))
	createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 50)
	other := createAlias(t, s, testAlias(acct1, region2, "alias/one", "key-1"), 50)
	if err := s.DeleteAlias(t.Context(), acct1, region1, "alias/one"); err != nil {
		t.Fatalf("DeleteAlias: %v", err)
	}
	if _, err := s.Alias(t.Context(), acct1, region1, "alias/one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alias after DeleteAlias: got error %v, want %v", err, store.ErrNotFound)
	}
	if err := s.DeleteAlias(t.Context(), acct1, region1, "alias/one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteAlias: got error %v, want %v", err, store.ErrNotFound)
	}
	if err := s.DeleteAlias(t.Context(), acct2, region2, "alias/one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteAlias in another account: got error %v, want %v", err, store.ErrNotFound)
	}
	got, err := s.Alias(t.Context(), acct1, region2, "alias/one")
	if err != nil {
		t.Fatalf("Alias in the other region: %v", err)
	}
	if d := diff(other, got); d != "" {
		t.Errorf("DeleteAlias touched the other region (-want +got):\n%s", d)
	}
	// The name can be taken again, as a new record.
	if got := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-1"), 50); got.Version != 1 {
		t.Errorf("re-created alias Version = %d, want 1", got.Version)
	}
}

// aliasNames sort differently bytewise and in a locale-aware collation.
var aliasNames = []string{"alias/b-1", "alias/B", "alias/a_b", "alias/a-b", "alias/ab", "alias/a", "alias/c"}

// setUpAliases creates aliasNames in acct1/region1, alternating between
// key-1 and key-2, plus aliases in other scopes that must not be listed.
// It returns the aliases by name.
func setUpAliases(t *testing.T, s store.Store) map[string]store.Alias {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region1, "key-2"))
	createKey(t, s, testKey(acct1, region1, "key-none"))
	createKey(t, s, testKey(acct1, region2, "key-1"))
	createKey(t, s, testKey(acct2, region1, "key-1"))
	out := map[string]store.Alias{}
	for i, name := range aliasNames {
		target := []string{"key-1", "key-2"}[i%2]
		out[name] = createAlias(t, s, testAlias(acct1, region1, name, target), 50)
	}
	createAlias(t, s, testAlias(acct1, region2, "alias/a-c", "key-1"), 50)
	createAlias(t, s, testAlias(acct2, region1, "alias/a-c", "key-1"), 50)
	return out
}

// listAllAliases pages through ListAliases with the given page size and
// returns the pages' names.
func listAllAliases(t *testing.T, s store.Store, target string, limit int, want map[string]store.Alias) [][]string {
	t.Helper()
	var pages [][]string
	after := ""
	for {
		page, err := s.ListAliases(t.Context(), acct1, region1, target, after, limit)
		if err != nil {
			t.Fatalf("ListAliases(target %q, after %q): %v", target, after, err)
		}
		if len(page) == 0 {
			return pages
		}
		if len(page) > limit {
			t.Fatalf("ListAliases(limit %d) returned %d aliases", limit, len(page))
		}
		var names []string
		for _, a := range page {
			if d := diff(want[a.Name], a); d != "" {
				t.Errorf("ListAliases record %s mismatch (-want +got):\n%s", a.Name, d)
			}
			names = append(names, a.Name)
		}
		pages = append(pages, names)
		after = page[len(page)-1].Name
		if len(pages) > len(want)+1 {
			t.Fatalf("ListAliases pagination does not end: %v", pages)
		}
	}
}

func chunks(names []string, n int) [][]string {
	var out [][]string
	for c := range slices.Chunk(names, n) {
		out = append(out, c)
	}
	return out
}

func testListAliases(t *testing.T, s store.Store) {
	if got, err := s.ListAliases(t.Context(), acct1, region1, "", "", 10); err != nil || len(got) != 0 {
		t.Fatalf("ListAliases on an empty store = %v, %v; want none, nil", got, err)
	}
	all := setUpAliases(t, s)
	sorted := slices.Sorted(maps.Keys(all))
	if d := diff(chunks(sorted, 2), listAllAliases(t, s, "", 2, all)); d != "" {
		t.Errorf("ListAliases pages mismatch (-want +got):\n%s", d)
	}
	if d := diff(chunks(sorted, 100), listAllAliases(t, s, "", 100, all)); d != "" {
		t.Errorf("ListAliases single page mismatch (-want +got):\n%s", d)
	}
}

func testListAliasesFiltered(t *testing.T, s store.Store) {
	all := setUpAliases(t, s)
	for _, target := range []string{"key-1", "key-2", "key-none", "key-missing"} {
		var want []string
		for _, name := range slices.Sorted(maps.Keys(all)) {
			if all[name].TargetKeyID == target {
				want = append(want, name)
			}
		}
		if d := diff(chunks(want, 2), listAllAliases(t, s, target, 2, all)); d != "" {
			t.Errorf("ListAliases(target %s) pages mismatch (-want +got):\n%s", target, d)
		}
	}
}

func testListAliasesInvalidLimit(t *testing.T, s store.Store) {
	for _, limit := range []int{0, -1} {
		if got, err := s.ListAliases(t.Context(), acct1, region1, "", "", limit); err == nil {
			t.Errorf("ListAliases(limit %d) = %v, nil; want an error", limit, got)
		}
	}
}

func testCreateAliasRace(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-0"))
	createKey(t, s, testKey(acct1, region1, "key-1"))
	errs := race(raceN, func(i int) error {
		return s.CreateAlias(t.Context(), testAlias(acct1, region1, "alias/race", fmt.Sprintf("key-%d", i%2)), 50)
	})
	w := oneWinner(t, errs, store.ErrExists)
	got, err := s.Alias(t.Context(), acct1, region1, "alias/race")
	if err != nil {
		t.Fatalf("Alias: %v", err)
	}
	if want := fmt.Sprintf("key-%d", w%2); got.TargetKeyID != want || got.Version != 1 {
		t.Errorf("stored alias: target %q, Version %d; want %q, 1", got.TargetKeyID, got.Version, want)
	}
}

// testAliasLimitRace races creations of distinct aliases to one key whose
// limit leaves room for one: the limit must hold under concurrency.
func testAliasLimitRace(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createAlias(t, s, testAlias(acct1, region1, "alias/first", "key-1"), 2)
	errs := race(raceN, func(i int) error {
		return s.CreateAlias(t.Context(), testAlias(acct1, region1, fmt.Sprintf("alias/racer-%02d", i), "key-1"), 2)
	})
	oneWinner(t, errs, store.ErrLimitExceeded)
	got, err := s.ListAliases(t.Context(), acct1, region1, "key-1", "", 100)
	if err != nil {
		t.Fatalf("ListAliases: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("key-1 has %d aliases after the race, want 2: %v", len(got), got)
	}
}

func testUpdateAliasRace(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-0"))
	createKey(t, s, testKey(acct1, region1, "key-1"))
	a := createAlias(t, s, testAlias(acct1, region1, "alias/one", "key-0"), 50)
	results := make([]store.Alias, raceN)
	errs := race(raceN, func(i int) error {
		in := a
		in.TargetKeyID = fmt.Sprintf("key-%d", i%2)
		in.UpdatedAt = at(100 + i)
		var err error
		results[i], err = s.UpdateAlias(t.Context(), in, 50)
		return err
	})
	w := oneWinner(t, errs, store.ErrConflict)
	got, err := s.Alias(t.Context(), acct1, region1, "alias/one")
	if err != nil {
		t.Fatalf("Alias: %v", err)
	}
	if d := diff(results[w], got); d != "" {
		t.Errorf("stored alias is not the winner's (-want +got):\n%s", d)
	}
	if got.Version != 2 {
		t.Errorf("stored alias Version = %d, want 2", got.Version)
	}
}
