package keyring

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
)

// curveName names a NIST curve in PeerKeyError reasons.
func curveName(c ecdh.Curve) string {
	switch c {
	case ecdh.P256():
		return "P-256"
	case ecdh.P384():
		return "P-384"
	case ecdh.P521():
		return "P-521"
	case ecdh.X25519():
		return "X25519"
	}
	return "unknown"
}

// parsePeerKey parses peerSPKI, a DER SubjectPublicKeyInfo, into a public
// key on curve. crypto/x509 does the parsing: it requires canonical DER
// with no trailing data, id-ecPublicKey with a named curve, and an
// uncompressed point on that curve (so the point at infinity, points off
// the curve, coordinates not below p, compressed points and explicit curve
// parameters are all refused).
func parsePeerKey(curve ecdh.Curve, peerSPKI []byte) (*ecdh.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(peerSPKI)
	if err != nil {
		return nil, &PeerKeyError{Reason: "the public key is not a valid DER SubjectPublicKeyInfo of an elliptic curve point on a supported named curve"}
	}
	var peer *ecdh.PublicKey
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if peer, err = p.ECDH(); err != nil {
			return nil, &PeerKeyError{Reason: "the public key is not a valid point on its curve"}
		}
	case *ecdh.PublicKey: // X25519
		peer = p
	default:
		return nil, &PeerKeyError{Reason: "the public key is not an elliptic curve key"}
	}
	if peer.Curve() != curve {
		return nil, &PeerKeyError{Reason: "the public key's curve is " + curveName(peer.Curve()) +
			", the KMS key's curve is " + curveName(curve)}
	}
	return peer, nil
}

// DeriveSharedSecret computes ECDH (SP 800-56A "ECC CDH": the cofactor is 1
// on the NIST curves) between ref's private key and the peer public key
// peerSPKI, a DER SubjectPublicKeyInfo on the same curve, and returns the
// raw shared secret (the x-coordinate, 32, 48 or 66 bytes), as AWS's
// DeriveSharedSecret does. The caller owns the secret and should zero it.
//
// Errors: *PeerKeyError (errors.Is ErrInvalidPeerKey) for malformed DER,
// another algorithm or curve, a point not on the curve or the point at
// infinity, with a Reason fit for the caller; ErrWrongKeyType for keys not
// on a NIST curve; load errors as Encrypt's. Safe for concurrent use.
func (k *Keyring) DeriveSharedSecret(ctx context.Context, ref MaterialRef, peerSPKI []byte) ([]byte, error) {
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer m.release()
	priv := m.asym.ecdhPr
	if priv == nil {
		return nil, ErrWrongKeyType
	}
	peer, err := parsePeerKey(priv.Curve(), peerSPKI)
	if err != nil {
		return nil, err
	}
	secret, err := priv.ECDH(peer)
	if err != nil {
		// Only a low-order point for X25519; kept for completeness.
		return nil, &PeerKeyError{Reason: "the shared secret is the point at infinity"}
	}
	return secret, nil
}
