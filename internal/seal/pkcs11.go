package seal

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/trentkms/trent/internal/pkcs11"
)

// DefaultPKCS11KeyLabel is the label of the wrapping key in the token
// when PKCS11Config.KeyLabel is empty.
const DefaultPKCS11KeyLabel = "trent-root"

// Wrapped domain key of the pkcs11 seal, format 0x02
// (docs/ciphertext-format.md §4.3):
//
//	offset size
//	0      1    format, 0x02
//	1      1    mechanism: 0x01 = CKM_AES_GCM, 96-bit IV, 128-bit tag
//	2      1    L, the key's label length (1 to 255)
//	3      L    the key's CKA_LABEL
//	3+L    1    M, the key's ID length (1 to 255)
//	4+L    M    the key's CKA_ID
//	4+L+M  44   key check block: IV (12) || GCM of 16 zero bytes (16) || tag (16)
//	48+L+M 60   IV (12) || GCM of the domain key (32) || tag (16)
//
// Both encryptions run in the token under the wrapping key. The check
// block's AAD is pkcs11CheckLabel || bytes 0..4+L+M; the domain key's is
// pkcs11WrapLabel || bytes 0..48+L+M (the header and the check block).
// Label and ID say which key made the blob; the check block tells a key
// that merely shares them (another token's key of the same label and ID)
// from the right key with a damaged blob: a check block that does not
// decrypt is ErrWrongRootKey, a domain key that does not is ErrCorrupt.
const (
	pkcs11MechGCM    = 0x01
	pkcs11CheckSize  = 16
	pkcs11CheckBlock = pkcs11.GCMIVSize + pkcs11CheckSize + pkcs11.GCMTagSize
	pkcs11Body       = pkcs11.GCMIVSize + DomainKeySize + pkcs11.GCMTagSize
	pkcs11CheckLabel = "trent pkcs11 seal: key check v1"
	pkcs11WrapLabel  = "trent pkcs11 seal: domain key v1"
)

// PKCS11Config names the token and key of a PKCS11 seal.
type PKCS11Config struct {
	Module   string // the PKCS#11 module (shared library) path
	Token    string // the token's label
	PIN      []byte // the user PIN; not kept (the caller zeroes it)
	KeyLabel string // the wrapping key's label; "" means DefaultPKCS11KeyLabel
	// CreateKey makes the wrapping key when the token has none with the
	// label (a first start). Without it a missing key is an error.
	CreateKey bool
}

// PKCS11 is a Provider whose root key is an AES-256 key in a PKCS#11
// token: created there (token object, CKA_SENSITIVE, not
// CKA_EXTRACTABLE, encrypt and decrypt only), used there with
// CKM_AES_GCM, never seen by Trent. Every node of a cluster reaches the
// same key (the same HSM, or HSMs that replicate it).
//
// PKCS11 is safe for concurrent use. It holds no key material; Close
// closes its session pool and logs out.
type PKCS11 struct {
	module  *pkcs11.Module
	token   *pkcs11.Token
	key     pkcs11.Key
	created bool

	mu     sync.RWMutex // guards closed
	closed bool
}

var _ Provider = (*PKCS11)(nil)

// OpenPKCS11 loads the module, logs in to the token and finds the
// wrapping key (making it first when CreateKey is set and the token has
// none). Its errors say which part failed and wrap the pkcs11 package's
// sentinels: pkcs11.ErrNotSupported (a build without PKCS#11),
// pkcs11.ErrModule (no such module, not a PKCS#11 library),
// pkcs11.ErrTokenNotFound, pkcs11.ErrPINIncorrect, pkcs11.ErrPINLocked,
// pkcs11.ErrKeyNotFound, pkcs11.ErrKeyAmbiguous, pkcs11.ErrMechanism (a
// token without CKM_AES_GCM), and ErrUnsuitableRootKey for a key found
// that is not sensitive, is extractable, is not AES-256 or has no
// CKA_ID. Nothing is made in the token unless the key is missing and
// CreateKey is set.
func OpenPKCS11(ctx context.Context, cfg PKCS11Config) (*PKCS11, error) {
	label := cfg.KeyLabel
	if label == "" {
		label = DefaultPKCS11KeyLabel
	}
	if len(label) > 255 {
		return nil, fmt.Errorf("seal: pkcs11 key label of %d bytes (at most 255)", len(label))
	}
	m, err := pkcs11.Open(cfg.Module)
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs11 module: %w", err)
	}
	tok, err := m.OpenToken(cfg.Token, cfg.PIN, pkcs11.TokenOptions{})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("seal: pkcs11 token: %w", err)
	}
	p := &PKCS11{module: m, token: tok}
	fail := func(err error) (*PKCS11, error) {
		tok.Close()
		m.Close()
		return nil, err
	}
	if err := tok.SupportsGCM(); err != nil {
		return fail(fmt.Errorf("seal: pkcs11 token: %w", err))
	}
	p.key, err = tok.FindKey(ctx, label)
	if errors.Is(err, pkcs11.ErrKeyNotFound) && cfg.CreateKey {
		p.key, err = tok.GenerateKey(ctx, label, nil)
		p.created = err == nil
	}
	if err != nil {
		return fail(fmt.Errorf("seal: pkcs11 wrapping key: %w", err))
	}
	// A key found rather than made may have been made by hand: refuse one
	// that could leave the token or is not what the format assumes.
	a, err := tok.Attributes(ctx, p.key)
	if err != nil {
		return fail(fmt.Errorf("seal: pkcs11 wrapping key: %w", err))
	}
	unfit := func(why string) (*PKCS11, error) {
		return fail(fmt.Errorf("seal: token %q's key %q %s; make one that never leaves the token (CKA_SENSITIVE true, CKA_EXTRACTABLE false), or let the seal create it under another --pkcs11-key label: %w",
			cfg.Token, label, why, ErrUnsuitableRootKey))
	}
	switch {
	case !a.Sensitive:
		return unfit("is not sensitive (CKA_SENSITIVE false): its value can be read")
	case a.Extractable:
		return unfit("is extractable (CKA_EXTRACTABLE true): it can be wrapped out of the token")
	case a.KeyType != pkcs11.KeyTypeAES || a.ValueLen != pkcs11.AESKeySize:
		return unfit("is not an AES-256 key")
	case !a.Encrypt || !a.Decrypt:
		return unfit("may not encrypt and decrypt (CKA_ENCRYPT, CKA_DECRYPT)")
	case len(p.key.ID) == 0 || len(p.key.ID) > 255:
		return unfit(fmt.Sprintf("has a CKA_ID of %d bytes, not 1 to 255 (pkcs11-tool --id sets one)", len(p.key.ID)))
	}
	return p, nil
}

// Name returns "pkcs11".
func (p *PKCS11) Name() string { return "pkcs11" }

// Created reports whether OpenPKCS11 made the wrapping key.
func (p *PKCS11) Created() bool { return p.created }

// KeyLabel returns the wrapping key's label.
func (p *PKCS11) KeyLabel() string { return p.key.Label }

// TokenLabel returns the token's label.
func (p *PKCS11) TokenLabel() string { return p.token.Info().Label }

func (p *PKCS11) header() []byte {
	h := make([]byte, 0, 4+len(p.key.Label)+len(p.key.ID)+pkcs11CheckBlock+pkcs11Body)
	h = append(h, formatPKCS11, pkcs11MechGCM, byte(len(p.key.Label)))
	h = append(h, p.key.Label...)
	h = append(h, byte(len(p.key.ID)))
	return append(h, p.key.ID...)
}

// Wrap encrypts domainKey (DomainKeySize bytes) in the token.
func (p *PKCS11) Wrap(ctx context.Context, domainKey []byte) ([]byte, error) {
	if len(domainKey) != DomainKeySize {
		return nil, fmt.Errorf("seal: domain key is %d bytes, want %d", len(domainKey), DomainKeySize)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	out := p.header()
	check, err := p.token.EncryptGCM(ctx, p.key, make([]byte, pkcs11CheckSize), append([]byte(pkcs11CheckLabel), out...))
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs11 key check block: %w", err)
	}
	out = append(out, check...)
	body, err := p.token.EncryptGCM(ctx, p.key, domainKey, append([]byte(pkcs11WrapLabel), out...))
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs11 wrap: %w", err)
	}
	return append(out, body...), nil
}

// pkcs11Blob is a parsed wrapped domain key of format 0x02.
type pkcs11Blob struct {
	label, id []byte
	header    []byte // bytes 0..4+L+M
	check     []byte
	checked   []byte // header || check
	body      []byte
}

func parsePKCS11Blob(w []byte) (pkcs11Blob, error) {
	var b pkcs11Blob
	if err := checkFormat(w, formatPKCS11, "pkcs11"); err != nil {
		return b, err
	}
	if len(w) < 3 || w[1] != pkcs11MechGCM {
		return b, ErrMalformed
	}
	l := int(w[2])
	if l == 0 || len(w) < 4+l {
		return b, ErrMalformed
	}
	m := int(w[3+l])
	h := 4 + l + m
	if m == 0 || len(w) != h+pkcs11CheckBlock+pkcs11Body {
		return b, ErrMalformed
	}
	b.label, b.id = w[3:3+l], w[4+l:h]
	b.header, b.check = w[:h], w[h:h+pkcs11CheckBlock]
	b.checked, b.body = w[:h+pkcs11CheckBlock], w[h+pkcs11CheckBlock:]
	return b, nil
}

// Unwrap decrypts a blob made by Wrap, in the token. It returns
// ErrMalformed for bytes that are not a wrapped key of this format,
// ErrWrongRootKey for a blob made by another key (another label or ID, or
// a key of the same label and ID whose key check block does not decrypt:
// another token's key) and ErrCorrupt when the domain key does not
// decrypt under the right key. A token error (gone, failing) is returned
// as it is, wrapping the pkcs11 package's sentinel: it says nothing of the
// blob.
func (p *PKCS11) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	b, err := parsePKCS11Blob(wrapped)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	if string(b.label) != p.key.Label || !bytes.Equal(b.id, p.key.ID) {
		return nil, fmt.Errorf("seal: the domain key was wrapped by the key labelled %q (ID %x); token %q's key is labelled %q (ID %x): %w",
			b.label, b.id, p.TokenLabel(), p.key.Label, p.key.ID, ErrWrongRootKey)
	}
	zeros, err := p.token.DecryptGCM(ctx, p.key, b.check, append([]byte(pkcs11CheckLabel), b.header...))
	if errors.Is(err, pkcs11.ErrDecrypt) {
		return nil, fmt.Errorf("seal: token %q's key %q (ID %x) fails the key check value: another key of the same label and ID wrapped the domain key: %w",
			p.TokenLabel(), p.key.Label, p.key.ID, ErrWrongRootKey)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs11 key check: %w", err)
	}
	if subtle.ConstantTimeCompare(zeros, make([]byte, pkcs11CheckSize)) != 1 {
		return nil, fmt.Errorf("seal: pkcs11 key check block holds other bytes: %w", ErrWrongRootKey)
	}
	key, err := p.token.DecryptGCM(ctx, p.key, b.body, append([]byte(pkcs11WrapLabel), b.checked...))
	if errors.Is(err, pkcs11.ErrDecrypt) {
		return nil, ErrCorrupt
	}
	if err != nil {
		return nil, fmt.Errorf("seal: pkcs11 unwrap: %w", err)
	}
	if len(key) != DomainKeySize {
		clear(key)
		return nil, ErrCorrupt
	}
	return key, nil
}

// DestroyKey destroys the wrapping key in the token, for good: every
// domain key it wrapped is lost with it. A seal rotation calls it once
// the domain key is wrapped under the new key and committed. The provider
// is closed afterwards.
func (p *PKCS11) DestroyKey(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.token.DestroyKey(ctx, p.key); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	p.closeLocked()
	return nil
}

// Close logs out of the token and unloads the module (when nothing else
// in the process uses it). It is idempotent and returns nil.
func (p *PKCS11) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	return nil
}

func (p *PKCS11) closeLocked() {
	if p.closed {
		return
	}
	p.closed = true
	p.token.Close()
	p.module.Close()
}

// String names the token and key; a PKCS11 holds no secret.
func (p *PKCS11) String() string {
	return fmt.Sprintf("seal.PKCS11(token %q, key %q)", p.token.Info().Label, p.key.Label)
}

// GoString is String.
func (p *PKCS11) GoString() string { return p.String() }

// Format prints String for every verb.
func (p *PKCS11) Format(s fmt.State, _ rune) { io.WriteString(s, p.String()) }
