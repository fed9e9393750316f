package service

import (
	"context"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// Waiting period of ScheduleKeyDeletion (kms-api.md section 3).
const (
	minPendingWindowDays     = 7
	maxPendingWindowDays     = 30
	defaultPendingWindowDays = 30
)

// Input and output shapes of the deletion operations.
type (
	ScheduleKeyDeletionInput struct {
		KeyId               *string `json:"KeyId"`
		PendingWindowInDays *int    `json:"PendingWindowInDays"`
	}
	ScheduleKeyDeletionOutput struct {
		KeyId               string `json:"KeyId"`
		DeletionDate        *Epoch `json:"DeletionDate,omitempty"`
		KeyState            string `json:"KeyState"`
		PendingWindowInDays int    `json:"PendingWindowInDays"`
	}
	CancelKeyDeletionOutput struct {
		KeyId string `json:"KeyId"`
	}
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
func (s *Service) ScheduleKeyDeletion(ctx context.Context, c *Caller, in *ScheduleKeyDeletionInput) (*ScheduleKeyDeletionOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	v.intRange(in.PendingWindowInDays, "pendingWindowInDays", minPendingWindowDays, maxPendingWindowDays)
	if err := v.err(); err != nil {
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
	return &ScheduleKeyDeletionOutput{
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
func (s *Service) CancelKeyDeletion(ctx context.Context, c *Caller, in *KeyIdInput) (*CancelKeyDeletionOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if err := v.err(); err != nil {
		return nil, err
	}
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
	return &CancelKeyDeletionOutput{KeyId: KeyARN(k.Region, k.Account, k.ID)}, nil
}
