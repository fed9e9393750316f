package audit

import (
	"context"
	"crypto/hmac"
	"fmt"
	"time"
)

// Prune deletes the events older than before (eventTime), leaving a
// checkpoint signed with key at the last deleted event, from which Verify
// then starts. It reports false when there was nothing to prune. The
// newest event is never pruned, so the chain head stays readable; nor is
// any event after the last chained digest, so the chain of digests goes
// on from the ones the prune keeps. The checkpoint names what the first
// digest it keeps is chained to (LinkSeq, LinkMAC), which the prune may
// delete.
func Prune(ctx context.Context, log Log, key []byte, before, now time.Time) (Checkpoint, bool, error) {
	recs, err := log.QueryAudit(ctx, Query{End: before, Limit: 1})
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("find events to prune: %w", err)
	}
	if len(recs) == 0 {
		return Checkpoint{}, false, nil
	}
	head, err := log.AuditHead(ctx)
	if err != nil {
		return Checkpoint{}, false, err
	}
	r := recs[0]
	if r.Seq >= head.Seq {
		if r.Seq <= 1 {
			return Checkpoint{}, false, nil
		}
		prev, err := log.AuditRecords(ctx, r.Seq-2, 1)
		if err != nil || len(prev) == 0 {
			return Checkpoint{}, false, err
		}
		r = prev[0]
	}
	tip, ok, err := log.AuditDigestTip(ctx)
	if err != nil {
		return Checkpoint{}, false, err
	}
	if !ok || !tip.Chained() || tip.ToSeq < 1 {
		return Checkpoint{}, false, nil
	}
	if r.Seq > tip.ToSeq {
		r = Record{Seq: tip.ToSeq, Hash: tip.Hash}
	}
	if cp, ok, err := log.AuditCheckpoint(ctx); err != nil {
		return Checkpoint{}, false, err
	} else if ok && cp.Seq >= r.Seq {
		return Checkpoint{}, false, nil
	}
	// The first chained digest the prune keeps (ToSeq >= r.Seq) names the
	// last one it deletes.
	ds, err := log.AuditDigests(ctx)
	if err != nil {
		return Checkpoint{}, false, err
	}
	var keep *Digest
	for i := range ds {
		if d := &ds[i]; d.Chained() && d.ToSeq >= r.Seq && (keep == nil || d.ToSeq < keep.ToSeq) {
			keep = d
		}
	}
	if keep == nil {
		return Checkpoint{}, false, fmt.Errorf("prune to %d: no chained digest covers it", r.Seq)
	}
	c := Checkpoint{Seq: r.Seq, Hash: r.Hash, Time: now.UTC(), LinkSeq: keep.FromSeq - 1, LinkMAC: keep.PrevMAC}
	for _, d := range ds {
		if d.Chained() && d.ToSeq == c.LinkSeq && hmac.Equal(d.MAC, c.LinkMAC) {
			c.LinkEvery = d.Every // the schedule that governs keep
		}
	}
	if cp, ok, err := log.AuditCheckpoint(ctx); err != nil {
		return Checkpoint{}, false, err
	} else if ok && cp.Linked() && cp.LinkSeq == c.LinkSeq && hmac.Equal(cp.LinkMAC, c.LinkMAC) {
		c.LinkEvery = cp.LinkEvery // keep's predecessor was pruned before
	}
	c.Sign(key)
	if err := log.PruneAudit(ctx, c); err != nil {
		return Checkpoint{}, false, err
	}
	return c, true, nil
}
