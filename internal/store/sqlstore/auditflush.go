package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// deferredAudit is the audit log's flush interval (SetAuditFlushInterval):
// appends commit on conn without flushing, and a goroutine flushes them.
type deferredAudit struct {
	mu     sync.Mutex // held for each append on conn, and to set up and close
	conn   *sql.Conn  // nil: appends commit like every other transaction
	syncer Syncer

	dirty atomic.Bool // an append has committed since the last flush began
	// broken is why a flush failed. After a failed fsync the kernel may
	// have dropped the pages it could not write, so a later flush that
	// succeeds proves nothing about them: every append fails from then
	// on, and a restart (SQLite's recovery reads what is on disk) is the
	// way back.
	broken  atomic.Pointer[error]
	stop    chan struct{}
	stopped chan struct{}
}

// SetAuditFlushInterval trades some durability of the audit log for
// throughput, where the engine allows it (SQLite; store.ErrUnsupported
// elsewhere). From then on, AppendAudit returns once its transaction is
// written to the operating system, which keeps it through a crash of the
// process (kill -9), and the events are flushed to disk within d: a
// crash of the machine can lose the events appended in the last d. Every
// other transaction, the audit events of changes among them, is still
// flushed before it commits. It is meant to be called once, before
// appends start; d <= 0 keeps the default, a flush per append.
//
// If a flush fails, every later append fails (the server fails closed)
// until the store is opened again.
func (s *DB) SetAuditFlushInterval(ctx context.Context, d time.Duration, logger *slog.Logger) error {
	if d <= 0 {
		return nil
	}
	if s.d.DeferSync == nil {
		return fmt.Errorf("audit flush interval on %s: %w", s.d.Name, store.ErrUnsupported)
	}
	a := &s.deferred
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn != nil {
		return errors.New("audit flush interval already set")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open audit connection: %w", err)
	}
	sy, err := s.d.DeferSync(ctx, conn)
	if err != nil {
		discard(conn)
		return fmt.Errorf("open audit connection: %w", err)
	}
	a.conn, a.syncer = conn, sy
	a.stop, a.stopped = make(chan struct{}), make(chan struct{})
	go a.flushLoop(d, logger)
	return nil
}

// discard closes conn without returning it to the pool, which must not
// get back a connection whose commits are not flushed.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// flushLoop flushes every d while appends have committed since the last
// flush.
func (a *deferredAudit) flushLoop(d time.Duration, logger *slog.Logger) {
	defer close(a.stopped)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		if err := a.flush(); err != nil {
			logger.Error("audit log flush failed: every request fails until the server restarts", "err", err)
			return
		}
	}
}

// flush syncs what appends have committed, if anything; an error breaks
// the log for good.
func (a *deferredAudit) flush() error {
	if a.broken.Load() != nil || !a.dirty.Swap(false) {
		return nil
	}
	if err := a.syncer.Sync(); err != nil {
		err = fmt.Errorf("audit log flush failed, restart to recover: %w", err)
		a.broken.Store(&err)
		return err
	}
	return nil
}

// appendDeferred commits evs on the audit connection without flushing
// them, and reports false if there is none (no flush interval).
func (s *DB) appendDeferred(ctx context.Context, evs []*audit.Event) (audit.Head, bool, error) {
	a := &s.deferred
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn == nil {
		return audit.Head{}, false, nil
	}
	if p := a.broken.Load(); p != nil {
		return audit.Head{}, true, *p
	}
	var head audit.Head
	err := runTx(ctx, a.conn, func(tx *sql.Tx) error {
		var err error
		head, err = s.appendAudit(ctx, tx, evs)
		return err
	})
	if err != nil {
		return audit.Head{}, true, err
	}
	a.dirty.Store(true)
	return head, true, nil
}

// close stops the flushes, flushes what is left and releases the
// connection.
func (a *deferredAudit) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn == nil {
		return nil
	}
	close(a.stop)
	<-a.stopped
	err := a.flush()
	if p := a.broken.Load(); p != nil {
		err = *p
	}
	discard(a.conn)
	a.conn = nil
	if cerr := a.syncer.Close(); err == nil {
		err = cerr
	}
	return err
}
