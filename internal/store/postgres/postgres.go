// Package postgres opens Trent's shared store: a PostgreSQL database that
// any number of stateless trent nodes use at once, through pgx's
// database/sql driver. The SQL itself lives in store/sqlstore.
//
// The connection must reach PostgreSQL in session mode: migrations hold a
// session-level advisory lock, and pgx caches prepared statements per
// connection, so a transaction-pooling proxy (PgBouncer's pool_mode =
// transaction) in between is not supported.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// Options tune Open. The zero value is the safe default.
type Options struct {
	// AllowAsyncCommit lets Open accept a server whose synchronous_commit is
	// off. Such a server acknowledges a commit before its WAL is flushed, so
	// a crash of the server loses the last moments of writes that Trent has
	// already reported: a key a client was told exists, and has encrypted
	// under, can vanish. For throwaway test databases only.
	AllowAsyncCommit bool
	// MaxConns bounds the connection pool of this node; 0 means
	// DefaultMaxConns. It must not be 1: Open holds one connection for the
	// migration lock while it migrates on another.
	MaxConns int
	// RequireSchema makes Open create nothing: a database without Trent's
	// schema is an error wrapping store.ErrNotInitialised, and no table is
	// made. For a node whose data directory says it belongs to an
	// installation, which must find it and not start a new one.
	RequireSchema bool
}

// DefaultMaxConns is the pool size when Options.MaxConns is 0.
const DefaultMaxConns = 16

// uniqueViolation is PostgreSQL's SQLSTATE for a unique-constraint failure.
const uniqueViolation = "23505"

// migrationLockID is the pg_advisory_lock key under which every node
// migrates: "trent_mg" in ASCII. Advisory locks are per database, so
// deployments in different schemas of one database share it; that only
// serialises their start-up.
const migrationLockID int64 = 0x7472656e745f6d67

// unlockTimeout bounds releasing the migration lock after Open's ctx ended.
const unlockTimeout = 10 * time.Second

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts; the schema is the first of its
// search_path), and migrates the schema under an advisory lock, so several
// nodes may start at once. Every connection it makes runs at READ
// COMMITTED whatever the server's default, and is refused unless its
// commits are durable when acknowledged (see checkDurable). Open returns an
// error wrapping ErrAsyncCommit when synchronous_commit is off and
// opts.AllowAsyncCommit is false, and one wrapping store.ErrSchemaTooNew
// when a newer Trent migrated the database. Its errors name the host and
// database, not the DSN.
//
// The returned store is safe for concurrent use by many goroutines and
// many nodes. Its Backup returns store.ErrUnsupported: back up PostgreSQL
// with its own tools (pg_basebackup, pg_dump).
func Open(ctx context.Context, dsn string, opts Options) (*sqlstore.DB, error) {
	if opts.MaxConns < 0 || opts.MaxConns == 1 {
		return nil, fmt.Errorf("open postgres: MaxConns %d: must be 0 or at least 2", opts.MaxConns)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	// The compare-and-swap updates and the row locks in sqlstore are
	// written for READ COMMITTED: a writer that waited on a row re-reads it
	// and matches no row (ErrConflict). Under REPEATABLE READ or
	// SERIALIZABLE it would fail with a serialization error instead.
	cfg.RuntimeParams["default_transaction_isolation"] = "read committed"
	// Every new connection is checked, not only the first, so a setting
	// changed later (ALTER ROLE ... SET) is caught too.
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		return checkDurable(ctx, c, opts.AllowAsyncCommit)
	}))
	maxConns := opts.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s, err := open(ctx, db, opts.RequireSchema)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s: %w", where, err)
	}
	return s, nil
}

func open(ctx context.Context, db *sql.DB, requireSchema bool) (*sqlstore.DB, error) {
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if requireSchema {
		// to_regclass resolves the name through the search_path, as the
		// migration's CREATE TABLE would, and is NULL when it finds none.
		var name sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_version')::text`).Scan(&name); err != nil {
			return nil, fmt.Errorf("look for the schema: %w", err)
		}
		if !name.Valid {
			return nil, fmt.Errorf("no Trent schema in this database: %w", store.ErrNotInitialised)
		}
	}
	return sqlstore.Open(ctx, db, Dialect())
}

// Dialect returns the PostgreSQL dialect for sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Serial:            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
		Name:              "postgres",
		Blob:              "BYTEA",
		Text:              `TEXT COLLATE "C"`,
		ForUpdate:         " FOR UPDATE",
		IsUniqueViolation: isUniqueViolation,
		Lock:              lock,
	}
}

// checkDurable reads a new connection's synchronous_commit and refuses
// settings under which a commit can be acknowledged and then lost by a
// crash of the server itself.
// What each accepted value still risks:
//
//   - on (the default): the commit is flushed to local disk and, when
//     synchronous_standby_names is set, to the synchronous standbys. Without
//     synchronous standbys, a failover to an asynchronous replica can lose
//     the commits it had not yet received; that is a property of the
//     replication set-up, not of this setting.
//   - remote_apply: as on, and the standbys have also applied the commit, so
//     reads from them see it.
//   - remote_write: flushed locally; the standbys have written it but not
//     fsync'd it, so it is lost only if the primary is lost and the standbys'
//     operating systems crash at the same time.
//   - local: flushed locally, never waits for standbys, so with synchronous
//     replication configured a failover can still lose acknowledged commits.
//
// off acknowledges before the local flush, so even a lone server can lose
// acknowledged commits in a crash: refused unless allowAsync. A value this
// code does not know is refused the same way rather than guessed at.
func checkDurable(ctx context.Context, c *pgx.Conn, allowAsync bool) error {
	var v string
	if err := c.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
		return fmt.Errorf("read synchronous_commit: %w", err)
	}
	switch strings.ToLower(v) {
	case "on", "remote_apply", "remote_write", "local":
		return nil
	}
	if allowAsync {
		return nil
	}
	return fmt.Errorf("%w: synchronous_commit is %q, so a crash of the server can lose writes Trent has already reported; "+
		"set it to on (ALTER DATABASE ... SET synchronous_commit = on), or allow asynchronous commit to accept the risk",
		ErrAsyncCommit, v)
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == uniqueViolation
}

// lock takes the migration advisory lock on a connection reserved for it and
// returns the function that releases the lock and the connection. The lock
// is released even when ctx has ended by then; if releasing fails, or taking
// the lock failed in a way that may have left it held, the connection is
// discarded, and the end of its session releases the lock.
func lock(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("reserve connection: %w", err)
	}
	discard := func() {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		discard()
		return nil, fmt.Errorf("pg_advisory_lock: %w", err)
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, migrationLockID); err != nil {
			discard()
			return
		}
		_ = conn.Close()
	}, nil
}
