package service

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// clock is a key clock that tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// newClocked returns a service on a fresh SQLite store whose key clock is
// the returned clock, starting at a fixed time.
func newClocked(t *testing.T) (*Service, *sqlstore.DB, *clock) {
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
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	return New(Config{Store: st, Keyring: kr, Now: clk.now}), st, clk
}

func createSymmetric(t *testing.T, s *Service) *kmsapi.KeyMetadata {
	t.Helper()
	out, err := s.CreateKey(t.Context(), caller(), &kmsapi.CreateKeyRequest{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

func rotationStatus(t *testing.T, s *Service, keyID string) *kmsapi.GetKeyRotationStatusResponse {
	t.Helper()
	out, err := s.GetKeyRotationStatus(t.Context(), caller(), &kmsapi.GetKeyRotationStatusRequest{KeyId: &keyID})
	if err != nil {
		t.Fatalf("GetKeyRotationStatus: %v", err)
	}
	return out
}

// checkStatus compares a rotation status with what is wanted; next is the
// zero time when rotation is off.
func checkStatus(t *testing.T, got *kmsapi.GetKeyRotationStatusResponse, arn string, enabled bool, period int, next time.Time) {
	t.Helper()
	if got.KeyId != arn || got.KeyRotationEnabled != enabled {
		t.Errorf("status: KeyId %q, KeyRotationEnabled %v; want %q, %v", got.KeyId, got.KeyRotationEnabled, arn, enabled)
	}
	if !enabled {
		if got.RotationPeriodInDays != nil || got.NextRotationDate != nil {
			t.Errorf("status of a key without rotation: RotationPeriodInDays %v, NextRotationDate %v; want neither", got.RotationPeriodInDays, got.NextRotationDate)
		}
		return
	}
	if got.RotationPeriodInDays == nil || *got.RotationPeriodInDays != period {
		t.Errorf("RotationPeriodInDays = %v, want %d", got.RotationPeriodInDays, period)
	}
	if got.NextRotationDate == nil || !got.NextRotationDate.Time().Equal(next) {
		t.Errorf("NextRotationDate = %v, want %v", got.NextRotationDate, next)
	}
	if got.OnDemandRotationStartDate != nil {
		t.Errorf("OnDemandRotationStartDate = %v, want none (rotation is synchronous)", got.OnDemandRotationStartDate)
	}
}

// TestRotationSchedule moves the key clock and checks the dates
// EnableKeyRotation sets and GetKeyRotationStatus reports.
func TestRotationSchedule(t *testing.T) {
	ctx := t.Context()
	s, st, clk := newClocked(t)
	md := createSymmetric(t, s)
	id, arn := md.KeyId, md.Arn
	checkStatus(t, rotationStatus(t, s, id), arn, false, 0, time.Time{})

	t0 := clk.advance(time.Hour)
	if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &id}); err != nil {
		t.Fatalf("EnableKeyRotation: %v", err)
	}
	checkStatus(t, rotationStatus(t, s, id), arn, true, 365, t0.AddDate(0, 0, 365))

	// Enabling again with the period in force keeps the schedule.
	clk.advance(48 * time.Hour)
	if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &arn, RotationPeriodInDays: ptr(365)}); err != nil {
		t.Fatalf("EnableKeyRotation again: %v", err)
	}
	checkStatus(t, rotationStatus(t, s, arn), arn, true, 365, t0.AddDate(0, 0, 365))

	// Another period restarts it from the clock's now.
	for _, period := range []int{90, 2560} {
		tn := clk.advance(time.Minute)
		if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &id, RotationPeriodInDays: &period}); err != nil {
			t.Fatalf("EnableKeyRotation(%d days): %v", period, err)
		}
		checkStatus(t, rotationStatus(t, s, id), arn, true, period, tn.Add(time.Duration(period)*24*time.Hour))
	}

	// A key pending deletion reports false; its setting is kept.
	k, err := st.Key(ctx, store.KeyRef{Account: caller().Account, Region: caller().Region, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	k.State, k.DeletionDate = StatePendingDeletion, clk.now().AddDate(0, 0, 30)
	if k, err = st.UpdateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, rotationStatus(t, s, id), arn, false, 0, time.Time{})
	k.State, k.DeletionDate = StateEnabled, time.Time{}
	if _, err = st.UpdateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, rotationStatus(t, s, id), arn, true, 2560, k.NextRotation)

	if _, err := s.DisableKeyRotation(ctx, caller(), &kmsapi.DisableKeyRotationRequest{KeyId: &id}); err != nil {
		t.Fatalf("DisableKeyRotation: %v", err)
	}
	checkStatus(t, rotationStatus(t, s, id), arn, false, 0, time.Time{})
	// Disabling twice is fine.
	if _, err := s.DisableKeyRotation(ctx, caller(), &kmsapi.DisableKeyRotationRequest{KeyId: &id}); err != nil {
		t.Fatalf("DisableKeyRotation again: %v", err)
	}

	for _, tc := range []struct {
		period int
		msg    string
	}{
		{89, "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"},
		{2561, "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560"},
	} {
		_, err := callOp(t, s, caller(), "EnableKeyRotation", &kmsapi.EnableKeyRotationRequest{KeyId: &id, RotationPeriodInDays: &tc.period})
		if e, ok := err.(*Error); !ok || e.Kind != KindValidation || e.Message != tc.msg {
			t.Errorf("EnableKeyRotation(%d days): got %v, want Validation: %s", tc.period, err, tc.msg)
		}
	}
}

// TestRotateOnDemand rotates a key three times, encrypting after each, and
// checks that every blob decrypts with the material it names, that new
// blobs and ReEncrypt use the newest material, and what DescribeKey and
// ListKeyRotations report.
func TestRotateOnDemand(t *testing.T) {
	ctx := t.Context()
	s, _, clk := newClocked(t)
	md := createSymmetric(t, s)
	id, arn := md.KeyId, md.Arn
	materials := []string{md.CurrentKeyMaterialId}
	var rotated []time.Time

	type sealed struct {
		blob    []byte
		version uint32
		pt      []byte
	}
	var blobs []sealed
	encrypt := func(version uint32) {
		t.Helper()
		pt := fmt.Appendf(nil, "message %d", len(blobs))
		out, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &id, Plaintext: bytes.Clone(pt)})
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		h, err := keyring.ParseHeader(out.CiphertextBlob)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != version {
			t.Errorf("Encrypt after %d rotations used material version %d, want %d", version-1, h.Version, version)
		}
		blobs = append(blobs, sealed{out.CiphertextBlob, version, pt})
	}
	encrypt(1)
	for i := range 3 {
		rotated = append(rotated, clk.advance(24*time.Hour))
		out, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id})
		if err != nil {
			t.Fatalf("RotateKeyOnDemand %d: %v", i+1, err)
		}
		if out.KeyId != arn {
			t.Errorf("RotateKeyOnDemand.KeyId = %q, want %q", out.KeyId, arn)
		}
		d, err := s.DescribeKey(ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &id})
		if err != nil {
			t.Fatal(err)
		}
		cur := d.KeyMetadata.CurrentKeyMaterialId
		for _, m := range materials {
			if cur == m {
				t.Errorf("after rotation %d, CurrentKeyMaterialId %s is an earlier material's", i+1, cur)
			}
		}
		materials = append(materials, cur)
		encrypt(uint32(i + 2))
	}

	for i, b := range blobs {
		out, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: b.blob})
		if err != nil {
			t.Fatalf("Decrypt of blob %d: %v", i, err)
		}
		if !bytes.Equal(out.Plaintext, b.pt) || out.KeyMaterialId != materials[b.version-1] {
			t.Errorf("Decrypt of blob %d = %q with material %s; want %q with %s", i, out.Plaintext, out.KeyMaterialId, b.pt, materials[b.version-1])
		}
		re, err := s.ReEncrypt(ctx, caller(), &kmsapi.ReEncryptRequest{CiphertextBlob: b.blob, DestinationKeyId: &id})
		if err != nil {
			t.Fatalf("ReEncrypt of blob %d: %v", i, err)
		}
		h, err := keyring.ParseHeader(re.CiphertextBlob)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 4 || re.DestinationKeyMaterialId != materials[3] || re.SourceKeyMaterialId != materials[b.version-1] {
			t.Errorf("ReEncrypt of blob %d: version %d, destination material %s, source material %s; want 4, %s, %s",
				i, h.Version, re.DestinationKeyMaterialId, re.SourceKeyMaterialId, materials[3], materials[b.version-1])
		}
	}

	// ListKeyRotations: the three rotations, oldest first.
	var want []kmsapi.RotationsListEntry
	for i := range 3 {
		e := kmsapi.RotationsListEntry{KeyId: arn, KeyMaterialId: materials[i+1], KeyMaterialState: materialNonCurrent, RotationDate: epochPtr(rotated[i]), RotationType: store.RotationOnDemand}
		if i == 2 {
			e.KeyMaterialState = materialCurrent
		}
		want = append(want, e)
	}
	list, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &arn})
	if err != nil {
		t.Fatalf("ListKeyRotations: %v", err)
	}
	if d := diffEntries(want, list.Rotations); d != "" || list.Truncated || list.NextMarker != "" {
		t.Errorf("ListKeyRotations: Truncated %v, NextMarker %q, entries:\n%s", list.Truncated, list.NextMarker, d)
	}
	first := kmsapi.RotationsListEntry{KeyId: arn, KeyMaterialId: materials[0], KeyMaterialState: materialNonCurrent}
	all, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id, IncludeKeyMaterial: ptr(includeAllKeyMaterial)})
	if err != nil {
		t.Fatalf("ListKeyRotations(ALL_KEY_MATERIAL): %v", err)
	}
	if d := diffEntries(append([]kmsapi.RotationsListEntry{first}, want...), all.Rotations); d != "" {
		t.Errorf("ListKeyRotations(ALL_KEY_MATERIAL):\n%s", d)
	}

	// Pagination, one entry a page.
	var paged []kmsapi.RotationsListEntry
	var marker *string
	for page := 0; ; page++ {
		out, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id, Limit: ptr(1), Marker: marker})
		if err != nil {
			t.Fatalf("ListKeyRotations page %d: %v", page, err)
		}
		paged = append(paged, out.Rotations...)
		if !out.Truncated {
			break
		}
		if page > 5 || out.NextMarker == "" {
			t.Fatalf("pagination does not end: page %d, NextMarker %q", page, out.NextMarker)
		}
		marker = &out.NextMarker
	}
	if d := diffEntries(want, paged); d != "" {
		t.Errorf("ListKeyRotations pages:\n%s", d)
	}
	if _, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id, Marker: ptr("not-a-marker")}); kindOf(err) != KindInvalidMarker {
		t.Errorf("ListKeyRotations with a bad marker: got %v, want InvalidMarker", err)
	}
}

func diffEntries(want, got []kmsapi.RotationsListEntry) string {
	var b bytes.Buffer
	if len(want) != len(got) {
		fmt.Fprintf(&b, "got %d entries, want %d\n", len(got), len(want))
	}
	for i := range min(len(want), len(got)) {
		w, g := want[i], got[i]
		same := w.KeyId == g.KeyId && w.KeyMaterialId == g.KeyMaterialId && w.KeyMaterialState == g.KeyMaterialState && w.RotationType == g.RotationType &&
			(w.RotationDate == nil) == (g.RotationDate == nil) && (w.RotationDate == nil || w.RotationDate.Time().Equal(g.RotationDate.Time()))
		if !same {
			fmt.Fprintf(&b, "entry %d: got %+v (date %v), want %+v (date %v)\n", i, g, g.RotationDate, w, w.RotationDate)
		}
	}
	return b.String()
}

// TestRotateOnDemandLimit: the 26th on-demand rotation is refused with
// AWS's message and changes nothing.
func TestRotateOnDemandLimit(t *testing.T) {
	ctx := t.Context()
	s, _, _ := newClocked(t)
	md := createSymmetric(t, s)
	for i := range maxOnDemandRotations {
		if _, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &md.KeyId}); err != nil {
			t.Fatalf("RotateKeyOnDemand %d: %v", i+1, err)
		}
	}
	_, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &md.KeyId})
	want := "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: " + md.Arn
	if e, ok := err.(*Error); !ok || e.Kind != KindLimitExceeded || e.Message != want {
		t.Fatalf("26th RotateKeyOnDemand: got %v, want LimitExceeded: %s", err, want)
	}
	list, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &md.KeyId})
	if err != nil || len(list.Rotations) != maxOnDemandRotations {
		t.Fatalf("ListKeyRotations after the limit: %d entries, %v; want %d", len(list.Rotations), err, maxOnDemandRotations)
	}
}

// TestRotateAutomatic drives the step a scheduler repeats: an automatic
// rotation makes new current material and moves the next date one period
// past the clock.
func TestRotateAutomatic(t *testing.T) {
	ctx := t.Context()
	s, st, clk := newClocked(t)
	md := createSymmetric(t, s)
	if _, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &md.KeyId, RotationPeriodInDays: ptr(90)}); err != nil {
		t.Fatal(err)
	}
	due := clk.advance(90 * 24 * time.Hour)
	k, err := st.Key(ctx, store.KeyRef{Account: caller().Account, Region: caller().Region, ID: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if k.NextRotation.After(due) {
		t.Fatalf("NextRotation %v is after %v, one period after enabling", k.NextRotation, due)
	}
	nk, err := s.rotate(ctx, k, store.RotationAutomatic)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if nk.CurrentMaterial != 2 || nk.OnDemandRotations != 0 || !nk.NextRotation.Equal(due.AddDate(0, 0, 90)) {
		t.Errorf("after an automatic rotation: CurrentMaterial %d, OnDemandRotations %d, NextRotation %v; want 2, 0, %v",
			nk.CurrentMaterial, nk.OnDemandRotations, nk.NextRotation, due.AddDate(0, 0, 90))
	}
	checkStatus(t, rotationStatus(t, s, md.KeyId), md.Arn, true, 90, due.AddDate(0, 0, 90))
	list, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &md.KeyId})
	if err != nil || len(list.Rotations) != 1 || list.Rotations[0].RotationType != store.RotationAutomatic || !list.Rotations[0].RotationDate.Time().Equal(due) {
		t.Fatalf("ListKeyRotations after an automatic rotation = %+v, %v; want one AUTOMATIC entry dated %v", list, err, due)
	}
	// A stale record loses: the scheduler re-reads and retries.
	if _, err := s.rotate(ctx, k, store.RotationAutomatic); err == nil {
		t.Errorf("rotate of a stale key record succeeded")
	}
	enc, err := s.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := keyring.ParseHeader(enc.CiphertextBlob); h.Version != 2 {
		t.Errorf("Encrypt after an automatic rotation used version %d, want 2", h.Version)
	}
}

// TestRotationKeyRules checks which keys and key states each rotation
// operation accepts, with AWS's errors (kms-api.md 8.1 and the recorded
// responses).
func TestRotationKeyRules(t *testing.T) {
	ctx := t.Context()
	s, st, _ := newClocked(t)
	mk := func(in *kmsapi.CreateKeyRequest) *kmsapi.KeyMetadata {
		out, err := s.CreateKey(ctx, caller(), in)
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		return out.KeyMetadata
	}
	rsa := mk(&kmsapi.CreateKeyRequest{KeySpec: ptr("RSA_2048"), KeyUsage: ptr(UsageSignVerify)})
	hmac := mk(&kmsapi.CreateKeyRequest{KeySpec: ptr("HMAC_256"), KeyUsage: ptr(UsageMac)})
	ext := mk(&kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal)})
	disabled := mk(&kmsapi.CreateKeyRequest{})
	if _, err := s.DisableKey(ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: &disabled.KeyId}); err != nil {
		t.Fatal(err)
	}
	pending := mk(&kmsapi.CreateKeyRequest{})
	k, err := st.Key(ctx, store.KeyRef{Account: caller().Account, Region: caller().Region, ID: pending.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	k.State = StatePendingDeletion
	if _, err := st.UpdateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	s.Invalidate()

	ops := map[string]func(id string) error{
		opEnableKeyRotation: func(id string) error {
			_, err := s.EnableKeyRotation(ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &id})
			return err
		},
		opDisableKeyRotation: func(id string) error {
			_, err := s.DisableKeyRotation(ctx, caller(), &kmsapi.DisableKeyRotationRequest{KeyId: &id})
			return err
		},
		opGetKeyRotationStatus: func(id string) error {
			_, err := s.GetKeyRotationStatus(ctx, caller(), &kmsapi.GetKeyRotationStatusRequest{KeyId: &id})
			return err
		},
		opRotateKeyOnDemand: func(id string) error {
			_, err := s.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &id})
			return err
		},
		opListKeyRotations: func(id string) error {
			_, err := s.ListKeyRotations(ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &id})
			return err
		},
	}
	type want struct {
		kind Kind
		msg  string
	}
	ok := want{}
	unsupported := want{KindUnsupportedOperation, ""}
	external := want{KindUnsupportedOperation, ext.Arn + " origin is EXTERNAL which is not valid for this operation."}
	isDisabled := want{KindDisabled, disabled.Arn + " is disabled."}
	isPending := want{KindInvalidState, pending.Arn + " is pending deletion."}
	cases := []struct {
		key  string
		id   string
		want map[string]want
	}{
		{"asymmetric", rsa.KeyId, map[string]want{opEnableKeyRotation: unsupported, opDisableKeyRotation: unsupported, opGetKeyRotationStatus: unsupported, opRotateKeyOnDemand: unsupported, opListKeyRotations: unsupported}},
		{"HMAC", hmac.KeyId, map[string]want{opEnableKeyRotation: unsupported, opDisableKeyRotation: unsupported, opGetKeyRotationStatus: unsupported, opRotateKeyOnDemand: unsupported, opListKeyRotations: unsupported}},
		{"EXTERNAL pending import", ext.KeyId, map[string]want{
			opEnableKeyRotation: external, opDisableKeyRotation: external, opGetKeyRotationStatus: external, opListKeyRotations: external,
			opRotateKeyOnDemand: {KindInvalidState, ext.Arn + " is pending import."},
		}},
		{"Disabled", disabled.KeyId, map[string]want{opEnableKeyRotation: isDisabled, opDisableKeyRotation: isDisabled, opRotateKeyOnDemand: isDisabled, opGetKeyRotationStatus: ok, opListKeyRotations: ok}},
		{"PendingDeletion", pending.KeyId, map[string]want{opEnableKeyRotation: isPending, opDisableKeyRotation: isPending, opRotateKeyOnDemand: isPending, opGetKeyRotationStatus: ok, opListKeyRotations: ok}},
		{"missing", "11111111-2222-3333-4444-555555555555", map[string]want{
			opEnableKeyRotation:    {KindNotFound, "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist"},
			opDisableKeyRotation:   {KindNotFound, "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist"},
			opGetKeyRotationStatus: {KindNotFound, "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist"},
			opRotateKeyOnDemand:    {KindNotFound, "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist"},
			opListKeyRotations:     {KindNotFound, "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist"},
		}},
	}
	for _, tc := range cases {
		for op, w := range tc.want {
			t.Run(tc.key+"/"+op, func(t *testing.T) {
				err := ops[op](tc.id)
				if w == ok {
					if err != nil {
						t.Fatalf("got %v, want success", err)
					}
					return
				}
				if e, isErr := err.(*Error); !isErr || e.Kind != w.kind || e.Message != w.msg {
					t.Fatalf("got %v, want %v: %q", err, w.kind, w.msg)
				}
			})
		}
	}
	// Aliases are not key references for these operations.
	alias := "alias/rot"
	if _, err := s.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: &alias, TargetKeyId: &disabled.KeyId}); err != nil {
		t.Fatal(err)
	}
	for op, f := range ops {
		if err := f(alias); kindOf(err) != KindNotFound {
			t.Errorf("%s(alias): got %v, want NotFound", op, err)
		}
	}
}

// TestRotationAcrossNodes: a key rotated through one node decrypts on a
// node that cached the key before the rotation, and that node encrypts
// with the new material once it has seen the change feed.
func TestRotationAcrossNodes(t *testing.T) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	a, b := nodes[0], nodes[1]
	w := NewWatcher(b.svc, b.store)
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	md := createSymmetric(t, a.svc)
	if _, err := b.svc.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("warm")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.RotateKeyOnDemand(ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &md.KeyId}); err != nil {
		t.Fatal(err)
	}
	out, err := a.svc.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("new")})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := b.svc.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: out.CiphertextBlob}); err != nil || string(d.Plaintext) != "new" {
		t.Fatalf("Decrypt on node b of a blob of the new material = %v, %v", d, err)
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	out, err = b.svc.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &md.KeyId, Plaintext: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := keyring.ParseHeader(out.CiphertextBlob); h.Version != 2 {
		t.Errorf("Encrypt on node b after polling used version %d, want 2", h.Version)
	}
}
