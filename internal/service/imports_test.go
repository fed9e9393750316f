package service

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// clockedService is one service over a fresh SQLite file whose key clock
// the test moves.
func clockedService(t *testing.T) (*Service, store.Store, *time.Time) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.Open(dk, keyring.Options{Source: MaterialSource(st)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return New(Config{Store: st, Keyring: kr, Now: func() time.Time { return now }}), st, &now
}

func wrapForImport(t *testing.T, spki, raw []byte) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	w, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestImportLifecycle: the parameters' lifetime and ValidTo's bounds by
// the key clock, import, deletion (the material row goes), re-import of
// the same material, refusal of other material, token expiry.
func TestImportLifecycle(t *testing.T) {
	ctx := t.Context()
	s, st, now := clockedService(t)
	ck, err := s.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal)})
	if err != nil {
		t.Fatal(err)
	}
	keyID := ck.KeyMetadata.KeyId
	ref := store.KeyRef{Account: caller().Account, Region: caller().Region, ID: keyID}
	p, err := s.GetParametersForImport(ctx, caller(), &kmsapi.GetParametersForImportRequest{KeyId: &keyID, WrappingKeySpec: ptr("RSA_2048"), WrappingAlgorithm: ptr("RSAES_OAEP_SHA_256")})
	if err != nil {
		t.Fatalf("GetParametersForImport: %v", err)
	}
	if got, want := p.ParametersValidTo.Time(), now.Add(24*time.Hour); !got.Equal(want) {
		t.Errorf("ParametersValidTo = %v, want %v", got, want)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	in := func(validTo time.Time, material []byte) *kmsapi.ImportKeyMaterialRequest {
		e := kmsapi.Epoch(validTo)
		return &kmsapi.ImportKeyMaterialRequest{KeyId: &keyID, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapForImport(t, p.PublicKey, material), ValidTo: &e}
	}
	if _, err := s.ImportKeyMaterial(ctx, caller(), in(now.Add(365*24*time.Hour+time.Second), raw)); KindOf(err) != KindValidation {
		t.Errorf("ValidTo a second past 365 days: got %v, want Validation", err)
	}
	if _, err := s.ImportKeyMaterial(ctx, caller(), in(*now, raw)); KindOf(err) != KindValidation {
		t.Errorf("ValidTo now: got %v, want Validation", err)
	}
	validTo := now.Add(365 * 24 * time.Hour)
	imp, err := s.ImportKeyMaterial(ctx, caller(), in(validTo, raw))
	if err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
	d, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &keyID})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.KeyMetadata; m.KeyState != StateEnabled || m.ExpirationModel != ExpirationExpires || m.ValidTo == nil || !m.ValidTo.Time().Equal(validTo) || m.CurrentKeyMaterialId != imp.KeyMaterialId {
		t.Errorf("after import: %+v", m)
	}
	enc, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &keyID, Plaintext: []byte("x")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}

	if _, err := s.DeleteImportedKeyMaterial(ctx, caller(), &kmsapi.DeleteImportedKeyMaterialRequest{KeyId: &keyID}); err != nil {
		t.Fatalf("DeleteImportedKeyMaterial: %v", err)
	}
	if ms, err := st.KeyMaterials(ctx, ref); err != nil || len(ms) != 1 || ms[0].Imported() {
		t.Errorf("materials after delete: %d, %v; want the one record, without its bytes", len(ms), err)
	}
	if _, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); KindOf(err) != KindInvalidState {
		t.Errorf("Decrypt after delete: got %v, want InvalidState", err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if _, err := s.ImportKeyMaterial(ctx, caller(), in(validTo, other)); KindOf(err) != KindIncorrectKeyMaterial {
		t.Errorf("import of other material: got %v, want IncorrectKeyMaterial", err)
	}
	again, err := s.ImportKeyMaterial(ctx, caller(), in(validTo, raw))
	if err != nil || again.KeyMaterialId != imp.KeyMaterialId {
		t.Fatalf("re-import: %+v, %v; want material %s", again, err, imp.KeyMaterialId)
	}
	if dec, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); err != nil || string(dec.Plaintext) != "x" {
		t.Errorf("Decrypt after re-import: %v", err)
	}

	*now = now.Add(24 * time.Hour)
	e := kmsapi.Epoch(now.Add(time.Hour))
	_, err = s.ImportKeyMaterial(ctx, caller(), &kmsapi.ImportKeyMaterialRequest{KeyId: &keyID, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapForImport(t, p.PublicKey, raw), ValidTo: &e})
	if KindOf(err) != KindExpiredImportToken {
		t.Errorf("import with a 24-hour-old token: got %v, want ExpiredImportToken", err)
	}
}
