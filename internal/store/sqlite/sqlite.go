// Package sqlite opens Trent's embedded default store: a SQLite database in
// WAL mode with synchronous=FULL (every commit is fsync'd before it is
// acknowledged), through the pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/trentkms/trent/internal/store/sqlstore"
)

// Pragmas are set on every pooled connection, through the DSN, so that no
// connection ever runs with weaker durability. (The driver runs
// busy_timeout first whatever the order here.)
var Pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
	"secure_delete(1)",
	// Checkpoints run in the background (checkpointLoop), not inside the
	// commit that crosses the threshold.
	"wal_autocheckpoint(0)",
}

// maxConns bounds the pool. SQLite has one writer at a time; the others are
// readers, which WAL lets run alongside it.
const maxConns = 8

// DSN returns the connection string for the database file at path.
func DSN(path string) string {
	v := url.Values{}
	for _, p := range Pragmas {
		v.Add("_pragma", p)
	}
	// Write transactions take the write lock at BEGIN, so two writers never
	// deadlock upgrading read locks. This also makes the migration
	// transaction the migration lock.
	v.Set("_txlock", "immediate")
	// The name is a SQLite URI: '%', '?' and '#' in the path are escaped.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + esc.Replace(filepath.Clean(path)) + "?" + v.Encode()
}

// Open opens (creating if needed, with mode 0600) and migrates the database
// at path. The returned store is safe for concurrent use; several processes
// may open the same file, though one is the intended deployment.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	if path == "" || strings.ContainsRune(path, 0) {
		return nil, fmt.Errorf("open sqlite: invalid path %q", path)
	}
	// SQLite creates the -wal and -shm files with the database file's mode,
	// so creating it here keeps all three private to the owner.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// Several processes creating one new database at once can meet
	// SQLITE_BUSY while one of them switches it to WAL mode, without the
	// busy handler being consulted; the migration is retried then.
	d := Dialect()
	d.DeferSync = func(ctx context.Context, conn *sql.Conn) (sqlstore.Syncer, error) {
		return deferSync(ctx, conn, path+"-wal")
	}
	for attempt := 1; ; attempt++ {
		s, err := sqlstore.Open(ctx, db, d)
		if err == nil {
			return s, nil
		}
		if !isBusy(err) || attempt == 50 || ctx.Err() != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Dialect returns the SQLite dialect for sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Serial:            "INTEGER PRIMARY KEY AUTOINCREMENT",
		Name:              "sqlite",
		Blob:              "BLOB",
		Text:              "TEXT",
		ForUpdate:         "", // write transactions BEGIN IMMEDIATE
		IsUniqueViolation: isUniqueViolation,
		Scrub:             checkpointTruncate,
		Backup:            backup,
		Maintain:          checkpointLoop,
	}
}

// checkpointEvery is how often the background checkpoint runs.
const checkpointEvery = 200 * time.Millisecond

// checkpointLoop copies committed WAL frames into the database file every
// checkpointEvery with a PASSIVE checkpoint, which neither waits for nor
// blocks readers and writers; once every frame is copied, the next writer
// starts the WAL from its beginning again, so it stays small. Doing this
// here rather than in SQLite's automatic checkpoint keeps the copy and its
// fsync out of the latency of the commit that would have triggered it, the
// audit log's group commit above all.
func checkpointLoop(ctx context.Context, db *sql.DB) {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, logFrames, done int64
		// Errors (a closed database at shutdown, SQLITE_BUSY) leave the
		// frames for the next round.
		_ = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done)
	}
}

// deferSync sets conn, the audit log's connection under a flush interval,
// to synchronous=NORMAL: its commits write the WAL without flushing it,
// and walSyncer.Sync flushes them later. Every other connection stays
// synchronous=FULL. A power failure then loses a tail of audit appends
// and nothing else, and leaves the chain whole: recovery replays the WAL
// up to its first frame that did not reach the disk and ignores what
// follows it (SQLite: "a transaction committed in WAL mode with
// synchronous=NORMAL might roll back following a power loss", without
// corruption), and every FULL commit, like every checkpoint, flushes the
// whole WAL, the unflushed audit appends before it included.
func deferSync(ctx context.Context, conn *sql.Conn, wal string) (sqlstore.Syncer, error) {
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=NORMAL`); err != nil {
		return nil, fmt.Errorf("set synchronous=NORMAL: %w", err)
	}
	return &walSyncer{path: wal}, nil
}

// walSyncer flushes the WAL through a descriptor of its own (the kernel
// writes back a file's dirty pages whichever descriptor wrote them). It
// opens the file at its first flush, after a commit has created it, and
// keeps it: SQLite deletes and recreates the WAL only when no connection
// is open, and the audit connection stays open until the syncer closes.
type walSyncer struct {
	path string
	f    *os.File
}

func (w *walSyncer) Sync() error {
	if w.f == nil {
		f, err := os.Open(w.path)
		if err != nil {
			return fmt.Errorf("flush WAL: %w", err)
		}
		w.f = f
	}
	if err := fdatasync(w.f); err != nil {
		return fmt.Errorf("flush WAL %s: %w", w.path, err)
	}
	return nil
}

func (w *walSyncer) Close() error {
	if w.f == nil {
		return nil
	}
	return w.f.Close()
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// backup writes a consistent snapshot with VACUUM INTO, which reads inside
// one transaction while the server keeps serving. path must not exist; the
// file is created with mode 0600 and fsync'd, with its directory, before
// backup returns. On error no file is left behind.
func backup(ctx context.Context, db *sql.DB, path string) (err error) {
	if path == "" || strings.ContainsRune(path, 0) {
		return fmt.Errorf("backup: invalid path %q", path)
	}
	// VACUUM INTO accepts an existing empty file; creating it first
	// refuses to overwrite and sets the mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("backup to %s: %w", path, cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup to %s: sync: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// checkpointTruncate is the dialect's Scrub: it copies the WAL into the
// database file (where secure_delete has zeroed deleted content) and
// truncates the WAL to zero bytes. A reader holding an old snapshot (on
// another connection or process) keeps it from finishing; it tries a few
// times before it gives up.
func checkpointTruncate(ctx context.Context, db *sql.DB) error {
	for attempt := 1; ; attempt++ {
		var busy, logFrames, done int64
		if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if attempt == 5 {
			return fmt.Errorf("checkpoint: %w", errBusy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// errBusy is returned when the WAL stays in use.
var errBusy = errors.New("log still in use by a reader")

// IsDiskFull reports whether err is SQLite's SQLITE_FULL: a write found no
// room ("database or disk is full").
func IsDiskFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
}

// IsIOError reports whether err is one of SQLite's SQLITE_IOERR codes
// ("disk I/O error"). A write that finds no room reports one of them when
// it is not a page of the database itself (the shared-memory index of the
// WAL, for one); the driver keeps no operating-system error number, so
// only the file system's free space can tell.
func IsIOError(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_IOERR
}
