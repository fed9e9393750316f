package audit

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/klauspost/compress/s2"
)

// A batch is several consecutive events of the chain stored as one row:
// one database insert instead of one per event, and one compressed block
// in which each event's repetitions of the one before (ARNs, account,
// user agent) cost almost nothing. Its stored form is
//
//	storedBatchV1 || S2 block of, for each event in chain order:
//	    uvarint(time, Unix nanoseconds) | str(account) | str(eventName) |
//	    str(keyARNs) | str(principal) | str(errorCode) | str(canonical JSON)
//
// where str(s) is uvarint(len(s)) || s. The row keeps the sequence number
// and hash of its last event and the hash before its first; the hashes in
// between are computed when the batch is read. An edit anywhere in a
// batch therefore shows at its last event: verification names the batch's
// last sequence number rather than the edited event's.
const storedBatchV1 byte = 0x02

// MaxBatchEvents is the most events one batch holds; maxBatchBytes bounds
// what reading one may allocate (a damaged row that claims more is
// refused): 8,192 events of the largest size, MaxEventBytes, plus columns
// would be about 140 MiB.
const (
	MaxBatchEvents = 8192
	maxBatchBytes  = 256 << 20
)

// EncodeBatch links evs (at most MaxBatchEvents) to the chain after head and returns the batch's
// stored form, the latest of its events' times and the new head. (The row
// is stamped with the latest time: a search by time that skips rows whose
// time is before its bound must not skip an event in a batch.)
func EncodeBatch(evs []*Event, head Head) (stored []byte, latest time.Time, last Head) {
	var b []byte
	prev := head.Hash
	if len(prev) == 0 {
		prev = Genesis
	}
	for i, ev := range evs {
		r := newRecord(ev, head.Seq+1+int64(i), prev, false)
		if i == 0 || r.Time.After(latest) {
			latest = r.Time
		}
		b = binary.AppendUvarint(b, uint64(r.Time.UnixNano()))
		for _, s := range []string{r.Account, r.EventName, r.KeyARNs, r.Principal, r.ErrorCode} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		b = binary.AppendUvarint(b, uint64(len(r.Event)))
		b = append(b, r.Event...)
		prev = r.Hash
		last = Head{Seq: r.Seq, Hash: r.Hash}
	}
	out := make([]byte, 1, 1+s2.MaxEncodedLen(len(b)))
	out[0] = storedBatchV1
	c := s2.Encode(out[1:cap(out)], b)
	return out[:1+len(c)], latest, last
}

// DecodeBatch returns the records of a batch row: n events ending at
// sequence number lastSeq, whose first event follows prevHash and whose
// last has the stored hash. The last record carries the stored hash, not
// the computed one, so that verification finds any change.
func DecodeBatch(stored []byte, lastSeq int64, n int, prevHash, hash []byte) ([]Record, error) {
	if len(stored) < 1 || stored[0] != storedBatchV1 {
		return nil, fmt.Errorf("%w: not a batch", ErrStoredForm)
	}
	if n < 2 || n > MaxBatchEvents {
		return nil, fmt.Errorf("%w: batch of %d events", ErrStoredForm, n)
	}
	l, err := s2.DecodedLen(stored[1:])
	if err != nil || l > maxBatchBytes {
		return nil, fmt.Errorf("%w: batch length", ErrStoredForm)
	}
	b, err := s2.Decode(make([]byte, l), stored[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStoredForm, err)
	}
	recs := make([]Record, n)
	prev := prevHash
	for i := range recs {
		r := &recs[i]
		r.Seq = lastSeq - int64(n) + 1 + int64(i)
		ns, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("%w: batch event %d", ErrStoredForm, r.Seq)
		}
		b = b[k:]
		r.Time = time.Unix(0, int64(ns)).UTC()
		for _, p := range []*string{&r.Account, &r.EventName, &r.KeyARNs, &r.Principal, &r.ErrorCode} {
			s, rest, ok := uvarintBytes(b)
			if !ok {
				return nil, fmt.Errorf("%w: batch event %d", ErrStoredForm, r.Seq)
			}
			*p, b = string(s), rest
		}
		ev, rest, ok := uvarintBytes(b)
		if !ok {
			return nil, fmt.Errorf("%w: batch event %d", ErrStoredForm, r.Seq)
		}
		b = rest
		r.Event, r.PrevHash = ev, prev
		if i == n-1 {
			r.Hash = hash
		} else {
			r.Hash = Link(prev, r.Seq, ev)
		}
		prev = r.Hash
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the batch's events", ErrStoredForm, len(b))
	}
	return recs, nil
}

func uvarintBytes(b []byte) (s, rest []byte, ok bool) {
	l, k := binary.Uvarint(b)
	if k <= 0 || l > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(l)], b[k+int(l):], true
}
