package service

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// changeWindow is how long after a change was written the watcher still
// looks for it. PostgreSQL assigns sequence numbers when a transaction
// writes, so a change can become visible after changes with higher numbers;
// re-reading a recent time window, and remembering which numbers were
// seen, catches it as long as it commits within the window.
const changeWindow = 10 * time.Second

// changePruneAge is how long the feed keeps entries.
const changePruneAge = time.Hour

// ChangeFeed is the store's change feed, as the watcher reads it.
type ChangeFeed interface {
	Changes(ctx context.Context, after int64, since time.Time, limit int) ([]store.Change, error)
	LatestChange(ctx context.Context) (int64, error)
	PruneChanges(ctx context.Context, before time.Time) error
}

// IdentityListener is told of the feed's identity changes (IAM users,
// roles and access keys, written by this node or another); iam.Directory
// implements it.
type IdentityListener interface {
	Changed(c store.Change)
	// ForgetAll drops everything cached, after changes may have been missed.
	ForgetAll()
}

// Watcher applies the store's change feed to a service's cache, so that a
// change made through another node (or by `trent admin` on the same data
// directory) is honoured here within one poll interval.
type Watcher struct {
	svc  *Service
	feed ChangeFeed
	last int64
	seen map[int64]time.Time
	// wall is the real clock: the feed's times are written with it.
	wall func() time.Time
	ids  IdentityListener // nil: identity changes are ignored
}

// SetIdentities makes the watcher pass identity changes to l. Call it
// before Run.
func (w *Watcher) SetIdentities(l IdentityListener) { w.ids = l }

// NewWatcher returns a watcher of feed for s.
func NewWatcher(s *Service, feed ChangeFeed) *Watcher {
	return &Watcher{svc: s, feed: feed, last: math.MaxInt64, seen: make(map[int64]time.Time), wall: time.Now}
}

// Poll reads the feed once and invalidates what changed. It returns how
// many changes were new to it.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	const batch = 1000
	n := 0
	if w.last == math.MaxInt64 {
		// First poll: what happened before this node cached anything does
		// not matter, except changes that may still become visible.
		latest, err := w.feed.LatestChange(ctx)
		if err != nil {
			return 0, err
		}
		w.last = latest
	}
	for {
		now := w.wall()
		cs, err := w.feed.Changes(ctx, w.last, now.Add(-changeWindow), batch)
		if err != nil {
			return n, err
		}
		for _, c := range cs {
			if c.Seq > w.last {
				w.last = c.Seq
			}
			if _, ok := w.seen[c.Seq]; ok {
				continue
			}
			w.seen[c.Seq] = c.At
			n++
			switch c.Kind {
			case store.ChangeKey:
				ref := store.KeyRef{Account: c.Account, Region: c.Region, ID: c.Name}
				if old := w.svc.cache.take(ref); old != nil {
					w.forgetIfDeleted(ctx, old)
				}
			case store.ChangeAlias:
				w.svc.cache.invalidateAlias(c.Account, c.Region, c.Name)
			case store.ChangeUser, store.ChangeRole, store.ChangeAccessKey:
				if w.ids != nil {
					w.ids.Changed(c)
				}
			default:
				w.svc.Invalidate()
			}
		}
		for seq, at := range w.seen {
			if now.Sub(at) > 2*changeWindow {
				delete(w.seen, seq)
			}
		}
		if len(cs) < batch {
			return n, nil
		}
	}
}

// forgetIfDeleted drops the keyring's plaintext of a key that another
// node destroyed; ck is what this node had cached of it.
func (w *Watcher) forgetIfDeleted(ctx context.Context, ck *cachedKey) {
	_, err := w.svc.store.Key(ctx, ck.key.Ref())
	if !errors.Is(err, store.ErrNotFound) {
		return
	}
	for v := range ck.materialIDs {
		w.svc.keyring.Forget(materialRef(&ck.key, v))
	}
}

// Run polls every interval until ctx ends, and prunes old feed entries
// hourly. Errors are logged; the cache is dropped whole after a failed
// poll, since changes may have been missed.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.svc.log.WarnContext(ctx, "change feed poll failed; dropping caches", "err", err)
			w.svc.Invalidate()
			if w.ids != nil {
				w.ids.ForgetAll()
			}
		}
		if now := w.wall(); now.Sub(lastPrune) > changePruneAge {
			if err := w.feed.PruneChanges(ctx, now.Add(-changePruneAge)); err != nil && ctx.Err() == nil {
				w.svc.log.WarnContext(ctx, "change feed prune failed", "err", err)
			}
			lastPrune = now
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
