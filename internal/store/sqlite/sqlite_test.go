package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/internal/store/sqlstore"
	"github.com/trentkms/trent/internal/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "trent.db")
		return func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, path) }
	})
}

// TestPragmas checks every connection of a full pool, held at once so that
// each is a distinct connection, for the durability settings.
func TestPragmas(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	db := s.SQL()
	n := db.Stats().MaxOpenConnections
	if n < 2 {
		t.Fatalf("pool size %d, want a bounded pool of at least 2", n)
	}
	conns := make([]*sql.Conn, n)
	for i := range conns {
		if conns[i], err = db.Conn(t.Context()); err != nil {
			t.Fatalf("Conn %d: %v", i, err)
		}
		defer conns[i].Close()
	}
	for i, c := range conns {
		for _, p := range []struct {
			pragma string
			want   string
		}{
			{"synchronous", "2"}, // FULL
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"secure_delete", "1"},
		} {
			var got string
			if err := c.QueryRowContext(t.Context(), "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, p.pragma, err)
			}
			if got != p.want {
				t.Errorf("conn %d: PRAGMA %s = %s, want %s", i, p.pragma, got, p.want)
			}
		}
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trent.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	storetest.Populate(t, s)
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(name), got, fs.FileMode(0o600))
		}
	}
}

// TestAwkwardPath checks that characters with a meaning in SQLite URIs are
// taken literally.
func TestAwkwardPath(t *testing.T) {
	root := t.TempDir()
	const awkward = "a dir %41?x=1#frag"
	path := filepath.Join(root, awkward, "trent.db")
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	storetest.Populate(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("database not at the given path: %v, %v", fi, err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != awkward {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the database directory: %q, want only %q", names, awkward)
	}
	s, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	storetest.Check(t, s)
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(t.Context(), filepath.Join(dir, "trent.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	storetest.Populate(t, s)

	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(t.Context(), backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatalf("stat backup: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("backup mode = %v, want %v", got, fs.FileMode(0o600))
	}

	// A write after the backup is not in it.
	if err := s.DeleteAlias(t.Context(), "111122223333", "us-east-1", "alias/two"); err != nil {
		t.Fatalf("DeleteAlias: %v", err)
	}
	b, err := sqlite.Open(t.Context(), backup)
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	storetest.Check(t, b)

	// An existing file is never overwritten.
	if err := s.Backup(t.Context(), backup); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Backup over an existing file: got error %v, want %v", err, fs.ErrExist)
	}
	storetest.Check(t, b)
}

func TestBackupFailureLeavesNoFile(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, path); err == nil {
		t.Fatalf("Backup with a cancelled context: got nil error, want one")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat after a failed Backup: got error %v, want %v", err, fs.ErrNotExist)
	}
}

func TestAuditConformance(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditStore {
		return openTemp(t).(storetest.AuditStore)
	})
}

// TestAuditConformanceFlushInterval runs the audit suite with appends on
// the connection that commits without flushing (--audit-flush-interval).
func TestAuditConformanceFlushInterval(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditStore {
		s := openTemp(t).(*sqlstore.DB)
		if err := s.SetAuditFlushInterval(t.Context(), 5*time.Millisecond, slog.Default()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestFlushIntervalLeavesPoolFull: the connection taken for unflushed
// audit appends is the only one that does not flush its commits, and it
// never goes back to the pool.
func TestFlushIntervalLeavesPoolFull(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.SetAuditFlushInterval(t.Context(), time.Millisecond, slog.Default()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAuditFlushInterval(t.Context(), time.Millisecond, slog.Default()); err == nil {
		t.Error("a second SetAuditFlushInterval succeeded")
	}
	ev := &audit.Event{EventVersion: "1.08", EventName: "Encrypt", EventSource: audit.SourceKMS, EventTime: time.Now(), EventID: "e",
		RecipientAccountID: "111122223333", EventType: audit.TypeAPICall, EventCategory: "Management"}
	if _, err := s.AppendAudit(t.Context(), []*audit.Event{ev, ev}); err != nil {
		t.Fatal(err)
	}
	db := s.SQL()
	n := db.Stats().MaxOpenConnections - 1 // one is the audit connection's
	conns := make([]*sql.Conn, n)
	for i := range conns {
		if conns[i], err = db.Conn(t.Context()); err != nil {
			t.Fatalf("Conn %d: %v", i, err)
		}
		defer conns[i].Close()
		var got string
		if err := conns[i].QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "2" {
			t.Errorf("pooled connection %d: synchronous = %s, want 2 (FULL)", i, got)
		}
	}
	if open := db.Stats().OpenConnections; open != n+1 {
		t.Errorf("%d connections open, want the %d pooled ones and the audit connection", open, n)
	}
}

// TestBackgroundCheckpoint checks that committed pages reach the database
// file without any commit running a checkpoint (wal_autocheckpoint is 0):
// the store's background loop copies them, and the WAL starts over.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trent.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.SQL().QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	before := fileSize(t, path)
	for i := range 50 {
		k := store.Key{Account: "111122223333", Region: "us-east-1", ID: fmt.Sprintf("key-%03d", i), Description: strings.Repeat("d", 2000),
			KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled", Policy: "{}", CreatedAt: time.Now()}
		if err := s.CreateKey(t.Context(), k, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < before+50*2000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes 10 s after the writes (was %d): no checkpoint ran", fileSize(t, path), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestAuditBatchTampering edits batch rows in the file: every edit fails
// verification, and queries still end.
func TestAuditBatchTampering(t *testing.T) {
	evs := func(from, n int) []*audit.Event {
		var out []*audit.Event
		for i := range n {
			ev := &audit.Event{EventVersion: audit.EventVersion, EventTime: time.Unix(1700000000+int64(from+i), 0), EventSource: audit.SourceKMS,
				EventName: "Encrypt", AWSRegion: "us-east-1", EventID: fmt.Sprint("ev-", from+i), EventType: audit.TypeAPICall,
				UserIdentity: audit.Identity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"}, RecipientAccountID: "111122223333"}
			out = append(out, ev)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB)
		// verification fails at an event of the batch: at its first
		// when the row no longer decodes, at its last when it does
		// but says something else
		wantSeq []int64
	}{
		{"a byte of a batch flipped", func(t *testing.T, db *sql.DB) {
			var b []byte
			if err := db.QueryRow(`SELECT event FROM audit_events WHERE seq = 11`).Scan(&b); err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x10
			if _, err := db.Exec(`UPDATE audit_events SET event = ? WHERE seq = 11`, b); err != nil {
				t.Fatal(err)
			}
		}, []int64{2, 11}},
		{"an event re-encoded inside a batch", func(t *testing.T, db *sql.DB) {
			var prev []byte
			if err := db.QueryRow(`SELECT hash FROM audit_events WHERE seq = 1`).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			forged := evs(1, 10)
			forged[4].EventName = "Decrypt"
			b, _, _ := audit.EncodeBatch(forged, audit.Head{Seq: 1, Hash: prev})
			if _, err := db.Exec(`UPDATE audit_events SET event = ? WHERE seq = 11`, b); err != nil {
				t.Fatal(err)
			}
		}, []int64{11}},
		{"a batch's count changed", func(t *testing.T, db *sql.DB) {
			if _, err := db.Exec(`UPDATE audit_events SET n = -3 WHERE seq = 11`); err != nil {
				t.Fatal(err)
			}
		}, []int64{2, 11}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "trent.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			// seq 1 alone, 2..11 one batch row, 12..16 another.
			for _, b := range [][]*audit.Event{evs(0, 1), evs(1, 10), evs(11, 5)} {
				if _, err := s.AppendAudit(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			var rows int
			if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events`).Scan(&rows); err != nil || rows != 3 {
				t.Fatalf("%d rows for 16 events in 3 appends, want 3", rows)
			}
			// The hash chain alone: no digests are written here.
			if _, err := audit.Verify(ctx, s, audit.VerifyOptions{AllowUnchained: true}); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			tc.tamper(t, s.SQL())
			_, err = audit.Verify(ctx, s, audit.VerifyOptions{AllowUnchained: true})
			var ve *audit.VerifyError
			if !errors.As(err, &ve) || !slices.Contains(tc.wantSeq, ve.Seq) {
				t.Fatalf("Verify after tampering: %v, want a failure at one of events %v", err, tc.wantSeq)
			}
			for _, q := range []audit.Query{{Limit: 1}, {Limit: 2, EventName: "Decrypt"}, {Limit: 1, Ascending: true}, {Limit: 3, Ascending: true, EventName: "Decrypt"}} {
				if _, err := s.QueryAudit(ctx, q); err != nil {
					t.Fatalf("QueryAudit(%+v): %v", q, err)
				}
			}
		})
	}
}
