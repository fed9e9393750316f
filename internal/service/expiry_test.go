package service

import (
	"bytes"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// importExpiring creates an EXTERNAL symmetric key on s and imports
// material that expires at validTo; it returns the key ID.
func importExpiring(t *testing.T, s *Service, material []byte, validTo time.Time) string {
	t.Helper()
	ck, err := s.CreateKey(t.Context(), caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal)})
	if err != nil {
		t.Fatal(err)
	}
	id := ck.KeyMetadata.KeyId
	reimport(t, s, id, material, validTo)
	return id
}

func reimport(t *testing.T, s *Service, id string, material []byte, validTo time.Time) {
	t.Helper()
	p, err := s.GetParametersForImport(t.Context(), caller(), &kmsapi.GetParametersForImportRequest{KeyId: &id, WrappingKeySpec: ptr("RSA_2048"), WrappingAlgorithm: ptr("RSAES_OAEP_SHA_256")})
	if err != nil {
		t.Fatal(err)
	}
	e := kmsapi.Epoch(validTo)
	if _, err := s.ImportKeyMaterial(t.Context(), caller(), &kmsapi.ImportKeyMaterialRequest{KeyId: &id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapForImport(t, p.PublicKey, material), ValidTo: &e}); err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
}

// TestImportedMaterialExpires: at ValidTo the scheduler deletes the
// material, once; the key is PendingImport and refuses use; re-importing
// the same material revives earlier ciphertexts; a re-import with a later
// ValidTo before expiry moves the expiry.
func TestImportedMaterialExpires(t *testing.T) {
	ctx := t.Context()
	s, st, now := clockedService(t)
	material := make([]byte, 32)
	rand.Read(material)
	id := importExpiring(t, s, material, now.Add(10*24*time.Hour))
	enc, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &id, Plaintext: []byte("expires")})
	if err != nil {
		t.Fatal(err)
	}

	*now = now.Add(10*24*time.Hour - time.Second)
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 0 {
		t.Fatalf("RunDueWork a second before ValidTo = %+v, %v; want nothing expired", w, err)
	}
	*now = now.Add(time.Second)
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 1 {
		t.Fatalf("RunDueWork at ValidTo = %+v, %v; want 1 expired", w, err)
	}
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 0 {
		t.Errorf("RunDueWork again = %+v, %v; want nothing", w, err)
	}
	d, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.KeyMetadata; m.KeyState != StatePendingImport || m.Enabled || m.ExpirationModel != "" || m.ValidTo != nil {
		t.Errorf("after expiry: state %s, enabled %v, model %q, ValidTo %v; want PendingImport, false, none, none", m.KeyState, m.Enabled, m.ExpirationModel, m.ValidTo)
	}
	ms, err := st.KeyMaterials(ctx, store.KeyRef{Account: caller().Account, Region: caller().Region, ID: id})
	if err != nil || len(ms) != 1 || ms[0].Imported() {
		t.Errorf("materials after expiry: %d, %v; want the one record, without its bytes", len(ms), err)
	}
	if _, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); KindOf(err) != KindInvalidState {
		t.Errorf("Decrypt after expiry: %v, want KMSInvalidStateException", err)
	}

	// The same material, imported again, decrypts the old ciphertext; a
	// re-import before expiry with a later ValidTo moves the expiry.
	reimport(t, s, id, material, now.Add(24*time.Hour))
	dec, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || !bytes.Equal(dec.Plaintext, []byte("expires")) {
		t.Fatalf("Decrypt after re-import: %q, %v", dec.Plaintext, err)
	}
	reimport(t, s, id, material, now.Add(48*time.Hour))
	*now = now.Add(24 * time.Hour)
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 0 {
		t.Errorf("RunDueWork at the first ValidTo after it was moved = %+v, %v; want nothing", w, err)
	}
	*now = now.Add(24 * time.Hour)
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 1 {
		t.Errorf("RunDueWork at the moved ValidTo = %+v, %v; want 1 expired", w, err)
	}

	// A key pending deletion loses expired material and stays pending
	// deletion; cancelling returns it to PendingImport.
	id2 := importExpiring(t, s, material, now.Add(24*time.Hour))
	if _, err := s.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &id2, PendingWindowInDays: ptr(7)}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(24 * time.Hour)
	if w, err := s.RunDueWork(ctx); err != nil || w.Expired != 1 || w.Deleted != 0 {
		t.Fatalf("RunDueWork with a key pending deletion = %+v, %v; want 1 expired", w, err)
	}
	if d, _ := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id2}); d.KeyMetadata.KeyState != StatePendingDeletion {
		t.Errorf("state after expiry while pending deletion: %s", d.KeyMetadata.KeyState)
	}
	if _, err := s.CancelKeyDeletion(ctx, caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: &id2}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id2}); d.KeyMetadata.KeyState != StatePendingImport {
		t.Errorf("state after cancelling: %s, want PendingImport", d.KeyMetadata.KeyState)
	}
}

// TestExpiryAcrossNodes: several nodes sharing one database expire each
// key's material exactly once.
func TestExpiryAcrossNodes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "trent.db")
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	var nodes []*Service
	for range 3 {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		kr, err := keyring.Open(dk, keyring.Options{Source: MaterialSource(st)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kr.Close() })
		nodes = append(nodes, New(Config{Store: st, Keyring: kr, Now: clk.now}))
	}
	const keys = 5
	for range keys {
		m := make([]byte, 32)
		rand.Read(m)
		importExpiring(t, nodes[0], m, clk.now().Add(time.Hour))
	}
	clk.advance(time.Hour)
	var mu sync.Mutex
	var expired int
	var wg sync.WaitGroup
	for _, s := range nodes {
		wg.Go(func() {
			w, err := s.RunDueWork(ctx)
			if err != nil {
				t.Errorf("RunDueWork: %v", err)
			}
			mu.Lock()
			expired += w.Expired
			mu.Unlock()
		})
	}
	wg.Wait()
	if expired != keys {
		t.Errorf("%d nodes expired %d materials, want %d", len(nodes), expired, keys)
	}
}

// TestRunDueBacklog: a backlog larger than one page is worked through in
// one run.
func TestRunDueBacklog(t *testing.T) {
	ctx := t.Context()
	s, _, now := clockedService(t)
	n := dueBatch*2 + 7
	for range n {
		md := createSymmetric(t, s)
		if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &md.KeyId, RotationPeriodInDays: ptr(90)}); err != nil {
			t.Fatal(err)
		}
	}
	*now = now.Add(90 * 24 * time.Hour)
	if w, err := s.RunDueWork(ctx); err != nil || w.Rotated != n {
		t.Errorf("RunDueWork over a backlog of %d = %+v, %v; want all rotated", n, w, err)
	}
}
