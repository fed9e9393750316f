package service

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

func TestScheduleKeyDeletionValidation(t *testing.T) {
	s, _, _ := newClocked(t)
	md := createSymmetric(t, s)
	tests := []struct {
		days int
		want string
	}{
		{6, "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7"},
		{31, "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30"},
	}
	for _, tt := range tests {
		_, err := callOp(t, s, caller(), "ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionRequest{KeyId: &md.KeyId, PendingWindowInDays: &tt.days})
		if kindOf(err) != KindValidation || err.(*Error).Message != tt.want {
			t.Errorf("ScheduleKeyDeletion(%d days): got %v, want Validation %q", tt.days, err, tt.want)
		}
	}
	if _, err := callOp(t, s, caller(), "ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionRequest{}); kindOf(err) != KindValidation {
		t.Errorf("ScheduleKeyDeletion without KeyId: got %v, want a validation error", err)
	}
	missing := "11111111-2222-3333-4444-555555555555"
	if _, err := s.ScheduleKeyDeletion(t.Context(), caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &missing}); kindOf(err) != KindNotFound {
		t.Errorf("ScheduleKeyDeletion of a missing key: got %v, want NotFound", err)
	}
	if _, err := s.CancelKeyDeletion(t.Context(), caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: &missing}); kindOf(err) != KindNotFound {
		t.Errorf("CancelKeyDeletion of a missing key: got %v, want NotFound", err)
	}
}

func TestScheduleKeyDeletionDefaultWindow(t *testing.T) {
	s, _, clk := newClocked(t)
	md := createSymmetric(t, s)
	out, err := s.ScheduleKeyDeletion(t.Context(), caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	want := clk.now().AddDate(0, 0, 30)
	if out.PendingWindowInDays != 30 || out.DeletionDate == nil || !out.DeletionDate.Time().Equal(want) || out.KeyState != StatePendingDeletion || out.KeyId != md.Arn {
		t.Errorf("ScheduleKeyDeletion without a window = %+v; want 30 days, %v, PendingDeletion, %s", out, want, md.Arn)
	}
}

// TestDeletionLifecycle schedules, cancels and completes a deletion by
// moving the key clock.
func TestDeletionLifecycle(t *testing.T) {
	ctx := t.Context()
	s, st, clk := newClocked(t)
	md := createSymmetric(t, s)
	id, arn := md.KeyId, md.Arn
	other := createSymmetric(t, s)
	for _, a := range []struct{ name, target string }{{"alias/doomed", id}, {"alias/doomed-2", id}, {"alias/stays", other.KeyId}} {
		if _, err := s.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: ptr(a.name), TargetKeyId: ptr(a.target)}); err != nil {
			t.Fatalf("CreateAlias(%s): %v", a.name, err)
		}
	}
	enc, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: ptr("alias/doomed"), Plaintext: []byte("secret")})
	if err != nil {
		t.Fatal(err)
	}

	t0 := clk.advance(time.Hour)
	out, err := s.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &id, PendingWindowInDays: ptr(7)})
	if err != nil {
		t.Fatalf("ScheduleKeyDeletion: %v", err)
	}
	due := t0.AddDate(0, 0, 7)
	if out.KeyId != arn || out.KeyState != StatePendingDeletion || out.PendingWindowInDays != 7 || out.DeletionDate == nil || !out.DeletionDate.Time().Equal(due) {
		t.Errorf("ScheduleKeyDeletion = %+v; want %s, PendingDeletion, 7, %v", out, arn, due)
	}
	desc, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if desc.KeyMetadata.KeyState != StatePendingDeletion || desc.KeyMetadata.DeletionDate == nil || !desc.KeyMetadata.DeletionDate.Time().Equal(due) {
		t.Errorf("DescribeKey: KeyState %s, DeletionDate %v; want PendingDeletion, %v", desc.KeyMetadata.KeyState, desc.KeyMetadata.DeletionDate, due)
	}
	wantMsg := arn + " is pending deletion."
	if _, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &id, Plaintext: []byte("x")}); kindOf(err) != KindInvalidState || err.(*Error).Message != wantMsg {
		t.Errorf("Encrypt with a key pending deletion: got %v, want InvalidState %q", err, wantMsg)
	}
	if _, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); kindOf(err) != KindInvalidState || err.(*Error).Message != wantMsg {
		t.Errorf("Decrypt with a key pending deletion: got %v, want InvalidState %q", err, wantMsg)
	}
	if _, err := s.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &id}); kindOf(err) != KindInvalidState || err.(*Error).Message != wantMsg {
		t.Errorf("ScheduleKeyDeletion of a key pending deletion: got %v, want InvalidState %q", err, wantMsg)
	}

	// Cancelling returns the key disabled, without a deletion date.
	// By ARN: like ScheduleKeyDeletion, it takes no alias.
	if _, err := s.CancelKeyDeletion(ctx, caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: ptr("alias/doomed")}); kindOf(err) != KindNotFound {
		t.Errorf("CancelKeyDeletion by alias: got %v, want NotFound", err)
	}
	cout, err := s.CancelKeyDeletion(ctx, caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: &arn})
	if err != nil || cout.KeyId != arn {
		t.Fatalf("CancelKeyDeletion = %+v, %v; want KeyId %s", cout, err, arn)
	}
	desc, err = s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if desc.KeyMetadata.KeyState != StateDisabled || desc.KeyMetadata.DeletionDate != nil {
		t.Errorf("after CancelKeyDeletion: KeyState %s, DeletionDate %v; want Disabled, none", desc.KeyMetadata.KeyState, desc.KeyMetadata.DeletionDate)
	}
	notPending := arn + " is not pending deletion"
	if _, err := s.CancelKeyDeletion(ctx, caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: &id}); kindOf(err) != KindInvalidState || err.(*Error).Message != notPending {
		t.Errorf("CancelKeyDeletion of a disabled key: got %v, want InvalidState %q", err, notPending)
	}
	// The old window has no effect any more.
	clk.advance(8 * 24 * time.Hour)
	if deleted, rotated, err := s.RunDue(ctx); err != nil || deleted != 0 || rotated != 0 {
		t.Fatalf("RunDue after a cancelled deletion = %d, %d, %v; want 0, 0, nil", deleted, rotated, err)
	}

	// Scheduled again, from a disabled key; nothing happens before the end.
	t1 := clk.now()
	if _, err := s.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &id, PendingWindowInDays: ptr(7)}); err != nil {
		t.Fatalf("ScheduleKeyDeletion of a disabled key: %v", err)
	}
	ref := store.KeyRef{Account: caller().Account, Region: caller().Region, ID: id}
	ms, err := st.KeyMaterials(ctx, ref)
	if err != nil || len(ms) == 0 {
		t.Fatalf("KeyMaterials: %v, %v", ms, err)
	}
	clk.advance(7*24*time.Hour - time.Second)
	if deleted, _, err := s.RunDue(ctx); err != nil || deleted != 0 {
		t.Fatalf("RunDue a second before the window ends = %d deleted, %v; want 0", deleted, err)
	}
	if clk.advance(time.Second); !clk.now().Equal(t1.AddDate(0, 0, 7)) {
		t.Fatalf("clock arithmetic: %v", clk.now())
	}
	if deleted, _, err := s.RunDue(ctx); err != nil || deleted != 1 {
		t.Fatalf("RunDue when the window ends = %d deleted, %v; want 1", deleted, err)
	}
	if deleted, _, err := s.RunDue(ctx); err != nil || deleted != 0 {
		t.Errorf("RunDue again = %d deleted, %v; want 0", deleted, err)
	}

	// Gone: the key, by ID and alias, its aliases and its material.
	for _, ref := range []string{id, arn, "alias/doomed"} {
		if _, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &ref}); kindOf(err) != KindNotFound {
			t.Errorf("DescribeKey(%s) after deletion: got %v, want NotFound", ref, err)
		}
	}
	if _, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); err == nil {
		t.Errorf("Decrypt of a deleted key's ciphertext succeeded")
	}
	if _, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: ptr("alias/doomed"), Plaintext: []byte("x")}); kindOf(err) != KindNotFound {
		t.Errorf("Encrypt through a deleted key's alias: got %v, want NotFound", err)
	}
	aliases, err := s.ListAliases(ctx, caller(), &kmsapi.ListAliasesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range aliases.Aliases {
		names = append(names, a.AliasName)
	}
	if len(names) != 1 || names[0] != "alias/stays" {
		t.Errorf("ListAliases after deletion = %v; want [alias/stays]", names)
	}
	if _, err := st.KeyMaterials(ctx, ref); err == nil {
		t.Errorf("KeyMaterials of the deleted key succeeded")
	}
	if _, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: ptr("alias/stays"), Plaintext: []byte("x")}); err != nil {
		t.Errorf("Encrypt with the other key: %v", err)
	}
	// The alias name is free again.
	if _, err := s.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: ptr("alias/doomed"), TargetKeyId: &other.KeyId}); err != nil {
		t.Errorf("CreateAlias with a deleted key's alias name: %v", err)
	}
}

// TestRunDueRotation checks that RunDue performs a due automatic rotation
// exactly once, and that old ciphertexts still decrypt.
func TestRunDueRotation(t *testing.T) {
	ctx := t.Context()
	s, _, clk := newClocked(t)
	md := createSymmetric(t, s)
	old, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("before")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &md.KeyId, RotationPeriodInDays: ptr(90)}); err != nil {
		t.Fatal(err)
	}
	clk.advance(89 * 24 * time.Hour)
	if _, rotated, err := s.RunDue(ctx); err != nil || rotated != 0 {
		t.Fatalf("RunDue before the period ends = %d rotated, %v; want 0", rotated, err)
	}
	due := clk.advance(2 * 24 * time.Hour)
	if _, rotated, err := s.RunDue(ctx); err != nil || rotated != 1 {
		t.Fatalf("RunDue after the period = %d rotated, %v; want 1", rotated, err)
	}
	if _, rotated, err := s.RunDue(ctx); err != nil || rotated != 0 {
		t.Errorf("RunDue again = %d rotated, %v; want 0", rotated, err)
	}
	list, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &md.KeyId})
	if err != nil || len(list.Rotations) != 1 || list.Rotations[0].RotationType != store.RotationAutomatic || !list.Rotations[0].RotationDate.Time().Equal(due) {
		t.Fatalf("ListKeyRotations = %+v, %v; want one AUTOMATIC rotation dated %v", list, err, due)
	}
	checkStatus(t, rotationStatus(t, s, md.KeyId), md.Arn, true, 90, due.AddDate(0, 0, 90))
	dec, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: old.CiphertextBlob})
	if err != nil || !bytes.Equal(dec.Plaintext, []byte("before")) {
		t.Errorf("Decrypt of a ciphertext from before the rotation = %v; want the plaintext", err)
	}
	enc, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("after")})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := keyring.ParseHeader(enc.CiphertextBlob); h.Version != 2 {
		t.Errorf("Encrypt after the automatic rotation used version %d, want 2", h.Version)
	}

	// A disabled key is not rotated; a key pending deletion neither.
	if _, err := s.DisableKey(ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: &md.KeyId}); err != nil {
		t.Fatal(err)
	}
	clk.advance(100 * 24 * time.Hour)
	if _, rotated, err := s.RunDue(ctx); err != nil || rotated != 0 {
		t.Errorf("RunDue with a disabled key = %d rotated, %v; want 0", rotated, err)
	}
}

// TestRunDueAcrossNodes runs the scheduled work on several nodes sharing
// one database at once: each due item happens exactly once.
func TestRunDueAcrossNodes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "trent.db")
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	const n = 4
	var nodes []*Service
	for range n {
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
	const keys = 6
	for i := range keys {
		md := createSymmetric(t, nodes[0])
		if i%2 == 0 {
			_, err = nodes[0].ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &md.KeyId, PendingWindowInDays: ptr(7)})
		} else {
			_, err = nodes[0].EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &md.KeyId, RotationPeriodInDays: ptr(90)})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(91 * 24 * time.Hour)
	var mu sync.Mutex
	var deleted, rotated int
	var wg sync.WaitGroup
	for _, s := range nodes {
		wg.Go(func() {
			d, r, err := s.RunDue(ctx)
			if err != nil {
				t.Errorf("RunDue: %v", err)
			}
			mu.Lock()
			deleted, rotated = deleted+d, rotated+r
			mu.Unlock()
		})
	}
	wg.Wait()
	if deleted != keys/2 || rotated != keys/2 {
		t.Errorf("RunDue on %d nodes at once: %d deleted, %d rotated; want %d, %d", n, deleted, rotated, keys/2, keys/2)
	}
	list, err := nodes[1].ListKeys(ctx, caller(), &kmsapi.ListKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Keys) != keys/2 {
		t.Fatalf("ListKeys after the deletions: %d keys, want %d", len(list.Keys), keys/2)
	}
	for _, k := range list.Keys {
		rot, err := nodes[2].ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &k.KeyId})
		if err != nil || len(rot.Rotations) != 1 {
			t.Errorf("ListKeyRotations(%s) = %+v, %v; want exactly one rotation", k.KeyId, rot, err)
		}
	}
}

// forgetting is a keyring that records Forget calls.
type forgetting struct {
	*keyring.Keyring
	mu        sync.Mutex
	forgotten []keyring.MaterialRef // guarded by mu
}

func (f *forgetting) Forget(ref keyring.MaterialRef) {
	f.mu.Lock()
	f.forgotten = append(f.forgotten, ref)
	f.mu.Unlock()
	f.Keyring.Forget(ref)
}

// TestDeletionForgetsMaterial checks that the node that destroys a key,
// and another node through the change feed, drop the key and make their
// keyrings forget every material version.
func TestDeletionForgetsMaterial(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "trent.db")
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	var svcs []*Service
	var krs []*forgetting
	var stores []store.Store
	for range 2 {
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
		f := &forgetting{Keyring: kr}
		svcs, krs, stores = append(svcs, New(Config{Store: st, Keyring: f, Now: clk.now})), append(krs, f), append(stores, st)
	}
	a, b := svcs[0], svcs[1]
	w := NewWatcher(b, stores[1].(ChangeFeed))
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	md := createSymmetric(t, a)
	if _, err := a.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &md.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if _, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("x")}); err != nil {
		t.Fatal(err) // cached again on b
	}
	if _, err := a.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &md.KeyId, PendingWindowInDays: ptr(7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("x")}); kindOf(err) != KindInvalidState {
		t.Fatalf("Encrypt on node b with a key pending deletion: got %v, want InvalidState", err)
	}
	if len(krs[1].forgotten) != 0 {
		t.Errorf("node b forgot material of a key that still exists: %v", krs[1].forgotten)
	}
	clk.advance(8 * 24 * time.Hour)
	if deleted, _, err := a.RunDue(ctx); err != nil || deleted != 1 {
		t.Fatalf("RunDue = %d deleted, %v; want 1", deleted, err)
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	for i, s := range svcs {
		if _, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("x")}); kindOf(err) != KindNotFound {
			t.Errorf("Encrypt on node %d after deletion: got %v, want NotFound", i, err)
		}
		versions := map[uint32]bool{}
		for _, ref := range krs[i].forgotten {
			if ref.KeyID == md.KeyId {
				versions[ref.Version] = true
			}
		}
		if !versions[1] || !versions[2] || len(versions) != 2 {
			t.Errorf("node %d's keyring forgot versions %v, want 1 and 2", i, versions)
		}
	}
}
