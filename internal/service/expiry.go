package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// materialExpired reports whether k holds imported material whose ValidTo
// is at or before now.
func materialExpired(k *store.Key, now time.Time) bool {
	return k.Origin == OriginExternal && k.CurrentMaterial != 0 && k.ExpirationModel == ExpirationExpires &&
		!k.ValidTo.IsZero() && !k.ValidTo.After(now)
}

// expire deletes a key's imported material at its ValidTo, as AWS does:
// every material version of the key leaves the database and the keyring's
// cache, and the key becomes PendingImport (a key pending deletion stays
// so); it keeps its KeyMaterialId, so the same material can be imported
// again and revives earlier ciphertexts. It re-reads the key when another
// writer raced it, and reports false when the material is no longer due
// (another node expired it, or it was re-imported with a later ValidTo).
func (s *Service) expire(ctx context.Context, k store.Key, now time.Time) (bool, error) {
	for attempt := 0; ; attempt++ {
		if !materialExpired(&k, now) {
			return false, nil
		}
		ms, err := s.store.KeyMaterials(ctx, k.Ref())
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read materials: %w", err)
		}
		nk := k
		nk.CurrentMaterial, nk.ExpirationModel, nk.ValidTo = 0, "", time.Time{}
		if nk.State != StatePendingDeletion {
			nk.State = StatePendingImport
		}
		nk, err = s.store.DeleteMaterials(ctx, nk)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case errors.Is(err, store.ErrConflict) && attempt < 5:
			if k, err = s.store.Key(ctx, k.Ref()); errors.Is(err, store.ErrNotFound) {
				return false, nil
			} else if err != nil {
				return false, fmt.Errorf("re-read key: %w", err)
			}
			continue
		case errors.Is(err, store.ErrResidue):
			s.log.WarnContext(ctx, "expired key material may remain in the database log", "key", KeyARN(k.Region, k.Account, k.ID), "err", err)
		case err != nil:
			return false, fmt.Errorf("delete expired material: %w", err)
		}
		s.cache.updated(nk, []store.KeyMaterial{})
		for _, m := range ms {
			s.keyring.Forget(materialRef(&k, m.Version))
		}
		s.log.InfoContext(ctx, "imported key material expired and was deleted", "key", KeyARN(k.Region, k.Account, k.ID))
		return true, nil
	}
}
