package sqlstore

import (
	"context"
	"database/sql"
)

// BindPrincipals runs the migration step that binds what earlier releases
// wrote (bindPrincipals) in a transaction of its own.
func (s *DB) BindPrincipals(ctx context.Context) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error { return bindPrincipals(ctx, tx) })
}
