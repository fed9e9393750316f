package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HashSize is the size of a chain hash.
const HashSize = sha256.Size

// Genesis is the prev_hash of sequence number 1: 32 zero bytes.
var Genesis = make([]byte, HashSize)

// Link returns the hash of the event with sequence number seq whose
// canonical bytes are event and whose predecessor's hash is prev:
//
//	SHA-256(prev || uint64be(seq) || event)
func Link(prev []byte, seq int64, event []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	h.Write(b[:])
	h.Write(event)
	return h.Sum(make([]byte, 0, HashSize))
}

// Record is one stored event: its place in the chain and the columns that
// queries filter on, all derived from Event.
type Record struct {
	Seq       int64
	Time      time.Time
	Account   string
	EventName string
	// KeyARNs are the resources' ARNs, comma-separated.
	KeyARNs   string
	Principal string
	ErrorCode string
	// Event is the canonical encoding; Hash covers exactly these bytes.
	Event []byte
	// Stored is what the store keeps for Event: its compressed form
	// (Compress; Decompress gives Event back). Set by NewRecord for
	// appending; records read back from a store carry Event only.
	Stored   []byte
	PrevHash []byte
	Hash     []byte
}

// NewRecord returns the record for ev at seq after prev: it encodes ev and
// links it. The store calls it under its chain-head lock.
func NewRecord(ev *Event, seq int64, prev []byte) Record { return newRecord(ev, seq, prev, true) }

// newRecord is NewRecord, with the stored form only when stored is set.
func newRecord(ev *Event, seq int64, prev []byte, stored bool) Record {
	b := ev.encoded()
	r := Columns(ev)
	r.Seq, r.Event, r.PrevHash, r.Hash = seq, b, prev, Link(prev, seq, b)
	if stored {
		r.Stored = compressed(b)
	}
	return r
}

// Columns returns a Record holding only the query columns derived from
// ev (time, account, event name, key ARNs, principal, error code), for
// checking stored columns against their event without encoding, hashing
// or compressing it again.
func Columns(ev *Event) Record {
	r := Record{
		Time:      ev.EventTime.UTC().Truncate(time.Second),
		Account:   ev.RecipientAccountID,
		EventName: ev.EventName,
		Principal: ev.UserIdentity.ARN,
		ErrorCode: ev.ErrorCode,
	}
	switch len(ev.Resources) {
	case 0:
	case 1:
		r.KeyARNs = ev.Resources[0].ARN
	default:
		arns := make([]string, len(ev.Resources))
		for i, x := range ev.Resources {
			arns[i] = x.ARN
		}
		r.KeyARNs = strings.Join(arns, ",")
	}
	return r
}

// Head names the end of a chain: the last sequence number and its hash.
// The zero Head is the empty chain.
type Head struct {
	Seq  int64
	Hash []byte
}

// String formats h as SEQ:HEX, the form `trent audit head` prints.
func (h Head) String() string {
	if h.Seq == 0 {
		return "0:" + hex.EncodeToString(Genesis)
	}
	return strconv.FormatInt(h.Seq, 10) + ":" + hex.EncodeToString(h.Hash)
}

// ParseHead parses SEQ:HEX.
func ParseHead(s string) (Head, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return Head{}, fmt.Errorf("audit head %q: want SEQ:HASH", s)
	}
	seq, err := strconv.ParseInt(a, 10, 64)
	if err != nil || seq < 0 {
		return Head{}, fmt.Errorf("audit head %q: bad sequence number", s)
	}
	h, err := hex.DecodeString(b)
	if err != nil || len(h) != HashSize {
		return Head{}, fmt.Errorf("audit head %q: hash must be %d hex bytes", s, HashSize)
	}
	return Head{Seq: seq, Hash: h}, nil
}

// Query selects events for listing. Zero fields do not filter.
type Query struct {
	Account   string
	Start     time.Time // eventTime at or after
	End       time.Time // eventTime before
	EventName string
	KeyARN    string // one of the event's resources
	Principal string
	ErrorCode string
	// BeforeSeq, when positive, returns only events with a smaller
	// sequence number (pagination, newest first).
	BeforeSeq int64
	// Ascending lists oldest first (from AfterSeq); otherwise newest first.
	Ascending bool
	AfterSeq  int64
	Limit     int // at least 1
}

// Log is the audit store: the chain, its digests and checkpoint. The
// store's own write transactions also append (see Pending). Implementations
// are safe for concurrent use, also by several processes sharing a
// database, which all extend the one chain.
type Log interface {
	// AppendAudit links evs, in order, to the chain head and stores them
	// in one transaction, under the head's lock. It returns the new head.
	// On error nothing is stored.
	AppendAudit(ctx context.Context, evs []*Event) (Head, error)
	// AuditHead returns the stored head (the zero Head for an empty chain).
	AuditHead(ctx context.Context) (Head, error)
	// AuditRecords returns up to limit records with Seq > after, in order.
	AuditRecords(ctx context.Context, after int64, limit int) ([]Record, error)
	// QueryAudit returns records matching q.
	QueryAudit(ctx context.Context, q Query) ([]Record, error)
	// AddAuditDigests stores ds, in order, in one transaction. Chained
	// digests must extend the stored chain: when a chained digest is
	// stored, ds[0] must name it (ds[0].FromSeq-1 its ToSeq, ds[0].PrevMAC
	// its MAC), and no two stored digests may name the same previous
	// digest; otherwise it stores nothing and returns an error wrapping
	// ErrDigestConflict (another process extended the chain first). Each
	// ds[i+1] names ds[i]. Unchained digests (an earlier release's form)
	// are stored as they are.
	AddAuditDigests(ctx context.Context, ds []Digest) error
	// AuditDigestTip returns the digest a new one extends: the chained
	// digest with the greatest ToSeq, or when there is none the unchained
	// digest with the greatest ToSeq; ok is false when there is no digest.
	AuditDigestTip(ctx context.Context) (d Digest, ok bool, err error)
	// AuditDigests returns every digest ordered by ToSeq.
	AuditDigests(ctx context.Context) ([]Digest, error)
	// PruneAudit deletes the records with Seq <= c.Seq, the digests with
	// ToSeq < c.Seq, and stores c as the checkpoint, in one transaction.
	// c.Seq must be a stored record's sequence number and c.Hash its hash.
	PruneAudit(ctx context.Context, c Checkpoint) error
	// AuditCheckpoint returns the checkpoint, ok false if none.
	AuditCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error)
}
