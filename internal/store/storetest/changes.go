package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// testChanges checks the change feed: every committed UpdateKey,
// UpdateAlias and DeleteAlias appends one entry in order; failed updates
// append none; the time window returns entries already seen; pruning
// removes old entries.
func testChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	start, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	k := createKey(t, s, testKey(acct1, region1, "key-1"), testMaterial(1))
	k2 := createKey(t, s, testKey(acct1, region1, "key-2"), testMaterial(1))
	a := createAlias(t, s, testAlias(acct1, region1, "alias/one", k.ID), 0)

	k.Description = "changed"
	if _, err := s.UpdateKey(ctx, k); err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	if _, err := s.UpdateKey(ctx, k); err == nil { // stale version: no entry
		t.Fatalf("UpdateKey with a stale version succeeded")
	}
	a.TargetKeyID = k2.ID
	if _, err := s.UpdateAlias(ctx, a, 0); err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
	if err := s.DeleteAlias(ctx, acct1, region1, "alias/one"); err != nil {
		t.Fatalf("DeleteAlias: %v", err)
	}

	got, err := s.Changes(ctx, start, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	type entry struct {
		Kind                  store.ChangeKind
		Account, Region, Name string
	}
	var entries []entry
	var seqs []int64
	for _, c := range got {
		entries = append(entries, entry{c.Kind, c.Account, c.Region, c.Name})
		seqs = append(seqs, c.Seq)
		if c.At.IsZero() {
			t.Errorf("change %d has no time", c.Seq)
		}
	}
	want := []entry{
		{store.ChangeKey, acct1, region1, k.ID},
		{store.ChangeAlias, acct1, region1, "alias/one"},
		{store.ChangeAlias, acct1, region1, "alias/one"},
	}
	if d := diff(want, entries); d != "" {
		t.Fatalf("Changes mismatch (-want +got):\n%s", d)
	}
	if !slices.IsSorted(seqs) || seqs[0] <= start {
		t.Errorf("sequence numbers %v not increasing after %d", seqs, start)
	}
	latest, err := s.LatestChange(ctx)
	if err != nil || latest != seqs[len(seqs)-1] {
		t.Errorf("LatestChange = %d, %v; want %d", latest, err, seqs[len(seqs)-1])
	}

	// The window returns entries already read.
	again, err := s.Changes(ctx, latest, time.Now().Add(-time.Minute), 100)
	if err != nil || len(again) != 3 {
		t.Errorf("Changes in a recent window: got %d entries, %v; want 3", len(again), err)
	}
	// The limit bounds a page.
	page, err := s.Changes(ctx, start, time.Now().Add(time.Hour), 2)
	if err != nil || len(page) != 2 {
		t.Errorf("Changes limit 2: got %d entries, %v", len(page), err)
	}

	if err := s.PruneChanges(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatalf("PruneChanges: %v", err)
	}
	left, err := s.Changes(ctx, 0, time.Time{}, 100)
	if err != nil || len(left) != 0 {
		t.Errorf("after pruning everything: %d entries, %v", len(left), err)
	}
}
