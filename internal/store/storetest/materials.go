package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// importedMaterial is a material of an EXTERNAL key with its import
// fields set.
func importedMaterial(v uint32, pending bool, desc string) store.KeyMaterial {
	m := testMaterial(v)
	m.Pending, m.Description = pending, desc
	m.ExpirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE"
	if pending {
		m.ExpirationModel, m.ValidTo = "KEY_MATERIAL_EXPIRES", at(5000)
	}
	return m
}

func materialsOf(t *testing.T, s store.Store, ref store.KeyRef) []store.KeyMaterial {
	t.Helper()
	ms, err := s.KeyMaterials(t.Context(), ref)
	if err != nil {
		t.Fatalf("KeyMaterials: %v", err)
	}
	return ms
}

// testImportedMaterials checks AddMaterial, PromoteMaterial,
// UpdateMaterial and DeleteMaterial: material added pending rotation does
// not become current until it is promoted, each material keeps its own
// import fields, and every write is a compare-and-swap on the key that
// changes nothing when it fails.
func testImportedMaterials(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := testKey(acct1, region1, "key-1")
	m1 := importedMaterial(1, false, "first")
	k.Origin, k.ImportedMaterialID, k.ExpirationModel = "EXTERNAL", m1.MaterialID, m1.ExpirationModel
	k = createKey(t, s, k, m1)
	seq, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}

	// AddMaterial: stored pending, the key's current material unchanged.
	m2 := importedMaterial(2, true, "second")
	added, err := s.AddMaterial(ctx, k, m2)
	if err != nil {
		t.Fatalf("AddMaterial: %v", err)
	}
	if added.CurrentMaterial != 1 || added.Version != k.Version+1 {
		t.Errorf("AddMaterial = current %d, version %d; want 1, %d", added.CurrentMaterial, added.Version, k.Version+1)
	}
	if d := diff([]store.KeyMaterial{m1, m2}, materialsOf(t, s, k.Ref())); d != "" {
		t.Errorf("KeyMaterials after AddMaterial (-want +got):\n%s", d)
	}
	if ch := changesSince(t, s, seq); len(ch) != 1 || ch[0].Name != k.ID {
		t.Errorf("change feed after AddMaterial = %+v, want one entry for the key", ch)
	}
	for _, tc := range []struct {
		name string
		k    store.Key
		m    store.KeyMaterial
		want error
	}{
		{"same version", added, importedMaterial(2, true, "x"), store.ErrExists},
		{"same material ID", added, func() store.KeyMaterial { m := importedMaterial(3, true, ""); m.MaterialID = m1.MaterialID; return m }(), store.ErrExists},
		{"stale key", k, importedMaterial(3, true, ""), store.ErrConflict},
	} {
		if _, err := s.AddMaterial(ctx, tc.k, tc.m); !errors.Is(err, tc.want) {
			t.Errorf("AddMaterial %s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if got := mustKey(t, s, k.Ref()); got.Version != added.Version {
		t.Errorf("failed AddMaterial changed the key: version %d, want %d", got.Version, added.Version)
	}

	// PromoteMaterial: only pending material, only with the current version.
	if _, err := s.PromoteMaterial(ctx, added, 1, store.RotationOnDemand, at(100)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PromoteMaterial of material that is not pending: got %v, want ErrNotFound", err)
	}
	if _, err := s.PromoteMaterial(ctx, k, 2, store.RotationOnDemand, at(100)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("PromoteMaterial with a stale key: got %v, want ErrConflict", err)
	}
	added.ImportedMaterialID, added.ExpirationModel, added.ValidTo = m2.MaterialID, m2.ExpirationModel, m2.ValidTo
	added.CurrentMaterial = 7 // ignored: the promoted version becomes current
	rot, err := s.PromoteMaterial(ctx, added, 2, store.RotationOnDemand, at(100))
	if err != nil {
		t.Fatalf("PromoteMaterial: %v", err)
	}
	if rot.CurrentMaterial != 2 || rot.ImportedMaterialID != m2.MaterialID || !rot.ValidTo.Equal(m2.ValidTo) {
		t.Errorf("PromoteMaterial = current %d, material %q, valid to %v; want 2, %q, %v", rot.CurrentMaterial, rot.ImportedMaterialID, rot.ValidTo, m2.MaterialID, m2.ValidTo)
	}
	want2 := m2
	want2.Pending, want2.RotationType, want2.CreatedAt = false, store.RotationOnDemand, at(100)
	if d := diff([]store.KeyMaterial{m1, want2}, materialsOf(t, s, k.Ref())); d != "" {
		t.Errorf("KeyMaterials after PromoteMaterial (-want +got):\n%s", d)
	}
	if _, err := s.PromoteMaterial(ctx, rot, 2, store.RotationOnDemand, at(100)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PromoteMaterial twice: got %v, want ErrNotFound", err)
	}

	// UpdateMaterial: deleting the bytes keeps the record; re-importing
	// brings them back with new fields.
	del := m1
	del.Wrapped, del.ExpirationModel, del.ValidTo = nil, "", time.Time{}
	rot.State, rot.CurrentMaterial = "PendingImport", 0
	upd, err := s.UpdateMaterial(ctx, rot, del)
	if err != nil && !errors.Is(err, store.ErrResidue) {
		t.Fatalf("UpdateMaterial (delete bytes): %v", err)
	}
	if upd.State != "PendingImport" || upd.CurrentMaterial != 0 || upd.Version != rot.Version+1 {
		t.Errorf("UpdateMaterial = state %q, current %d, version %d; want PendingImport, 0, %d", upd.State, upd.CurrentMaterial, upd.Version, rot.Version+1)
	}
	ms := materialsOf(t, s, k.Ref())
	if len(ms) != 2 || ms[0].Imported() || ms[0].MaterialID != m1.MaterialID || !ms[1].Imported() {
		t.Errorf("KeyMaterials after deleting material 1's bytes = %+v; want material 1 kept without bytes, material 2 intact", ms)
	}
	back := m1
	back.Description, back.ExpirationModel, back.ValidTo = "back", "KEY_MATERIAL_EXPIRES", at(7000)
	upd.State, upd.CurrentMaterial = "Enabled", 2
	if _, err := s.UpdateMaterial(ctx, rot, back); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateMaterial with a stale key: got %v, want ErrConflict", err)
	}
	wrongID := back
	wrongID.MaterialID = testMaterial(9).MaterialID
	if _, err := s.UpdateMaterial(ctx, upd, wrongID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateMaterial of another material ID: got %v, want ErrNotFound", err)
	}
	re, err := s.UpdateMaterial(ctx, upd, back)
	if err != nil {
		t.Fatalf("UpdateMaterial (re-import): %v", err)
	}
	if d := diff([]store.KeyMaterial{back, want2}, materialsOf(t, s, k.Ref())); d != "" {
		t.Errorf("KeyMaterials after re-import (-want +got):\n%s", d)
	}

	// DeleteMaterial removes a material's record entirely.
	m3 := importedMaterial(3, true, "third")
	withM3, err := s.AddMaterial(ctx, re, m3)
	if err != nil {
		t.Fatalf("AddMaterial: %v", err)
	}
	if _, err := s.DeleteMaterial(ctx, re, 3); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteMaterial with a stale key: got %v, want ErrConflict", err)
	}
	gone, err := s.DeleteMaterial(ctx, withM3, 3)
	if err != nil && !errors.Is(err, store.ErrResidue) {
		t.Fatalf("DeleteMaterial: %v", err)
	}
	if d := diff([]store.KeyMaterial{back, want2}, materialsOf(t, s, k.Ref())); d != "" {
		t.Errorf("KeyMaterials after DeleteMaterial (-want +got):\n%s", d)
	}
	if _, err := s.DeleteMaterial(ctx, gone, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteMaterial of a deleted version: got %v, want ErrNotFound", err)
	}
	// After the deleted version its material ID may come again.
	if _, err := s.AddMaterial(ctx, gone, m3); err != nil {
		t.Errorf("AddMaterial after DeleteMaterial: %v", err)
	}

	// A missing key.
	missing := testKey(acct1, region1, "key-missing")
	if _, err := s.AddMaterial(ctx, missing, m3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddMaterial to a missing key: got %v, want ErrNotFound", err)
	}
	if _, err := s.PromoteMaterial(ctx, missing, 3, store.RotationOnDemand, at(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PromoteMaterial of a missing key: got %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateMaterial(ctx, missing, m3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateMaterial of a missing key: got %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteMaterial(ctx, missing, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteMaterial of a missing key: got %v, want ErrNotFound", err)
	}
}
