package service

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/kmsapi"
)

// importMaterial imports material into key id with the given ImportType,
// KeyMaterialId and description (nil: omitted); validTo zero means
// KEY_MATERIAL_DOES_NOT_EXPIRE.
func importMaterial(t *testing.T, s *Service, id string, material []byte, typ, kmid, desc *string, validTo time.Time) (*kmsapi.ImportKeyMaterialResponse, error) {
	t.Helper()
	p, err := s.GetParametersForImport(t.Context(), caller(), &kmsapi.GetParametersForImportRequest{KeyId: &id, WrappingKeySpec: ptr("RSA_2048"), WrappingAlgorithm: ptr("RSAES_OAEP_SHA_256")})
	if err != nil {
		t.Fatal(err)
	}
	in := &kmsapi.ImportKeyMaterialRequest{KeyId: &id, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapForImport(t, p.PublicKey, material),
		ImportType: typ, KeyMaterialId: kmid, KeyMaterialDescription: desc, ExpirationModel: ptr(ExpirationDoesNotExpire)}
	if !validTo.IsZero() {
		e := kmsapi.Epoch(validTo)
		in.ExpirationModel, in.ValidTo = ptr(ExpirationExpires), &e
	}
	return s.ImportKeyMaterial(t.Context(), caller(), in)
}

func randomMaterial() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// materialView is what ListKeyRotations ALL_KEY_MATERIAL shows of one
// material.
type materialView struct {
	id, state, importState, desc, model, rotationType string
}

func listMaterials(t *testing.T, s *Service, id string) []materialView {
	t.Helper()
	r, err := s.ListKeyRotations(t.Context(), caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id, IncludeKeyMaterial: ptr(includeAllKeyMaterial)})
	if err != nil {
		t.Fatalf("ListKeyRotations: %v", err)
	}
	var out []materialView
	for _, e := range r.Rotations {
		if (e.RotationType == "") != (e.RotationDate == nil) {
			t.Errorf("entry %s: RotationType %q with RotationDate %v; want both or neither", e.KeyMaterialId, e.RotationType, e.RotationDate)
		}
		out = append(out, materialView{e.KeyMaterialId, e.KeyMaterialState, e.ImportState, e.KeyMaterialDescription, e.ExpirationModel, e.RotationType})
	}
	return out
}

func checkMaterials(t *testing.T, s *Service, id, when string, want ...materialView) {
	t.Helper()
	if d := diffValues(want, listMaterials(t, s, id)); d != "" {
		t.Errorf("%s: ListKeyRotations ALL_KEY_MATERIAL (-want +got):\n%s", when, d)
	}
}

func diffValues(want, got []materialView) string {
	if len(want) == len(got) {
		same := true
		for i := range want {
			same = same && want[i] == got[i]
		}
		if same {
			return ""
		}
	}
	return "-" + sprint(want) + "\n+" + sprint(got)
}

func sprint(v []materialView) string {
	out := ""
	for _, m := range v {
		out += "{" + m.id[:8] + " " + m.state + " " + m.importState + " " + m.desc + " " + m.model + " " + m.rotationType + "} "
	}
	return out
}

func keyState(t *testing.T, s *Service, id string) *kmsapi.KeyMetadata {
	t.Helper()
	d, err := s.DescribeKey(t.Context(), caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return d.KeyMetadata
}

// TestImportNewKeyMaterial walks an imported symmetric key through AWS's
// on-demand rotation of imported material with the movable clock: new
// material waits PENDING_ROTATION, RotateKeyOnDemand makes it current,
// every material keeps its own description and expiry, deleting or
// expiring any bound material makes the key PendingImport until it comes
// back, and ciphertexts under every material decrypt while it is imported.
func TestImportNewKeyMaterial(t *testing.T) {
	ctx := t.Context()
	s, _, now := clockedService(t)
	ck, err := s.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal)})
	if err != nil {
		t.Fatal(err)
	}
	id := ck.KeyMetadata.KeyId
	m1, m2, m3 := randomMaterial(), randomMaterial(), randomMaterial()
	newType, existing := ptr(importNew), ptr(importExisting)

	out1, err := importMaterial(t, s, id, m1, nil, nil, ptr("first"), time.Time{})
	if err != nil {
		t.Fatalf("first import: %v", err)
	}
	id1 := out1.KeyMaterialId
	c1, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &id, Plaintext: []byte("one")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id}); KindOf(err) != KindInvalidState {
		t.Errorf("RotateKeyOnDemand with nothing pending: %v, want KMSInvalidStateException", err)
	}

	// Refusals of NEW_KEY_MATERIAL.
	for _, tc := range []struct {
		name     string
		material []byte
		kmid     *string
		want     Kind
	}{
		{"material the key has", m1, nil, KindIncorrectKeyMaterial},
		{"with a KeyMaterialId", m2, &id1, KindValidation},
	} {
		if _, err := importMaterial(t, s, id, tc.material, newType, tc.kmid, nil, time.Time{}); KindOf(err) != tc.want {
			t.Errorf("NEW_KEY_MATERIAL %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Without ImportType, a key with material takes only that material.
	if _, err := importMaterial(t, s, id, m2, nil, nil, nil, time.Time{}); KindOf(err) != KindIncorrectKeyMaterial {
		t.Errorf("import of other material without ImportType: %v, want IncorrectKeyMaterial", err)
	}

	validTo2 := now.Add(30 * 24 * time.Hour)
	out2, err := importMaterial(t, s, id, m2, newType, nil, ptr("second"), validTo2)
	if err != nil {
		t.Fatalf("NEW_KEY_MATERIAL: %v", err)
	}
	id2 := out2.KeyMaterialId
	if id2 == id1 || len(id2) != 64 {
		t.Fatalf("new material ID %q (first %q); want a different 64-hex ID", id2, id1)
	}
	if m := keyState(t, s, id); m.CurrentKeyMaterialId != id1 || m.KeyState != StateEnabled || m.ExpirationModel != ExpirationDoesNotExpire {
		t.Errorf("after NEW import: current %s, state %s, model %s; want %s, Enabled, DOES_NOT_EXPIRE", m.CurrentKeyMaterialId, m.KeyState, m.ExpirationModel, id1)
	}
	checkMaterials(t, s, id, "pending",
		materialView{id1, "CURRENT", "IMPORTED", "first", ExpirationDoesNotExpire, ""},
		materialView{id2, "PENDING_ROTATION", "IMPORTED", "second", ExpirationExpires, ""})
	if r, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id}); err != nil || len(r.Rotations) != 0 {
		t.Errorf("ROTATIONS_ONLY while pending: %+v, %v; want none", r, err)
	}
	if _, err := importMaterial(t, s, id, m3, newType, nil, nil, time.Time{}); KindOf(err) != KindInvalidState {
		t.Errorf("NEW_KEY_MATERIAL while another is pending: %v, want KMSInvalidStateException", err)
	}

	// The rotation.
	*now = now.Add(time.Hour)
	if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id}); err != nil {
		t.Fatalf("RotateKeyOnDemand: %v", err)
	}
	if m := keyState(t, s, id); m.CurrentKeyMaterialId != id2 || m.ExpirationModel != ExpirationExpires || m.ValidTo == nil || !m.ValidTo.Time().Equal(validTo2) {
		t.Errorf("after rotation: current %s, model %s, ValidTo %v; want %s, EXPIRES, %v", m.CurrentKeyMaterialId, m.ExpirationModel, m.ValidTo, id2, validTo2)
	}
	checkMaterials(t, s, id, "rotated",
		materialView{id1, "NON_CURRENT", "IMPORTED", "first", ExpirationDoesNotExpire, ""},
		materialView{id2, "CURRENT", "IMPORTED", "second", ExpirationExpires, "ON_DEMAND"})
	if r, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id}); err != nil || len(r.Rotations) != 1 || !r.Rotations[0].RotationDate.Time().Equal(*now) {
		t.Errorf("ROTATIONS_ONLY after rotation: %+v, %v; want one entry dated %v", r, err, *now)
	}
	c2, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &id, Plaintext: []byte("two")})
	if err != nil {
		t.Fatal(err)
	}
	decrypts := func(when string, want bool) {
		t.Helper()
		for _, c := range []*kmsapi.EncryptResponse{c1, c2} {
			_, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: c.CiphertextBlob})
			if (err == nil) != want {
				t.Errorf("%s: Decrypt: %v, want success %v", when, err, want)
			}
		}
	}
	decrypts("after rotation", true)
	if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id}); KindOf(err) != KindInvalidState {
		t.Errorf("second RotateKeyOnDemand without new material: %v, want KMSInvalidStateException", err)
	}

	// EXISTING_KEY_MATERIAL re-imports a given material; its ID must match.
	if _, err := importMaterial(t, s, id, m1, existing, &id2, nil, time.Time{}); KindOf(err) != KindIncorrectKeyMaterial {
		t.Errorf("EXISTING with another material's ID: %v, want IncorrectKeyMaterial", err)
	}
	if _, err := importMaterial(t, s, id, m1, existing, &id1, ptr("first again"), time.Time{}); err != nil {
		t.Fatalf("EXISTING re-import of the first material: %v", err)
	}

	// Deleting a non-current material: the key waits for it.
	if out, err := s.DeleteImportedKeyMaterial(ctx, caller(), &kmsapi.DeleteImportedKeyMaterialRequest{KeyId: &id, KeyMaterialId: &id1}); err != nil || out.KeyMaterialId != id1 {
		t.Fatalf("DeleteImportedKeyMaterial %s: %+v, %v", id1, out, err)
	}
	if m := keyState(t, s, id); m.KeyState != StatePendingImport || m.CurrentKeyMaterialId != id2 {
		t.Errorf("after deleting the non-current material: state %s, current %s; want PendingImport, %s", m.KeyState, m.CurrentKeyMaterialId, id2)
	}
	checkMaterials(t, s, id, "non-current deleted",
		materialView{id1, "NON_CURRENT", "PENDING_IMPORT", "first again", "", ""},
		materialView{id2, "CURRENT", "IMPORTED", "second", ExpirationExpires, "ON_DEMAND"})
	decrypts("while a material is deleted", false)
	if _, err := importMaterial(t, s, id, m1, nil, nil, nil, time.Time{}); err != nil {
		t.Fatalf("re-import of the deleted material: %v", err)
	}
	if m := keyState(t, s, id); m.KeyState != StateEnabled || m.CurrentKeyMaterialId != id2 {
		t.Errorf("after re-import: state %s, current %s; want Enabled, %s", m.KeyState, m.CurrentKeyMaterialId, id2)
	}
	decrypts("after re-import", true)

	// Material pending rotation can be deleted, and then other material
	// imported in its place.
	out3, err := importMaterial(t, s, id, m3, newType, nil, nil, time.Time{})
	if err != nil {
		t.Fatalf("NEW_KEY_MATERIAL third: %v", err)
	}
	if _, err := s.DeleteImportedKeyMaterial(ctx, caller(), &kmsapi.DeleteImportedKeyMaterialRequest{KeyId: &id, KeyMaterialId: &out3.KeyMaterialId}); err != nil {
		t.Fatalf("DeleteImportedKeyMaterial of pending material: %v", err)
	}
	if m := keyState(t, s, id); m.KeyState != StateEnabled {
		t.Errorf("after deleting pending material: state %s, want Enabled", m.KeyState)
	}
	if n := len(listMaterials(t, s, id)); n != 2 {
		t.Errorf("after deleting pending material: %d materials listed, want 2", n)
	}
	if _, err := s.DeleteImportedKeyMaterial(ctx, caller(), &kmsapi.DeleteImportedKeyMaterialRequest{KeyId: &id, KeyMaterialId: &out3.KeyMaterialId}); KindOf(err) != KindNotFound {
		t.Errorf("DeleteImportedKeyMaterial of removed pending material: %v, want NotFound", err)
	}
	m4 := randomMaterial()
	validTo4 := now.Add(40 * 24 * time.Hour)
	out4, err := importMaterial(t, s, id, m4, newType, nil, ptr("fourth"), validTo4)
	if err != nil {
		t.Fatalf("NEW_KEY_MATERIAL after deleting the pending one: %v", err)
	}

	// Per-material expiry: the current material expires first.
	*now = validTo2
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 1 {
		t.Fatalf("RunDueWork at the second material's ValidTo: %+v, %v; want one expiry", w, err)
	}
	if m := keyState(t, s, id); m.KeyState != StatePendingImport || m.ExpirationModel != "" {
		t.Errorf("after the current material expired: state %s, model %q; want PendingImport, none", m.KeyState, m.ExpirationModel)
	}
	checkMaterials(t, s, id, "current expired",
		materialView{id1, "NON_CURRENT", "IMPORTED", "first again", ExpirationDoesNotExpire, ""},
		materialView{id2, "CURRENT", "PENDING_IMPORT", "second", "", "ON_DEMAND"},
		materialView{out4.KeyMaterialId, "PENDING_ROTATION", "IMPORTED", "fourth", ExpirationExpires, ""})
	if _, err := importMaterial(t, s, id, m2, existing, &id2, nil, time.Time{}); err != nil {
		t.Fatalf("re-import of the expired material: %v", err)
	}
	decrypts("after re-importing the expired material", true)
	// The pending material expires on its own: it goes, the key stays.
	*now = validTo4
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 1 {
		t.Fatalf("RunDueWork at the pending material's ValidTo: %+v, %v; want one expiry", w, err)
	}
	if m := keyState(t, s, id); m.KeyState != StateEnabled || m.CurrentKeyMaterialId != id2 {
		t.Errorf("after the pending material expired: state %s, current %s; want Enabled, %s", m.KeyState, m.CurrentKeyMaterialId, id2)
	}
	checkMaterials(t, s, id, "pending expired",
		materialView{id1, "NON_CURRENT", "IMPORTED", "first again", ExpirationDoesNotExpire, ""},
		materialView{id2, "CURRENT", "IMPORTED", "second", ExpirationDoesNotExpire, "ON_DEMAND"})
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 0 {
		t.Errorf("RunDueWork again: %+v, %v; want nothing", w, err)
	}
}

// TestNewKeyMaterialAsymmetric: keys other than symmetric take one
// material only.
func TestNewKeyMaterialAsymmetric(t *testing.T) {
	s, _, _ := clockedService(t)
	ck, err := s.CreateKey(t.Context(), caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal), KeySpec: ptr("HMAC_256"), KeyUsage: ptr("GENERATE_VERIFY_MAC")})
	if err != nil {
		t.Fatal(err)
	}
	id := ck.KeyMetadata.KeyId
	if _, err := importMaterial(t, s, id, randomMaterial(), nil, nil, nil, time.Time{}); err != nil {
		t.Fatalf("import into HMAC key: %v", err)
	}
	if _, err := importMaterial(t, s, id, randomMaterial(), ptr(importNew), nil, nil, time.Time{}); KindOf(err) != KindUnsupportedOperation {
		t.Errorf("NEW_KEY_MATERIAL into an HMAC key with material: %v, want UnsupportedOperation", err)
	}
}
