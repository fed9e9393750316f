package service

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/kmsapi"
)

// TestRotateOnDemandConflict: RotateKeyOnDemand answers ConflictException
// while an automatic rotation is due within 20 minutes or overdue (not yet
// run by the scheduler), as AWS documents, and works again once it ran.
func TestRotateOnDemandConflict(t *testing.T) {
	ctx := t.Context()
	s, _, now := clockedService(t)
	md := createSymmetric(t, s)
	id := md.KeyId
	if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &id, RotationPeriodInDays: ptr(90)}); err != nil {
		t.Fatal(err)
	}
	due := now.Add(90 * 24 * time.Hour)
	for _, tt := range []struct {
		name string
		at   time.Time
		want Kind
	}{
		{"21 minutes before", due.Add(-21 * time.Minute), 0},
		{"20 minutes before", due.Add(-20 * time.Minute), 0},
		{"19 minutes before", due.Add(-19 * time.Minute), KindConflict},
		{"overdue, not yet run", due.Add(time.Minute), KindConflict},
	} {
		*now = tt.at
		_, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id})
		if KindOf(err) != tt.want && !(tt.want == 0 && err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if w, err := s.RunDueWork(ctx); err != nil || w.Rotated != 1 {
		t.Fatalf("RunDueWork = %+v, %v", w, err)
	}
	if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id}); err != nil {
		t.Errorf("RotateKeyOnDemand after the automatic rotation ran: %v", err)
	}
	st, err := s.GetKeyRotationStatus(ctx, caller(), &kmsapi.GetKeyRotationStatusRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if st.OnDemandRotationStartDate != nil {
		t.Errorf("OnDemandRotationStartDate %v after a completed rotation; AWS shows it only while one is pending", st.OnDemandRotationStartDate)
	}
}

// TestListKeyRotationsImported: an imported symmetric key's material is
// listed with ALL_KEY_MATERIAL with the import fields AWS adds.
func TestListKeyRotationsImported(t *testing.T) {
	ctx := t.Context()
	s, _, now := clockedService(t)
	material := make([]byte, 32)
	rand.Read(material)
	validTo := now.Add(30 * 24 * time.Hour)
	id := importExpiring(t, s, material, validTo)
	d, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id, IncludeKeyMaterial: ptr(includeAllKeyMaterial)})
	if err != nil {
		t.Fatalf("ListKeyRotations: %v", err)
	}
	if len(r.Rotations) != 1 {
		t.Fatalf("ListKeyRotations ALL_KEY_MATERIAL: %d entries, want 1", len(r.Rotations))
	}
	e := r.Rotations[0]
	if e.KeyMaterialId != d.KeyMetadata.CurrentKeyMaterialId || e.KeyMaterialState != materialCurrent || e.ImportState != "IMPORTED" ||
		e.ExpirationModel != ExpirationExpires || e.ValidTo == nil || !e.ValidTo.Time().Equal(validTo) || e.RotationDate != nil || e.RotationType != "" {
		t.Errorf("entry %+v; want material %s CURRENT IMPORTED KEY_MATERIAL_EXPIRES until %v, no rotation date or type", e, d.KeyMetadata.CurrentKeyMaterialId, validTo)
	}
	r, err = s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id})
	if err != nil || len(r.Rotations) != 0 {
		t.Errorf("ListKeyRotations ROTATIONS_ONLY: %+v, %v; want no entries", r, err)
	}
	if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id}); KindOf(err) != KindInvalidState {
		t.Errorf("RotateKeyOnDemand of an imported key without PENDING_ROTATION material: %v, want KMSInvalidStateException", err)
	}
}
