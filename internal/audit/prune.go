package audit

import (
	"context"
	"fmt"
	"time"
)

// Prune deletes the events older than before (eventTime), leaving a
// checkpoint signed with key at the last deleted event, from which Verify
// then starts. It reports false when there was nothing to prune. The
// newest event is never pruned, so the chain head stays readable.
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
	if cp, ok, err := log.AuditCheckpoint(ctx); err != nil {
		return Checkpoint{}, false, err
	} else if ok && cp.Seq >= r.Seq {
		return Checkpoint{}, false, nil
	}
	c := Checkpoint{Seq: r.Seq, Hash: r.Hash, Time: now.UTC()}
	c.Sign(key)
	if err := log.PruneAudit(ctx, c); err != nil {
		return Checkpoint{}, false, err
	}
	return c, true, nil
}
