package seal

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"sync"

	"github.com/trentkms/trent/internal/shamir"
)

// Wrapped domain key of the shamir seal, format 0x03
// (docs/ciphertext-format.md §4.4):
//
//	offset size
//	0      1    format, 0x03
//	1      16   share-set ID
//	17     1    threshold T
//	18     1    shares N
//	19     16   root key check value: HMAC-SHA256(root key, shamirKCVLabel)[:16]
//	35     12   AES-GCM IV (random)
//	47     32   ciphertext of the domain key
//	79     16   GCM tag
//
// The AES-256-GCM key is HMAC-SHA256(root key, shamirWrapLabel); the AAD
// is shamirAADLabel || bytes 0..35. The check value lets an Unsealer tell
// that the shares it combined are the right ones before anything is
// decrypted; it is a PRF output under its own label and reveals nothing
// about the key.
const (
	shamirKCVSize   = 16
	shamirHeader    = 1 + shareSetIDSize + 2 + shamirKCVSize
	shamirBlobSize  = shamirHeader + ivSize + DomainKeySize + tagSize
	shamirKCVLabel  = "trent shamir root key: check value v1"
	shamirWrapLabel = "trent shamir root key: domain key wrapping key v1"
	shamirAADLabel  = "trent domain key: shamir v1"
)

// shamirParams is what a wrapped domain key says of its share set.
type shamirParams struct {
	set              ShareSetID
	threshold, count byte
	kcv              [shamirKCVSize]byte
}

func parseShamirHeader(w []byte) (shamirParams, error) {
	var p shamirParams
	if err := checkFormat(w, formatShamir, "shamir"); err != nil {
		return p, err
	}
	if len(w) != shamirBlobSize {
		return p, ErrMalformed
	}
	copy(p.set[:], w[1:17])
	p.threshold, p.count = w[17], w[18]
	copy(p.kcv[:], w[19:35])
	if t, n := int(p.threshold), int(p.count); t < 1 || t > n || (t == 1 && n != 1) {
		return p, ErrMalformed
	}
	return p, nil
}

// Shamir is a Provider whose root key is split into shares with Shamir's
// secret sharing over GF(2^8) (internal/shamir) and never stored whole. A
// Shamir value exists only while unsealed: NewShamir returns one with the
// shares of a new root key, an Unsealer (or UnsealFrom) returns one once
// enough shares are in.
//
// Shamir is safe for concurrent use. It keeps only keys derived from the
// root key, which Close zeroes; after Close, Wrap and Unwrap return
// ErrClosed. No fmt verb prints a key.
type Shamir struct {
	params shamirParams // public

	mu      sync.RWMutex // guards wrapKey and closed
	wrapKey *[sha256.Size]byte
	closed  bool
}

var _ Provider = (*Shamir)(nil)

// NewShamir makes a new root key (from random; nil means crypto/rand),
// splits it into n shares with threshold t (2 <= t <= n <= 255, or 1 of 1)
// under a new share-set ID, and returns the unsealed provider and the
// shares. The root key itself is not kept. The caller writes the shares
// out (WriteShareFiles) and zeroes them.
func NewShamir(n, t int, random io.Reader) (*Shamir, []Share, error) {
	if random == nil {
		random = rand.Reader
	}
	var root [RootKeySize]byte
	defer clear(root[:])
	var set ShareSetID
	if _, err := io.ReadFull(random, root[:]); err != nil {
		return nil, nil, fmt.Errorf("seal: generate root key: %w", err)
	}
	if _, err := io.ReadFull(random, set[:]); err != nil {
		return nil, nil, fmt.Errorf("seal: generate share-set ID: %w", err)
	}
	parts, err := shamir.Split(root[:], n, t, random)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: %w", err)
	}
	shares := make([]Share, len(parts))
	for i, p := range parts {
		shares[i] = Share{set: set, threshold: byte(t), count: byte(n), index: p.X, value: new([shareValueSize]byte)}
		copy(shares[i].value[:], p.Y)
		clear(p.Y)
	}
	s := newShamir(root[:], shamirParams{set: set, threshold: byte(t), count: byte(n)})
	return s, shares, nil
}

// newShamir derives the provider's keys from root; it does not keep root.
// params.kcv is computed here.
func newShamir(root []byte, params shamirParams) *Shamir {
	copy(params.kcv[:], shamirKCV(root))
	s := &Shamir{params: params, wrapKey: new([sha256.Size]byte)}
	m := hmac.New(sha256.New, root)
	m.Write([]byte(shamirWrapLabel))
	m.Sum(s.wrapKey[:0])
	return s
}

func shamirKCV(root []byte) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte(shamirKCVLabel))
	return m.Sum(nil)[:shamirKCVSize]
}

// Name returns "shamir".
func (s *Shamir) Name() string { return "shamir" }

// SetID returns the share set that holds the root key.
func (s *Shamir) SetID() ShareSetID { return s.params.set }

// Threshold returns how many shares reconstruct the root key.
func (s *Shamir) Threshold() int { return int(s.params.threshold) }

// Shares returns how many shares the set has.
func (s *Shamir) Shares() int { return int(s.params.count) }

// Wrap encrypts domainKey (DomainKeySize bytes) under the root key with
// AES-256-GCM and a random IV.
func (s *Shamir) Wrap(_ context.Context, domainKey []byte) ([]byte, error) {
	if len(domainKey) != DomainKeySize {
		return nil, fmt.Errorf("seal: domain key is %d bytes, want %d", len(domainKey), DomainKeySize)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	aead, err := newAEAD(s.wrapKey[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, shamirHeader, shamirBlobSize)
	out[0] = formatShamir
	copy(out[1:], s.params.set[:])
	out[17], out[18] = s.params.threshold, s.params.count
	copy(out[19:], s.params.kcv[:])
	return aead.Seal(out, nil, domainKey, append([]byte(shamirAADLabel), out...)), nil
}

// Unwrap decrypts a blob made by Wrap. It returns ErrMalformed for bytes
// that are not a wrapped key of this format, ErrWrongRootKey for a blob of
// another share set or root key, and ErrCorrupt when authentication fails.
func (s *Shamir) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	p, err := parseShamirHeader(wrapped)
	if err != nil {
		return nil, err
	}
	if p.set != s.params.set {
		return nil, fmt.Errorf("seal: the domain key is wrapped by share set %s, not %s: %w", p.set, s.params.set, ErrWrongRootKey)
	}
	if subtle.ConstantTimeCompare(p.kcv[:], s.params.kcv[:]) != 1 {
		return nil, fmt.Errorf("seal: the root key's check value differs from the wrapped domain key's: %w", ErrWrongRootKey)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	aead, err := newAEAD(s.wrapKey[:])
	if err != nil {
		return nil, err
	}
	key, err := aead.Open(nil, nil, wrapped[shamirHeader:], append([]byte(shamirAADLabel), wrapped[:shamirHeader]...))
	if err != nil {
		return nil, ErrCorrupt
	}
	return key, nil
}

// Close zeroes the provider's keys. It is idempotent and returns nil.
func (s *Shamir) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.wrapKey[:])
	s.closed = true
	return nil
}

// String describes the share set, never a key.
func (s *Shamir) String() string {
	return fmt.Sprintf("seal.Shamir(share set %s, %d of %d)", s.params.set, s.params.threshold, s.params.count)
}

// GoString is String.
func (s *Shamir) GoString() string { return s.String() }

// Format prints String for every verb.
func (s *Shamir) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// UnsealStatus is an Unsealer's state, as the seal-status endpoint shows
// it.
type UnsealStatus struct {
	Sealed    bool
	Progress  int // shares held, 0 to Threshold-1 while sealed
	Threshold int
	Shares    int
	SetID     ShareSetID
}

// Unsealer collects the shares of a Shamir seal one at a time, for a node
// that starts sealed. It holds the shares it has until the threshold is
// reached, then reconstructs the root key, checks it against the wrapped
// domain key's key check value and zeroes the shares whatever the
// outcome: a wrong share set resets progress (ErrShareMismatch); the right
// one returns the unsealed provider once. Seal zeroes everything and
// starts over.
//
// Unsealer is safe for concurrent use; it never holds the root key after
// Submit returns.
type Unsealer struct {
	params shamirParams // from the wrapped domain key; public

	mu       sync.Mutex // guards shares and unsealed
	shares   []Share
	unsealed bool
}

// NewUnsealer returns a sealed Unsealer for the wrapped domain key (format
// 0x03): ErrMalformed for bytes that are not one, an error wrapping
// ErrWrongProvider for another provider's.
func NewUnsealer(wrapped []byte) (*Unsealer, error) {
	p, err := parseShamirHeader(wrapped)
	if err != nil {
		return nil, err
	}
	return &Unsealer{params: p}, nil
}

// Status returns the Unsealer's state.
func (u *Unsealer) Status() UnsealStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.statusLocked()
}

func (u *Unsealer) statusLocked() UnsealStatus {
	return UnsealStatus{Sealed: !u.unsealed, Progress: len(u.shares), Threshold: int(u.params.threshold),
		Shares: int(u.params.count), SetID: u.params.set}
}

// Submit adds share. Until the threshold is reached it returns the new
// status and a nil provider. The share that reaches it makes the Unsealer
// combine the shares and zero them: if they reconstruct the root key, it
// returns the unsealed provider (the caller unwraps the domain key with it
// and closes it) and the Unsealer is unsealed; if not, ErrShareMismatch
// and progress starts again from zero.
//
// A share that is refused changes nothing: ErrWrongShareSet (another
// set), ErrInvalidShare (parameters that contradict the set's),
// ErrDuplicateShare (its index is in already), ErrUnsealed. Submit takes
// ownership of share: it zeroes it when it is refused or used.
func (u *Unsealer) Submit(share Share) (UnsealStatus, *Shamir, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	refuse := func(err error) (UnsealStatus, *Shamir, error) {
		share.Zero()
		return u.statusLocked(), nil, err
	}
	if u.unsealed {
		return refuse(ErrUnsealed)
	}
	if share.value == nil {
		return refuse(fmt.Errorf("%w: empty share", ErrInvalidShare))
	}
	if share.set != u.params.set {
		return refuse(fmt.Errorf("%w: the share is of share set %s; the domain key is wrapped by share set %s",
			ErrWrongShareSet, share.set, u.params.set))
	}
	if share.threshold != u.params.threshold || share.count != u.params.count {
		return refuse(fmt.Errorf("%w: the share says %d of %d, its share set is %d of %d",
			ErrInvalidShare, share.threshold, share.count, u.params.threshold, u.params.count))
	}
	if err := share.validParams(); err != nil {
		return refuse(err)
	}
	for _, s := range u.shares {
		if s.index == share.index {
			return refuse(fmt.Errorf("%w: share %d", ErrDuplicateShare, share.index))
		}
	}
	u.shares = append(u.shares, share)
	if len(u.shares) < int(u.params.threshold) {
		return u.statusLocked(), nil, nil
	}
	parts := make([]shamir.Share, len(u.shares))
	for i, s := range u.shares {
		parts[i] = shamir.Share{X: s.index, Y: s.value[:]}
	}
	root, err := shamir.Combine(parts)
	u.zeroShares()
	if err != nil {
		return u.statusLocked(), nil, fmt.Errorf("seal: combine shares: %w", err)
	}
	defer clear(root)
	if subtle.ConstantTimeCompare(shamirKCV(root), u.params.kcv[:]) != 1 {
		return u.statusLocked(), nil, ErrShareMismatch
	}
	u.unsealed = true
	return u.statusLocked(), newShamir(root, u.params), nil
}

// SubmitText parses one share's text (ParseShare) and submits it.
func (u *Unsealer) SubmitText(text []byte) (UnsealStatus, *Shamir, error) {
	share, err := ParseShare(text)
	if err != nil {
		return u.Status(), nil, err
	}
	return u.Submit(share)
}

// Reset drops the shares submitted so far (zeroing them); an unsealed
// Unsealer stays unsealed.
func (u *Unsealer) Reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.zeroShares()
}

// Seal zeroes the shares held and makes the Unsealer sealed again, for a
// node that seals itself (the node drops its keyring as well).
func (u *Unsealer) Seal() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.zeroShares()
	u.unsealed = false
}

func (u *Unsealer) zeroShares() {
	for _, s := range u.shares {
		s.Zero()
	}
	clear(u.shares)
	u.shares = u.shares[:0]
}

// UnsealFrom reads shares from r, one a line (blank lines are skipped),
// until the threshold of the share set that wrapped wrapped is reached,
// and returns the unsealed provider: for commands that need the domain
// key and read the shares from standard input. A line that is not a share
// of the set, or shares that do not reconstruct the root key, end it with
// an error naming the line; input that ends first is ErrNotEnoughShares.
func UnsealFrom(r io.Reader, wrapped []byte) (*Shamir, error) {
	u, err := NewUnsealer(wrapped)
	if err != nil {
		return nil, err
	}
	defer u.Seal()
	lr := &lineReader{r: r}
	defer lr.zero()
	for n := 1; ; n++ {
		line, err := lr.next()
		if err == io.EOF {
			st := u.Status()
			return nil, fmt.Errorf("%w: %d of %d shares read", ErrNotEnoughShares, st.Progress, st.Threshold)
		}
		if err != nil {
			return nil, fmt.Errorf("seal: read shares: %w", err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		_, s, err := u.SubmitText(line)
		if err != nil {
			return nil, fmt.Errorf("seal: line %d: %w", n, err)
		}
		if s != nil {
			return s, nil
		}
	}
}

// lineReader reads lines of at most MaxShareLine bytes without buffering
// more of r than it returns, so that the bytes of a share it read are all
// in its own buffer, which zero clears.
type lineReader struct {
	r   io.Reader
	buf [MaxShareLine + 2]byte
	one [1]byte
}

func (l *lineReader) next() ([]byte, error) {
	n := 0
	for {
		_, err := io.ReadFull(l.r, l.one[:])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if n == 0 {
				return nil, io.EOF
			}
			return l.buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
		if l.one[0] == '\n' {
			return l.buf[:n], nil
		}
		if n == len(l.buf) {
			return nil, fmt.Errorf("%w: a line over %d bytes", ErrInvalidShare, MaxShareLine)
		}
		l.buf[n] = l.one[0]
		n++
	}
}

func (l *lineReader) zero() { clear(l.buf[:]); l.one[0] = 0 }
