package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Digest is a signed statement that the chain's event ToSeq has hash
// Hash, covering the events FromSeq..ToSeq. MAC is HMAC-SHA256 under the
// audit key (derived from the root of trust, never stored), so write access
// to the database is not enough to forge one.
//
// The digests this release writes are chained (docs/audit.md, "Digests"):
// PrevMAC is the MAC of the digest before it, which ends at event
// FromSeq-1 (ZeroMAC for the first digest of a chain that starts at event
// 1); Every and Interval are the schedule of the writer that made it, and
// Every bounds how many events the next digest may cover. An empty digest
// (ToSeq = FromSeq-1) starts a chain before any event it could cover.
// Digests of earlier releases are unchained: PrevMAC is nil and Every and
// Interval are zero.
type Digest struct {
	FromSeq, ToSeq int64
	Hash           []byte
	Time           time.Time
	PrevMAC        []byte
	Every          int64
	Interval       time.Duration
	MAC            []byte
}

// ZeroMAC is the PrevMAC of the first digest of a chain from event 1.
var ZeroMAC = make([]byte, sha256.Size)

// DefaultDigestEvery is the number of events after which a Writer writes a
// digest when WriterConfig.DigestEvery is zero.
const DefaultDigestEvery = 10000

// maxSeq bounds the sequence numbers and counts a well-formed digest or
// checkpoint holds, so that the arithmetic on them cannot overflow.
const maxSeq = 1 << 60

// Chained reports whether d is in this release's chained form.
func (d *Digest) Chained() bool { return d.PrevMAC != nil }

// Checkpoint is where a pruned chain starts: the last pruned event's
// sequence number and hash, signed like a digest. LinkSeq and LinkMAC
// name what the first digest the prune kept is chained to (the last
// digest it deleted, or what that one was chained to), and LinkEvery is
// that digest's Every (0 when it is not a chained digest), so that the
// chain of digests and its schedule survive pruning. A checkpoint of an
// earlier release has LinkMAC nil.
type Checkpoint struct {
	Seq       int64
	Hash      []byte
	Time      time.Time
	LinkSeq   int64
	LinkMAC   []byte
	LinkEvery int64
	MAC       []byte
}

// Linked reports whether c is in this release's form, naming a digest.
func (c *Checkpoint) Linked() bool { return c.LinkMAC != nil }

// macInput is the signed bytes of an earlier release's digest or
// checkpoint: a label, the sequence numbers, the time and the hash.
func macInput(label string, from, to int64, hash []byte, t time.Time) []byte {
	b := make([]byte, 0, len(label)+1+8*3+len(hash))
	b = append(b, label...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(from))
	b = binary.BigEndian.AppendUint64(b, uint64(to))
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	return append(b, hash...)
}

// macInputV2 is the signed bytes of a chained digest or a linked
// checkpoint: a label, fixed-width numbers, then each byte string with its
// length, so that no two different records sign the same bytes.
func macInputV2(label string, nums []int64, blobs ...[]byte) []byte {
	b := make([]byte, 0, len(label)+1+8*len(nums)+4*len(blobs)+2*sha256.Size)
	b = append(b, label...)
	b = append(b, 0)
	for _, n := range nums {
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	for _, x := range blobs {
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		b = append(b, x...)
	}
	return b
}

func mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func (d *Digest) macInput() []byte {
	if !d.Chained() {
		return macInput("trent audit digest v1", d.FromSeq, d.ToSeq, d.Hash, d.Time)
	}
	return macInputV2("trent audit digest v2", []int64{d.FromSeq, d.ToSeq, d.Time.UnixNano(), d.Every, int64(d.Interval)}, d.Hash, d.PrevMAC)
}

// Sign sets d.MAC under key, in the chained form when d.PrevMAC is set.
func (d *Digest) Sign(key []byte) { d.MAC = mac(key, d.macInput()) }

// Valid reports whether d.MAC is right for key (constant time).
func (d *Digest) Valid(key []byte) bool { return hmac.Equal(d.MAC, mac(key, d.macInput())) }

func (c *Checkpoint) macInput() []byte {
	if !c.Linked() {
		return macInput("trent audit checkpoint v1", 0, c.Seq, c.Hash, c.Time)
	}
	return macInputV2("trent audit checkpoint v2", []int64{c.Seq, c.Time.UnixNano(), c.LinkSeq, c.LinkEvery}, c.Hash, c.LinkMAC)
}

// Sign sets c.MAC under key, in the linked form when c.LinkMAC is set.
func (c *Checkpoint) Sign(key []byte) { c.MAC = mac(key, c.macInput()) }

// Valid reports whether c.MAC is right for key (constant time).
func (c *Checkpoint) Valid(key []byte) bool { return hmac.Equal(c.MAC, mac(key, c.macInput())) }

// malformed says what is wrong with the shape of d (sizes, ranges,
// schedule), or "". A digest with a valid MAC is never malformed; this
// keeps unsigned checks (no key) and the arithmetic on d safe.
func (d *Digest) malformed() string {
	switch {
	case d.FromSeq < 1 || d.FromSeq > maxSeq || d.ToSeq < 0 || d.ToSeq > maxSeq:
		return "sequence numbers out of range"
	case d.Chained() && d.ToSeq < d.FromSeq-1, !d.Chained() && d.ToSeq < d.FromSeq:
		return "its range ends before it starts"
	case len(d.Hash) != HashSize || len(d.MAC) != sha256.Size:
		return "its hash or MAC has the wrong size"
	case d.Chained() && (len(d.PrevMAC) != sha256.Size || d.Every < 1 || d.Every > maxSeq || d.Interval < 0):
		return "its link or schedule is malformed"
	}
	return ""
}

// ErrBadLine is wrapped by the errors of ParseDigestLine and
// ParseCheckpointLine.
var ErrBadLine = errors.New("malformed audit export line")

// exportRecord is the JSON form of a digest or checkpoint in an export
// (`trent audit export`): a line with "type" "digest" or "checkpoint".
// Hashes and MACs are hex; times RFC 3339 with nanoseconds; Interval a Go
// duration. The chained members are absent from an earlier release's
// records.
type exportRecord struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq,omitempty"`
	FromSeq   int64  `json:"fromSeq,omitempty"`
	ToSeq     int64  `json:"toSeq,omitempty"`
	Hash      string `json:"hash"`
	Time      string `json:"time,omitempty"`
	MAC       string `json:"mac,omitempty"`
	PrevMAC   string `json:"prevMac,omitempty"`
	Every     int64  `json:"every,omitempty"`
	Interval  string `json:"interval,omitempty"`
	LinkSeq   int64  `json:"linkSeq,omitempty"`
	LinkMAC   string `json:"linkMac,omitempty"`
	LinkEvery int64  `json:"linkEvery,omitempty"`
}

// MarshalDigestLine returns d as a line of an export, without the newline.
func MarshalDigestLine(d Digest) []byte {
	r := exportRecord{Type: "digest", FromSeq: d.FromSeq, ToSeq: d.ToSeq, Hash: hex.EncodeToString(d.Hash),
		Time: d.Time.UTC().Format(time.RFC3339Nano), MAC: hex.EncodeToString(d.MAC)}
	if d.Chained() {
		r.PrevMAC, r.Every, r.Interval = hex.EncodeToString(d.PrevMAC), d.Every, d.Interval.String()
	}
	b, _ := json.Marshal(r) // strings and numbers only: it cannot fail
	return b
}

// ParseDigestLine parses a digest line of an export (MarshalDigestLine, or
// an earlier release's unchained form). It checks the line's shape (hex,
// sizes, time, schedule), not its MAC; on error it returns one wrapping
// ErrBadLine.
func ParseDigestLine(b []byte) (Digest, error) {
	var r exportRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Digest{}, fmt.Errorf("%w: %w", ErrBadLine, err)
	}
	if r.Type != "digest" {
		return Digest{}, fmt.Errorf("%w: type %q, want digest", ErrBadLine, r.Type)
	}
	d := Digest{FromSeq: r.FromSeq, ToSeq: r.ToSeq}
	var err error
	if d.Hash, err = hexField("hash", r.Hash, HashSize); err != nil {
		return Digest{}, err
	}
	if d.MAC, err = hexField("mac", r.MAC, sha256.Size); err != nil {
		return Digest{}, err
	}
	if d.Time, err = timeField(r.Time); err != nil {
		return Digest{}, err
	}
	if r.PrevMAC != "" || r.Every != 0 || r.Interval != "" {
		if d.PrevMAC, err = hexField("prevMac", r.PrevMAC, sha256.Size); err != nil {
			return Digest{}, err
		}
		if d.Interval, err = time.ParseDuration(r.Interval); err != nil {
			return Digest{}, fmt.Errorf("%w: interval %q", ErrBadLine, r.Interval)
		}
		d.Every = r.Every
	}
	if why := d.malformed(); why != "" {
		return Digest{}, fmt.Errorf("%w: digest of %d..%d: %s", ErrBadLine, d.FromSeq, d.ToSeq, why)
	}
	return d, nil
}

// MarshalCheckpointLine returns c as a line of an export, without the
// newline.
func MarshalCheckpointLine(c Checkpoint) []byte {
	r := exportRecord{Type: "checkpoint", Seq: c.Seq, Hash: hex.EncodeToString(c.Hash),
		Time: c.Time.UTC().Format(time.RFC3339Nano), MAC: hex.EncodeToString(c.MAC)}
	if c.Linked() {
		r.LinkSeq, r.LinkMAC, r.LinkEvery = c.LinkSeq, hex.EncodeToString(c.LinkMAC), c.LinkEvery
	}
	b, _ := json.Marshal(r)
	return b
}

// ParseCheckpointLine parses a checkpoint line of an export
// (MarshalCheckpointLine, or an earlier release's form). It checks the
// line's shape, not its MAC; on error it returns one wrapping ErrBadLine.
func ParseCheckpointLine(b []byte) (Checkpoint, error) {
	var r exportRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadLine, err)
	}
	if r.Type != "checkpoint" {
		return Checkpoint{}, fmt.Errorf("%w: type %q, want checkpoint", ErrBadLine, r.Type)
	}
	c := Checkpoint{Seq: r.Seq, LinkSeq: r.LinkSeq, LinkEvery: r.LinkEvery}
	if why := c.malformed(); why != "" {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint at %d: %s", ErrBadLine, c.Seq, why)
	}
	var err error
	if c.Hash, err = hexField("hash", r.Hash, HashSize); err != nil {
		return Checkpoint{}, err
	}
	if c.MAC, err = hexField("mac", r.MAC, sha256.Size); err != nil {
		return Checkpoint{}, err
	}
	if c.Time, err = timeField(r.Time); err != nil {
		return Checkpoint{}, err
	}
	if r.LinkMAC != "" {
		if c.LinkMAC, err = hexField("linkMac", r.LinkMAC, sha256.Size); err != nil {
			return Checkpoint{}, err
		}
	} else if r.LinkSeq != 0 || r.LinkEvery != 0 {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint link without linkMac", ErrBadLine)
	}
	return c, nil
}

// malformed says what is wrong with the numbers of c, or "".
func (c *Checkpoint) malformed() string {
	if c.Seq < 1 || c.Seq > maxSeq || c.LinkSeq < 0 || c.LinkSeq > maxSeq || c.LinkEvery < 0 || c.LinkEvery > maxSeq {
		return "numbers out of range"
	}
	return ""
}

func hexField(name, s string, size int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("%w: %s must be %d hex bytes", ErrBadLine, name, size)
	}
	return b, nil
}

func timeField(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q: want RFC 3339", ErrBadLine, s)
	}
	return t.UTC(), nil
}
