package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// Source is what Verify reads records from: a store (Log) or an export.
type Source interface {
	AuditRecords(ctx context.Context, after int64, limit int) ([]Record, error)
}

// VerifyOptions are what Verify checks a chain against.
type VerifyOptions struct {
	// Key is the audit key (keyring.AuditKey). With it, digests and the
	// checkpoint must carry valid MACs; without it their MACs are not
	// checked (Report.Unsigned says so).
	Key []byte
	// Checkpoint is where a pruned chain starts, nil for a chain from 1.
	Checkpoint *Checkpoint
	// Digests to check against the chain.
	Digests []Digest
	// ExpectHead, when set, is a head kept elsewhere: the chain must
	// contain it, which detects events removed from the tail.
	ExpectHead *Head
	// StoredHead is the store's own head record, when there is one: a
	// chain that ends before it has lost its tail.
	StoredHead *Head
	// AllowUnchained accepts a log without chained digests (one written
	// by an earlier release, before a server of this release has started
	// on it): it is then checked as that release did. Without it such a
	// log fails, since deleting every chained digest leaves the same.
	AllowUnchained bool
}

// View is a consistent, read-only view of a Log: what verification and
// exports read.
type View interface {
	Source
	AuditHead(ctx context.Context) (Head, error)
	AuditDigests(ctx context.Context) ([]Digest, error)
	AuditCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error)
}

// Report is the result of a verification that passed.
type Report struct {
	Head          Head  // the last event
	Events        int64 // events checked
	Digests       int   // digests checked
	CheckpointSeq int64 // where the chain started after pruning (0: none)
	Unsigned      bool  // digests and checkpoint MACs were not checked
	// LastDigest is the last digest of the chain of digests, nil when
	// there is none (an earlier release's log, with AllowUnchained).
	LastDigest *Digest
}

// VerifyError says where a chain fails: Seq is the first sequence number
// that is wrong (changed, missing, inserted or out of place).
type VerifyError struct {
	Seq    int64
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// ErrVerify is wrapped by every *VerifyError (errors.Is).
var ErrVerify = errors.New("audit verification failed")

func (e *VerifyError) Unwrap() error { return ErrVerify }

// Verify checks the chain in src: every event's sequence number follows
// its predecessor's, its prev_hash is its predecessor's hash and its hash
// covers its bytes; the query columns agree with the event; every digest's
// MAC is valid and its hash is the chain's at its ToSeq; the chained
// digests form one chain (checkDigestChain) that the events outgrow by at
// most twice the last digest's schedule (checkTail), and without one no
// event follows what the unchained digests cover unless
// opts.AllowUnchained; and the chain reaches opts.ExpectHead
// and opts.StoredHead. It returns the first failure by sequence number as
// a *VerifyError, or an I/O error.
func Verify(ctx context.Context, src Source, opts VerifyOptions) (Report, error) {
	rep := Report{Unsigned: opts.Key == nil}
	var fails []*VerifyError
	fail := func(seq int64, format string, args ...any) {
		fails = append(fails, &VerifyError{Seq: seq, Reason: fmt.Sprintf(format, args...)})
	}
	prev, next := Genesis, int64(1)
	if c := opts.Checkpoint; c != nil {
		if why := c.malformed(); why != "" {
			return rep, &VerifyError{Seq: 1, Reason: fmt.Sprintf("the checkpoint at %d is malformed: %s", c.Seq, why)}
		}
		if opts.Key != nil && !c.Valid(opts.Key) {
			fail(c.Seq+1, "the checkpoint at %d has an invalid MAC", c.Seq)
		}
		prev, next = c.Hash, c.Seq+1
		rep.CheckpointSeq = c.Seq
	}
	// Hashes the digests and heads name, to compare as the chain passes.
	type claim struct {
		hash []byte
		what string
	}
	claims := map[int64][]claim{}
	addClaim := func(seq int64, h []byte, what string) {
		claims[seq] = append(claims[seq], claim{h, what})
	}
	var chained, unchained []Digest
	for i := range opts.Digests {
		d := &opts.Digests[i]
		if why := d.malformed(); why != "" {
			fail(max(1, min(d.FromSeq, maxSeq)), "the digest of %d..%d is malformed: %s", d.FromSeq, d.ToSeq, why)
			continue
		}
		if opts.Key != nil && !d.Valid(opts.Key) {
			fail(d.FromSeq, "the digest of %d..%d has an invalid MAC", d.FromSeq, d.ToSeq)
			continue
		}
		if d.Chained() {
			chained = append(chained, *d)
		} else {
			unchained = append(unchained, *d)
		}
		if d.ToSeq < next-1 || d.ToSeq == 0 {
			continue // pruned, or an empty digest before event 1
		}
		addClaim(d.ToSeq, d.Hash, fmt.Sprintf("the signed digest of %d..%d", d.FromSeq, d.ToSeq))
		rep.Digests++
	}
	tip := checkDigestChain(chained, unchained, opts.Checkpoint, fail)
	rep.LastDigest = tip
	if h := opts.ExpectHead; h != nil && h.Seq >= next-1 && h.Seq > 0 {
		addClaim(h.Seq, h.Hash, "the expected head")
	}
	if h := opts.StoredHead; h != nil && h.Seq >= next-1 && h.Seq > 0 {
		addClaim(h.Seq, h.Hash, "the stored head record")
	}
	if c := opts.Checkpoint; c != nil {
		for _, cl := range claims[c.Seq] {
			if !bytes.Equal(cl.hash, c.Hash) {
				fail(c.Seq, "%s disagrees with the checkpoint", cl.what)
			}
		}
	}
	last := Head{Seq: next - 1, Hash: prev}
	broken := false
	after := next - 1
	for !broken {
		recs, err := src.AuditRecords(ctx, after, 1000)
		if err != nil {
			return rep, fmt.Errorf("read audit records after %d: %w", after, err)
		}
		if len(recs) == 0 {
			break
		}
		for i := range recs {
			r := &recs[i]
			after = r.Seq
			reason := ""
			bad := r.Seq
			switch {
			case r.Seq > next:
				bad, reason = next, fmt.Sprintf("events %d..%d are missing (the next stored event is %d)", next, r.Seq-1, r.Seq)
			case r.Seq < next:
				reason = fmt.Sprintf("event %d appears after event %d (inserted or reordered)", r.Seq, next-1)
			case !bytes.Equal(r.PrevHash, prev):
				reason = fmt.Sprintf("its prev_hash is not the hash of event %d (changed, inserted or reordered)", r.Seq-1)
			case !bytes.Equal(Link(prev, r.Seq, r.Event), r.Hash):
				reason = "its content does not match its hash (changed)"
			default:
				reason = checkColumns(r)
			}
			if reason != "" {
				fail(bad, "%s", reason)
				broken = true
				break
			}
			for _, cl := range claims[r.Seq] {
				if !bytes.Equal(cl.hash, r.Hash) {
					fail(r.Seq, "%s names a different hash for event %d (changed, or the chain was rewritten)", cl.what, r.Seq)
				}
			}
			delete(claims, r.Seq)
			prev, next = r.Hash, r.Seq+1
			last = Head{Seq: r.Seq, Hash: r.Hash}
			rep.Events++
		}
	}
	if !broken {
		for seq, cls := range claims {
			if seq > last.Seq {
				fail(last.Seq+1, "%s names event %d but the chain ends at %d (events removed from the tail)", cls[0].what, seq, last.Seq)
			}
		}
	}
	checkTail(tip, unchained, opts, last.Seq, fail)
	rep.Head = last
	if len(fails) > 0 {
		first := fails[0]
		for _, f := range fails[1:] {
			if f.Seq < first.Seq {
				first = f
			}
		}
		return rep, first
	}
	return rep, nil
}

// checkColumns reports how a record's query columns disagree with its
// event, or "".
func checkColumns(r *Record) string {
	ev, err := ParseEvent(r.Event)
	if err != nil {
		return "its event is not valid JSON"
	}
	n := Columns(ev)
	switch {
	case n.EventName != r.EventName, n.Account != r.Account, n.Principal != r.Principal,
		n.ErrorCode != r.ErrorCode, n.KeyARNs != r.KeyARNs, !n.Time.Equal(r.Time):
		return "its query columns do not match its event"
	}
	return ""
}
