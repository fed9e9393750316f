package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Per-message key derivation: SP 800-108r1 counter-mode KDF with
// HMAC-SHA256 keyed by the backing key, Label = msgLabel, Context = the
// blob's 256-bit nonce, L = 256:
//
//	K_msg = HMAC-SHA256(K_backing, 00000001 || "trent msg v1" || 00 || nonce || 00000100)
//
// The input is 53 bytes, so with the keyed state cached per material the
// derivation costs two SHA-256 compressions.
const (
	msgLabel     = "trent msg v1"
	kdfInputSize = 4 + len(msgLabel) + 1 + nonceSize + 4
)

// The inner hash must fit one block: 64 - 1 (0x80) - 8 (length) = 55 bytes.
var _ = [55 - kdfInputSize]struct{}{}

// scratch is per-call working memory, pooled so that the hot path does not
// allocate it.
type scratch struct {
	mk    [KeySize]byte // message key; cleared after use
	kdfIn [kdfInputSize]byte
	aad   []byte   // header || encoded encryption context
	keys  []string // for sorting the context
	pt    []byte   // ReEncrypt's intermediate plaintext; cleared after use
}

const maxPooledAAD = 16 << 10

func newScratch() *scratch {
	return &scratch{aad: make([]byte, 0, 512), keys: make([]string, 0, 8)}
}

func (k *Keyring) getScratch() *scratch { return k.scratch.Get().(*scratch) }

func (k *Keyring) putScratch(sc *scratch) {
	clear(sc.mk[:])
	clear(sc.pt)
	sc.pt = sc.pt[:0]
	if cap(sc.aad) > maxPooledAAD {
		sc.aad = make([]byte, 0, 512)
	}
	k.scratch.Put(sc)
}

// newGCM returns AES-256-GCM with random 96-bit IVs (prepended by Seal)
// under key. The caller may clear key afterwards.
func newGCM(key *[KeySize]byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return aead, nil
}

// acquire returns ref's material, loading it on a miss; release it after
// use.
func (k *Keyring) acquire(ctx context.Context, ref MaterialRef) (*material, error) {
	if k.closed.Load() {
		return nil, ErrClosed
	}
	return k.cache.get(ctx, ref)
}

// acquireSymmetric is acquire for the ciphertext-blob operations: ref's
// material must be SYMMETRIC_DEFAULT, else ErrWrongKeyType.
func (k *Keyring) acquireSymmetric(ctx context.Context, ref MaterialRef) (*material, error) {
	m, err := k.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	if m.spec != specSymmetricDefault {
		m.release()
		return nil, ErrWrongKeyType
	}
	return m, nil
}

// Encrypt encrypts plaintext (at most MaxPlaintextSize bytes) under ref's
// material, bound to the encryption context encCtx (nil and empty are the
// same context), and returns a ciphertext blob of
// len(plaintext) + 60 + header (at most 88) bytes.
//
// On a cache miss it loads the material through the MaterialSource with
// ctx. Errors: ErrInvalidSize, ErrInvalidRef, ErrMaterialNotFound (wrapped),
// ErrWrongKeyType (ref's material is not SYMMETRIC_DEFAULT),
// ErrUnwrap (wrapped: the stored material does not open), source errors
// (wrapped), ErrClosed. Safe for concurrent use.
func (k *Keyring) Encrypt(ctx context.Context, ref MaterialRef, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, ErrInvalidSize
	}
	m, err := k.acquireSymmetric(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer m.release()
	return k.seal(m, plaintext, encCtx)
}

// seal writes the blob for plaintext under m. m.ref is valid (it is cached).
func (k *Keyring) seal(m *material, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	hs := headerSize(m.ref)
	out := make([]byte, 0, hs+bodyOverhead+len(plaintext))
	out = appendHeader(out, m.ref)
	out = out[:hs+nonceSize]
	nonce := out[hs:]
	if _, err := io.ReadFull(k.random, nonce); err != nil {
		return nil, fmt.Errorf("keyring: read nonce: %w", err)
	}

	sc := k.getScratch()
	defer k.putScratch(sc)
	var ok bool
	sc.aad, sc.keys, ok = appendContext(append(sc.aad[:0], out[:hs]...), encCtx, sc.keys)
	if !ok {
		return nil, fmt.Errorf("keyring: encryption context: %w", ErrInvalidSize)
	}
	aead, err := k.messageAEAD(m, sc, nonce)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, nil, plaintext, sc.aad), nil
}

// messageAEAD derives the message key for nonce into sc.mk, builds the
// AEAD and clears sc.mk.
func (k *Keyring) messageAEAD(m *material, sc *scratch, nonce []byte) (cipher.AEAD, error) {
	p := m.getPRF()
	kdfCounter(&sc.mk, p.h, sc.kdfIn[:], msgLabel, nonce)
	m.putPRF(p)
	aead, err := newGCM(&sc.mk)
	clear(sc.mk[:])
	return aead, err
}

// Decrypt decrypts a blob made by Encrypt with the same encryption context
// (nil and empty are the same). The caller first calls ParseHeader to find
// and authorize the key; Decrypt returns the same Header.
//
// Every failure of the blob itself — malformed, any byte edited, another
// context, a material version that does not exist — is the one opaque
// ErrInvalidCiphertext. Other errors are not the client's: ErrUnwrap
// (wrapped: the stored material does not open under this domain key),
// source errors (wrapped), ErrClosed. The returned plaintext is the
// caller's. Safe for concurrent use.
func (k *Keyring) Decrypt(ctx context.Context, blob []byte, encCtx map[string]string) (Header, []byte, error) {
	h, hs, err := parseHeader(blob)
	if err != nil {
		return Header{}, nil, err
	}
	m, err := k.acquireForDecrypt(ctx, h.Ref())
	if err != nil {
		return Header{}, nil, err
	}
	defer m.release()
	pt, err := k.open(m, blob, hs, encCtx, make([]byte, 0, len(blob)-hs-bodyOverhead))
	if err != nil {
		return Header{}, nil, err
	}
	return h, pt, nil
}

// acquireForDecrypt is acquireSymmetric with a missing material, or one
// that is not symmetric, reported as ErrInvalidCiphertext: for the client
// it is a blob that names nothing it could have been made with.
func (k *Keyring) acquireForDecrypt(ctx context.Context, ref MaterialRef) (*material, error) {
	m, err := k.acquireSymmetric(ctx, ref)
	if errors.Is(err, ErrMaterialNotFound) || errors.Is(err, ErrWrongKeyType) {
		return nil, ErrInvalidCiphertext
	}
	return m, err
}

// open decrypts blob (whose header, hs bytes, names m) into dst, which must
// have capacity for the plaintext.
func (k *Keyring) open(m *material, blob []byte, hs int, encCtx map[string]string, dst []byte) ([]byte, error) {
	sc := k.getScratch()
	defer k.putScratch(sc)
	var ok bool
	sc.aad, sc.keys, ok = appendContext(append(sc.aad[:0], blob[:hs]...), encCtx, sc.keys)
	if !ok {
		return nil, ErrInvalidCiphertext
	}
	aead, err := k.messageAEAD(m, sc, blob[hs:hs+nonceSize])
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(dst, nil, blob[hs+nonceSize:], sc.aad)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return pt, nil
}

// ReEncrypt decrypts blob with srcCtx and encrypts the plaintext under
// dstRef with dstCtx, without the plaintext leaving the keyring (it is
// zeroed before ReEncrypt returns). It returns the source blob's header and
// the new blob. Authorize both keys first (ParseHeader names the source).
//
// Errors are Decrypt's for the source blob, then Encrypt's for dstRef.
func (k *Keyring) ReEncrypt(ctx context.Context, blob []byte, srcCtx map[string]string, dstRef MaterialRef, dstCtx map[string]string) (Header, []byte, error) {
	h, hs, err := parseHeader(blob)
	if err != nil {
		return Header{}, nil, err
	}
	src, err := k.acquireForDecrypt(ctx, h.Ref())
	if err != nil {
		return Header{}, nil, err
	}
	sc := k.getScratch()
	defer k.putScratch(sc)
	if n := len(blob) - hs - bodyOverhead; cap(sc.pt) < n {
		sc.pt = make([]byte, 0, max(n, MaxPlaintextSize))
	}
	pt, err := k.open(src, blob, hs, srcCtx, sc.pt[:0])
	src.release()
	if err != nil {
		return Header{}, nil, err
	}
	sc.pt = pt // so that putScratch clears it

	dst, err := k.acquireSymmetric(ctx, dstRef)
	if err != nil {
		return Header{}, nil, err
	}
	defer dst.release()
	out, err := k.seal(dst, pt, dstCtx)
	if err != nil {
		return Header{}, nil, err
	}
	return h, out, nil
}

// GenerateDataKey returns n random bytes (1 to MaxRandomSize, else
// ErrInvalidSize) and the same bytes encrypted as Encrypt would. The
// plaintext is the caller's to return and then zero; for
// GenerateDataKeyWithoutPlaintext, zero it at once. Errors are Encrypt's.
func (k *Keyring) GenerateDataKey(ctx context.Context, ref MaterialRef, n int, encCtx map[string]string) (plaintext, blob []byte, err error) {
	plaintext, err = k.Random(n)
	if err != nil {
		return nil, nil, err
	}
	blob, err = k.Encrypt(ctx, ref, plaintext, encCtx)
	if err != nil {
		clear(plaintext)
		return nil, nil, err
	}
	return plaintext, blob, nil
}
