package keyring

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// DomainKeySize is the size in bytes of the domain key.
const DomainKeySize = KeySize

// KeyCheckValueSize is the size in bytes of a key check value.
const KeyCheckValueSize = 16

const kcvLabel = "trent key check value v1"

// NewDomainKey returns a new random 256-bit domain key read from random
// (nil means crypto/rand). The caller owns the slice and should zero it
// once the seal has wrapped it and the keyring has copied it.
func NewDomainKey(random io.Reader) ([]byte, error) {
	if random == nil {
		random = rand.Reader
	}
	k := make([]byte, DomainKeySize)
	if _, err := io.ReadFull(random, k); err != nil {
		clear(k)
		return nil, fmt.Errorf("keyring: generate domain key: %w", err)
	}
	return k, nil
}

// KeyCheckValue returns HMAC-SHA256(domainKey, "trent key check value v1")
// truncated to KeyCheckValueSize bytes. It is stored beside the wrapped
// domain key, so that a server can tell that the root of trust returned the
// right domain key before it writes anything. The value reveals nothing
// about the key (it is a PRF output under a label used for nothing else).
//
// It panics if domainKey is not DomainKeySize bytes; use CheckDomainKey on
// keys that come from outside.
func KeyCheckValue(domainKey []byte) []byte {
	if len(domainKey) != DomainKeySize {
		panic("keyring: KeyCheckValue of a domain key that is not 32 bytes")
	}
	mac := hmac.New(sha256.New, domainKey)
	mac.Write([]byte(kcvLabel))
	return mac.Sum(nil)[:KeyCheckValueSize]
}

// CheckDomainKey reports whether domainKey matches the key check value kcv,
// comparing in constant time. It returns ErrInvalidDomainKey for a key of
// the wrong size and ErrKeyCheckMismatch when the values differ (including
// a kcv of the wrong size).
func CheckDomainKey(domainKey, kcv []byte) error {
	if len(domainKey) != DomainKeySize {
		return ErrInvalidDomainKey
	}
	if subtle.ConstantTimeCompare(KeyCheckValue(domainKey), kcv) != 1 {
		return ErrKeyCheckMismatch
	}
	return nil
}

// kdfCounter derives KeySize bytes with the NIST SP 800-108r1 KDF in
// counter mode, PRF HMAC-SHA256, r = 32, one iteration (L = 256 bits):
//
//	out = HMAC(K, [1]_32 || label || 0x00 || context || [256]_32)
//
// mac must be HMAC-SHA256 keyed by K in its reset state; kdfCounter leaves
// it written (Reset it before reuse). in is scratch space for the fixed
// input, so that the caller can keep it off the heap path; it must hold
// 9+len(label)+len(context) bytes.
func kdfCounter(out *[KeySize]byte, mac hash.Hash, in []byte, label string, context []byte) {
	n := copy(in[4:], label)
	binary.BigEndian.PutUint32(in[0:4], 1)
	in[4+n] = 0x00
	n += 5
	n += copy(in[n:], context)
	binary.BigEndian.PutUint32(in[n:], 8*KeySize)
	n += 4
	mac.Write(in[:n])
	mac.Sum(out[:0])
}

// deriveKey is kdfCounter for derivations off the hot path.
func deriveKey(key []byte, label string, context []byte) secret {
	s := newSecret()
	in := make([]byte, 9+len(label)+len(context))
	kdfCounter(s.k, hmac.New(sha256.New, key), in, label, context)
	return s
}
