package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

const keyCols = `account, region, id, version, created_at, description, key_spec, key_usage, origin, state, multi_region, deletion_date, policy, tags, current_material, rotation_enabled, rotation_period_days, next_rotation, on_demand_rotations, expiration_model, valid_to, imported_material_id, policy_principals`

func scanKey(sc scanner) (store.Key, error) {
	var k store.Key
	var created, multi, deletion, cur, rotEnabled, rotPeriod, nextRot, onDemand, validTo int64
	var tags, principals string
	err := sc.Scan(&k.Account, &k.Region, &k.ID, &k.Version, &created, &k.Description, &k.KeySpec, &k.KeyUsage,
		&k.Origin, &k.State, &multi, &deletion, &k.Policy, &tags, &cur, &rotEnabled, &rotPeriod, &nextRot, &onDemand,
		&k.ExpirationModel, &validTo, &k.ImportedMaterialID, &principals)
	if err != nil {
		return store.Key{}, err
	}
	if k.PolicyPrincipals, err = decodePrincipals(principals); err != nil {
		return store.Key{}, fmt.Errorf("decode policy principals of key %s: %w", k.ID, err)
	}
	k.CreatedAt, k.MultiRegion, k.DeletionDate, k.CurrentMaterial = fromNanos(created), multi != 0, fromNanos(deletion), uint32(cur)
	k.RotationEnabled, k.RotationPeriodDays, k.NextRotation, k.OnDemandRotations = rotEnabled != 0, int(rotPeriod), fromNanos(nextRot), int(onDemand)
	k.ValidTo = fromNanos(validTo)
	if tags != "" {
		if err := json.Unmarshal([]byte(tags), &k.Tags); err != nil {
			return store.Key{}, fmt.Errorf("decode tags of key %s: %w", k.ID, err)
		}
	}
	return k, nil
}

func encodeTags(tags []store.Tag) (string, error) {
	if len(tags) == 0 {
		return "", nil
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}

// CreateKey implements store.Store.
func (s *DB) CreateKey(ctx context.Context, k store.Key, ms []store.KeyMaterial) error {
	tags, err := encodeTags(k.Tags)
	if err != nil {
		return err
	}
	principals, err := encodePrincipals(k.PolicyPrincipals)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO keys (`+keyCols+`) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
			k.Account, k.Region, k.ID, nanos(k.CreatedAt), k.Description, k.KeySpec, k.KeyUsage, k.Origin, k.State,
			b2i(k.MultiRegion), nanos(k.DeletionDate), k.Policy, tags, int64(k.CurrentMaterial),
			b2i(k.RotationEnabled), int64(k.RotationPeriodDays), nanos(k.NextRotation), int64(k.OnDemandRotations),
			k.ExpirationModel, nanos(k.ValidTo), k.ImportedMaterialID, principals)
		if err != nil {
			return fmt.Errorf("insert key %s: %w", k.ID, s.mapInsertErr(err))
		}
		for _, m := range ms {
			if err := s.insertMaterial(ctx, tx, k.Ref(), m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *DB) insertMaterial(ctx context.Context, tx *sql.Tx, ref store.KeyRef, m store.KeyMaterial) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO key_materials (account, region, key_id, version, material_id, wrapped, created_at, rotation_type, pending, description, expiration_model, valid_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		ref.Account, ref.Region, ref.ID, int64(m.Version), m.MaterialID, wrappedValue(m.Wrapped), nanos(m.CreatedAt), m.RotationType,
		b2i(m.Pending), m.Description, m.ExpirationModel, nanos(m.ValidTo))
	if err != nil {
		return fmt.Errorf("insert material %d of key %s: %w", m.Version, ref.ID, s.mapInsertErr(err))
	}
	return nil
}

// Key implements store.Store.
func (s *DB) Key(ctx context.Context, ref store.KeyRef) (store.Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM keys WHERE account = $1 AND region = $2 AND id = $3`,
		ref.Account, ref.Region, ref.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Key{}, store.ErrNotFound
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("read key %s: %w", ref.ID, err)
	}
	return k, nil
}

// keyExists reports whether the key exists, locking its row until tx ends
// where the dialect locks rows.
func (s *DB) keyExists(ctx context.Context, tx *sql.Tx, account, region, id string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3`+s.d.ForUpdate,
		account, region, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read key %s: %w", id, err)
	}
	return true, nil
}

// ListKeys implements store.Store.
func (s *DB) ListKeys(ctx context.Context, account, region, after string, limit int) ([]store.Key, error) {
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return queryAll(ctx, s.db, "list keys", scanKey, `SELECT `+keyCols+` FROM keys WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4`,
		account, region, after, limit)
}

// UpdateKey implements store.Store. The stored record is read back with
// RETURNING, so fields UpdateKey does not change come from the database,
// not from k.
func (s *DB) UpdateKey(ctx context.Context, k store.Key) (store.Key, error) {
	return s.writeKey(ctx, k, false, nil)
}

// updateKey is the compare-and-swap write of a key (writeKey).
func (s *DB) updateKey(ctx context.Context, tx *sql.Tx, k store.Key, tags, principals string) (store.Key, error) {
	out, err := scanKey(tx.QueryRowContext(ctx, `UPDATE keys
		SET version = version + 1, description = $1, state = $2, deletion_date = $3, policy = $4, tags = $5, current_material = $6,
			rotation_enabled = $7, rotation_period_days = $8, next_rotation = $9, on_demand_rotations = $10,
			expiration_model = $11, valid_to = $12, imported_material_id = $13, policy_principals = $14
		WHERE account = $15 AND region = $16 AND id = $17 AND version = $18
		RETURNING `+keyCols,
		k.Description, k.State, nanos(k.DeletionDate), k.Policy, tags, int64(k.CurrentMaterial),
		b2i(k.RotationEnabled), int64(k.RotationPeriodDays), nanos(k.NextRotation), int64(k.OnDemandRotations),
		k.ExpirationModel, nanos(k.ValidTo), k.ImportedMaterialID, principals,
		k.Account, k.Region, k.ID, k.Version))
	if errors.Is(err, sql.ErrNoRows) {
		ok, err := s.keyExists(ctx, tx, k.Account, k.Region, k.ID)
		if err != nil {
			return store.Key{}, err
		}
		if !ok {
			return store.Key{}, store.ErrNotFound
		}
		return store.Key{}, store.ErrConflict
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("update key %s: %w", k.ID, err)
	}
	return out, nil
}

// RotateKey implements store.Store. The key's row is written first, so on
// engines that lock rows the insert runs under the key's lock.
func (s *DB) RotateKey(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error) {
	k.CurrentMaterial = m.Version
	return s.writeKey(ctx, k, false, func(tx *sql.Tx) error {
		return s.insertMaterial(ctx, tx, k.Ref(), m)
	})
}

// KeyMaterials implements store.Store.
func (s *DB) KeyMaterials(ctx context.Context, ref store.KeyRef) ([]store.KeyMaterial, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, material_id, wrapped, created_at, rotation_type, pending, description, expiration_model, valid_to FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY version`,
		ref.Account, ref.Region, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("read materials of key %s: %w", ref.ID, err)
	}
	defer rows.Close()
	var out []store.KeyMaterial
	for rows.Next() {
		var m store.KeyMaterial
		var v, created, pending, validTo int64
		if err := rows.Scan(&v, &m.MaterialID, &m.Wrapped, &created, &m.RotationType, &pending, &m.Description, &m.ExpirationModel, &validTo); err != nil {
			return nil, fmt.Errorf("read materials of key %s: %w", ref.ID, err)
		}
		m.Version, m.CreatedAt, m.Pending, m.ValidTo = uint32(v), fromNanos(created), pending != 0, fromNanos(validTo)
		if len(m.Wrapped) == 0 {
			m.Wrapped = nil
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read materials of key %s: %w", ref.ID, err)
	}
	if len(out) == 0 {
		// A key without material (origin EXTERNAL, not yet imported) is not
		// the same as no key.
		if _, err := s.Key(ctx, ref); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteMaterials implements store.Store. The key's row is written first,
// so on engines that lock rows the deletion runs under the key's lock.
func (s *DB) DeleteMaterials(ctx context.Context, k store.Key) (store.Key, error) {
	return s.writeKey(ctx, k, true, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3`,
			k.Account, k.Region, k.ID); err != nil {
			return fmt.Errorf("delete materials of key %s: %w", k.ID, err)
		}
		return nil
	})
}

// wrappedValue is the stored form of material bytes: never NULL.
func wrappedValue(w []byte) []byte {
	if w == nil {
		return []byte{}
	}
	return w
}

// AddMaterial implements store.Store. The key's row is written first, so
// on engines that lock rows the insert runs under the key's lock.
func (s *DB) AddMaterial(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error) {
	return s.writeKey(ctx, k, false, func(tx *sql.Tx) error {
		return s.insertMaterial(ctx, tx, k.Ref(), m)
	})
}

// UpdateMaterial implements store.Store.
func (s *DB) UpdateMaterial(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error) {
	return s.writeKey(ctx, k, len(m.Wrapped) == 0, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE key_materials SET wrapped = $1, pending = $2, description = $3, expiration_model = $4, valid_to = $5, created_at = $6, rotation_type = $7
			WHERE account = $8 AND region = $9 AND key_id = $10 AND version = $11 AND material_id = $12`,
			wrappedValue(m.Wrapped), b2i(m.Pending), m.Description, m.ExpirationModel, nanos(m.ValidTo), nanos(m.CreatedAt), m.RotationType,
			k.Account, k.Region, k.ID, int64(m.Version), m.MaterialID)
		return oneRow(res, err, "update material", k.ID, m.Version)
	})
}

// PromoteMaterial implements store.Store.
func (s *DB) PromoteMaterial(ctx context.Context, k store.Key, version uint32, typ string, at time.Time) (store.Key, error) {
	k.CurrentMaterial = version
	return s.writeKey(ctx, k, false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE key_materials SET pending = 0, rotation_type = $1, created_at = $2
			WHERE account = $3 AND region = $4 AND key_id = $5 AND version = $6 AND pending <> 0`,
			typ, nanos(at), k.Account, k.Region, k.ID, int64(version))
		return oneRow(res, err, "promote material", k.ID, version)
	})
}

// DeleteMaterial implements store.Store.
func (s *DB) DeleteMaterial(ctx context.Context, k store.Key, version uint32) (store.Key, error) {
	return s.writeKey(ctx, k, true, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3 AND version = $4`,
			k.Account, k.Region, k.ID, int64(version))
		return oneRow(res, err, "delete material", k.ID, version)
	})
}

// oneRow turns a write that had to touch one material row into an error.
func oneRow(res sql.Result, err error, what, keyID string, version uint32) error {
	if err != nil {
		return fmt.Errorf("%s %d of key %s: %w", what, version, keyID, err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("%s %d of key %s: %w", what, version, keyID, err)
	}
	if n != 1 {
		return store.ErrNotFound
	}
	return nil
}

// writeKey is the shape of every write of a key's row: the key's
// compare-and-swap first (so a material write runs under the key's row
// lock where the engine locks rows), then fn (nil for none), then the
// change-feed entry, in one transaction; scrub says the write removed
// material bytes, which the engine's page log then must lose too.
func (s *DB) writeKey(ctx context.Context, k store.Key, scrub bool, fn func(tx *sql.Tx) error) (store.Key, error) {
	tags, err := encodeTags(k.Tags)
	if err != nil {
		return store.Key{}, err
	}
	principals, err := encodePrincipals(k.PolicyPrincipals)
	if err != nil {
		return store.Key{}, err
	}
	var out store.Key
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = s.updateKey(ctx, tx, k, tags, principals); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return s.recordChange(ctx, tx, store.ChangeKey, k.Account, k.Region, k.ID)
	})
	if err != nil {
		return store.Key{}, err
	}
	if scrub && s.d.Scrub != nil {
		if err := s.d.Scrub(ctx, s.db); err != nil {
			return out, fmt.Errorf("material of key %s: %w: %w", k.ID, store.ErrResidue, err)
		}
	}
	return out, nil
}
