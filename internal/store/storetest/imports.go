package storetest

import (
	"errors"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

// testImportFields checks that CreateKey, UpdateKey and RotateKey store
// the imported-material fields.
func testImportFields(t *testing.T, s store.Store) {
	k := testKey(acct1, region1, "key-1")
	k.Origin, k.State, k.CurrentMaterial = "EXTERNAL", "PendingImport", 0
	got := createKey(t, s, k)
	if got.ExpirationModel != "" || !got.ValidTo.IsZero() || got.ImportedMaterialID != "" {
		t.Errorf("new key: import fields %q, %v, %q; want none", got.ExpirationModel, got.ValidTo, got.ImportedMaterialID)
	}
	got.State, got.ExpirationModel, got.ValidTo, got.ImportedMaterialID = "Enabled", "KEY_MATERIAL_EXPIRES", at(3600), testMaterial(1).MaterialID
	want := got
	want.CurrentMaterial, want.Version = 1, got.Version+1
	rot, err := s.RotateKey(t.Context(), got, testMaterial(1))
	if err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	if d := diff(want, rot); d != "" {
		t.Errorf("RotateKey result mismatch (-want +got):\n%s", d)
	}
	read, err := s.Key(t.Context(), k.Ref())
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if d := diff(want, read); d != "" {
		t.Errorf("Key mismatch (-want +got):\n%s", d)
	}
	read.ExpirationModel, read.ValidTo = "KEY_MATERIAL_DOES_NOT_EXPIRE", at(0).AddDate(-100, 0, 0).Truncate(0)
	upd, err := s.UpdateKey(t.Context(), read)
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	if upd.ExpirationModel != read.ExpirationModel || !upd.ValidTo.Equal(read.ValidTo) {
		t.Errorf("UpdateKey: %q, %v; want %q, %v", upd.ExpirationModel, upd.ValidTo, read.ExpirationModel, read.ValidTo)
	}
}

// testDeleteMaterials checks that DeleteMaterials writes the key and
// removes every material version in one step, with the usual version
// check.
func testDeleteMaterials(t *testing.T, s store.Store) {
	k := testKey(acct1, region1, "key-1")
	k.Origin, k.ImportedMaterialID = "EXTERNAL", testMaterial(1).MaterialID
	got := createKey(t, s, k, testMaterial(1))
	seq, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatalf("LatestChange: %v", err)
	}
	stale := got
	got.State, got.CurrentMaterial = "PendingImport", 0
	del, err := s.DeleteMaterials(t.Context(), got)
	if err != nil {
		t.Fatalf("DeleteMaterials: %v", err)
	}
	if del.State != "PendingImport" || del.CurrentMaterial != 0 || del.Version != got.Version+1 || del.ImportedMaterialID != k.ImportedMaterialID {
		t.Errorf("DeleteMaterials = state %q, current %d, version %d, material ID %q; want PendingImport, 0, %d, %q",
			del.State, del.CurrentMaterial, del.Version, del.ImportedMaterialID, got.Version+1, k.ImportedMaterialID)
	}
	ms, err := s.KeyMaterials(t.Context(), k.Ref())
	if err != nil || len(ms) != 0 {
		t.Errorf("KeyMaterials after DeleteMaterials = %d materials, %v; want none", len(ms), err)
	}
	if ch := changesSince(t, s, seq); len(ch) != 1 || ch[0].Kind != store.ChangeKey || ch[0].Name != k.ID {
		t.Errorf("change feed after DeleteMaterials = %+v, want one entry for the key", ch)
	}
	if _, err := s.DeleteMaterials(t.Context(), stale); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteMaterials with a stale version: got %v, want ErrConflict", err)
	}
	gone := testKey(acct1, region1, "key-2")
	if _, err := s.DeleteMaterials(t.Context(), gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteMaterials of a missing key: got %v, want ErrNotFound", err)
	}
	// Material can be added again, as a re-import does.
	if _, err := s.RotateKey(t.Context(), del, testMaterial(1)); err != nil {
		t.Errorf("RotateKey after DeleteMaterials: %v", err)
	}
}
