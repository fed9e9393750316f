package startup_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/trentkms/trent/test/harness"
)

// TestMissingDatabaseRefused: a data directory whose first start
// completed (its marker, or for a data directory of the previous release
// its credentials file, says so) with trent.db missing or empty is
// refused, with the way out, and nothing is written; with a backup
// restored as trent.db the server starts and has its key.
func TestMissingDatabaseRefused(t *testing.T) {
	harness.SQLiteOnly(t)
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account})
	dir := s.DataDir
	id := createKey(t, s.KMS(t, region))
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := s.Run(t, "admin", "backup", "--data-dir", dir, "--out", backup); r.ExitCode != 0 {
		t.Fatalf("trent admin backup: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	s.Stop(t)
	db := filepath.Join(dir, "trent.db")
	saved := filepath.Join(t.TempDir(), "trent.db")
	if err := os.Rename(db, saved); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "installation")
	want := []string{"the database " + db, "refusing to start a new installation", "restore trent.db from a backup", "start on an empty data directory", "Nothing was written"}

	t.Run("missing", func(t *testing.T) {
		stderr := refused(t, harness.Options{DataDir: dir}, append(want, "is missing")...)
		if w := "belongs to installation " + markerID(t, dir) + " (" + marker + ")"; !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Errorf("the refused start made %s (stat: %v)", db, err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if err := os.WriteFile(db, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(db)
		refused(t, harness.Options{DataDir: dir}, append(want, "is empty")...)
	})
	t.Run("credentials but no marker", func(t *testing.T) {
		// A data directory of the previous release: no marker, but the
		// credentials file of its completed first start.
		away := filepath.Join(t.TempDir(), "installation")
		if err := os.Rename(marker, away); err == nil {
			defer os.Rename(away, marker)
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		refused(t, harness.Options{DataDir: dir}, append(want, "is missing", "completed its first start ("+filepath.Join(dir, "credentials")+" exists)")...)
	})

	// The way out: the backup, restored into the data directory, is its
	// installation's.
	copyFile(t, backup, db)
	s.Restart(t)
	describe(t, s.KMS(t, region), id)
}

// TestInterruptedFirstStartFinishes: a first start that wrote the root key
// file but did not commit the database (none, or an empty trent.db) is
// finished by the next start, with that root key file; an absent or empty
// data directory starts a new installation.
func TestInterruptedFirstStartFinishes(t *testing.T) {
	harness.SQLiteOnly(t)
	t.Parallel()
	other := harness.Start(t, harness.Options{})
	other.Stop(t)
	seal := readFile(t, filepath.Join(other.DataDir, "seal.key"))
	for _, tc := range []struct {
		name  string
		files map[string]string // name -> content
	}{
		{"empty directory", nil},
		{"root key file only", map[string]string{"seal.key": seal}},
		{"root key file and an empty database", map[string]string{"seal.key": seal, "trent.db": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := harness.Start(t, harness.Options{DataDir: dir, AccountID: account})
			createKey(t, s.KMS(t, region))
			if tc.files["seal.key"] != "" && readFile(t, filepath.Join(dir, "seal.key")) != seal {
				t.Errorf("the finished first start replaced the root key file")
			}
			id := markerID(t, dir)
			s.Restart(t)
			if got := markerID(t, dir); got != id {
				t.Errorf("the marker changed from %s to %s on restart", id, got)
			}
		})
	}
}

// TestOtherInstallationRefused: a data directory whose marker names one
// installation, with the database of another, is refused before the root
// key is even tried, and nothing is written.
func TestOtherInstallationRefused(t *testing.T) {
	harness.SQLiteOnly(t)
	t.Parallel()
	a := harness.Start(t, harness.Options{})
	b := harness.Start(t, harness.Options{})
	a.Stop(t)
	b.Stop(t)
	ida, idb := markerID(t, a.DataDir), markerID(t, b.DataDir)
	copyFile(t, filepath.Join(b.DataDir, "trent.db"), filepath.Join(a.DataDir, "trent.db"))
	refused(t, harness.Options{DataDir: a.DataDir},
		"the data directory "+a.DataDir+" belongs to installation "+ida,
		"holds installation "+idb, "refusing to start")
}

// TestPostgresWithoutTheInstallationRefused: a node whose data directory
// belongs to an installation is refused on a PostgreSQL database that
// holds none (and no table is made in it) or holds another installation;
// a node with an empty data directory joins the database's installation.
func TestPostgresWithoutTheInstallationRefused(t *testing.T) {
	t.Parallel()
	dsnA := harness.NewPostgresStore(t)
	dsnB := harness.NewPostgresStore(t)
	empty := harness.NewPostgresStore(t)
	a := harness.Start(t, harness.Options{ExtraArgs: []string{"--store", dsnA}})
	id := createKey(t, a.KMS(t, region))
	a.Stop(t)
	b := harness.Start(t, harness.Options{ExtraArgs: []string{"--store", dsnB}})
	b.Stop(t)

	stderr := refused(t, harness.Options{DataDir: a.DataDir, ExtraArgs: []string{"--store", empty}},
		"holds no Trent installation", "refusing to start a new installation", "start on an empty data directory")
	if n := tables(t, empty); n != 0 {
		t.Errorf("the refused start made %d tables in the empty database", n)
	}
	ida, idb := markerID(t, a.DataDir), markerID(t, b.DataDir)
	for _, w := range []string{"belongs to installation " + ida, "point --store at the database of installation " + ida} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	refused(t, harness.Options{DataDir: a.DataDir, ExtraArgs: []string{"--store", dsnB}},
		"belongs to installation "+ida, "holds installation "+idb)

	// A second node: an empty data directory with a copy of the root key.
	dir := filepath.Join(t.TempDir(), "node2")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	n2 := harness.Start(t, harness.Options{DataDir: dir, ExtraArgs: []string{"--store", dsnA, "--seal-file", filepath.Join(a.DataDir, "seal.key")}})
	if got := markerID(t, dir); got != ida {
		t.Errorf("the joining node's marker names %s, want the installation %s", got, ida)
	}
	describe(t, n2.KMSFor(t, a.CredentialsFile(), region), id)
}

// tables counts the tables in the schema of a harness DSN.
func tables(t *testing.T, dsn string) int {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", os.Getenv("TRENT_TEST_POSTGRES_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1`, strings.ToLower(schema)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
