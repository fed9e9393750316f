package keyring

import (
	"context"
	"crypto/hmac"
)

// acquireHMAC returns ref's material, which must be an HMAC key whose
// MacAlgorithmSpec is alg (ErrWrongKeyType, ErrAlgorithmMismatch).
func (k *Keyring) acquireHMAC(ctx context.Context, ref MaterialRef, alg string) (*material, error) {
	m, err := k.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case m.spec.fam() != famHMAC:
		err = ErrWrongKeyType
	case alg != m.spec.macAlgorithm():
		err = ErrAlgorithmMismatch
	}
	if err != nil {
		m.release()
		return nil, err
	}
	return m, nil
}

// hmacSum computes the key's HMAC of msg with a cached keyed state.
func (m *material) hmacSum(msg []byte) []byte {
	p := m.getPRF()
	p.h.Write(msg)
	out := p.h.Sum(nil)
	m.putPRF(p)
	return out
}

// GenerateMac returns HMAC(key, msg) (RFC 2104, the full tag: 28, 32, 48
// or 64 bytes) with ref's HMAC key. alg must be the key's one
// MacAlgorithmSpec (HMAC_SHA_256 for HMAC_256, and so on), else
// ErrAlgorithmMismatch (AWS: "Algorithm X is incompatible with key spec
// Y."). msg is at most MaxMessageSize bytes (ErrInvalidSize).
//
// Errors also: ErrWrongKeyType (not an HMAC key); load errors as
// Encrypt's. The keyed HMAC state is precomputed once per cached key, so a
// call costs the hash of msg and two compressions. Safe for concurrent use.
func (k *Keyring) GenerateMac(ctx context.Context, ref MaterialRef, alg string, msg []byte) ([]byte, error) {
	if len(msg) > MaxMessageSize {
		return nil, ErrInvalidSize
	}
	m, err := k.acquireHMAC(ctx, ref, alg)
	if err != nil {
		return nil, err
	}
	defer m.release()
	return m.hmacSum(msg), nil
}

// VerifyMac returns nil if mac is GenerateMac's tag for msg, comparing in
// constant time, and ErrInvalidMac for any other mac (including one of
// another length: truncated tags are not accepted). Other errors are
// GenerateMac's. Safe for concurrent use.
func (k *Keyring) VerifyMac(ctx context.Context, ref MaterialRef, alg string, msg, mac []byte) error {
	if len(msg) > MaxMessageSize {
		return ErrInvalidSize
	}
	m, err := k.acquireHMAC(ctx, ref, alg)
	if err != nil {
		return err
	}
	defer m.release()
	if !hmac.Equal(m.hmacSum(msg), mac) {
		return ErrInvalidMac
	}
	return nil
}
