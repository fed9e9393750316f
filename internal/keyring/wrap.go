package keyring

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Wrapped is key material or a secret encrypted under the domain key: safe
// to store and to log. It is an alias, so that a []byte from the database
// needs no conversion.
//
// Format version 1: 0x01 | AES-GCM IV (12) | ciphertext | tag (16), with
// AES-256-GCM under the wrapping key (derived from the domain key) and
// AAD = 0x01 | the purpose encoding below. A wrapped 256-bit material is 61
// bytes.
//
// Format version 2 is the same envelope around typed key material (every
// spec but SYMMETRIC_DEFAULT, see keymaterial.go): 0x02 | IV | ciphertext |
// tag, AAD = 0x02 | the purposeTypedMaterial encoding. The first byte is
// authenticated as part of the AAD, so a blob of one version never opens
// as the other.
type Wrapped = []byte

const (
	wrappedVersion      = 0x01
	wrappedTypedVersion = 0x02
)

// purpose separates the things the wrapping key protects, so that a blob
// wrapped for one purpose never unwraps as another.
type purpose uint8

const (
	purposeInvalid           purpose = iota // the zero value is never valid
	purposeSymmetricMaterial                // AAD: label, account, region, key ID, version
	purposeSecret                           // AAD: label, caller's label
	purposeTypedMaterial                    // AAD: label, account, region, key ID, version
	purposeImportToken                      // AAD: label, account, region, key ID, 0
)

// String returns the purpose's label, which is also its AAD prefix.
func (p purpose) String() string {
	switch p {
	case purposeSymmetricMaterial:
		return "trent symmetric material v1"
	case purposeSecret:
		return "trent secret v1"
	case purposeTypedMaterial:
		return "trent key material v1"
	case purposeImportToken:
		return "trent import token v1"
	}
	return "invalid purpose"
}

// appendLP appends s with a uint32 big-endian length prefix.
func appendLP(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// materialAAD binds wrapped material to its key and version: every field
// is length-prefixed, so no two refs share an encoding.
func materialAAD(r MaterialRef) []byte {
	return refAAD(wrappedVersion, purposeSymmetricMaterial, r)
}

// typedMaterialAAD is materialAAD for typed (format 2) material.
func typedMaterialAAD(r MaterialRef) []byte {
	return refAAD(wrappedTypedVersion, purposeTypedMaterial, r)
}

func refAAD(version byte, p purpose, r MaterialRef) []byte {
	b := make([]byte, 0, 64+len(r.Region)+len(r.KeyID))
	b = append(b, version)
	b = appendLP(b, p.String())
	b = appendLP(b, r.Account)
	b = appendLP(b, r.Region)
	b = appendLP(b, r.KeyID)
	return binary.BigEndian.AppendUint32(b, r.Version)
}

func secretAAD(label string) []byte {
	b := make([]byte, 0, 32+len(label))
	b = append(b, wrappedVersion)
	b = appendLP(b, purposeSecret.String())
	return appendLP(b, label)
}

// NewSymmetricMaterial generates a new 256-bit backing key for ref and
// returns it wrapped under the domain key, bound to ref (account, region,
// key ID and version): it unwraps for no other ref. The plaintext never
// leaves the keyring and is not cached: the caller stores the result, and
// the first use loads it through the MaterialSource, so that the cache only
// ever holds material the database committed.
//
// It returns ErrInvalidRef for a malformed ref and ErrClosed after Close.
func (k *Keyring) NewSymmetricMaterial(ref MaterialRef) (Wrapped, error) {
	if !ref.valid() {
		return nil, fmt.Errorf("keyring: new material %q: %w", ref.String(), ErrInvalidRef)
	}
	key := newSecret()
	defer key.zero()
	if _, err := io.ReadFull(k.random, key.bytes()); err != nil {
		return nil, fmt.Errorf("keyring: generate material: %w", err)
	}
	return k.wrap(materialAAD(ref), key.bytes())
}

// unwrapMaterial returns the key in w, which must have been made by
// NewSymmetricMaterial for ref under this domain key, else ErrUnwrap.
func (k *Keyring) unwrapMaterial(ref MaterialRef, w Wrapped) (secret, error) {
	if len(w) != 1+ivSize+KeySize+tagSize {
		return secret{}, ErrUnwrap
	}
	key := newSecret()
	if err := k.unwrap(key.bytes()[:0], materialAAD(ref), w); err != nil {
		key.zero()
		return secret{}, err
	}
	return key, nil
}

// WrapSecret encrypts secret (for example a principal's secret access key)
// under the domain key, bound to label: UnwrapSecret succeeds only with the
// same label. label must not be empty. The keyring keeps no copy.
func (k *Keyring) WrapSecret(label string, secret []byte) ([]byte, error) {
	if label == "" {
		return nil, fmt.Errorf("keyring: wrap secret: empty label")
	}
	return k.wrap(secretAAD(label), secret)
}

// UnwrapSecret reverses WrapSecret. It returns ErrUnwrap if wrapped was
// altered, made with another label or under another domain key. The
// caller owns the returned slice and should zero it after use.
func (k *Keyring) UnwrapSecret(label string, wrapped []byte) ([]byte, error) {
	if label == "" {
		return nil, fmt.Errorf("keyring: unwrap secret: empty label")
	}
	if len(wrapped) < 1+ivSize+tagSize {
		return nil, ErrUnwrap
	}
	out := make([]byte, 0, len(wrapped)-1-ivSize-tagSize)
	if err := k.unwrap(out, secretAAD(label), wrapped); err != nil {
		return nil, err
	}
	return out[:cap(out)], nil
}

// wrap seals plaintext under the wrapping key with AAD = aad, which starts
// with the format version byte; the blob starts with the same byte.
func (k *Keyring) wrap(aad, plaintext []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed.Load() {
		return nil, ErrClosed
	}
	aead, err := newGCM(k.wrapKey.k)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, 1+ivSize+len(plaintext)+tagSize)
	out[0] = aad[0]
	return aead.Seal(out, nil, plaintext, aad), nil
}

// unwrap opens w into dst, which must have room for the whole plaintext
// (cap(dst) >= len(w)-29), so that the plaintext lands in the caller's
// buffer and no other copy is made. w's version byte must be aad's first.
func (k *Keyring) unwrap(dst, aad []byte, w []byte) error {
	if len(w) < 1+ivSize+tagSize || w[0] != aad[0] || cap(dst) < len(w)-1-ivSize-tagSize {
		return ErrUnwrap
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed.Load() {
		return ErrClosed
	}
	aead, err := newGCM(k.wrapKey.k)
	if err != nil {
		return err
	}
	if _, err := aead.Open(dst, nil, w[1:], aad); err != nil {
		return ErrUnwrap
	}
	return nil
}
