package harness

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// UsePostgres reports whether servers run on PostgreSQL: set
// TRENT_TEST_STORE=postgres (with TRENT_TEST_POSTGRES_DSN) to run a suite
// unchanged on PostgreSQL instead of SQLite. Each server then gets a schema
// of its own, dropped when the test ends.
func UsePostgres() bool { return os.Getenv("TRENT_TEST_STORE") == "postgres" }

// SQLiteOnly skips a test that checks SQLite's files (backup, the
// database file itself) when the suite runs on PostgreSQL.
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if UsePostgres() {
		t.Skip("checks the SQLite database file; this run uses PostgreSQL")
	}
}

// schemas remembers the store of each data directory, so that a server
// started again on a data directory (a restart, another seal file) finds
// the database it used before, as it would find trent.db there.
var schemas sync.Map // data directory -> DSN

// NewPostgresStore returns the DSN of a fresh PostgreSQL schema for
// servers that share one database (pass it as --store to each). Without
// TRENT_TEST_POSTGRES_DSN the test is skipped, or fails when
// TRENT_REQUIRE_ALL=1.
func NewPostgresStore(t testing.TB) string {
	t.Helper()
	if os.Getenv("TRENT_TEST_POSTGRES_DSN") == "" {
		if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
			t.Fatal("TRENT_TEST_POSTGRES_DSN is not set and TRENT_REQUIRE_ALL=1")
		}
		t.Skip("TRENT_TEST_POSTGRES_DSN is not set")
	}
	return postgresStore(t, t.TempDir())
}

// postgresStore returns the DSN of the data directory's database: a fresh
// schema the first time, named in the DSN's search_path.
func postgresStore(t testing.TB, dataDir string) string {
	t.Helper()
	if dsn, ok := schemas.Load(dataDir); ok {
		return dsn.(string)
	}
	base := os.Getenv("TRENT_TEST_POSTGRES_DSN")
	if base == "" {
		t.Fatal("TRENT_TEST_STORE=postgres needs TRENT_TEST_POSTGRES_DSN")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", "TRENT_TEST_POSTGRES_DSN", err)
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "trent_e2e_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TRENT_TEST_POSTGRES_DSN must be a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	schemas.Store(dataDir, u.String())
	return u.String()
}
