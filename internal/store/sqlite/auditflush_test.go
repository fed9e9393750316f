package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// countingSyncer is the real WAL syncer, counted, whose flushes fail once
// fail is set: a disk that stops taking writes cannot be made on demand.
type countingSyncer struct {
	sqlstore.Syncer
	flushes atomic.Int64
	fail    atomic.Bool
}

func (c *countingSyncer) Sync() error {
	if c.fail.Load() {
		return errors.New("input/output error")
	}
	c.flushes.Add(1)
	return c.Syncer.Sync()
}

func openCounted(t *testing.T, interval time.Duration) (*sqlstore.DB, *countingSyncer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trent.db")
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(maxConns)
	cs := &countingSyncer{}
	d := Dialect()
	d.DeferSync = func(ctx context.Context, conn *sql.Conn) (sqlstore.Syncer, error) {
		sy, err := deferSync(ctx, conn, path+"-wal")
		cs.Syncer = sy
		return cs, err
	}
	s, err := sqlstore.Open(t.Context(), db, d)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if err := s.SetAuditFlushInterval(t.Context(), interval, slog.Default()); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, cs
}

func flushEvent() []*audit.Event {
	ev := &audit.Event{EventVersion: "1.08", EventName: "Encrypt", EventSource: audit.SourceKMS, EventTime: time.Now(), EventID: "e",
		RecipientAccountID: "111122223333", EventType: audit.TypeAPICall, EventCategory: "Management"}
	return []*audit.Event{ev}
}

// TestFlushIntervalFlushes: appends are flushed within the interval, and
// nothing is flushed while nothing is appended.
func TestFlushIntervalFlushes(t *testing.T) {
	s, cs := openCounted(t, 5*time.Millisecond)
	defer s.Close()
	time.Sleep(30 * time.Millisecond)
	if n := cs.flushes.Load(); n != 0 {
		t.Errorf("%d flushes before any append", n)
	}
	if _, err := s.AppendAudit(t.Context(), flushEvent()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for cs.flushes.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no flush 5 s after an append")
		}
		time.Sleep(time.Millisecond)
	}
	n := cs.flushes.Load()
	time.Sleep(30 * time.Millisecond)
	if m := cs.flushes.Load(); m != n {
		t.Errorf("%d more flushes with no append since", m-n)
	}
	// Close flushes what is left, whatever the interval.
	s2, cs2 := openCounted(t, time.Hour)
	if _, err := s2.AppendAudit(t.Context(), flushEvent()); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if n := cs2.flushes.Load(); n != 1 {
		t.Errorf("Close flushed %d times, want 1", n)
	}
}

// TestFlushIntervalFailsClosed: once a flush fails, every append fails,
// even if the disk would take writes again.
func TestFlushIntervalFailsClosed(t *testing.T) {
	s, cs := openCounted(t, 2*time.Millisecond)
	defer s.Close()
	cs.fail.Store(true)
	if _, err := s.AppendAudit(t.Context(), flushEvent()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.AppendAudit(t.Context(), flushEvent())
		if err != nil {
			if !strings.Contains(err.Error(), "flush failed") {
				t.Errorf("append after a failed flush: %v, want a flush failure", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("appends still succeed 5 s after a flush failed")
		}
		time.Sleep(time.Millisecond)
	}
	cs.fail.Store(false)
	time.Sleep(10 * time.Millisecond)
	if _, err := s.AppendAudit(t.Context(), flushEvent()); err == nil {
		t.Error("an append succeeded after a failed flush")
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "flush failed") {
		t.Errorf("Close = %v, want the flush failure", err)
	}
}
