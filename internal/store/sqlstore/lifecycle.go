package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// DeleteKey implements store.Store. The key's row is deleted first, with
// the version check, so on engines that lock rows the rest of the
// transaction runs under the key's lock, which CreateAlias and UpdateAlias
// also take: no alias can be added to the key while it goes.
func (s *DB) DeleteKey(ctx context.Context, ref store.KeyRef, version int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE account = $1 AND region = $2 AND id = $3 AND version = $4`,
			ref.Account, ref.Region, ref.ID, version)
		if err != nil {
			return fmt.Errorf("delete key %s: %w", ref.ID, err)
		}
		n, err := affected(res)
		if err != nil {
			return fmt.Errorf("delete key %s: %w", ref.ID, err)
		}
		if n == 0 {
			ok, err := s.keyExists(ctx, tx, ref.Account, ref.Region, ref.ID)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrNotFound
			}
			return store.ErrConflict
		}
		// The foreign key cascades where it is enforced; this makes the
		// deletion independent of that setting.
		if _, err := tx.ExecContext(ctx, `DELETE FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3`,
			ref.Account, ref.Region, ref.ID); err != nil {
			return fmt.Errorf("delete materials of key %s: %w", ref.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3`,
			ref.Account, ref.Region, ref.ID); err != nil {
			return fmt.Errorf("delete grants of key %s: %w", ref.ID, err)
		}
		names, err := aliasNamesOf(ctx, tx, ref)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM aliases WHERE account = $1 AND region = $2 AND target_key_id = $3`,
			ref.Account, ref.Region, ref.ID); err != nil {
			return fmt.Errorf("delete aliases of key %s: %w", ref.ID, err)
		}
		if err := s.recordChange(ctx, tx, store.ChangeKey, ref.Account, ref.Region, ref.ID); err != nil {
			return err
		}
		for _, name := range names {
			if err := s.recordChange(ctx, tx, store.ChangeAlias, ref.Account, ref.Region, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.d.Scrub != nil {
		if err := s.d.Scrub(ctx, s.db); err != nil {
			return fmt.Errorf("delete key %s: %w: %w", ref.ID, store.ErrResidue, err)
		}
	}
	return nil
}

func aliasNamesOf(ctx context.Context, tx *sql.Tx, ref store.KeyRef) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM aliases WHERE account = $1 AND region = $2 AND target_key_id = $3 ORDER BY name`,
		ref.Account, ref.Region, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("read aliases of key %s: %w", ref.ID, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read aliases of key %s: %w", ref.ID, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read aliases of key %s: %w", ref.ID, err)
	}
	return names, nil
}

// DueKeys implements store.Store. The conditions are separate queries so
// that the first two use their index (keys_deletion_date,
// keys_next_rotation); the expiry of imported material is rare and reads
// the materials by key_materials_valid_to. The cursor is a row-value comparison, which
// SQLite and PostgreSQL both evaluate in the index order.
func (s *DB) DueKeys(ctx context.Context, now time.Time, after store.KeyRef, limit int) ([]store.Key, error) {
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("due keys: %w", err)
	}
	return queryAll(ctx, s.db, "due keys", scanKey, `SELECT `+keyCols+` FROM keys WHERE deletion_date <= $1 AND state = 'PendingDeletion'
			AND (account, region, id) > ($3, $4, $5)
		UNION ALL
		SELECT `+keyCols+` FROM keys WHERE next_rotation <= $1 AND rotation_enabled = 1 AND state = 'Enabled'
			AND (account, region, id) > ($3, $4, $5)
		UNION ALL
		SELECT `+keyCols+` FROM keys WHERE origin = 'EXTERNAL'
			AND EXISTS (SELECT 1 FROM key_materials m WHERE m.account = keys.account AND m.region = keys.region AND m.key_id = keys.id
				AND m.valid_to <= $1 AND m.valid_to <> 0 AND m.expiration_model = 'KEY_MATERIAL_EXPIRES' AND length(m.wrapped) > 0)
			AND (state <> 'PendingDeletion' OR deletion_date > $1)
			AND (state <> 'Enabled' OR rotation_enabled = 0 OR next_rotation > $1)
			AND (account, region, id) > ($3, $4, $5)
		ORDER BY account, region, id LIMIT $2`, nanos(now), limit, after.Account, after.Region, after.ID)
}
