package audit

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// recSource serves records to Verify.
type recSource []Record

func (s recSource) AuditRecords(_ context.Context, after int64, limit int) ([]Record, error) {
	var out []Record
	for _, r := range s {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func batchOf(n int) (stored []byte, evs []*Event, last Head) {
	for i := range n {
		evs = append(evs, event(i))
	}
	evs[3].ErrorCode = "DisabledException"
	stored, _, last = EncodeBatch(evs, Head{Seq: 10, Hash: bytes.Repeat([]byte{9}, 32)})
	return stored, evs, last
}

func TestBatchRoundTrip(t *testing.T) {
	stored, evs, last := batchOf(40)
	if last.Seq != 50 {
		t.Fatalf("last seq %d, want 50", last.Seq)
	}
	recs, err := DecodeBatch(stored, last.Seq, len(evs), bytes.Repeat([]byte{9}, 32), last.Hash)
	if err != nil {
		t.Fatal(err)
	}
	prev := bytes.Repeat([]byte{9}, 32)
	for i, r := range recs {
		want := NewRecord(evs[i], int64(11+i), prev)
		if r.Seq != want.Seq || !bytes.Equal(r.Event, want.Event) || !bytes.Equal(r.Hash, want.Hash) || !bytes.Equal(r.PrevHash, prev) ||
			r.Account != want.Account || r.EventName != want.EventName || r.KeyARNs != want.KeyARNs ||
			r.Principal != want.Principal || r.ErrorCode != want.ErrorCode || !r.Time.Equal(want.Time) {
			t.Fatalf("record %d differs from NewRecord's", i)
		}
		prev = r.Hash
	}
	// The batch compresses far below its JSON.
	var raw int
	for _, r := range recs {
		raw += len(r.Event)
	}
	if len(stored) > raw/4 {
		t.Errorf("batch of %d bytes of JSON stored in %d", raw, len(stored))
	}
}

// TestBatchTampering: an event changed inside a batch (re-encoded as a
// valid batch) fails verification at the batch's last event; damaged
// bytes fail to decode.
func TestBatchTampering(t *testing.T) {
	stored, evs, last := batchOf(5)
	prev := bytes.Repeat([]byte{9}, 32)
	evs[2].EventName = "Decrypt"
	forged, _, _ := EncodeBatch(evs, Head{Seq: 10, Hash: prev})
	recs, err := DecodeBatch(forged, last.Seq, 5, prev, last.Hash)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(t.Context(), recSource(recs), VerifyOptions{Checkpoint: &Checkpoint{Seq: 10, Hash: prev}, AllowUnchained: true})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Seq != 15 {
		t.Fatalf("Verify of a forged batch: %v, want a failure at event 15", err)
	}
	for _, bad := range [][]byte{stored[:len(stored)/2], append([]byte{storedS2DictV1}, stored[1:]...), nil} {
		if _, err := DecodeBatch(bad, last.Seq, 5, prev, last.Hash); !errors.Is(err, ErrStoredForm) {
			t.Errorf("DecodeBatch of damaged bytes: %v, want ErrStoredForm", err)
		}
	}
	if _, err := DecodeBatch(stored, last.Seq, 6, prev, last.Hash); !errors.Is(err, ErrStoredForm) {
		t.Errorf("DecodeBatch with the wrong count: %v, want ErrStoredForm", err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	stored, _, _ := batchOf(4)
	f.Add(stored, 4)
	f.Add(stored[:20], 4)
	f.Add([]byte{storedBatchV1, 0}, 2)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		recs, err := DecodeBatch(b, 100, n, Genesis, Genesis)
		if err == nil && len(recs) != n {
			t.Fatalf("%d records for n = %d", len(recs), n)
		}
	})
}
