package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/trentkms/trent/internal/store"
)

const aliasCols = `account, region, name, target_key_id, version, created_at, updated_at`

func scanAlias(sc scanner) (store.Alias, error) {
	var a store.Alias
	var created, updated int64
	if err := sc.Scan(&a.Account, &a.Region, &a.Name, &a.TargetKeyID, &a.Version, &created, &updated); err != nil {
		return store.Alias{}, err
	}
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return a, nil
}

// lockTarget checks that an alias's target key exists and, on engines that
// lock rows, locks it until tx ends. Every transaction that adds an alias to
// a key takes this lock first, so the per-key count that follows cannot be
// raced past the limit by a concurrent writer, and no two such
// transactions wait on each other in opposite orders.
func (s *DB) lockTarget(ctx context.Context, tx *sql.Tx, a store.Alias) error {
	ok, err := s.keyExists(ctx, tx, a.Account, a.Region, a.TargetKeyID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("alias %s: target key %s: %w", a.Name, a.TargetKeyID, store.ErrNotFound)
	}
	return nil
}

// checkAliasLimit returns ErrLimitExceeded when the target key of a has
// maxPerKey aliases other than a; maxPerKey <= 0 means no limit.
func checkAliasLimit(ctx context.Context, tx *sql.Tx, a store.Alias, maxPerKey int) error {
	if maxPerKey <= 0 {
		return nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM aliases WHERE account = $1 AND region = $2 AND target_key_id = $3 AND name <> $4`,
		a.Account, a.Region, a.TargetKeyID, a.Name).Scan(&n)
	if err != nil {
		return fmt.Errorf("count aliases of key %s: %w", a.TargetKeyID, err)
	}
	if n >= maxPerKey {
		return store.ErrLimitExceeded
	}
	return nil
}

// CreateAlias implements store.Store.
func (s *DB) CreateAlias(ctx context.Context, a store.Alias, maxPerKey int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockTarget(ctx, tx, a); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO aliases (`+aliasCols+`) VALUES ($1, $2, $3, $4, 1, $5, $6)`,
			a.Account, a.Region, a.Name, a.TargetKeyID, nanos(a.CreatedAt), nanos(a.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert alias %s: %w", a.Name, s.mapInsertErr(err))
		}
		return checkAliasLimit(ctx, tx, a, maxPerKey)
	})
}

// Alias implements store.Store.
func (s *DB) Alias(ctx context.Context, account, region, name string) (store.Alias, error) {
	a, err := scanAlias(s.db.QueryRowContext(ctx, `SELECT `+aliasCols+` FROM aliases WHERE account = $1 AND region = $2 AND name = $3`,
		account, region, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Alias{}, store.ErrNotFound
	}
	if err != nil {
		return store.Alias{}, fmt.Errorf("read alias %s: %w", name, err)
	}
	return a, nil
}

// UpdateAlias implements store.Store. The stored record is read back with
// RETURNING.
func (s *DB) UpdateAlias(ctx context.Context, a store.Alias, maxPerKey int) (store.Alias, error) {
	var out store.Alias
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockTarget(ctx, tx, a); err != nil {
			return err
		}
		var err error
		out, err = scanAlias(tx.QueryRowContext(ctx, `UPDATE aliases SET target_key_id = $1, updated_at = $2, version = version + 1
			WHERE account = $3 AND region = $4 AND name = $5 AND version = $6
			RETURNING `+aliasCols,
			a.TargetKeyID, nanos(a.UpdatedAt), a.Account, a.Region, a.Name, a.Version))
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM aliases WHERE account = $1 AND region = $2 AND name = $3`,
				a.Account, a.Region, a.Name).Scan(&one)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("alias %s: %w", a.Name, store.ErrNotFound)
			case err != nil:
				return fmt.Errorf("read alias %s: %w", a.Name, err)
			}
			return store.ErrConflict
		}
		if err != nil {
			return fmt.Errorf("update alias %s: %w", a.Name, err)
		}
		if err := checkAliasLimit(ctx, tx, a, maxPerKey); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, store.ChangeAlias, a.Account, a.Region, a.Name)
	})
	if err != nil {
		return store.Alias{}, err
	}
	return out, nil
}

// DeleteAlias implements store.Store.
func (s *DB) DeleteAlias(ctx context.Context, account, region, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3`, account, region, name)
		if err != nil {
			return fmt.Errorf("delete alias %s: %w", name, err)
		}
		n, err := affected(res)
		if err != nil {
			return fmt.Errorf("delete alias %s: %w", name, err)
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return s.recordChange(ctx, tx, store.ChangeAlias, account, region, name)
	})
}

// ListAliases implements store.Store.
func (s *DB) ListAliases(ctx context.Context, account, region, targetKeyID, after string, limit int) ([]store.Alias, error) {
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	q := `SELECT ` + aliasCols + ` FROM aliases WHERE account = $1 AND region = $2 AND name > $3`
	args := []any{account, region, after, limit}
	if targetKeyID != "" {
		q += ` AND target_key_id = $5`
		args = append(args, targetKeyID)
	}
	q += ` ORDER BY name LIMIT $4`
	return queryAll(ctx, s.db, "list aliases", scanAlias, q, args...)
}
