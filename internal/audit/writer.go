package audit

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Appender is what the Writer needs of the store: appends, and what its
// digests read and write.
type Appender interface {
	AppendAudit(ctx context.Context, evs []*Event) (Head, error)
	AuditHead(ctx context.Context) (Head, error)
	AuditRecords(ctx context.Context, after int64, limit int) ([]Record, error)
	AuditCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error)
	AddAuditDigests(ctx context.Context, ds []Digest) error
	AuditDigestTip(ctx context.Context) (d Digest, ok bool, err error)
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	Store  Appender
	Logger *slog.Logger
	// DigestKey signs digests (keyring.AuditKey); nil writes none.
	DigestKey []byte
	// DigestEvery and DigestInterval are the digest schedule: no digest
	// covers more than DigestEvery events (nor more than the one before
	// it allows), a digest is written once that many events follow the
	// last one, and every DigestInterval while there are new events. Zero
	// means DefaultDigestEvery and one minute.
	DigestEvery    int64
	DigestInterval time.Duration
	// MaxBatch bounds the events of one transaction; zero means 2,048.
	// With a DigestKey a batch also holds at most half the events the
	// next digest may cover (see waitDigests).
	MaxBatch int
	// Yields bounds how many times the writer lets other goroutines run
	// to gather a larger batch before it commits; zero means 4.
	Yields int
	// Now is the clock for digests' times; nil means time.Now.
	Now func() time.Time
	// OnCommit, when non-nil, is called after each append transaction
	// with the number of events it held, the time it took and its error
	// (nil on success). It runs in the writer's one committing goroutine,
	// so it must be quick and must not call Append (metrics observe here).
	OnCommit func(events int, took time.Duration, err error)
}

// Writer is the group-commit appender. Append blocks until its event is
// committed; events that arrive while a commit is in flight go into the
// next transaction together, so a burst costs one fsync. It is safe for
// concurrent use; Close stops it.
type Writer struct {
	cfg  WriterConfig
	reqs chan *request
	quit chan struct{}
	done chan struct{}
	once sync.Once

	failure atomic.Pointer[string] // why the last commit failed; nil after a success

	batches, events atomic.Int64
	maxBatch        atomic.Int64
	commitNanos     atomic.Int64

	dg *digester // nil without DigestKey

	lastHead int64 // the head after the last commit; owned by the loop goroutine
}

type request struct {
	ev   *Event
	done chan error
}

var requests = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

// NewWriter starts a Writer. With a DigestKey it first writes the
// digests of the events that no digest covers yet (the tail a crash left,
// or an earlier release's), or, on a log without chained digests, the
// empty digest that starts their chain; it fails if it cannot.
func NewWriter(ctx context.Context, cfg WriterConfig) (*Writer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DigestEvery <= 0 {
		cfg.DigestEvery = DefaultDigestEvery
	}
	if cfg.DigestInterval <= 0 {
		cfg.DigestInterval = time.Minute
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 2048
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Yields <= 0 {
		cfg.Yields = 4
	}
	w := &Writer{cfg: cfg, reqs: make(chan *request, 8192), quit: make(chan struct{}), done: make(chan struct{})}
	if cfg.DigestKey != nil {
		w.dg = newDigester(ctx, &cfg)
		if _, err := w.dg.write(ctx, true); err != nil {
			return nil, fmt.Errorf("write the audit digests of the log's tail: %w", err)
		}
		go w.dg.loop()
	}
	go w.loop()
	return w, nil
}

// Append appends ev and returns once it is durably committed, or an error
// wrapping ErrUnavailable (ErrClosed after Close). ctx bounds the wait
// only: an event whose wait is cancelled may still be written.
func (w *Writer) Append(ctx context.Context, ev *Event) error {
	ev.Seal()
	r := requests.Get().(*request)
	r.ev = ev
	select {
	case w.reqs <- r:
	case <-w.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	select {
	case err := <-r.done:
		r.ev = nil
		requests.Put(r)
		return err
	case <-w.done:
		select {
		case err := <-r.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		// r is still the loop's; it is not returned to the pool.
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// Err returns why the audit log is not writable (the last commit failed),
// or nil. /readyz reports it.
func (w *Writer) Err() error {
	if p := w.failure.Load(); p != nil {
		return fmt.Errorf("%w: %s", ErrUnavailable, *p)
	}
	return nil
}

// Stats are the Writer's counters since it started.
type Stats struct {
	Batches, Events, MaxBatch int64
	// CommitTime is the time spent in the store's append transactions.
	CommitTime time.Duration
}

// Stats returns the counters: transactions, events and the largest batch.
func (w *Writer) Stats() Stats {
	return Stats{Batches: w.batches.Load(), Events: w.events.Load(), MaxBatch: w.maxBatch.Load(), CommitTime: time.Duration(w.commitNanos.Load())}
}

// Close stops the writer after the events already queued are committed,
// and then writes the digests of the events no digest covers.
func (w *Writer) Close() {
	w.once.Do(func() {
		close(w.quit)
		<-w.done
		if w.dg != nil {
			w.dg.stop()
		}
	})
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]*request, 0, w.cfg.MaxBatch)
	evs := make([]*Event, 0, w.cfg.MaxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-w.quit:
			// Commit what is queued, then refuse.
			for {
				select {
				case r := <-w.reqs:
					batch = append(batch[:0], r)
					w.drain(&batch)
					w.commit(batch, evs)
				default:
					return
				}
			}
		}
		// Let the request goroutines that are running now finish and
		// queue their events, so that they share this transaction: yield
		// while events keep arriving, a few times at most. A larger batch
		// costs less per event (the commit, its fsync and its pages are
		// shared), which under load is what bounds throughput.
		for range w.cfg.Yields {
			n := len(batch)
			runtime.Gosched()
			w.drain(&batch)
			if len(batch) == n || len(batch) >= w.batchCap() {
				break
			}
		}
		w.commit(batch, evs)
	}
}

// batchCap is the most events the next batch may hold: MaxBatch, and
// with digests half the events the next digest may cover.
func (w *Writer) batchCap() int {
	if w.dg == nil {
		return w.cfg.MaxBatch
	}
	return int(min(int64(w.cfg.MaxBatch), max(1, w.dg.due.Load()/2)))
}

// waitDigests holds the next commit while the digests are more than half
// a schedule behind the head (the digester runs on its own and can fall
// behind a writer that commits batch after batch). With batches of at
// most half a schedule, no more than twice the schedule then ever
// follows the last digest, which is what verification accepts after a
// crash. It waits at most digestWriteTimeout (the requests of the batch
// time out meanwhile and fail), then commits and logs why. Under the
// default schedule the digests are never that far behind.
func (w *Writer) waitDigests() {
	if w.dg == nil {
		return
	}
	var deadline time.Time
	for {
		due := w.dg.due.Load()
		if w.lastHead-w.dg.known.Load() < due+due/2 {
			return
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(digestWriteTimeout)
		} else if now.After(deadline) {
			w.cfg.Logger.Error("audit digests are behind: appending without them", "head", w.lastHead, "last_digest", w.dg.known.Load())
			return
		}
		w.dg.poke()
		time.Sleep(time.Millisecond)
	}
}

// drain adds the requests already waiting, up to batchCap.
func (w *Writer) drain(batch *[]*request) {
	limit := w.batchCap()
	for len(*batch) < limit {
		select {
		case r := <-w.reqs:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

func (w *Writer) commit(batch []*request, evs []*Event) {
	w.waitDigests()
	evs = evs[:0]
	for _, r := range batch {
		evs = append(evs, r.ev)
	}
	start := time.Now()
	head, err := w.cfg.Store.AppendAudit(context.Background(), evs)
	took := time.Since(start)
	w.commitNanos.Add(int64(took))
	if w.cfg.OnCommit != nil {
		w.cfg.OnCommit(len(evs), took, err)
	}
	if err != nil {
		msg := err.Error()
		w.failure.Store(&msg)
		w.cfg.Logger.Error("audit log write failed: requests fail until it recovers", "events", len(evs), "err", err)
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	} else {
		if w.failure.Load() != nil {
			w.failure.Store(nil)
			w.cfg.Logger.Info("audit log writable again")
		}
		w.batches.Add(1)
		w.events.Add(int64(len(evs)))
		if n := int64(len(evs)); n > w.maxBatch.Load() {
			w.maxBatch.Store(n)
		}
	}
	for _, r := range batch {
		r.done <- err
	}
	clear(evs)
	if err == nil && w.dg != nil {
		w.lastHead = head.Seq
		if w.dg.isDue(head.Seq) {
			w.dg.poke()
		}
	}
}
