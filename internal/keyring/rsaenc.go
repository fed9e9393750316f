package keyring

import (
	"context"
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
)

// oaepHash returns the hash of a KMS RSA EncryptionAlgorithmSpec.
// RSAES_PKCS1_V1_5 is deliberately absent: no PKCS #1 v1.5 decryption
// (padding oracles), as AWS.
func oaepHash(alg string) (crypto.Hash, func() hash.Hash, bool) {
	switch alg {
	case "RSAES_OAEP_SHA_1":
		return crypto.SHA1, sha1.New, true
	case "RSAES_OAEP_SHA_256":
		return crypto.SHA256, sha256.New, true
	}
	return 0, nil, false
}

// acquireRSA returns ref's material, which must be an RSA key, and the
// OAEP hash of alg (ErrWrongKeyType, ErrAlgorithmMismatch, and
// ErrNotFIPSApproved for SHA-1 in FIPS 140-only mode, where crypto/rsa
// refuses it).
func (k *Keyring) acquireRSA(ctx context.Context, ref MaterialRef, alg string) (*material, func() hash.Hash, crypto.Hash, error) {
	h, newHash, known := oaepHash(alg)
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return nil, nil, 0, err
	}
	if m.asym.rsaPub == nil {
		m.release()
		return nil, nil, 0, ErrWrongKeyType
	}
	if !known {
		m.release()
		return nil, nil, 0, ErrAlgorithmMismatch
	}
	if h == crypto.SHA1 && fips140.Enforced() {
		m.release()
		return nil, nil, 0, ErrNotFIPSApproved
	}
	return m, newHash, h, nil
}

// MaxOAEPPlaintext returns the longest plaintext RSAES-OAEP takes with a
// key of bits bits and hash h: k/8 - 2*hLen - 2 (RSA_2048: 214 with SHA-1,
// 190 with SHA-256; RSA_3072: 342/318; RSA_4096: 470/446).
func maxOAEPPlaintext(bits int, h crypto.Hash) int {
	return (bits+7)/8 - 2*h.Size() - 2
}

// EncryptRSA encrypts plaintext with ref's RSA public key using RSAES-OAEP
// with the hash of alg ("RSAES_OAEP_SHA_1" or "RSAES_OAEP_SHA_256"), MGF1
// with the same hash and an empty label, as AWS does. The ciphertext is
// the modulus size (256, 384 or 512 bytes). AWS takes no encryption
// context for asymmetric keys, so neither does this.
//
// Errors: ErrPlaintextTooLarge (Max = k/8 - 2*hLen - 2; it matches
// ErrInvalidSize), ErrAlgorithmMismatch, ErrWrongKeyType (not RSA),
// ErrNotFIPSApproved (RSAES_OAEP_SHA_1 in FIPS 140-only mode), load
// errors as Encrypt's. Safe for concurrent use.
func (k *Keyring) EncryptRSA(ctx context.Context, ref MaterialRef, alg string, plaintext []byte) ([]byte, error) {
	m, newHash, h, err := k.acquireRSA(ctx, ref, alg)
	if err != nil {
		return nil, err
	}
	defer m.release()
	pub := m.asym.rsaPub
	if limit := maxOAEPPlaintext(pub.N.BitLen(), h); len(plaintext) > limit {
		return nil, ErrPlaintextTooLarge{Max: limit}
	}
	return rsa.EncryptOAEP(newHash(), k.random, pub, plaintext, nil)
}

// DecryptRSA reverses EncryptRSA (and decrypts any RSAES-OAEP ciphertext
// made with the public key, alg's hash, MGF1 of the same hash and an empty
// label). Any failure of the ciphertext — wrong length, not below the
// modulus, bad padding, a label — is the one opaque ErrInvalidCiphertext.
// The plaintext is the caller's; zero it after use. Other errors as
// EncryptRSA's. Safe for concurrent use.
func (k *Keyring) DecryptRSA(ctx context.Context, ref MaterialRef, alg string, ciphertext []byte) ([]byte, error) {
	m, newHash, _, err := k.acquireRSA(ctx, ref, alg)
	if err != nil {
		return nil, err
	}
	defer m.release()
	priv := m.asym.rsa
	if priv == nil {
		return nil, ErrWrongKeyType
	}
	if len(ciphertext) != priv.Size() {
		return nil, ErrInvalidCiphertext
	}
	pt, err := rsa.DecryptOAEP(newHash(), nil, priv, ciphertext, nil)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return pt, nil
}
