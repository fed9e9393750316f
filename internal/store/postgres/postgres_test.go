package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/postgres"
	"github.com/trentkms/trent/internal/store/storetest"
)

// envDSN names the server the tests use; each test works in a schema of
// its own, created and dropped by the test, so the role needs CREATE on
// the database.
const envDSN = "TRENT_TEST_POSTGRES_DSN"

// baseDSN returns the test server's DSN, or skips the test when there is
// none, unless TRENT_REQUIRE_ALL=1 asks for every backend to be tested.
func baseDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not set, and TRENT_REQUIRE_ALL=1", envDSN)
		}
		t.Skipf("%s is not set", envDSN)
	}
	return dsn
}

// withParam returns dsn with a run-time parameter set, in either DSN form.
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", envDSN, err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads + literally
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// admin opens a plain connection pool on dsn, closed at clean-up.
func admin(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", envDSN, err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

// newSchema creates a uniquely named schema, dropped at clean-up, and
// returns a DSN whose connections use it.
func newSchema(t *testing.T) string {
	t.Helper()
	dsn := baseDSN(t)
	db := admin(t, dsn)
	name := "trent_test_" + strings.ToLower(rand.Text()) // [a-z2-7]
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when clean-up runs.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return withParam(t, dsn, "search_path", name)
}

func open(t *testing.T, dsn string, opts postgres.Options) store.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	baseDSN(t) // skip or fail once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, newSchema(t), postgres.Options{})
	})
}

func TestReopen(t *testing.T) {
	baseDSN(t)
	storetest.RunReopen(t, func(t *testing.T) storetest.Opener {
		dsn := newSchema(t)
		return func(ctx context.Context) (store.Store, error) {
			return postgres.Open(ctx, dsn, postgres.Options{})
		}
	})
}

func TestSynchronousCommit(t *testing.T) {
	dsn := newSchema(t)
	tests := []struct {
		value string
		allow bool
		want  error
	}{
		{"on", false, nil},
		{"remote_apply", false, nil},
		{"remote_write", false, nil},
		{"local", false, nil},
		{"off", false, postgres.ErrAsyncCommit},
		{"off", true, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/allow=%v", tt.value, tt.allow), func(t *testing.T) {
			s, err := postgres.Open(t.Context(), withParam(t, dsn, "synchronous_commit", tt.value),
				postgres.Options{AllowAsyncCommit: tt.allow})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Open with synchronous_commit=%s: got error %v, want %v", tt.value, err, tt.want)
			}
		})
	}
}

// TestReadCommitted checks that Open overrides a stronger default
// isolation, under which racing compare-and-swap updates would fail with
// serialization errors instead of ErrConflict.
func TestReadCommitted(t *testing.T) {
	dsn := withParam(t, newSchema(t), "default_transaction_isolation", "serializable")
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	var got string
	if err := s.SQL().QueryRowContext(t.Context(), `SHOW transaction_isolation`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "read committed" {
		t.Errorf("transaction_isolation = %q, want %q", got, "read committed")
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, n := range []int{1, -1} {
		// No server needed: the options are refused first.
		if s, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/none", postgres.Options{MaxConns: n}); err == nil {
			s.Close()
			t.Errorf("Open with MaxConns %d: got nil error, want one", n)
		}
	}
}

func TestErrorHidesPassword(t *testing.T) {
	const secret = "s3cr3t-pa55word"
	_, err := postgres.Open(t.Context(), "postgres://trent:"+secret+"@127.0.0.1:1/none?connect_timeout=1", postgres.Options{})
	if err == nil {
		t.Fatal("Open of an unreachable server: got nil error, want one")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error quotes the password: %v", err)
	}
}

func TestBackupUnsupported(t *testing.T) {
	s := open(t, newSchema(t), postgres.Options{})
	if err := s.Backup(t.Context(), t.TempDir()+"/backup"); !errors.Is(err, store.ErrUnsupported) {
		t.Errorf("Backup: got error %v, want %v", err, store.ErrUnsupported)
	}
}

// TestMigrationLock checks that Open waits for the migration lock and
// releases it before returning.
func TestMigrationLock(t *testing.T) {
	dsn := newSchema(t)
	db := admin(t, dsn)
	holder, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_lock($1)`, postgres.MigrationLockID); err != nil {
		t.Fatalf("take the lock: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if s, err := postgres.Open(ctx, dsn, postgres.Options{}); err == nil {
		s.Close()
		t.Fatalf("Open while another session holds the migration lock: got nil error, want a timeout")
	}
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockID); err != nil {
		t.Fatalf("release the lock: %v", err)
	}

	s := open(t, dsn, postgres.Options{})
	var free bool
	if err := holder.QueryRowContext(t.Context(), `SELECT pg_try_advisory_lock($1)`, postgres.MigrationLockID).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if !free {
		t.Fatalf("migration lock still held after Open returned")
	}
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Domain(t.Context()); !errors.Is(err, store.ErrNotInitialised) {
		t.Errorf("Domain: got error %v, want %v", err, store.ErrNotInitialised)
	}
}

func TestAuditConformance(t *testing.T) {
	baseDSN(t)
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditStore {
		return open(t, newSchema(t), postgres.Options{}).(storetest.AuditStore)
	})
}

// TestRequireSchema: with RequireSchema, Open on a database without
// Trent's schema fails with store.ErrNotInitialised and creates no table;
// once the schema exists it opens.
func TestRequireSchema(t *testing.T) {
	dsn := newSchema(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	tables := func() int {
		var n int
		err := admin(t, baseDSN(t)).QueryRowContext(t.Context(),
			`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{RequireSchema: true})
	if !errors.Is(err, store.ErrNotInitialised) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with RequireSchema on an empty schema: %v, want %v", err, store.ErrNotInitialised)
	}
	if n := tables(); n != 0 {
		t.Fatalf("the refused Open made %d tables", n)
	}
	open(t, dsn, postgres.Options{}).Close()
	if n := tables(); n == 0 {
		t.Fatalf("a plain Open made no tables")
	}
	open(t, dsn, postgres.Options{RequireSchema: true})
}
