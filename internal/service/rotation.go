package service

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// Rotation limits and defaults (kms-api.md sections 3, 7.2 and 7.3; the
// model bounds RotationPeriodInDays to 90-2560).
const (
	defaultRotationPeriodDays = 365
	maxOnDemandRotations      = 25
	// onDemandConflictWindow: RotateKeyOnDemand answers ConflictException
	// while an automatic rotation is due within this window (or overdue,
	// that is in progress: the scheduler has yet to run it).
	onDemandConflictWindow = 20 * time.Minute
)

// IncludeKeyMaterial values of ListKeyRotations.
const (
	includeRotationsOnly  = "ROTATIONS_ONLY"
	includeAllKeyMaterial = "ALL_KEY_MATERIAL"
)

// ImportState values of RotationsListEntry: PENDING_IMPORT is imported
// material that was deleted or expired and may be imported again.
const (
	importStateImported = "IMPORTED"
	importStatePending  = "PENDING_IMPORT"
)

// KeyMaterialState values of RotationsListEntry.
const (
	materialCurrent         = "CURRENT"
	materialNonCurrent      = "NON_CURRENT"
	materialPendingRotation = "PENDING_ROTATION"
)

// Operations that rotationKey checks a key for.
const (
	opEnableKeyRotation    = "EnableKeyRotation"
	opDisableKeyRotation   = "DisableKeyRotation"
	opGetKeyRotationStatus = "GetKeyRotationStatus"
	opRotateKeyOnDemand    = "RotateKeyOnDemand"
	opListKeyRotations     = "ListKeyRotations"
)

// rotationKey checks that op may run on k, following AWS's key-state table
// (kms-api.md 8.1, row "EnableKeyRotation, ..." and note [6], [7]) and its
// recorded answers:
//   - a key pending import answers that origin EXTERNAL is not valid, except
//     RotateKeyOnDemand, which AWS answers "is pending import" (recorded);
//   - the operations that change the key want it Enabled (DisabledException
//     for a disabled key, KMSInvalidStateException pending deletion);
//   - only SYMMETRIC_DEFAULT keys rotate: UnsupportedOperationException
//     without a message, as AWS sends it;
//   - only Trent-made material rotates (ListKeyRotations also lists an
//     imported symmetric key's material).
func rotationKey(k *store.Key, op string) error {
	arn := KeyARN(k.Region, k.Account, k.ID)
	errOrigin := errorf(KindUnsupportedOperation, "%s origin is %s which is not valid for this operation.", arn, k.Origin)
	// A key that has had material and waits for some of it again lists its
	// materials (to show which one is missing).
	waiting := k.ImportedMaterialID != "" && op == opListKeyRotations && k.KeySpec == SpecSymmetricDefault
	if k.State == StatePendingImport && !waiting {
		if op == opRotateKeyOnDemand {
			return stateError(k)
		}
		return errOrigin
	}
	switch op {
	case opEnableKeyRotation, opDisableKeyRotation, opRotateKeyOnDemand:
		if k.State != StateEnabled {
			return stateError(k)
		}
	}
	if k.KeySpec != SpecSymmetricDefault {
		return &Error{Kind: KindUnsupportedOperation}
	}
	// Imported symmetric keys rotate on demand into material imported
	// for it (not multi-Region ones, whose replicas Trent does not have).
	external := k.Origin == OriginExternal && (op == opListKeyRotations || op == opRotateKeyOnDemand && !k.MultiRegion)
	if k.Origin != OriginAWSKMS && !external {
		return errOrigin
	}
	return nil
}

// EnableKeyRotation turns on automatic rotation of a symmetric key with
// Trent-made material, every RotationPeriodInDays days (90 to 2560; 365 by
// default). The first automatic rotation is due one period after this call,
// by the service's key clock. Enabling again with the period in force
// changes nothing; with another period it restarts the schedule.
func (s *Service) EnableKeyRotation(ctx context.Context, c *Caller, in *kmsapi.EnableKeyRotationRequest) (*kmsapi.Empty, error) {
	period := defaultRotationPeriodDays
	if in.RotationPeriodInDays != nil {
		period = *in.RotationPeriodInDays
	}
	_, err := s.updateKey(ctx, c, opEnableKeyRotation, *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if err := rotationKey(k, opEnableKeyRotation); err != nil {
			return false, err
		}
		if k.RotationEnabled && k.RotationPeriodDays == period {
			return true, nil
		}
		k.RotationEnabled = true
		k.RotationPeriodDays = period
		k.NextRotation = s.now().UTC().Add(days(period))
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.Empty{}, nil
}

// DisableKeyRotation turns off automatic rotation. Earlier material stays
// and decrypts; on-demand rotation remains possible.
func (s *Service) DisableKeyRotation(ctx context.Context, c *Caller, in *kmsapi.DisableKeyRotationRequest) (*kmsapi.Empty, error) {
	_, err := s.updateKey(ctx, c, opDisableKeyRotation, *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if err := rotationKey(k, opDisableKeyRotation); err != nil {
			return false, err
		}
		if !k.RotationEnabled {
			return true, nil
		}
		k.RotationEnabled, k.RotationPeriodDays, k.NextRotation = false, 0, time.Time{}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.Empty{}, nil
}

// GetKeyRotationStatus reports whether automatic rotation is on and, when
// it is, its period and next date. A key pending deletion reports false
// (its setting returns if the deletion is cancelled), as AWS does.
func (s *Service) GetKeyRotationStatus(ctx context.Context, c *Caller, in *kmsapi.GetKeyRotationStatusRequest) (*kmsapi.GetKeyRotationStatusResponse, error) {
	k, err := s.loadKey(ctx, c, opGetKeyRotationStatus, *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	if err := rotationKey(&k, opGetKeyRotationStatus); err != nil {
		return nil, err
	}
	out := &kmsapi.GetKeyRotationStatusResponse{KeyId: KeyARN(k.Region, k.Account, k.ID)}
	if k.RotationEnabled && k.State != StatePendingDeletion {
		out.KeyRotationEnabled = true
		out.RotationPeriodInDays = &k.RotationPeriodDays
		out.NextRotationDate = epochPtr(k.NextRotation)
	}
	return out, nil
}

// RotateKeyOnDemand gives a symmetric key new Trent-made material at once,
// or, for an imported key, makes its material pending rotation current:
// new encryptions use it, earlier ciphertexts still decrypt with the
// material they name. Each key may be rotated on demand 25 times; the
// automatic schedule is unchanged. It returns the key ARN.
func (s *Service) RotateKeyOnDemand(ctx context.Context, c *Caller, in *kmsapi.RotateKeyOnDemandRequest) (*kmsapi.RotateKeyOnDemandResponse, error) {
	for attempt := 0; ; attempt++ {
		k, err := s.loadKey(ctx, c, opRotateKeyOnDemand, *in.KeyId, refKeyOnly)
		if err != nil {
			return nil, err
		}
		if err := rotationKey(&k, opRotateKeyOnDemand); err != nil {
			return nil, err
		}
		if k.RotationEnabled && k.NextRotation.Before(s.now().UTC().Add(onDemandConflictWindow)) {
			return nil, errorf(KindConflict, "An automatic rotation of %s is in progress or scheduled to begin within the next 20 minutes. Try again later.", KeyARN(k.Region, k.Account, k.ID))
		}
		if k.OnDemandRotations >= maxOnDemandRotations {
			return nil, errorf(KindLimitExceeded, "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: %s", KeyARN(k.Region, k.Account, k.ID))
		}
		k.OnDemandRotations++
		var nk store.Key
		if k.Origin == OriginExternal {
			nk, err = s.rotateImported(ctx, k)
		} else {
			nk, err = s.rotate(ctx, k, store.RotationOnDemand)
		}
		var serr *Error
		if errors.As(err, &serr) {
			return nil, serr
		}
		if (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists)) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", KeyARN(k.Region, k.Account, k.ID))
		}
		if err != nil {
			return nil, s.internal(ctx, opRotateKeyOnDemand, err)
		}
		return &kmsapi.RotateKeyOnDemandResponse{KeyId: KeyARN(nk.Region, nk.Account, nk.ID)}, nil
	}
}

// rotate makes new material for k, stores it as k's current material with
// rotation type typ and k's other fields as they are, and refreshes the key
// cache. An automatic rotation also moves k's next rotation one period
// past the key clock's now. It returns the store's errors unwrapped
// (store.ErrConflict when k is stale); the caller decides on retries. This
// is the step a rotation scheduler repeats for each due key.
func (s *Service) rotate(ctx context.Context, k store.Key, typ string) (store.Key, error) {
	ms, err := s.store.KeyMaterials(ctx, k.Ref())
	if err != nil {
		return store.Key{}, err
	}
	var version uint32 = 1
	for _, m := range ms {
		version = max(version, m.Version+1)
	}
	now := s.now().UTC()
	if typ == store.RotationAutomatic {
		k.NextRotation = now.Add(days(k.RotationPeriodDays))
	}
	wrapped, err := s.keyring.NewMaterial(materialRef(&k, version), k.KeySpec)
	if err != nil {
		return store.Key{}, err
	}
	mid, err := newMaterialID()
	if err != nil {
		return store.Key{}, err
	}
	m := store.KeyMaterial{Version: version, MaterialID: mid, Wrapped: wrapped, CreatedAt: now, RotationType: typ}
	nk, err := s.store.RotateKey(ctx, k, m)
	if err != nil {
		return store.Key{}, err
	}
	s.cache.updated(nk, append(ms, m))
	return nk, nil
}

// rotateImported makes an EXTERNAL key's material pending rotation
// current (an on-demand rotation): it answers KMSInvalidStateException,
// as AWS does, when no imported material is pending. The key's
// expiration fields follow the new current material. Store errors come
// back unwrapped for the caller's retries.
func (s *Service) rotateImported(ctx context.Context, k store.Key) (store.Key, error) {
	ms, err := s.store.KeyMaterials(ctx, k.Ref())
	if err != nil {
		return store.Key{}, err
	}
	var p *store.KeyMaterial
	for i := range ms {
		if ms[i].Pending && ms[i].Imported() {
			p = &ms[i]
		}
	}
	if p == nil {
		return store.Key{}, errorf(KindInvalidState, "No available key material pending rotation for the key: %s.", KeyARN(k.Region, k.Account, k.ID))
	}
	now := s.now().UTC()
	k.ImportedMaterialID, k.ExpirationModel, k.ValidTo = p.MaterialID, p.ExpirationModel, p.ValidTo
	nk, err := s.store.PromoteMaterial(ctx, k, p.Version, store.RotationOnDemand, now)
	if err != nil {
		return store.Key{}, err
	}
	p.Pending, p.RotationType, p.CreatedAt = false, store.RotationOnDemand, now
	s.cache.updated(nk, ms)
	return nk, nil
}

// ListKeyRotations lists a key's rotations, oldest first: each material
// that a rotation made current, with its date and type. With
// IncludeKeyMaterial ALL_KEY_MATERIAL the key's first material and
// imported material pending rotation are listed too (without a date or
// type). Every entry says whether its material is CURRENT, NON_CURRENT or
// PENDING_ROTATION; an imported key's entries also carry ImportState
// (IMPORTED, or PENDING_IMPORT once deleted or expired),
// KeyMaterialDescription and the material's expiration. NextMarker is
// opaque to clients.
func (s *Service) ListKeyRotations(ctx context.Context, c *Caller, in *kmsapi.ListKeyRotationsRequest) (*kmsapi.ListKeyRotationsResponse, error) {
	limit := 100
	if in.Limit != nil {
		limit = *in.Limit
	}
	var after uint64
	if in.Marker != nil {
		var err error
		if after, err = strconv.ParseUint(*in.Marker, 10, 32); err != nil {
			return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
		}
	}
	k, err := s.loadKey(ctx, c, opListKeyRotations, *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	if err := rotationKey(&k, opListKeyRotations); err != nil {
		return nil, err
	}
	ms, err := s.store.KeyMaterials(ctx, k.Ref())
	if err != nil {
		return nil, s.internal(ctx, opListKeyRotations, err)
	}
	all := deref(in.IncludeKeyMaterial) == includeAllKeyMaterial
	arn := KeyARN(k.Region, k.Account, k.ID)
	out := &kmsapi.ListKeyRotationsResponse{Rotations: []kmsapi.RotationsListEntry{}}
	var last uint32 // the version of the last entry listed
	for _, m := range ms {
		if uint64(m.Version) <= after || m.RotationType == "" && !all {
			continue
		}
		if len(out.Rotations) == limit {
			out.Truncated = true
			out.NextMarker = strconv.FormatUint(uint64(last), 10)
			break
		}
		e := kmsapi.RotationsListEntry{KeyId: arn, KeyMaterialId: m.MaterialID, KeyMaterialState: materialNonCurrent}
		switch {
		case m.Pending:
			e.KeyMaterialState = materialPendingRotation
		case k.Origin == OriginExternal && m.MaterialID == k.ImportedMaterialID,
			k.Origin != OriginExternal && m.Version == k.CurrentMaterial:
			// An imported key's current material stays current while it
			// is deleted and the key waits for it.
			e.KeyMaterialState = materialCurrent
		}
		if m.RotationType != "" {
			e.RotationDate = epochPtr(m.CreatedAt)
			e.RotationType = m.RotationType
		}
		if k.Origin == OriginExternal {
			e.ImportState = importStatePending
			if m.Imported() {
				e.ImportState = importStateImported
			}
			e.KeyMaterialDescription, e.ExpirationModel = m.Description, m.ExpirationModel
			e.ValidTo = epochPtr(m.ValidTo)
		}
		out.Rotations = append(out.Rotations, e)
		last = m.Version
	}
	return out, nil
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
