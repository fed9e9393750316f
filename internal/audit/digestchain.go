package audit

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"slices"
)

// failFunc records a verification failure at an event.
type failFunc func(seq int64, format string, args ...any)

// checkDigestChain checks that the chained digests ds (well-formed, MACs
// checked) form one chain (docs/audit.md, "Digests"):
//
//   - the first is chained to a root: it starts at event 1 after ZeroMAC,
//     or names one of the earlier release's digests (legacy), or the
//     checkpoint's link (the last digest a prune deleted), or an earlier
//     release's checkpoint itself;
//   - each next one starts where the one before it ends (no gap, no
//     overlap) and names its MAC;
//   - each covers at most the Every of the digest before it (the
//     checkpoint's LinkEvery after a prune); the first, when nothing
//     before it has a schedule, at most its own Every. A writer that finds
//     more events than that after the last digest covers them with one
//     digest, which fails here, rather than sign pieces of a tail whose
//     digests were removed.
//
// It reports each failure through fail and returns the chain's last
// digest, or nil when ds is empty. It sorts ds.
func checkDigestChain(ds, legacy []Digest, cp *Checkpoint, fail failFunc) *Digest {
	if len(ds) == 0 {
		return nil
	}
	slices.SortStableFunc(ds, func(a, b Digest) int {
		return cmp.Or(cmp.Compare(a.ToSeq, b.ToSeq), cmp.Compare(a.FromSeq, b.FromSeq), bytes.Compare(a.MAC, b.MAC))
	})
	first := &ds[0]
	root, ok := chainRoot(first, legacy, cp)
	if n := first.ToSeq - first.FromSeq + 1; ok && n > root {
		fail(first.FromSeq+root, "the digest of %d..%d covers %d events, more than the %d its schedule allows",
			first.FromSeq, first.ToSeq, n, root)
	}
	if !ok {
		// The events after the last thing the first digest could have
		// been chained to lost their digest.
		lo := int64(1)
		for _, u := range legacy {
			if u.ToSeq < first.FromSeq {
				lo = max(lo, u.ToSeq+1)
			}
		}
		if cp != nil && cp.Seq < first.FromSeq {
			lo = max(lo, cp.Seq+1)
		}
		fail(lo, "the first chained digest, of %d..%d, names a previous digest ending at event %d that is not stored (digests were removed)",
			first.FromSeq, first.ToSeq, first.FromSeq-1)
	}
	for i := 1; i < len(ds); i++ {
		p, d := &ds[i-1], &ds[i]
		switch {
		case d.FromSeq > p.ToSeq+1:
			fail(p.ToSeq+1, "events %d..%d are covered by no digest: the digest of %d..%d follows the digest of %d..%d (a digest was removed)",
				p.ToSeq+1, d.FromSeq-1, d.FromSeq, d.ToSeq, p.FromSeq, p.ToSeq)
		case d.FromSeq <= p.ToSeq:
			fail(d.FromSeq, "the digests of %d..%d and %d..%d overlap (the chain of digests forks)", p.FromSeq, p.ToSeq, d.FromSeq, d.ToSeq)
		case !hmac.Equal(d.PrevMAC, p.MAC):
			fail(d.FromSeq, "the digest of %d..%d is not chained to the digest of %d..%d before it (a digest was removed or replaced)",
				d.FromSeq, d.ToSeq, p.FromSeq, p.ToSeq)
		case d.ToSeq-d.FromSeq+1 > p.Every:
			fail(d.FromSeq+p.Every, "the digest of %d..%d covers %d events, more than the %d that the schedule of the digest before it allows",
				d.FromSeq, d.ToSeq, d.ToSeq-d.FromSeq+1, p.Every)
		}
	}
	return &ds[len(ds)-1]
}

// chainRoot reports whether d, the first chained digest, is chained to a
// root its writer could have chained it to, and how many events d may
// then cover.
func chainRoot(d *Digest, legacy []Digest, cp *Checkpoint) (limit int64, ok bool) {
	if d.FromSeq == 1 && hmac.Equal(d.PrevMAC, ZeroMAC) {
		return d.Every, true
	}
	for i := range legacy {
		if legacy[i].ToSeq == d.FromSeq-1 && hmac.Equal(legacy[i].MAC, d.PrevMAC) {
			return d.Every, true
		}
	}
	switch {
	case cp == nil:
	case cp.Linked():
		if cp.LinkSeq == d.FromSeq-1 && hmac.Equal(cp.LinkMAC, d.PrevMAC) {
			if cp.LinkEvery > 0 {
				return cp.LinkEvery, true
			}
			return d.Every, true
		}
	case cp.Seq == d.FromSeq-1 && hmac.Equal(cp.MAC, d.PrevMAC):
		return d.Every, true
	}
	return 0, false
}

// checkTail checks the events after the last chained digest tip, up to
// end, the chain's last event: at most 2*tip.Every of them (a running
// writer digests them once there are tip.Every, and a starting one
// digests the tail a crash left; the second schedule is for a writer that
// is behind, and is as much as a writer signs after the last digest).
// Without a chained digest, the events after what the
// earlier release's digests and the checkpoint cover fail, unless
// opts.AllowUnchained: a writer of this release chains its first digest
// before any event it appends, so only a log of an earlier release, or one
// whose chained digests were deleted, has none.
func checkTail(tip *Digest, legacy []Digest, opts VerifyOptions, end int64, fail failFunc) {
	if tip != nil {
		if n := end - tip.ToSeq; n > TailAllowance(tip.Every) {
			fail(tip.ToSeq+TailAllowance(tip.Every)+1, "events %d..%d follow the last digest (of %d..%d): %d events, more than the %d its schedule allows "+
				"(later digests were removed, or no digest could be written for that long)",
				tip.ToSeq+1, end, tip.FromSeq, tip.ToSeq, n, TailAllowance(tip.Every))
		}
		return
	}
	if opts.AllowUnchained {
		return
	}
	var covered int64
	if opts.Checkpoint != nil {
		covered = opts.Checkpoint.Seq
	}
	for _, u := range legacy {
		covered = max(covered, u.ToSeq)
	}
	if end > covered {
		fail(covered+1, "no chained digest covers events %d..%d: the digests were removed, or this log of an earlier release has not been opened by a server of this release yet",
			covered+1, end)
	}
}

// TailAllowance is how many events may follow a digest whose Every is
// every before the next digest, in a log that verifies, and how many a
// writer signs in pieces after the last digest: twice the schedule.
func TailAllowance(every int64) int64 { return 2 * every }
