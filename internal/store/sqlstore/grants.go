package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trentkms/trent/internal/store"
)

const grantCols = `account, region, key_id, id, name, grantee, retiring, issuing_account, operations, constraints, created_at, grantee_id, retiring_id`

func scanGrant(sc scanner) (store.Grant, error) {
	var g store.Grant
	var ops, cons string
	var created int64
	if err := sc.Scan(&g.Account, &g.Region, &g.KeyID, &g.ID, &g.Name, &g.GranteePrincipal, &g.RetiringPrincipal,
		&g.IssuingAccount, &ops, &cons, &created, &g.GranteeID, &g.RetiringID); err != nil {
		return g, err
	}
	if err := json.Unmarshal([]byte(ops), &g.Operations); err != nil {
		return g, fmt.Errorf("decode operations of grant %s: %w", g.ID, err)
	}
	if err := json.Unmarshal([]byte(cons), &g.Constraints); err != nil {
		return g, fmt.Errorf("decode constraints of grant %s: %w", g.ID, err)
	}
	g.CreatedAt = fromNanos(created)
	return g, nil
}

// CreateGrant implements store.Store. Taking the key's row lock first (as
// CreateAlias does) serialises grant creation per key, so the count check
// holds under concurrent writers.
func (s *DB) CreateGrant(ctx context.Context, g store.Grant, maxPerKey int) error {
	ops, err := json.Marshal(g.Operations)
	if err != nil {
		return fmt.Errorf("encode operations: %w", err)
	}
	cons, err := json.Marshal(g.Constraints)
	if err != nil {
		return fmt.Errorf("encode constraints: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := s.keyExists(ctx, tx, g.Account, g.Region, g.KeyID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		if maxPerKey > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE account = $1 AND region = $2 AND key_id = $3`,
				g.Account, g.Region, g.KeyID).Scan(&n); err != nil {
				return fmt.Errorf("count grants of key %s: %w", g.KeyID, err)
			}
			if n >= maxPerKey {
				return store.ErrLimitExceeded
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO grants (`+grantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			g.Account, g.Region, g.KeyID, g.ID, g.Name, g.GranteePrincipal, g.RetiringPrincipal, g.IssuingAccount,
			string(ops), string(cons), nanos(g.CreatedAt), g.GranteeID, g.RetiringID)
		if err != nil {
			return fmt.Errorf("insert grant %s: %w", g.ID, s.mapInsertErr(err))
		}
		return s.recordChange(ctx, tx, store.ChangeKey, g.Account, g.Region, g.KeyID)
	})
}

// Grants implements store.Store.
func (s *DB) Grants(ctx context.Context, ref store.KeyRef) ([]store.Grant, error) {
	return queryAll(ctx, s.db, "list grants of key "+ref.ID, scanGrant, `SELECT `+grantCols+` FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY created_at, id`,
		ref.Account, ref.Region, ref.ID)
}

// RetirableGrants implements store.Store.
func (s *DB) RetirableGrants(ctx context.Context, retiring, retiringID, after string, limit int) ([]store.Grant, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	var a [4]string
	if after != "" {
		parts := strings.SplitN(after, "/", 4)
		if len(parts) != 4 {
			return nil, fmt.Errorf("invalid grant cursor %q", after)
		}
		copy(a[:], parts)
	}
	// Row-value comparison spelt out: both engines compare text bytewise
	// (COLLATE "C" on PostgreSQL).
	return queryAll(ctx, s.db, "list retirable grants", scanGrant, `SELECT `+grantCols+` FROM grants WHERE retiring = $1 AND retiring_id = $7 AND (
			account > $2 OR (account = $2 AND (region > $3 OR (region = $3 AND (key_id > $4 OR (key_id = $4 AND id > $5))))))
		ORDER BY account, region, key_id, id LIMIT $6`,
		retiring, a[0], a[1], a[2], a[3], limit, retiringID)
}

// DeleteGrant implements store.Store.
func (s *DB) DeleteGrant(ctx context.Context, ref store.KeyRef, grantID string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND id = $4`,
			ref.Account, ref.Region, ref.ID, grantID)
		if err != nil {
			return fmt.Errorf("delete grant %s: %w", grantID, err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return s.recordChange(ctx, tx, store.ChangeKey, ref.Account, ref.Region, ref.ID)
	})
}
