package keyring

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Typed key material: every spec but SYMMETRIC_DEFAULT is stored as a
// format 2 Wrapped (wrap.go) whose plaintext names its own spec, so that a
// cache miss parses it without being told what it is:
//
//	0x01 (encoding version) | len(spec) (1 byte) | spec (KMS KeySpec name, ASCII) | key
//
// key is, per family:
//
//	HMAC_*                   the HMAC key (hash size to block size bytes)
//	RSA_*                    the PKCS #1 RSAPrivateKey DER (with CRT values)
//	ECC_NIST_*               the private scalar, big-endian, curve size (32/48/66)
//	ECC_SECG_P256K1          the private scalar, 32 bytes
//	ECC_NIST_EDWARDS25519    the RFC 8032 32-byte seed
//	ML_DSA_*                 the FIPS 204 32-byte seed xi
//	ML_KEM_*                 the FIPS 203 64-byte seed d || z
//
// The spec is recorded by name, AWS's spelling, which never changes; the
// keyring's internal numbering may.
const typedEncodingVersion = 0x01

// NewMaterial generates new key material of spec (a KMS KeySpec name) for
// ref and returns it wrapped under the domain key, bound to ref: it unwraps
// for no other ref. For "SYMMETRIC_DEFAULT" it is NewSymmetricMaterial. As
// there, the plaintext never leaves the keyring and is not cached; the
// first use loads it through the MaterialSource.
//
// Errors: ErrUnsupportedSpec (wrapped) for a spec it does not know
// (including SM2, which AWS offers only in China), ErrInvalidRef, ErrClosed,
// and random source errors. RSA key generation takes from tens of
// milliseconds (2048) to seconds (4096). Safe for concurrent use.
func (k *Keyring) NewMaterial(ref MaterialRef, spec string) (Wrapped, error) {
	if !ref.valid() {
		return nil, fmt.Errorf("keyring: new material %q: %w", ref.String(), ErrInvalidRef)
	}
	s, ok := specByName(spec)
	if !ok {
		return nil, fmt.Errorf("keyring: new material %q: %w", spec, ErrUnsupportedSpec)
	}
	if s == specSymmetricDefault {
		return k.NewSymmetricMaterial(ref)
	}
	if k.closed.Load() {
		return nil, ErrClosed
	}
	raw, err := generateRaw(s, k.random)
	if err != nil {
		return nil, fmt.Errorf("keyring: generate %s material: %w", s, err)
	}
	defer clear(raw)
	return k.wrapTyped(ref, s, raw)
}

// wrapTyped checks that raw is key material of spec s (it must parse),
// then wraps the typed encoding for ref. It is how NewMaterial stores what
// it generated, and how tests put known material (Wycheproof keys) into a
// keyring. The caller keeps ownership of raw.
func (k *Keyring) wrapTyped(ref MaterialRef, s keySpec, raw []byte) (Wrapped, error) {
	if !ref.valid() {
		return nil, fmt.Errorf("keyring: wrap material %q: %w", ref.String(), ErrInvalidRef)
	}
	if s == specSymmetricDefault || s.fam() == famInvalid {
		return nil, fmt.Errorf("keyring: wrap material of spec %s: %w", s, ErrUnsupportedSpec)
	}
	m, err := parseMaterial(ref, s, raw)
	if err != nil {
		return nil, err
	}
	m.release()
	name := s.String()
	pt := make([]byte, 0, 2+len(name)+len(raw))
	pt = append(pt, typedEncodingVersion, byte(len(name)))
	pt = append(pt, name...)
	pt = append(pt, raw...)
	defer clear(pt)
	return k.wrap(typedMaterialAAD(ref), pt)
}

// unwrapTypedMaterial opens a format 2 Wrapped made for ref and parses it
// into a material with one reference (the caller's). Errors: ErrUnwrap
// (altered, another ref or domain key), ErrInvalidKeyMaterial (authentic
// but unparseable: a bug or an unknown spec from a newer Trent).
func (k *Keyring) unwrapTypedMaterial(ref MaterialRef, w Wrapped) (*material, error) {
	if len(w) < 1+ivSize+tagSize+2 {
		return nil, ErrUnwrap
	}
	pt := make([]byte, 0, len(w)-1-ivSize-tagSize)
	if err := k.unwrap(pt, typedMaterialAAD(ref), w); err != nil {
		return nil, err
	}
	pt = pt[:cap(pt)]
	defer clear(pt)
	if pt[0] != typedEncodingVersion || int(pt[1]) > len(pt)-2 {
		return nil, fmt.Errorf("keyring: typed material encoding: %w", ErrInvalidKeyMaterial)
	}
	name := string(pt[2 : 2+pt[1]])
	s, ok := specByName(name)
	if !ok || s == specSymmetricDefault {
		return nil, fmt.Errorf("keyring: typed material of spec %q: %w", name, ErrInvalidKeyMaterial)
	}
	return parseMaterial(ref, s, pt[2+pt[1]:])
}

// parseMaterial builds the cached form of raw key material of spec s, with
// one reference. It copies what it keeps; raw stays the caller's.
func parseMaterial(ref MaterialRef, s keySpec, raw []byte) (*material, error) {
	if s.fam() == famHMAC {
		lo, hi := s.hmacKeyRange()
		if len(raw) < lo || len(raw) > hi {
			return nil, fmt.Errorf("keyring: %s key of %d bytes: %w", s, len(raw), ErrInvalidKeyMaterial)
		}
		return newHMACMaterial(ref, s, append([]byte(nil), raw...)), nil
	}
	a, err := parseAsymKey(s, raw)
	if err != nil {
		return nil, err
	}
	return newAsymMaterial(ref, a), nil
}

// generateRaw returns new raw key material of spec s (see the encoding
// above), read from random. The caller zeroes it.
func generateRaw(s keySpec, random io.Reader) ([]byte, error) {
	info := s.info()
	switch info.fam {
	case famHMAC, famEd25519, famMLDSA, famMLKEM:
		// Uniformly random bytes are exactly what each of these key
		// generations draws: the HMAC key, RFC 8032's seed, FIPS 204's xi,
		// FIPS 203's d || z.
		b := make([]byte, info.keyLen)
		if _, err := io.ReadFull(random, b); err != nil {
			clear(b)
			return nil, err
		}
		return b, nil
	case famRSA:
		priv, err := rsa.GenerateKey(random, info.bits)
		if err != nil {
			return nil, err
		}
		defer zeroRSA(priv)
		return x509.MarshalPKCS1PrivateKey(priv), nil
	case famNIST:
		priv, err := ecdsa.GenerateKey(info.curve, random)
		if err != nil {
			return nil, err
		}
		defer zeroECDSA(priv)
		return priv.Bytes()
	case famSecp256k1:
		priv, err := secp256k1.GeneratePrivateKeyFromRand(random)
		if err != nil {
			return nil, err
		}
		defer priv.Zero()
		return priv.Serialize(), nil
	}
	return nil, ErrUnsupportedSpec
}
