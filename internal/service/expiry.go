package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// materialExpired reports whether m is imported material whose ValidTo is
// at or before now.
func materialExpired(m *store.KeyMaterial, now time.Time) bool {
	return m.Imported() && m.ExpirationModel == ExpirationExpires && !m.ValidTo.IsZero() && !m.ValidTo.After(now)
}

// expire deletes each of an EXTERNAL key's imported materials whose
// ValidTo has passed, as AWS does (see dropMaterial): material bound to
// the key keeps its KeyMaterialId, so the same material can be imported
// again and revives earlier ciphertexts, and the key becomes
// PendingImport; expired material pending rotation is removed. It
// re-reads the key when another writer raced it, and reports false when
// nothing was due any more (another node expired it, or it was
// re-imported with a later ValidTo).
func (s *Service) expire(ctx context.Context, k store.Key, now time.Time) (bool, error) {
	did := false
	for attempt := 0; ; {
		if k.Origin != OriginExternal {
			return did, nil
		}
		ms, err := s.store.KeyMaterials(ctx, k.Ref())
		if errors.Is(err, store.ErrNotFound) {
			return did, nil
		}
		if err != nil {
			return did, fmt.Errorf("read materials: %w", err)
		}
		var m *store.KeyMaterial
		for i := range ms {
			if materialExpired(&ms[i], now) {
				m = &ms[i]
				break
			}
		}
		if m == nil {
			return did, nil
		}
		nk, err := s.dropMaterial(ctx, k, *m, ms)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return did, nil
		case errors.Is(err, store.ErrConflict) && attempt < 5:
			attempt++
			if k, err = s.store.Key(ctx, k.Ref()); errors.Is(err, store.ErrNotFound) {
				return did, nil
			} else if err != nil {
				return did, fmt.Errorf("re-read key: %w", err)
			}
			continue
		case err != nil:
			return did, fmt.Errorf("delete expired material: %w", err)
		}
		s.log.InfoContext(ctx, "imported key material expired and was deleted", "key", KeyARN(k.Region, k.Account, k.ID), "material", m.MaterialID)
		did, k = true, nk
	}
}
