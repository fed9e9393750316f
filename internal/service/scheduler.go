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

// DueWork counts what one RunDueWork did.
type DueWork struct {
	Deleted int // keys destroyed at the end of their waiting period
	Rotated int // automatic rotations
	Expired int // imported materials deleted at their ValidTo
}

// RunDue is RunDueWork reporting the deletions and rotations (the
// scheduler's log line); expirations are logged one by one.
func (s *Service) RunDue(ctx context.Context) (deleted, rotated int, err error) {
	w, err := s.RunDueWork(ctx)
	return w.Deleted, w.Rotated, err
}

// RunDueWork does the time-driven work due at the key clock's now: it
// destroys every key whose deletion window has ended (the key, all its
// material and its aliases; the keyring forgets the material), performs
// every automatic rotation that is due, and deletes imported material
// whose ValidTo has passed (the key becomes PendingImport, as AWS does),
// once each. It is safe to run on several nodes sharing one database at
// the same time: each item is a compare-and-swap on the key's version, so
// exactly one node does it and the others skip it. Work left by a node
// that stopped midway is still due and the next run does it. The due keys
// are read in pages with a cursor, so a backlog larger than a page is
// worked through in one run and a key that keeps failing does not hold
// back the keys after it. It returns what it did and the first error (items
// that failed are retried by the next run).
func (s *Service) RunDueWork(ctx context.Context) (DueWork, error) {
	now := s.now().UTC()
	var w DueWork
	var firstErr error
	var after store.KeyRef
	for {
		ks, err := s.store.DueKeys(ctx, now, after, dueBatch)
		if err != nil {
			return w, fmt.Errorf("read due keys: %w", err)
		}
		for _, k := range ks {
			if err := ctx.Err(); err != nil {
				return w, err
			}
			after = k.Ref()
			var did bool
			var err error
			// The work's AwsServiceEvent commits in the transaction that
			// does it (see audit.Pending).
			arn := KeyARN(k.Region, k.Account, k.ID)
			switch {
			case k.State == StatePendingDeletion && !k.DeletionDate.After(now):
				ictx := audit.NewContext(ctx, audit.ServiceEvent("DeleteKey", k.Account, k.Region, arn, uuid.NewString(), s.now()))
				if did, err = s.destroy(ictx, k); did {
					w.Deleted++
				}
			case k.Origin == OriginExternal:
				ictx := audit.NewContext(ctx, audit.ServiceEvent("DeleteExpiredKeyMaterial", k.Account, k.Region, arn, uuid.NewString(), s.now()))
				if did, err = s.expire(ictx, k, now); did {
					w.Expired++
				}
			default:
				ictx := audit.NewContext(ctx, audit.ServiceEvent("RotateKey", k.Account, k.Region, arn, uuid.NewString(), s.now()))
				if did, err = s.rotateDue(ictx, k, now); did {
					w.Rotated++
				}
			}
			if err != nil {
				s.log.ErrorContext(ctx, "scheduled work failed", "key", KeyARN(k.Region, k.Account, k.ID), "err", err)
				firstErr = cmp.Or(firstErr, err)
			}
		}
		if len(ks) < dueBatch {
			return w, firstErr
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
