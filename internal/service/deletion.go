package service

import (
	"context"
	"time"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// Waiting period of ScheduleKeyDeletion (kms-api.md section 3).
const (
	minPendingWindowDays     = 7
	maxPendingWindowDays     = 30
	defaultPendingWindowDays = 30
)

// Operations of this file.
const (
	opScheduleKeyDeletion = "ScheduleKeyDeletion"
	opCancelKeyDeletion   = "CancelKeyDeletion"
)

// ScheduleKeyDeletion puts a key in state PendingDeletion for
// PendingWindowInDays days (7 to 30; 30 by default) from the key clock's
// now. A key pending deletion refuses cryptographic use; when the window
// ends RunDue destroys it, its material and its aliases. A key already
// pending deletion answers KMSInvalidStateException, as AWS does.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, c *Caller, in *kmsapi.ScheduleKeyDeletionRequest) (*kmsapi.ScheduleKeyDeletionResponse, error) {
	// AWS documents 7 to 30 days; the model allows 1 to 365.
	if err := checkRange(in.PendingWindowInDays, "pendingWindowInDays", minPendingWindowDays, maxPendingWindowDays); err != nil {
		return nil, err
	}
	window := defaultPendingWindowDays
	if in.PendingWindowInDays != nil {
		window = *in.PendingWindowInDays
	}
	k, err := s.updateKey(ctx, c, opScheduleKeyDeletion, *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if k.State == StatePendingDeletion {
			return false, stateError(k)
		}
		k.State = StatePendingDeletion
		k.DeletionDate = s.now().UTC().Add(days(window))
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.ScheduleKeyDeletionResponse{
		KeyId:               KeyARN(k.Region, k.Account, k.ID),
		DeletionDate:        epochPtr(k.DeletionDate),
		KeyState:            k.State,
		PendingWindowInDays: window,
	}, nil
}

// CancelKeyDeletion ends a key's waiting period: the key returns in state
// Disabled (PendingImport for an imported key without material), as AWS
// does. A key that is not pending deletion answers
// KMSInvalidStateException.
func (s *Service) CancelKeyDeletion(ctx context.Context, c *Caller, in *kmsapi.CancelKeyDeletionRequest) (*kmsapi.CancelKeyDeletionResponse, error) {
	k, err := s.updateKey(ctx, c, opCancelKeyDeletion, *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if k.State != StatePendingDeletion {
			return false, errorf(KindInvalidState, "%s is not pending deletion", KeyARN(k.Region, k.Account, k.ID))
		}
		k.State = StateDisabled
		if k.Origin == OriginExternal && k.CurrentMaterial == 0 {
			k.State = StatePendingImport
		}
		k.DeletionDate = time.Time{}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.CancelKeyDeletionResponse{KeyId: KeyARN(k.Region, k.Account, k.ID)}, nil
}
