package keyring

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// asymKey is the parsed, cached form of an asymmetric key. Exactly one
// family's fields are set. The private fields are nil in a public-only key
// (tests build those to run verification vectors); every field is
// read-only while the material is referenced, so calls share it without
// locks, and nothing is parsed per request.
type asymKey struct {
	spec keySpec
	spki []byte // DER SubjectPublicKeyInfo, computed once

	rsa    *rsa.PrivateKey // Precompute()d by x509.ParsePKCS1PrivateKey
	rsaPub *rsa.PublicKey

	ec     *ecdsa.PrivateKey
	ecPub  *ecdsa.PublicKey
	ecdhPr *ecdh.PrivateKey // the same scalar, for DeriveSharedSecret

	k1    *secp256k1.PrivateKey
	k1Pub *secp256k1.PublicKey

	ed    ed25519.PrivateKey
	edPub ed25519.PublicKey

	dsa *mldsaKey
	kem kemKey
}

// parseAsymKey parses raw key material of spec s (keymaterial.go gives the
// encoding per family). It copies what it keeps. Errors wrap
// ErrInvalidKeyMaterial and never quote key bytes.
func parseAsymKey(s keySpec, raw []byte) (*asymKey, error) {
	info := s.info()
	a := &asymKey{spec: s}
	bad := func(why string) error {
		return fmt.Errorf("keyring: %s key material: %s: %w", s, why, ErrInvalidKeyMaterial)
	}
	if info.fam != famRSA && len(raw) != info.keyLen {
		return nil, bad(fmt.Sprintf("%d bytes, want %d", len(raw), info.keyLen))
	}
	var err error
	switch info.fam {
	case famRSA:
		priv, perr := x509.ParsePKCS1PrivateKey(raw)
		if perr != nil {
			return nil, bad("not a valid PKCS #1 RSA private key")
		}
		if priv.N.BitLen() != info.bits {
			zeroRSA(priv)
			return nil, bad(fmt.Sprintf("modulus of %d bits", priv.N.BitLen()))
		}
		a.rsa, a.rsaPub = priv, &priv.PublicKey
		a.spki, err = x509.MarshalPKIXPublicKey(a.rsaPub)
	case famNIST:
		priv, perr := ecdsa.ParseRawPrivateKey(info.curve, raw)
		if perr != nil {
			return nil, bad("scalar out of range")
		}
		a.ec, a.ecPub = priv, &priv.PublicKey
		if a.ecdhPr, err = info.ecdh.NewPrivateKey(raw); err != nil {
			zeroECDSA(priv)
			return nil, bad("scalar out of range")
		}
		a.spki, err = x509.MarshalPKIXPublicKey(a.ecPub)
	case famSecp256k1:
		var sc secp256k1.ModNScalar
		if overflow := sc.SetByteSlice(raw); overflow || sc.IsZero() {
			sc.Zero()
			return nil, bad("scalar out of range")
		}
		a.k1 = secp256k1.NewPrivateKey(&sc)
		sc.Zero()
		a.k1Pub = a.k1.PubKey()
		a.spki = marshalSecp256k1SPKI(a.k1Pub)
	case famEd25519:
		a.ed = ed25519.NewKeyFromSeed(raw)
		a.edPub = a.ed.Public().(ed25519.PublicKey)
		a.spki, err = x509.MarshalPKIXPublicKey(a.edPub)
	case famMLDSA:
		a.dsa = newMLDSAKey(s, raw)
		a.spki = marshalSPKI(pqOID(s), a.dsa.publicBytes())
	case famMLKEM:
		if a.kem, err = newKEMKey(s, raw); err != nil {
			return nil, bad("invalid seed")
		}
		a.spki = marshalSPKI(pqOID(s), a.kem.encapsulationKey())
	default:
		return nil, fmt.Errorf("keyring: spec %s is not asymmetric: %w", s, ErrUnsupportedSpec)
	}
	if err != nil {
		a.zero()
		return nil, fmt.Errorf("keyring: %s public key: %w", s, err)
	}
	return a, nil
}

// zero clears the private key material the keyring can reach. What Go
// does not let it reach stays for the garbage collector: RSA keys'
// precomputed copies inside crypto/internal/fips140 (bigmod values, not
// big.Ints), the crypto/ecdsa and crypto/ecdh internal copies of NIST
// scalars, crypto/mlkem's expanded decapsulation keys, and circl's
// expanded ML-KEM-512 key vectors. big.Int words are cleared in place.
func (a *asymKey) zero() {
	if a.rsa != nil {
		zeroRSA(a.rsa)
	}
	if a.ec != nil {
		zeroECDSA(a.ec)
	}
	if a.k1 != nil {
		a.k1.Zero()
	}
	clear(a.ed)
	if a.dsa != nil {
		a.dsa.zero()
	}
	if a.kem != nil {
		a.kem.zero()
	}
}

func zeroBig(n *big.Int) {
	if n != nil {
		clear(n.Bits())
	}
}

// zeroRSA clears an RSA private key's secret big.Ints in place (best
// effort: see asymKey.zero).
func zeroRSA(k *rsa.PrivateKey) {
	zeroBig(k.D)
	for _, p := range k.Primes {
		zeroBig(p)
	}
	zeroBig(k.Precomputed.Dp)
	zeroBig(k.Precomputed.Dq)
	zeroBig(k.Precomputed.Qinv)
}

func zeroECDSA(k *ecdsa.PrivateKey) { zeroBig(k.D) }

// acquireAsym returns ref's material, which must be asymmetric (else
// ErrWrongKeyType); release it after use.
func (k *Keyring) acquireAsym(ctx context.Context, ref MaterialRef) (*material, error) {
	m, err := k.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	if m.asym == nil {
		m.release()
		return nil, ErrWrongKeyType
	}
	return m, nil
}

// PublicKey returns the DER SubjectPublicKeyInfo of ref's asymmetric key,
// as AWS's GetPublicKey does: RFC 5480 for ECC (named curve, uncompressed
// point; secp256k1 is OID 1.3.132.0.10), RFC 8017 rsaEncryption, RFC 8410
// Ed25519, and for ML-DSA and ML-KEM the IETF LAMPS encodings (RFC 9881 and
// RFC 9935: OIDs 2.16.840.1.101.3.4.3.17-19 and 2.16.840.1.101.3.4.4.1-3,
// parameters absent, the raw public key in the BIT STRING). The caller owns
// the slice. ErrWrongKeyType for symmetric and HMAC keys; load errors as
// Encrypt's. Safe for concurrent use.
func (k *Keyring) PublicKey(ctx context.Context, ref MaterialRef) ([]byte, error) {
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer m.release()
	return bytes.Clone(m.asym.spki), nil
}

// Sign signs msg with ref's private key using the KMS signing algorithm
// alg, msgType saying what msg is:
//
//   - "RAW" (or ""): the message itself, at most MaxMessageSize bytes
//     (else ErrInvalidSize). RSA and ECDSA hash it with the algorithm's
//     hash; ED25519_SHA_512 is pure Ed25519 over it; ML_DSA_SHAKE_256 is
//     pure ML-DSA with an empty context (hedged).
//   - "DIGEST": the hash of the message, exactly the algorithm's hash size
//     (else ErrInvalidDigest); ED25519_PH_SHA_512 takes only this (Ed25519ph
//     over the SHA-512 digest, RFC 8032), ED25519_SHA_512 and ML-DSA never.
//   - "EXTERNAL_MU": ML-DSA only, the 64-byte mu of FIPS 204 §6.2 (else
//     ErrInvalidDigest); ErrExternalMuUnsupported in this build.
//
// Signatures: RSASSA-PSS with MGF1 of the same hash and a salt as long as
// the hash; RSASSA-PKCS1-v1_5; ECDSA as DER (randomized for the NIST
// curves, RFC 6979 deterministic with low S for secp256k1); Ed25519 64
// bytes; ML-DSA 2420/3309/4627 bytes.
//
// Errors: ErrWrongKeyType (not an asymmetric signing key, or no private
// key), ErrAlgorithmMismatch (alg unknown or not allowed for the spec:
// ECDSA is curve-bound), ErrMessageTypeMismatch, ErrInvalidDigest,
// ErrInvalidSize, load errors as Encrypt's. Safe for concurrent use.
func (k *Keyring) Sign(ctx context.Context, ref MaterialRef, alg, msgType string, msg []byte) ([]byte, error) {
	a, known := sigAlgByName(alg)
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer m.release()
	key := m.asym
	if !key.spec.signs() {
		return nil, ErrWrongKeyType
	}
	if !known || !key.spec.allows(a) {
		return nil, ErrAlgorithmMismatch
	}
	var buf [64]byte
	in, mu, err := signingInput(a, msgType, msg, &buf)
	if err != nil {
		return nil, err
	}
	return key.sign(k.random, a, in, mu)
}

// Verify checks sig over msg (as Sign describes alg, msgType and msg) with
// ref's public key. It returns nil for a valid signature and
// ErrInvalidSignature for any other, malformed ones included (wrong length,
// bad DER, out-of-range values). Other errors are Sign's. Safe for
// concurrent use.
func (k *Keyring) Verify(ctx context.Context, ref MaterialRef, alg, msgType string, msg, sig []byte) error {
	a, known := sigAlgByName(alg)
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return err
	}
	defer m.release()
	key := m.asym
	if !key.spec.signs() {
		return ErrWrongKeyType
	}
	if !known || !key.spec.allows(a) {
		return ErrAlgorithmMismatch
	}
	var buf [64]byte
	in, mu, err := signingInput(a, msgType, msg, &buf)
	if err != nil {
		return err
	}
	return key.verify(a, in, sig, mu)
}

// signingInput returns what alg signs for msg of type msgType: a digest
// (written to buf), msg itself, or an external mu (mu true).
func signingInput(a sigAlg, msgType string, msg []byte, buf *[64]byte) (in []byte, mu bool, err error) {
	switch msgType {
	case MessageRaw, "":
		if len(msg) > MaxMessageSize {
			return nil, false, ErrInvalidSize
		}
		switch a.scheme {
		case schemeEd25519, schemeMLDSA:
			return msg, false, nil
		case schemeEd25519ph:
			return nil, false, ErrMessageTypeMismatch
		}
		return digest(a.hash, msg, buf), false, nil
	case MessageDigest:
		if a.scheme == schemeEd25519 || a.scheme == schemeMLDSA {
			return nil, false, ErrMessageTypeMismatch
		}
		if len(msg) != a.hash.Size() {
			return nil, false, ErrInvalidDigest
		}
		return msg, false, nil
	case MessageExternalMu:
		if a.scheme != schemeMLDSA {
			return nil, false, ErrMessageTypeMismatch
		}
		if len(msg) != externalMuSize {
			return nil, false, ErrInvalidDigest
		}
		return msg, true, nil
	}
	return nil, false, ErrMessageTypeMismatch
}

// digest hashes msg into buf without allocating.
func digest(h crypto.Hash, msg []byte, buf *[64]byte) []byte {
	switch h {
	case crypto.SHA256:
		*(*[32]byte)(buf[:32]) = sha256.Sum256(msg)
		return buf[:32]
	case crypto.SHA384:
		*(*[48]byte)(buf[:48]) = sha512.Sum384(msg)
		return buf[:48]
	case crypto.SHA512:
		*buf = sha512.Sum512(msg)
		return buf[:]
	}
	panic("keyring: digest with unsupported hash " + h.String())
}

// pssOptions are AWS's: salt as long as the hash (MGF1 always uses the
// message hash in crypto/rsa).
var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

var ed25519phOptions = ed25519.Options{Hash: crypto.SHA512}

func (a *asymKey) sign(random io.Reader, alg sigAlg, in []byte, mu bool) ([]byte, error) {
	switch alg.scheme {
	case schemePSS:
		if a.rsa != nil {
			return rsa.SignPSS(random, a.rsa, alg.hash, in, &pssOptions)
		}
	case schemePKCS1v15:
		if a.rsa != nil {
			return rsa.SignPKCS1v15(nil, a.rsa, alg.hash, in)
		}
	case schemeECDSA:
		if a.ec != nil {
			return ecdsa.SignASN1(random, a.ec, in)
		}
		if a.k1 != nil {
			return k1ecdsa.Sign(a.k1, in).Serialize(), nil
		}
	case schemeEd25519:
		if a.ed != nil {
			return ed25519.Sign(a.ed, in), nil
		}
	case schemeEd25519ph:
		if a.ed != nil {
			return a.ed.Sign(nil, in, &ed25519phOptions)
		}
	case schemeMLDSA:
		if a.dsa != nil && a.dsa.canSign() {
			return a.dsa.sign(random, in, mu)
		}
	}
	return nil, ErrWrongKeyType
}

func (a *asymKey) verify(alg sigAlg, in, sig []byte, mu bool) error {
	ok := false
	switch alg.scheme {
	case schemePSS:
		ok = rsa.VerifyPSS(a.rsaPub, alg.hash, in, sig, &pssOptions) == nil
	case schemePKCS1v15:
		ok = rsa.VerifyPKCS1v15(a.rsaPub, alg.hash, in, sig) == nil
	case schemeECDSA:
		if a.ecPub != nil {
			ok = ecdsa.VerifyASN1(a.ecPub, in, sig)
		} else if s, err := k1ecdsa.ParseDERSignature(sig); err == nil {
			ok = s.Verify(in, a.k1Pub)
		}
	case schemeEd25519:
		ok = len(sig) == ed25519.SignatureSize && ed25519.Verify(a.edPub, in, sig)
	case schemeEd25519ph:
		ok = ed25519.VerifyWithOptions(a.edPub, in, sig, &ed25519phOptions) == nil
	case schemeMLDSA:
		var err error
		if ok, err = a.dsa.verify(in, sig, mu); err != nil {
			return err
		}
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}
