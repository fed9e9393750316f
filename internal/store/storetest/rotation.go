package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// rotatingKey is a key with rotation settings and the material that its
// rotations add.
func rotatingKey(account, region, id string) store.Key {
	k := testKey(account, region, id)
	k.RotationEnabled = true
	k.RotationPeriodDays = 365
	k.NextRotation = at(365 * 24 * 3600)
	return k
}

func rotatedMaterial(v uint32, typ string) store.KeyMaterial {
	m := testMaterial(v)
	m.RotationType = typ
	return m
}

// changesSince returns the change feed's entries after seq.
func changesSince(t *testing.T, s store.Store, seq int64) []store.Change {
	t.Helper()
	got, err := s.Changes(t.Context(), seq, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return got
}

// testRotationFields checks that CreateKey and UpdateKey store the
// rotation fields and that materials keep their RotationType.
func testRotationFields(t *testing.T, s store.Store) {
	k := rotatingKey(acct1, region1, "key-1")
	k.OnDemandRotations = 3
	ms := []store.KeyMaterial{testMaterial(1), rotatedMaterial(2, store.RotationAutomatic), rotatedMaterial(3, store.RotationOnDemand)}
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

	got.RotationEnabled, got.RotationPeriodDays, got.NextRotation, got.OnDemandRotations = false, 2560, at(7), 25
	upd, err := s.UpdateKey(t.Context(), got)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	want = got
	want.Version = 2
	if d := diff(want, upd); d != "" {
		t.Errorf("UpdateKey result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("Key after UpdateKey mismatch (-want +got):\n%s", d)
	}

	// Zero values round-trip.
	upd.RotationPeriodDays, upd.NextRotation, upd.OnDemandRotations = 0, time.Time{}, 0
	upd2, err := s.UpdateKey(t.Context(), upd)
	if err != nil {
		t.Fatalf("second UpdateKey: %v", err)
	}
	if !upd2.NextRotation.IsZero() || upd2.RotationPeriodDays != 0 || upd2.OnDemandRotations != 0 || upd2.RotationEnabled {
		t.Errorf("after clearing: RotationEnabled %v, RotationPeriodDays %d, NextRotation %v, OnDemandRotations %d; want all zero",
			upd2.RotationEnabled, upd2.RotationPeriodDays, upd2.NextRotation, upd2.OnDemandRotations)
	}
}

func testRotateKey(t *testing.T, s store.Store) {
	k := createKey(t, s, rotatingKey(acct1, region1, "key-1"), testMaterial(1))
	other := createKey(t, s, rotatingKey(acct1, region1, "key-2"), testMaterial(1))
	seq, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}

	in := k
	in.OnDemandRotations = 1
	in.NextRotation = at(400 * 24 * 3600)
	in.CurrentMaterial = 99 // RotateKey sets it to the new material's version
	in.KeySpec = "RSA_2048" // immutable: ignored
	m2 := rotatedMaterial(2, store.RotationOnDemand)
	got, err := s.RotateKey(t.Context(), in, m2)
	if err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	want := k
	want.Version = 2
	want.OnDemandRotations = 1
	want.NextRotation = in.NextRotation
	want.CurrentMaterial = 2
	if d := diff(want, got); d != "" {
		t.Errorf("RotateKey result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("Key after RotateKey mismatch (-want +got):\n%s", d)
	}

	// A second rotation, automatic this time, takes the result as input.
	m3 := rotatedMaterial(3, store.RotationAutomatic)
	got, err = s.RotateKey(t.Context(), got, m3)
	if err != nil {
		t.Fatalf("second RotateKey: %v", err)
	}
	if got.Version != 3 || got.CurrentMaterial != 3 {
		t.Errorf("second RotateKey: Version %d, CurrentMaterial %d; want 3, 3", got.Version, got.CurrentMaterial)
	}
	ms, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if d := diff([]store.KeyMaterial{testMaterial(1), m2, m3}, ms); d != "" {
		t.Errorf("KeyMaterials after RotateKey mismatch (-want +got):\n%s", d)
	}
	// The other key is untouched.
	oms, err := s.KeyMaterials(t.Context(), other.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials(other): %v", err)
	}
	if d := diff([]store.KeyMaterial{testMaterial(1)}, oms); d != "" {
		t.Errorf("KeyMaterials of another key changed (-want +got):\n%s", d)
	}

	var names []string
	for _, c := range changesSince(t, s, seq) {
		if c.Kind != store.ChangeKey || c.Account != acct1 || c.Region != region1 {
			t.Errorf("change %+v: want a key change in %s/%s", c, acct1, region1)
		}
		names = append(names, c.Name)
	}
	if d := diff([]string{k.ID, k.ID}, names); d != "" {
		t.Errorf("change feed after two rotations (-want +got):\n%s", d)
	}
}

// testRotateKeyConflict checks that a stale version changes nothing: no
// material, no key update, no change-feed entry.
func testRotateKeyConflict(t *testing.T, s store.Store) {
	k := createKey(t, s, rotatingKey(acct1, region1, "key-1"), testMaterial(1))
	cur := k
	cur.Description = "moved on"
	v2, err := s.UpdateKey(t.Context(), cur)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	seq, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	stale := k
	stale.OnDemandRotations = 1
	if _, err := s.RotateKey(t.Context(), stale, rotatedMaterial(2, store.RotationOnDemand)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("RotateKey with a stale version: got error %v, want %v", err, store.ErrConflict)
	}
	assertUnrotated(t, s, v2, seq)
}

// testRotateKeyMaterialExists checks that a taken material version rolls
// the key update back.
func testRotateKeyMaterialExists(t *testing.T, s store.Store) {
	k := createKey(t, s, rotatingKey(acct1, region1, "key-1"), testMaterial(1))
	seq, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	in := k
	in.OnDemandRotations = 1
	dup := rotatedMaterial(1, store.RotationOnDemand)
	dup.Wrapped = []byte("other bytes")
	if _, err := s.RotateKey(t.Context(), in, dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("RotateKey with a taken material version: got error %v, want %v", err, store.ErrExists)
	}
	assertUnrotated(t, s, k, seq)
}

func testRotateKeyNotFound(t *testing.T, s store.Store) {
	createKey(t, s, rotatingKey(acct1, region2, "key-1"), testMaterial(1))
	k := rotatingKey(acct1, region1, "key-1")
	k.Version = 1
	if _, err := s.RotateKey(t.Context(), k, rotatedMaterial(2, store.RotationOnDemand)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateKey of a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.KeyMaterials(t.Context(), k.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyMaterials after RotateKey of a missing key: got error %v, want %v", err, store.ErrNotFound)
	}
}

// testRotateKeyRace checks that of rotations racing from one version
// exactly one lands, with its material only.
func testRotateKeyRace(t *testing.T, s store.Store) {
	k := createKey(t, s, rotatingKey(acct1, region1, "key-1"), testMaterial(1))
	errs := race(raceN, func(i int) error {
		in := k
		in.OnDemandRotations = 1
		m := rotatedMaterial(2, store.RotationOnDemand)
		m.MaterialID = fmt.Sprintf("%064x", 1000+i)
		_, err := s.RotateKey(t.Context(), in, m)
		return err
	})
	w := oneWinner(t, errs, store.ErrConflict)
	ms, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if len(ms) != 2 || ms[1].MaterialID != fmt.Sprintf("%064x", 1000+w) {
		t.Errorf("KeyMaterials after the race = %+v; want material 1 and racer %d's material 2", ms, w)
	}
	got, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if got.Version != 2 || got.CurrentMaterial != 2 || got.OnDemandRotations != 1 {
		t.Errorf("key after the race: Version %d, CurrentMaterial %d, OnDemandRotations %d; want 2, 2, 1", got.Version, got.CurrentMaterial, got.OnDemandRotations)
	}
}

// assertUnrotated checks that the key is still want, has only material 1
// and that the change feed has nothing after seq.
func assertUnrotated(t *testing.T, s store.Store, want store.Key, seq int64) {
	t.Helper()
	got, err := s.Key(t.Context(), want.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("Key changed by a failed RotateKey (-want +got):\n%s", d)
	}
	ms, err := s.KeyMaterials(t.Context(), want.Ref())
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	if d := diff([]store.KeyMaterial{testMaterial(1)}, ms); d != "" {
		t.Errorf("KeyMaterials changed by a failed RotateKey (-want +got):\n%s", d)
	}
	if c := changesSince(t, s, seq); len(c) != 0 {
		t.Errorf("a failed RotateKey appended to the change feed: %+v", c)
	}
}
