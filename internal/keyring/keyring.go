// Package keyring is Trent's cryptographic boundary, the software analogue
// of an HSM: every byte of plaintext key material lives here and nowhere
// else.
//
// The keyring owns a copy of the domain key (unwrapped by internal/seal)
// and with it
//   - wraps new key material of every KMS key spec and other secrets for
//     storage (NewSymmetricMaterial, NewMaterial, WrapSecret,
//     UnwrapSecret);
//   - keeps a bounded cache of unwrapped material, parsed once (symmetric
//     keys with their keyed HMAC state, HMAC keys likewise, asymmetric keys
//     as ready-to-use crypto/rsa, crypto/ecdsa, crypto/ecdh, ed25519,
//     ML-DSA and ML-KEM values), filled on a miss from a MaterialSource
//     that the caller provides (the keyring never reads the database
//     itself);
//   - produces and opens symmetric ciphertext blobs (Encrypt, Decrypt,
//     ReEncrypt, GenerateDataKey) in the format of docs/ciphertext-format.md;
//   - signs and verifies (Sign, Verify), encrypts and decrypts with RSA-OAEP
//     (EncryptRSA, DecryptRSA), computes HMACs (GenerateMac, VerifyMac),
//     derives ECDH secrets (DeriveSharedSecret), encapsulates with ML-KEM
//     (Encapsulate, Decapsulate), exports public keys (PublicKey) and makes
//     data key pairs (GenerateKeyPair), byte for byte as AWS KMS does.
//
// Key derivation: the domain key is used only as an HMAC-SHA256 key, to
// compute the key check value and to derive the wrapping key (SP 800-108
// counter-mode KDF). Each ciphertext's AES-256-GCM key is derived from the
// backing key and a random 256-bit per-message nonce with the same KDF.
//
// FIPS 140-3: symmetric keys, RSA, ECDSA and ECDH on the NIST curves,
// Ed25519 and Ed25519ph, HMAC-SHA-2 and ML-KEM-768/1024 use only the
// standard library and work in Go's FIPS mode (GODEBUG=fips140=on or
// only; RSAES_OAEP_SHA_1 is refused under =only). secp256k1
// (github.com/decred/dcrd/dcrec/secp256k1/v4), ML-KEM-512 and ML-DSA
// (github.com/cloudflare/circl) are outside Go's FIPS module: they keep
// working in FIPS mode but are not FIPS-validated.
//
// Secrets are held in buffers that are zeroed when no longer needed
// (evicted cache entries, Forget, Close, intermediate plaintext, raw key
// encodings). What Go cannot zero is outside the package's reach: the
// expanded AES key schedules and HMAC states inside crypto/aes and
// crypto/hmac, the internal copies that crypto/rsa, crypto/ecdsa,
// crypto/ecdh and crypto/mlkem keep of private keys (an evicted RSA key's
// big.Int words are cleared, its precomputed FIPS-module copy is not), and
// circl's expanded ML-KEM-512 vectors are left to the garbage collector.
// No error and no fmt verb ever shows key material.
package keyring

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// DefaultCacheSize is the number of unwrapped materials a keyring caches
// when Options.CacheSize is zero.
const DefaultCacheSize = 100_000

// MaterialSource returns the wrapped material for ref, as
// NewSymmetricMaterial or NewMaterial made it, typically from the database. It returns an
// error wrapping ErrMaterialNotFound if ref does not exist. It is called
// on a cache miss, at most once at a time per ref, with the context of the
// request that missed, and must be safe for concurrent use.
type MaterialSource func(ctx context.Context, ref MaterialRef) (Wrapped, error)

// Options configure a Keyring.
type Options struct {
	// Source loads wrapped material on a cache miss. Nil means no material
	// exists: Encrypt fails with ErrMaterialNotFound and Decrypt with
	// ErrInvalidCiphertext (useful for a keyring that only wraps secrets).
	Source MaterialSource
	// CacheSize bounds the number of unwrapped materials held in memory.
	// A symmetric or HMAC key costs about 1.2 KiB (the key, its
	// precomputed HMAC state and one spare clone of it, the map entry):
	// about 115 MiB at the default. Asymmetric keys cost more
	// (TestMaterialMemory measures them): Ed25519, secp256k1 and the NIST
	// curves 0.5 to 1.5 KiB, RSA 5 to 7.5 KiB, ML-KEM 6.5 to 17 KiB, and
	// ML-DSA 57 to 120 KiB (the expanded matrix and NTT-form secrets that
	// make signing fast). CacheBytes bounds the bytes as well. Zero means
	// DefaultCacheSize; negative is an error.
	CacheSize int
	// CacheBytes bounds the approximate heap the cached materials take,
	// counted per material by spec (materialCost, cache_bytes.go: the
	// figures above, rounded up); the least recently used materials
	// (CLOCK) are evicted and zeroed beyond it. Both bounds hold; the
	// budget is split evenly over the cache's shards. Zero means
	// DefaultCacheBytes; negative is an error.
	CacheBytes int64
	// Rand is the source of keys, nonces and random bytes. Nil means
	// crypto/rand, which production must use. (AES-GCM IVs always come from
	// the standard library's generator.)
	Rand io.Reader
}

// Keyring holds the domain key and the material cache. It is safe for
// concurrent use. Close zeroes its secrets; after Close every method
// returns ErrClosed.
type Keyring struct {
	random  io.Reader
	source  MaterialSource
	cache   *cache
	scratch sync.Pool // *scratch

	mu       sync.RWMutex // guards wrapKey against Close
	wrapKey  secret       // derived from the domain key; zeroed by Close
	idKey    secret       // keys imported materials' IDs; derived from the domain key; zeroed by Close
	tokKey   secret       // authenticates grant tokens; derived from the domain key; zeroed by Close
	auditKey secret       // signs audit digests; derived from the domain key; zeroed by Close
	closed   atomic.Bool  // set under mu
}

// Label for the SP 800-108 derivation of the wrapping key from the domain
// key. The key check value uses its own label (domain.go).
const wrapKeyLabel = "trent domain key: wrapping key v1"

// Open returns a keyring for domainKey, which must be DomainKeySize bytes
// (else ErrInvalidDomainKey). Open derives what it needs from domainKey and
// does not retain it; the caller should zero its copy. Open does not check
// the key check value: call CheckDomainKey first.
func Open(domainKey []byte, opts Options) (*Keyring, error) {
	if len(domainKey) != DomainKeySize {
		return nil, ErrInvalidDomainKey
	}
	size := opts.CacheSize
	switch {
	case size == 0:
		size = DefaultCacheSize
	case size < 0:
		return nil, fmt.Errorf("keyring: cache size %d is negative", size)
	}
	k := &Keyring{
		random:   opts.Rand,
		source:   opts.Source,
		wrapKey:  deriveKey(domainKey, wrapKeyLabel, nil),
		idKey:    deriveKey(domainKey, importIDKeyLabel, nil),
		auditKey: deriveKey(domainKey, auditKeyLabel, nil),
		tokKey:   deriveKey(domainKey, grantTokenKeyLabel, nil),
	}
	if k.random == nil {
		k.random = rand.Reader
	}
	budget := opts.CacheBytes
	switch {
	case budget == 0:
		budget = DefaultCacheBytes
	case budget < 0:
		return nil, fmt.Errorf("keyring: cache byte budget %d is negative", budget)
	}
	k.cache = newCache(size, budget, k.load)
	k.scratch.New = func() any { return newScratch() }
	return k, nil
}

// auditKeyLabel is the label of the audit digest key's derivation.
const auditKeyLabel = "trent domain key: audit digest key v1"

// AuditKey returns a copy of the key that signs the audit log's digests
// and checkpoints (HMAC-SHA256): derived from the domain key with the
// same SP 800-108 KDF as the wrapping key, under its own label, and never
// stored, so that write access to the database is not enough to forge a
// digest. It returns ErrClosed after Close. The caller should zero the
// copy when done.
func (k *Keyring) AuditKey() ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed.Load() {
		return nil, ErrClosed
	}
	return append([]byte(nil), k.auditKey.bytes()...), nil
}

// Close zeroes the keyring's secrets: the wrapping key and every cached
// material (a material in use by a call in progress is zeroed when that
// call finishes). It is idempotent and returns nil.
func (k *Keyring) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed.Store(true)
	k.wrapKey.zero()
	k.idKey.zero()
	k.tokKey.zero()
	k.auditKey.zero()
	k.cache.close()
	return nil
}

// Stats returns the unwrapped-key cache's counters. It takes each
// shard's read lock briefly and is safe for concurrent use; metrics
// scrapes call it.
func (k *Keyring) Stats() CacheStats { return k.cache.stats() }

// Forget drops ref's material from the cache and zeroes it (once calls in
// progress that use it finish). Call it when a key or material version is
// deleted, so that no unwrapped copy outlives it; a load of ref in progress
// at the time is not cached either. Forget of an uncached ref does nothing.
func (k *Keyring) Forget(ref MaterialRef) {
	k.cache.forget(ref)
}

// Random returns n bytes (1 to MaxRandomSize, else ErrInvalidSize) from the
// keyring's random source.
func (k *Keyring) Random(n int) ([]byte, error) {
	if k.closed.Load() {
		return nil, ErrClosed
	}
	if n < 1 || n > MaxRandomSize {
		return nil, ErrInvalidSize
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(k.random, b); err != nil {
		return nil, fmt.Errorf("keyring: read random: %w", err)
	}
	return b, nil
}

// load fills a cache miss: it validates ref, asks the source for the
// wrapped material and unwraps it.
func (k *Keyring) load(ctx context.Context, ref MaterialRef) (*material, error) {
	if !ref.valid() {
		return nil, fmt.Errorf("keyring: material %q: %w", ref.String(), ErrInvalidRef)
	}
	if k.source == nil {
		return nil, fmt.Errorf("keyring: material %s: no material source: %w", ref, ErrMaterialNotFound)
	}
	w, err := k.source(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("keyring: load material %s: %w", ref, err)
	}
	if len(w) > 0 && w[0] == wrappedTypedVersion {
		m, err := k.unwrapTypedMaterial(ref, w)
		if err != nil {
			return nil, fmt.Errorf("keyring: unwrap material %s: %w", ref, err)
		}
		return m, nil
	}
	key, err := k.unwrapMaterial(ref, w)
	if err != nil {
		return nil, fmt.Errorf("keyring: unwrap material %s: %w", ref, err)
	}
	return newMaterial(ref, key), nil
}

// String describes the keyring without any key material.
func (k *Keyring) String() string { return "keyring.Keyring{" + redacted + "}" }

// GoString is String.
func (k *Keyring) GoString() string { return k.String() }

// Format prints String for every verb.
func (k *Keyring) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }
