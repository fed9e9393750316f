package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// recordChange appends to the change feed inside the transaction that
// makes the change, so the feed holds a change exactly when it committed.
func (s *DB) recordChange(ctx context.Context, tx *sql.Tx, kind store.ChangeKind, account, region, name string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (at, kind, account, region, name) VALUES ($1, $2, $3, $4, $5)`,
		time.Now().UnixNano(), string(kind), account, region, name)
	if err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	return nil
}

// Changes implements store.Store.
func (s *DB) Changes(ctx context.Context, after int64, since time.Time, limit int) ([]store.Change, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, kind, account, region, name FROM changes WHERE seq > $1 OR at >= $2 ORDER BY seq LIMIT $3`,
		after, nanos(since), limit)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var at int64
		var kind string
		if err := rows.Scan(&c.Seq, &at, &kind, &c.Account, &c.Region, &c.Name); err != nil {
			return nil, fmt.Errorf("read changes: %w", err)
		}
		c.At, c.Kind = fromNanos(at), store.ChangeKind(kind)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneChanges implements store.Store.
func (s *DB) PruneChanges(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM changes WHERE at < $1`, nanos(before)); err != nil {
		return fmt.Errorf("prune changes: %w", err)
	}
	return nil
}

// LatestChange implements store.Store.
func (s *DB) LatestChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read latest change: %w", err)
	}
	return seq, nil
}
