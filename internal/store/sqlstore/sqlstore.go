// Package sqlstore implements store.Store over database/sql. The SQL is
// written once, in the subset that SQLite and PostgreSQL share ($N
// placeholders bound by number, BIGINT, UPDATE ... RETURNING); an engine
// package (store/sqlite, store/postgres) opens the connection, names its
// Dialect and calls Open.
//
// Timestamps are stored as Unix nanoseconds (0 for the zero time) and read
// back in UTC; booleans as 0 or 1; tags as a JSON array, in order.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// Dialect is what differs between engines.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Blob is the column type for byte strings (BLOB or BYTEA); it replaces
	// {{blob}} in the schema.
	Blob string
	// Text is the column type for strings. Every text column must compare
	// and sort bytewise, so that listing order and pagination do not depend
	// on the server's locale: "TEXT" on SQLite (BINARY is its default
	// collation), `TEXT COLLATE "C"` on PostgreSQL. It replaces {{text}}.
	Text string
	// Serial is the column definition of an auto-incrementing integer
	// primary key; it replaces {{serial}}.
	Serial string
	// ForUpdate is appended to a SELECT that must lock the row it reads
	// until the transaction ends (" FOR UPDATE"). It is empty where write
	// transactions are already serialised (SQLite's BEGIN IMMEDIATE).
	ForUpdate string
	// IsUniqueViolation reports whether err is a unique-constraint failure.
	IsUniqueViolation func(err error) bool
	// Lock serialises migrations across processes; it returns the release
	// function. Nil when the migration transaction itself is the lock
	// (SQLite, where it begins IMMEDIATE).
	Lock func(ctx context.Context, db *sql.DB) (release func(), err error)
	// Scrub removes deleted bytes from the engine's own log after a
	// destructive commit (SQLite: checkpoint and truncate the WAL), or is
	// nil.
	Scrub func(ctx context.Context, db *sql.DB) error
	// Backup writes a consistent copy to path, or is nil.
	Backup func(ctx context.Context, db *sql.DB, path string) error
	// Maintain, when set, runs in its own goroutine from Open until Close
	// cancels ctx: the engine's housekeeping off the request path (SQLite:
	// WAL checkpoints, which would otherwise run inside a committing
	// transaction and add their writes and fsyncs to its latency).
	Maintain func(ctx context.Context, db *sql.DB)
	// DeferSync, when set, makes conn commit without flushing to disk and
	// returns what flushes its commits: SetAuditFlushInterval takes conn
	// from the pool for audit appends (and discards it at Close). SQLite:
	// synchronous=NORMAL on conn, and an fdatasync of the WAL.
	DeferSync func(ctx context.Context, conn *sql.Conn) (Syncer, error)
}

// Syncer flushes to disk what a connection set up by Dialect.DeferSync has
// committed. Sync is called from one goroutine at a time, concurrently
// with commits on the connection: it flushes at least every commit that
// returned before it was called.
type Syncer interface {
	Sync() error
	Close() error
}

// DB is a store.Store backed by database/sql. It is safe for concurrent use.
type DB struct {
	db *sql.DB
	d  Dialect

	auditStmts sync.Map // auditStmtKey -> *sql.Stmt, the audit log's prepared statements
	deferred   deferredAudit

	// auditMu serialises, on SQLite, the audit appends and the digest
	// writes of this process: a digest write then waits for one append,
	// rather than poll SQLite's write lock (busy_timeout) while the
	// writer commits batch after batch.
	auditMu sync.Mutex

	stopMaintain context.CancelFunc // nil without Dialect.Maintain
	maintained   chan struct{}      // closed when Maintain has returned
}

var (
	_ store.Store = (*DB)(nil)
	_ audit.Log   = (*DB)(nil)
)

// Open migrates the schema (under the dialect's lock) and returns the store.
// It returns an error wrapping store.ErrSchemaTooNew when the database was
// written by a newer Trent. On success the returned DB owns db and closes it
// on Close; on error db is left to the caller. Open panics if d lacks Blob,
// Text, Serial or IsUniqueViolation.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	if d.Blob == "" || d.Text == "" || d.Serial == "" || d.IsUniqueViolation == nil {
		panic("sqlstore: incomplete Dialect " + d.Name)
	}
	s := &DB{db: db, d: d}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if d.Maintain != nil {
		mctx, cancel := context.WithCancel(context.Background())
		s.stopMaintain, s.maintained = cancel, make(chan struct{})
		go func() {
			defer close(s.maintained)
			d.Maintain(mctx, db)
		}()
	}
	return s, nil
}

// SQL returns the underlying handle, for engine-specific checks and tests.
func (s *DB) SQL() *sql.DB { return s.db }

// Close closes the database.
func (s *DB) Close() error {
	if s == nil {
		return nil
	}
	if s.stopMaintain != nil {
		s.stopMaintain()
		<-s.maintained
	}
	// The audit connection (SetAuditFlushInterval) is flushed and
	// discarded before the pool closes.
	ferr := s.deferred.close()
	s.auditStmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	if err := s.db.Close(); err != nil {
		return err
	}
	return ferr
}

// Backup implements store.Store.
func (s *DB) Backup(ctx context.Context, path string) error {
	if s.d.Backup == nil {
		return store.ErrUnsupported
	}
	return s.d.Backup(ctx, s.db, path)
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// tx runs fn in a transaction and commits it. When ctx carries a pending
// audit event (audit.NewContext) that no transaction has written yet, tx
// appends it to the audit chain in the same transaction, after fn, and
// marks it written once the commit succeeds: a change and its event
// commit together or not at all.
func (s *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	ev, written, pending := audit.Pending(ctx)
	if pending {
		if err := s.prepareAudit(ctx, 1); err != nil {
			return fmt.Errorf("append audit event: %w", err)
		}
	}
	err := s.rawTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if pending {
			if _, err := s.appendAudit(ctx, tx, []*audit.Event{ev}); err != nil {
				return fmt.Errorf("append audit event: %w", err)
			}
		}
		return nil
	})
	if err == nil && pending {
		written()
	}
	return err
}

// rawTx runs fn in a transaction and commits it.
func (s *DB) rawTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, s.db, fn)
}

// runTx runs fn in a transaction of db (a *sql.DB or *sql.Conn) and
// commits it.
func runTx(ctx context.Context, db interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *DB) mapInsertErr(err error) error {
	if err != nil && s.d.IsUniqueViolation(err) {
		return store.ErrExists
	}
	return err
}

// affected returns the row count of an INSERT, UPDATE or DELETE.
func affected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

// checkLimit rejects a page size the engines would treat differently
// (SQLite reads a negative LIMIT as "no limit", PostgreSQL refuses it).
func checkLimit(limit int) error {
	if limit < 1 {
		return fmt.Errorf("invalid page size %d: must be at least 1", limit)
	}
	return nil
}

// Domain implements store.Store.
func (s *DB) Domain(ctx context.Context) (store.Domain, error) {
	var d store.Domain
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT wrapped_key, key_check, seal_type, created_at, installation_id, regions FROM domain WHERE id = 1`).
		Scan(&d.WrappedKey, &d.KeyCheck, &d.SealType, &created, &d.Installation.ID, &d.Installation.Regions)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Domain{}, store.ErrNotInitialised
	}
	if err != nil {
		return store.Domain{}, fmt.Errorf("read domain: %w", err)
	}
	d.CreatedAt = fromNanos(created)
	return d, nil
}

// Bootstrap implements store.Store.
func (s *DB) Bootstrap(ctx context.Context, d store.Domain, a store.Account, k store.AccessKey) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO domain (id, wrapped_key, key_check, seal_type, created_at, installation_id, regions) VALUES (1, $1, $2, $3, $4, $5, $6)`,
			d.WrappedKey, d.KeyCheck, d.SealType, nanos(d.CreatedAt), d.Installation.ID, d.Installation.Regions)
		if err != nil {
			if s.d.IsUniqueViolation(err) {
				return store.ErrAlreadyInitialised
			}
			return fmt.Errorf("insert domain: %w", err)
		}
		return s.insertAccount(ctx, tx, a, k)
	})
}

func (s *DB) insertAccount(ctx context.Context, tx *sql.Tx, a store.Account, k store.AccessKey) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO accounts (id, created_at, pending_credentials) VALUES ($1, $2, $3)`,
		a.ID, nanos(a.CreatedAt), b2i(a.PendingCredentials))
	if err != nil {
		return fmt.Errorf("insert account %s: %w", a.ID, s.mapInsertErr(err))
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO access_keys (`+accessKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.AccountID, k.PrincipalARN, k.WrappedSecret, b2i(k.Active), nanos(k.CreatedAt), k.UserName)
	if err != nil {
		return fmt.Errorf("insert access key %s: %w", k.ID, s.mapInsertErr(err))
	}
	return nil
}

// SetInstallation implements store.Store.
func (s *DB) SetInstallation(ctx context.Context, old, new store.Installation) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE domain SET installation_id = $1, regions = $2 WHERE id = 1 AND installation_id = $3 AND regions = $4`,
			new.ID, new.Regions, old.ID, old.Regions)
		if err != nil {
			return fmt.Errorf("update installation: %w", err)
		}
		n, err := affected(res)
		if err != nil {
			return fmt.Errorf("update installation: %w", err)
		}
		if n == 1 {
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM domain WHERE id = 1`).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotInitialised
		}
		if err != nil {
			return fmt.Errorf("read domain: %w", err)
		}
		return store.ErrConflict
	})
}

// RegionsInUse implements store.Store. It reads each table's primary key
// (account, region, ...) once; it runs at start, not per request.
func (s *DB) RegionsInUse(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT region FROM keys UNION SELECT DISTINCT region FROM aliases ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("regions in use: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	sort.Strings(out) // bytewise, whatever collation the UNION's result got
	return out, nil
}

// SetCredentialsDelivered implements store.Store.
func (s *DB) SetCredentialsDelivered(ctx context.Context, accountID string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET pending_credentials = 0 WHERE id = $1`, accountID)
	if err != nil {
		return fmt.Errorf("update account %s: %w", accountID, err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("update account %s: %w", accountID, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateAccount implements store.Store.
func (s *DB) CreateAccount(ctx context.Context, a store.Account, k store.AccessKey) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertAccount(ctx, tx, a, k) })
}

// Account implements store.Store.
func (s *DB) Account(ctx context.Context, id string) (store.Account, error) {
	var a store.Account
	var created, pending int64
	err := s.db.QueryRowContext(ctx, `SELECT id, created_at, pending_credentials FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &created, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Account{}, store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("read account %s: %w", id, err)
	}
	a.CreatedAt, a.PendingCredentials = fromNanos(created), pending != 0
	return a, nil
}

// ListAccounts implements store.Store.
func (s *DB) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, created_at, pending_credentials FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		var a store.Account
		var created, pending int64
		if err := rows.Scan(&a.ID, &created, &pending); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		a.CreatedAt, a.PendingCredentials = fromNanos(created), pending != 0
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

const accessKeyCols = `id, account_id, principal_arn, wrapped_secret, active, created_at, user_name`

func scanAccessKey(sc scanner) (store.AccessKey, error) {
	var k store.AccessKey
	var active, created int64
	if err := sc.Scan(&k.ID, &k.AccountID, &k.PrincipalARN, &k.WrappedSecret, &active, &created, &k.UserName); err != nil {
		return store.AccessKey{}, err
	}
	k.Active, k.CreatedAt = active != 0, fromNanos(created)
	return k, nil
}

// AccessKey implements store.Store.
func (s *DB) AccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := scanAccessKey(s.db.QueryRowContext(ctx, `SELECT `+accessKeyCols+` FROM access_keys WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccessKey{}, store.ErrNotFound
	}
	if err != nil {
		return store.AccessKey{}, fmt.Errorf("read access key %s: %w", id, err)
	}
	return k, nil
}

// AccessKeysOf implements store.Store.
func (s *DB) AccessKeysOf(ctx context.Context, accountID string) ([]store.AccessKey, error) {
	return queryAll(ctx, s.db, "list access keys", scanAccessKey, `SELECT `+accessKeyCols+` FROM access_keys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query and returns every row as scan reads it; what names
// the rows in errors.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
