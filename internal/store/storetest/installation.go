package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

func testSetInstallation(t *testing.T, s store.Store) {
	ctx := t.Context()
	old, next := testDomain().Installation, store.Installation{ID: "inst-1", Regions: "*"}
	if err := s.SetInstallation(ctx, old, next); !errors.Is(err, store.ErrNotInitialised) {
		t.Fatalf("SetInstallation on an empty store: got error %v, want %v", err, store.ErrNotInitialised)
	}
	bootstrap(t, s)
	stale := store.Installation{ID: "inst-1", Regions: "us-east-1"}
	if err := s.SetInstallation(ctx, stale, next); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("SetInstallation from a stale value: got error %v, want %v", err, store.ErrConflict)
	}
	if err := s.SetInstallation(ctx, old, next); err != nil {
		t.Fatalf("SetInstallation: %v", err)
	}
	want := testDomain()
	want.Installation = next
	d, err := s.Domain(ctx)
	if err != nil {
		t.Fatalf("Domain: %v", err)
	}
	if d := diff(want, d); d != "" {
		t.Errorf("Domain after SetInstallation (-want +got):\n%s", d)
	}
	// A database of an earlier release has neither: "" is a value like
	// any other.
	if err := s.SetInstallation(ctx, next, store.Installation{}); err != nil {
		t.Fatalf("SetInstallation to empty: %v", err)
	}
	if err := s.SetInstallation(ctx, store.Installation{}, old); err != nil {
		t.Fatalf("SetInstallation from empty: %v", err)
	}
}

func testSetInstallationRace(t *testing.T, s store.Store) {
	bootstrap(t, s)
	old := testDomain().Installation
	errs := race(raceN, func(i int) error {
		return s.SetInstallation(t.Context(), old, store.Installation{ID: old.ID, Regions: fmt.Sprintf("r-%d", i)})
	})
	w := oneWinner(t, errs, store.ErrConflict)
	d, err := s.Domain(t.Context())
	if err != nil {
		t.Fatalf("Domain: %v", err)
	}
	if got, want := d.Installation.Regions, fmt.Sprintf("r-%d", w); got != want {
		t.Errorf("Regions after the race = %q, want the winner's %q", got, want)
	}
}

func testRegionsInUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	bootstrap(t, s)
	got, err := s.RegionsInUse(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("RegionsInUse without keys = %v, %v; want none", got, err)
	}
	createKey(t, s, testKey(acct1, region1, "k1"), testMaterial(1))
	createKey(t, s, testKey(acct1, region1, "k2"), testMaterial(1))
	k := testKey(acct2, "ap-south-1", "k3")
	k.State = "PendingDeletion"
	createKey(t, s, k, testMaterial(1))
	createKey(t, s, testKey(acct2, region2, "k4"), testMaterial(1))
	createAlias(t, s, testAlias(acct2, region2, "alias/a", "k4"), 0)
	got, err = s.RegionsInUse(ctx)
	if err != nil {
		t.Fatalf("RegionsInUse: %v", err)
	}
	if d := diff([]string{"ap-south-1", region2, region1}, got); d != "" {
		t.Errorf("RegionsInUse (-want +got):\n%s", d)
	}
}
