package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// dueBatch is how many due keys RunDue reads at a time.
const dueBatch = 100

// RunDue does the time-driven work due at the key clock's now: it destroys
// every key whose deletion window has ended (the key, all its material
// and its aliases; the keyring forgets the material) and performs every
// automatic rotation that is due, once each. It is safe to run on several
// nodes sharing one database at the same time: each item is a
// compare-and-swap on the key's version, so exactly one node does it and
// the others skip it. Work left by a node that stopped midway is still due
// and the next run does it. It returns how many keys it deleted and
// rotated, and the first error that stopped it (items that failed are
// retried by the next run).
func (s *Service) RunDue(ctx context.Context) (deleted, rotated int, err error) {
	now := s.now().UTC()
	// Keys done leave the due set; keys skipped or failed stay in it, so
	// they are remembered and each key is tried once per run.
	skipped := make(map[store.KeyRef]bool)
	var firstErr error
	for {
		limit := dueBatch + len(skipped)
		ks, err := s.store.DueKeys(ctx, now, limit)
		if err != nil {
			return deleted, rotated, fmt.Errorf("read due keys: %w", err)
		}
		tried := 0
		for _, k := range ks {
			if skipped[k.Ref()] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return deleted, rotated, err
			}
			tried++
			var did bool
			var err error
			// The work's AwsServiceEvent commits in the transaction that
			// does it (see audit.Pending).
			arn := KeyARN(k.Region, k.Account, k.ID)
			if k.State == StatePendingDeletion {
				ictx := audit.NewContext(ctx, audit.ServiceEvent("DeleteKey", k.Account, k.Region, arn, uuid.NewString(), s.now()))
				if did, err = s.destroy(ictx, k); did {
					deleted++
				}
			} else {
				ictx := audit.NewContext(ctx, audit.ServiceEvent("RotateKey", k.Account, k.Region, arn, uuid.NewString(), s.now()))
				if did, err = s.rotateDue(ictx, k, now); did {
					rotated++
				}
			}
			if err != nil {
				s.log.ErrorContext(ctx, "scheduled work failed", "key", KeyARN(k.Region, k.Account, k.ID), "err", err)
				firstErr = cmp.Or(firstErr, err)
			}
			if !did {
				skipped[k.Ref()] = true
			}
		}
		if len(ks) < limit || tried == 0 {
			return deleted, rotated, firstErr
		}
	}
}

// destroy deletes a key that DueKeys found due for deletion. It reports
// false without an error when another writer changed or deleted the key
// first.
func (s *Service) destroy(ctx context.Context, k store.Key) (bool, error) {
	ms, err := s.store.KeyMaterials(ctx, k.Ref())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read materials: %w", err)
	}
	err = s.store.DeleteKey(ctx, k.Ref(), k.Version)
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Another node deleted it, or the key changed (a cancellation):
		// if it is still due, the next run sees its new version.
		return false, nil
	case errors.Is(err, store.ErrResidue):
		// Deleted; the log is scrubbed by the next deletion.
		s.log.WarnContext(ctx, "deleted key material may remain in the database log", "key", KeyARN(k.Region, k.Account, k.ID), "err", err)
	case err != nil:
		return false, fmt.Errorf("delete key: %w", err)
	}
	s.cache.deleted(k.Ref())
	for _, m := range ms {
		s.keyring.Forget(materialRef(&k, m.Version))
	}
	s.log.InfoContext(ctx, "key deleted at the end of its waiting period", "key", KeyARN(k.Region, k.Account, k.ID))
	return true, nil
}

// rotateDue performs a due automatic rotation, re-reading the key when
// another writer raced it; it reports false when the key is no longer due
// (another node rotated it, or its settings changed).
func (s *Service) rotateDue(ctx context.Context, k store.Key, now time.Time) (bool, error) {
	for attempt := 0; ; attempt++ {
		if k.State != StateEnabled || !k.RotationEnabled || k.NextRotation.After(now) ||
			k.KeySpec != SpecSymmetricDefault || k.Origin != OriginAWSKMS {
			return false, nil
		}
		_, err := s.rotate(ctx, k, store.RotationAutomatic)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrExists) || attempt == 5 {
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return false, fmt.Errorf("rotate key: %w", err)
		}
		if k, err = s.store.Key(ctx, k.Ref()); errors.Is(err, store.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("re-read key: %w", err)
		}
	}
}
