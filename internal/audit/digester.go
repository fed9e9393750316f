package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// digestWriteTimeout bounds one attempt to write digests.
const digestWriteTimeout = 30 * time.Second

// digestAttempts is how many times a write of digests starts again when
// another process extended the chain of digests first.
const digestAttempts = 5

// digester writes a Writer's digests off the append path, in its own
// goroutine: it is woken after a commit that leaves DigestEvery events
// after the last digest it knows of, and every DigestInterval. Each write
// reads the chain's last digest from the store and extends it, so the
// digests of all the processes that share a database form one chain.
type digester struct {
	st       Appender
	key      []byte
	every    int64
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	ctx      context.Context // the Writer's, without its cancellation

	// known is the ToSeq of the last digest this process has written or
	// read, and due how many events after it make a digest due; the
	// Writer compares its heads with them to wake the loop.
	known, due atomic.Int64
	// seen is set once a write has read the chain's tip: from then on a
	// tip that ends before known means digests were removed. Only the
	// goroutine that writes uses it (NewWriter's, then the loop's, then
	// stop's, one after the other).
	seen bool

	wake chan struct{} // capacity 1
	quit chan struct{}
	done chan struct{}
}

func newDigester(ctx context.Context, cfg *WriterConfig) *digester {
	d := &digester{
		st: cfg.Store, key: cfg.DigestKey, every: cfg.DigestEvery, interval: cfg.DigestInterval,
		now: cfg.Now, log: cfg.Logger, ctx: context.WithoutCancel(ctx),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	d.due.Store(d.every)
	return d
}

// isDue reports whether a digest is due at head (called by the Writer
// after each commit: two atomic loads).
func (d *digester) isDue(head int64) bool { return head-d.known.Load() >= d.due.Load() }

// poke wakes the loop without waiting.
func (d *digester) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *digester) loop() {
	defer close(d.done)
	tick := time.NewTicker(d.interval)
	defer tick.Stop()
	for {
		select {
		case <-d.wake:
			d.writeLogged(false)
		case <-tick.C:
			d.writeLogged(true)
		case <-d.quit:
			return
		}
	}
}

// stop ends the loop and writes the digests of every event left.
func (d *digester) stop() {
	close(d.quit)
	<-d.done
	d.writeLogged(true)
}

func (d *digester) writeLogged(force bool) {
	ctx, cancel := context.WithTimeout(d.ctx, digestWriteTimeout)
	defer cancel()
	if _, err := d.write(ctx, force); err != nil {
		d.log.Error("audit digest write failed", "err", err)
	}
}

// write writes the digests that are due, trying again when another
// process extended the chain first, and returns them. force digests every
// event up to the head; otherwise only whole DigestEvery pieces are
// written, once there is at least one.
func (d *digester) write(ctx context.Context, force bool) ([]Digest, error) {
	var err error
	for range digestAttempts {
		var ds []Digest
		ds, err = d.writeOnce(ctx, force)
		if !errors.Is(err, ErrDigestConflict) {
			return ds, err
		}
	}
	return nil, err
}

// link is what the next digest is chained to: its first event, the MAC
// it names, the most events it may cover (the schedule that governs it),
// and whether a chained digest exists already.
type link struct {
	from    int64
	prevMAC []byte
	limit   int64
	chained bool
}

// nextLink reads what a new digest extends: the chain's last digest; else
// (a log of an earlier release, or a new one) the earlier release's last
// digest, the checkpoint's link or the checkpoint, or the start of the log.
func (d *digester) nextLink(ctx context.Context) (link, error) {
	tip, ok, err := d.st.AuditDigestTip(ctx)
	if err != nil {
		return link{}, fmt.Errorf("read the last audit digest: %w", err)
	}
	if ok && tip.Chained() {
		return link{from: tip.ToSeq + 1, prevMAC: tip.MAC, limit: max(tip.Every, 1), chained: true}, nil
	}
	if ok {
		return link{from: tip.ToSeq + 1, prevMAC: tip.MAC, limit: d.every}, nil
	}
	cp, ok, err := d.st.AuditCheckpoint(ctx)
	if err != nil {
		return link{}, fmt.Errorf("read the audit checkpoint: %w", err)
	}
	switch {
	case ok && cp.Linked() && cp.LinkEvery > 0:
		return link{from: cp.LinkSeq + 1, prevMAC: cp.LinkMAC, limit: cp.LinkEvery}, nil
	case ok && cp.Linked():
		return link{from: cp.LinkSeq + 1, prevMAC: cp.LinkMAC, limit: d.every}, nil
	case ok:
		return link{from: cp.Seq + 1, prevMAC: cp.MAC, limit: d.every}, nil
	}
	return link{from: 1, prevMAC: ZeroMAC, limit: d.every}, nil
}

func (d *digester) writeOnce(ctx context.Context, force bool) ([]Digest, error) {
	l, err := d.nextLink(ctx)
	if err != nil {
		return nil, err
	}
	head, err := d.st.AuditHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the audit head: %w", err)
	}
	if len(head.Hash) == 0 {
		head.Hash = Genesis
	}
	if head.Seq < l.from-1 {
		return nil, fmt.Errorf("the audit chain ends at event %d, before the last digest's %d", head.Seq, l.from-1)
	}
	// A running writer knows the tip it left: one that ends before it
	// means digests were removed, and whatever follows is covered by one
	// digest, which verification reports when it covers more than the
	// schedule allows (pieces would hide it). A starting writer cannot
	// tell, and signs in pieces only as many events as verification
	// accepts after a digest.
	regressed := d.seen && l.from-1 < d.known.Load()
	starting := !d.seen
	d.seen = true
	now := d.now().UTC()
	var ds []Digest
	add := func(to int64, hash []byte) {
		dg := Digest{FromSeq: l.from, ToSeq: to, Hash: hash, Time: now, PrevMAC: l.prevMAC, Every: d.every, Interval: d.interval}
		dg.Sign(d.key)
		ds = append(ds, dg)
		l.from, l.prevMAC = to+1, dg.MAC
	}
	// The next digest may cover l.limit events, and is due at
	// min(own schedule, that).
	due := min(d.every, l.limit)
	n := head.Seq - l.from + 1
	if regressed {
		d.log.Error("audit: the chain of digests ends before the digest this process last knew of: digests were removed",
			"last_digest", l.from-1, "known", d.known.Load())
	}
	switch {
	case n == 0 && l.chained:
		d.known.Store(head.Seq)
		d.due.Store(due)
		return nil, nil
	case n == 0:
		// No chained digest yet, and nothing to cover: the empty digest
		// that starts the chain, before this process appends anything.
		add(head.Seq, head.Hash)
	case regressed, starting && n > TailAllowance(l.limit):
		// Digests were removed (or, at start, none could be written for
		// longer than the schedule allows). One digest covers every event
		// after the last one, so that they are protected from here on and
		// what happened stays visible: verification reports a digest that
		// covers more than the schedule allows.
		d.log.Error("audit: one digest covers all the events after the last digest",
			"first", l.from, "last", head.Seq, "events", n, "allowed", TailAllowance(l.limit))
		add(head.Seq, head.Hash)
	case n < due && !force:
		d.known.Store(l.from - 1)
		d.due.Store(due)
		return nil, nil
	default:
		// Pieces of due events (the first) and of the own schedule, each
		// ending at an exact event; the rest up to the head when forced
		// or a whole piece.
		for p := due; ; p = d.every {
			rest := head.Seq - l.from + 1
			if rest > p {
				end := l.from + p - 1
				h, err := d.hashAt(ctx, end)
				if err != nil {
					return nil, err
				}
				add(end, h)
				continue
			}
			if rest > 0 && (force || rest == p) {
				add(head.Seq, head.Hash)
			}
			break
		}
	}
	if len(ds) == 0 {
		d.known.Store(l.from - 1)
		d.due.Store(min(d.every, l.limit))
		return nil, nil
	}
	if err := d.st.AddAuditDigests(ctx, ds); err != nil {
		return nil, fmt.Errorf("store audit digests of %d..%d: %w", ds[0].FromSeq, ds[len(ds)-1].ToSeq, err)
	}
	d.known.Store(ds[len(ds)-1].ToSeq)
	d.due.Store(d.every)
	return ds, nil
}

// hashAt reads the hash of event seq.
func (d *digester) hashAt(ctx context.Context, seq int64) ([]byte, error) {
	recs, err := d.st.AuditRecords(ctx, seq-1, 1)
	if err != nil {
		return nil, fmt.Errorf("read audit event %d: %w", seq, err)
	}
	if len(recs) == 0 || recs[0].Seq != seq {
		return nil, fmt.Errorf("read audit event %d: not stored", seq)
	}
	return recs[0].Hash, nil
}

// WriteDigests writes, with cfg's store, key and schedule, the digests of
// every event up to the current head that no digest covers yet (or the
// empty digest that starts the chain of a log without one), as a Writer
// does when it stops, and returns them. It is safe to call while Writers
// run on the same store. It is for tools and tests.
func WriteDigests(ctx context.Context, cfg WriterConfig) ([]Digest, error) {
	if cfg.DigestKey == nil {
		return nil, errors.New("audit: WriteDigests without a key")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DigestEvery <= 0 {
		cfg.DigestEvery = DefaultDigestEvery
	}
	if cfg.DigestInterval <= 0 {
		cfg.DigestInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return newDigester(ctx, &cfg).write(ctx, true)
}
