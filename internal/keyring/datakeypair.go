package keyring

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// GenerateKeyPair returns a new key pair of the KMS DataKeyPairSpec spec,
// for GenerateDataKeyPair: the private key as DER PKCS #8, the public key
// as DER SubjectPublicKeyInfo (as PublicKey encodes it). Nothing is stored
// or cached. random is the key source; nil means crypto/rand (Go's RSA and
// NIST-curve key generation use the standard library's generator
// whatever random is, as Go 1.26 does everywhere).
//
// Private key forms: RSA as rsaEncryption with an RFC 8017 RSAPrivateKey;
// ECC (the NIST curves and secp256k1) as id-ecPublicKey with the named
// curve and an RFC 5915 ECPrivateKey holding the public point; Ed25519 as
// RFC 8410 (the 32-byte seed); ML-KEM in the seed-only form of RFC 9935
// (privateKey = [0] IMPLICIT OCTET STRING of the 64-byte d || z). The
// caller owns privatePKCS8: hand it out once, then zero it.
//
// Specs: RSA_2048/3072/4096, ECC_NIST_P256/P384/P521, ECC_SECG_P256K1,
// ECC_NIST_EDWARDS25519, ML_KEM_512/768/1024; anything else (SM2, ML-DSA,
// HMAC, symmetric) is ErrUnsupportedSpec. Safe for concurrent use if random
// is.
func GenerateKeyPair(spec string, random io.Reader) (privatePKCS8, publicSPKI []byte, err error) {
	s, ok := specByName(spec)
	if !ok {
		return nil, nil, fmt.Errorf("keyring: data key pair %q: %w", spec, ErrUnsupportedSpec)
	}
	if random == nil {
		random = rand.Reader
	}
	info := s.info()
	switch info.fam {
	case famRSA:
		priv, err := rsa.GenerateKey(random, info.bits)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer zeroRSA(priv)
		return marshalPair(priv, &priv.PublicKey)
	case famNIST:
		priv, err := ecdsa.GenerateKey(info.curve, random)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer zeroECDSA(priv)
		return marshalPair(priv, &priv.PublicKey)
	case famEd25519:
		pub, priv, err := ed25519.GenerateKey(random)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer clear(priv)
		return marshalPair(priv, pub)
	case famSecp256k1:
		priv, err := secp256k1.GeneratePrivateKeyFromRand(random)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer priv.Zero()
		return marshalSecp256k1PKCS8(priv), marshalSecp256k1SPKI(priv.PubKey()), nil
	case famMLKEM:
		seed, err := generateRaw(s, random)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer clear(seed)
		kk, err := newKEMKey(s, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: generate %s: %w", s, err)
		}
		defer kk.zero()
		return marshalMLKEMPKCS8(s, seed), marshalSPKI(pqOID(s), kk.encapsulationKey()), nil
	}
	return nil, nil, fmt.Errorf("keyring: data key pair %q: %w", spec, ErrUnsupportedSpec)
}

// marshalPair encodes a standard-library key pair with crypto/x509.
func marshalPair(priv, pub any) ([]byte, []byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: encode private key: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		clear(der)
		return nil, nil, fmt.Errorf("keyring: encode public key: %w", err)
	}
	return der, spki, nil
}
