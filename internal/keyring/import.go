package keyring

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"time"
)

// Imported key material (BYOK): GetParametersForImport and
// ImportKeyMaterial.
//
// An import token is self-describing, so that no database row records a
// pending import. It is a wrapped blob (wrap.go) of format version 3:
//
//	0x03 | AES-GCM IV (12) | ciphertext | tag (16)
//
// sealed with AES-256-GCM under the wrapping key (derived from the domain
// key), AAD = 0x03 | the purposeImportToken encoding of the key's account,
// region and ID (version 0). Its plaintext is
//
//	0x01 (encoding version) | RSA modulus bits (2, big-endian) |
//	wrapping algorithm (1: 1 = RSAES_OAEP_SHA_1, 2 = RSAES_OAEP_SHA_256,
//	3 = RSA_AES_KEY_WRAP_SHA_1, 4 = RSA_AES_KEY_WRAP_SHA_256) |
//	expiry (8, Unix seconds, big-endian) | the wrapping private key (PKCS #1 DER)
//
// so a token opens only for the key it was made for, and everything in it
// is authenticated.
const (
	importTokenVersion  = 0x03
	importTokenEncoding = 0x01
	importIDKeyLabel    = "trent imported material id v1"
)

// Wrapping algorithms an import token records.
const (
	importOAEPSHA1      = 1
	importOAEPSHA256    = 2
	importRSAAESSHA1    = 3
	importRSAAESSHA256  = 4
	importEphemeralSize = 32 // the RSA_AES_KEY_WRAP_* ephemeral AES-256 key
)

func importAlgByName(name string) (byte, bool) {
	switch name {
	case "RSAES_OAEP_SHA_1":
		return importOAEPSHA1, true
	case "RSAES_OAEP_SHA_256":
		return importOAEPSHA256, true
	case "RSA_AES_KEY_WRAP_SHA_1":
		return importRSAAESSHA1, true
	case "RSA_AES_KEY_WRAP_SHA_256":
		return importRSAAESSHA256, true
	}
	return 0, false
}

// importAlgAllowed refuses the wrapping algorithms whose RSA-OAEP uses
// SHA-1 in FIPS 140-only mode, where crypto/rsa does not decrypt them.
func importAlgAllowed(a byte) error {
	if (a == importOAEPSHA1 || a == importRSAAESSHA1) && fips140.Enforced() {
		return ErrNotFIPSApproved
	}
	return nil
}

func importWrappingBits(spec string) (int, bool) {
	switch spec {
	case "RSA_2048":
		return 2048, true
	case "RSA_3072":
		return 3072, true
	case "RSA_4096":
		return 4096, true
	}
	return 0, false
}

func importTokenAAD(ref MaterialRef) []byte {
	ref.Version = 0
	return refAAD(importTokenVersion, purposeImportToken, ref)
}

// ImportParameters makes a new RSA wrapping key pair of wrappingSpec
// (RSA_2048, RSA_3072 or RSA_4096) for importing material into the key
// ref names (ref.Version is ignored but must be non-zero, as for every
// ref), and returns the wrapping public key as DER SubjectPublicKeyInfo
// and an import token that holds the private key, wrapped, with alg
// (RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1 or
// RSA_AES_KEY_WRAP_SHA_256) and expires.
//
// Errors: ErrInvalidRef; ErrUnsupportedSpec (wrapped) for another
// wrapping spec; ErrAlgorithmMismatch (wrapped) for another algorithm;
// ErrNotFIPSApproved for the SHA-1 algorithms in FIPS 140-only mode;
// ErrClosed;
// random source errors. RSA key generation takes up to seconds for 4096
// bits. Safe for concurrent use.
func (k *Keyring) ImportParameters(ref MaterialRef, wrappingSpec, alg string, expires time.Time) (token, publicKey []byte, err error) {
	if !ref.valid() {
		return nil, nil, fmt.Errorf("keyring: import parameters %q: %w", ref.String(), ErrInvalidRef)
	}
	bits, ok := importWrappingBits(wrappingSpec)
	if !ok {
		return nil, nil, fmt.Errorf("keyring: import wrapping key spec %q: %w", wrappingSpec, ErrUnsupportedSpec)
	}
	a, ok := importAlgByName(alg)
	if !ok {
		return nil, nil, fmt.Errorf("keyring: import wrapping algorithm %q: %w", alg, ErrAlgorithmMismatch)
	}
	if err := importAlgAllowed(a); err != nil {
		return nil, nil, err
	}
	if k.closed.Load() {
		return nil, nil, ErrClosed
	}
	priv, err := rsa.GenerateKey(k.random, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: generate import wrapping key: %w", err)
	}
	defer zeroRSA(priv)
	publicKey, err = x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: encode import wrapping key: %w", err)
	}
	der := x509.MarshalPKCS1PrivateKey(priv)
	defer clear(der)
	pt := make([]byte, 0, 12+len(der))
	pt = append(pt, importTokenEncoding)
	pt = binary.BigEndian.AppendUint16(pt, uint16(bits))
	pt = append(pt, a)
	pt = binary.BigEndian.AppendUint64(pt, uint64(expires.Unix()))
	pt = append(pt, der...)
	defer clear(pt)
	token, err = k.wrap(importTokenAAD(ref), pt)
	if err != nil {
		return nil, nil, err
	}
	return token, publicKey, nil
}

// ImportMaterial opens token, which ImportParameters must have made for
// ref's key, decrypts encrypted (the key material wrapped under the
// token's public key with the token's algorithm) and returns the material
// wrapped for ref exactly as NewMaterial would store material of spec, so
// that every operation uses it unchanged, with its KeyMaterialId: 64 hex
// digits, SHA-256 of an HMAC-SHA256 of the key's account, region and ID,
// the spec and the material under a key derived from the domain key. The
// same material imported into the same key always gets the same ID; the ID
// reveals nothing else about it.
//
// With RSAES_OAEP_*, encrypted is the material encrypted with RSA-OAEP
// (MGF1 with the same hash, empty label). With RSA_AES_KEY_WRAP_SHA_1/256
// it is, as AWS documents, the RSA-OAEP encryption (SHA-1 or SHA-256) of a
// 32-byte ephemeral AES key, exactly as long as the wrapping modulus,
// followed by the material wrapped under that key with AES key wrap with
// padding (RFC 5649, kwp.go). The ephemeral key and the decrypted material
// are zeroed after use.
//
// spec must be SYMMETRIC_DEFAULT (material of 32 bytes), HMAC_224 to
// HMAC_512 (from the hash's output size to its block size), RSA_2048 to
// RSA_4096 (material: the PKCS #8 DER of an RSA private key of that size;
// only with the RSA_AES_KEY_WRAP_* algorithms, as AWS requires), or
// ECC_NIST_P256/P384/P521 or ECC_SECG_P256K1 (material: the PKCS #8 DER of
// an EC private key on that curve, import_ec.go; P-521 not with RSAES_OAEP_*
// under a 2048-bit wrapping key, as AWS documents), else
// ErrUnsupportedSpec. Errors, checked in this order: ErrInvalidRef;
// ErrInvalidImportToken (altered, another key's, another domain key's);
// ErrExpiredImportToken (now is at or after its expiry);
// ErrNotFIPSApproved (the token's algorithm uses SHA-1 and the process
// runs in FIPS 140-only mode);
// ErrAlgorithmMismatch (wrapped; see ImportWrappingAllowed);
// ErrImportDecrypt (RSA or AES key unwrap failed); ErrInvalidKeyMaterial
// (wrapped; the wrong length for spec, not an RSA or EC key of spec);
// ErrClosed. Safe for concurrent use.
func (k *Keyring) ImportMaterial(ref MaterialRef, spec string, token, encrypted []byte, now time.Time) (w Wrapped, materialID string, err error) {
	return k.ImportMaterialPlaced(ref, spec, token, encrypted, now, nil)
}

// ImportMaterialPlaced is ImportMaterial for a key that holds several
// materials: once the material is decrypted and its KeyMaterialId known
// (which does not depend on ref.Version), place, if not nil, returns the
// version the material is to be stored as, and the material is wrapped
// for that version instead of ref.Version (which must still be non-zero).
// An error from place is returned as it is, and nothing is wrapped.
func (k *Keyring) ImportMaterialPlaced(ref MaterialRef, spec string, token, encrypted []byte, now time.Time, place func(materialID string) (uint32, error)) (w Wrapped, materialID string, err error) {
	if !ref.valid() {
		return nil, "", fmt.Errorf("keyring: import material %q: %w", ref.String(), ErrInvalidRef)
	}
	s, ok := specByName(spec)
	if !ok || !importableSpec(s) {
		return nil, "", fmt.Errorf("keyring: import material of spec %q: %w", spec, ErrUnsupportedSpec)
	}
	if len(token) < 1+ivSize+tagSize+12 || len(token) > 1+ivSize+tagSize+12+4096 {
		return nil, "", ErrInvalidImportToken
	}
	pt := make([]byte, 0, len(token)-1-ivSize-tagSize)
	if err := k.unwrap(pt, importTokenAAD(ref), token); err != nil {
		if err == ErrClosed {
			return nil, "", err
		}
		return nil, "", ErrInvalidImportToken
	}
	pt = pt[:cap(pt)]
	defer clear(pt)
	if pt[0] != importTokenEncoding {
		return nil, "", ErrInvalidImportToken
	}
	bits := int(binary.BigEndian.Uint16(pt[1:3]))
	alg := pt[3]
	expires := time.Unix(int64(binary.BigEndian.Uint64(pt[4:12])), 0)
	if !now.Before(expires) {
		return nil, "", ErrExpiredImportToken
	}
	var hashName string
	switch alg {
	case importOAEPSHA1, importRSAAESSHA1:
		hashName = "RSAES_OAEP_SHA_1"
	case importOAEPSHA256, importRSAAESSHA256:
		hashName = "RSAES_OAEP_SHA_256"
	default:
		return nil, "", ErrInvalidImportToken
	}
	if err := importAlgAllowed(alg); err != nil {
		return nil, "", err // a token made before the process ran in FIPS 140-only mode
	}
	keyWrap := alg == importRSAAESSHA1 || alg == importRSAAESSHA256
	if err := ImportWrappingAllowed(s.String(), bits, keyWrap); err != nil {
		return nil, "", err
	}
	priv, err := x509.ParsePKCS1PrivateKey(pt[12:])
	if err != nil || priv.N.BitLen() != bits {
		return nil, "", ErrInvalidImportToken
	}
	defer zeroRSA(priv)
	_, hashFn, ok := oaepHash(hashName)
	if !ok {
		return nil, "", ErrInvalidImportToken
	}
	raw, err := importDecrypt(priv, hashFn(), keyWrap, encrypted)
	if err != nil {
		return nil, "", err
	}
	defer clear(raw)
	if s.fam() == famRSA {
		der, err := importRSAPrivateKey(s, raw)
		if err != nil {
			return nil, "", err
		}
		defer clear(der)
		raw = der // the material ID and the stored form are of PKCS #1
	}
	if f := s.fam(); f == famNIST || f == famSecp256k1 {
		scalar, err := importECPrivateKey(s, raw)
		if err != nil {
			return nil, "", err
		}
		defer clear(scalar)
		raw = scalar // the material ID and the stored form are of the scalar
	}
	if s == specSymmetricDefault && len(raw) != KeySize {
		return nil, "", fmt.Errorf("keyring: %s key of %d bytes: %w", s, len(raw), ErrInvalidKeyMaterial)
	}
	id, err := k.importedMaterialID(ref, s, raw)
	if err != nil {
		return nil, "", err
	}
	if place != nil {
		v, err := place(id)
		if err != nil {
			return nil, "", err
		}
		ref.Version = v
		if !ref.valid() {
			return nil, "", fmt.Errorf("keyring: import material %q: %w", ref.String(), ErrInvalidRef)
		}
	}
	if s == specSymmetricDefault {
		w, err = k.wrap(materialAAD(ref), raw)
	} else {
		w, err = k.wrapTyped(ref, s, raw)
	}
	if err != nil {
		return nil, "", err
	}
	return w, id, nil
}

// importableSpec reports whether ImportMaterial takes material of s:
// the specs AWS imports (symmetric, HMAC, RSA, ECC except Ed25519).
func importableSpec(s keySpec) bool {
	switch s.fam() {
	case famSymmetric, famHMAC, famRSA, famNIST, famSecp256k1:
		return true
	}
	return false
}

// ImportWrappingAllowed says whether material of spec (a KMS KeySpec name)
// may be imported under a wrapping key of wrappingBits bits with an
// RSA_AES_KEY_WRAP_* algorithm (keyWrap) or an RSAES_OAEP_* one, as AWS
// documents it: RSA private keys exceed what RSA-OAEP can carry and need
// RSA_AES_KEY_WRAP_*; ECC_NIST_P521 material is refused with RSAES_OAEP_*
// under RSA_2048. It returns nil or an error wrapping ErrAlgorithmMismatch.
// Services call it before handing out import parameters, so that the
// refusal comes early; ImportMaterial calls it again.
func ImportWrappingAllowed(spec string, wrappingBits int, keyWrap bool) error {
	if keyWrap {
		return nil
	}
	s, _ := specByName(spec)
	switch {
	case s.fam() == famRSA:
		return fmt.Errorf("keyring: import %s material with RSAES_OAEP: %w", s, ErrAlgorithmMismatch)
	case s == specP521 && wrappingBits == 2048:
		return fmt.Errorf("keyring: import %s material with RSAES_OAEP under RSA_2048: %w", s, ErrAlgorithmMismatch)
	}
	return nil
}

// importDecrypt decrypts encrypted under priv: RSA-OAEP with h, or with
// keyWrap the RSA-OAEP-encrypted ephemeral AES-256 key (the modulus size)
// followed by the material under AES-KWP. Every failure is
// ErrImportDecrypt. The caller clears the result.
func importDecrypt(priv *rsa.PrivateKey, h hash.Hash, keyWrap bool, encrypted []byte) ([]byte, error) {
	if !keyWrap {
		raw, err := rsa.DecryptOAEP(h, nil, priv, encrypted, nil)
		if err != nil {
			return nil, ErrImportDecrypt
		}
		return raw, nil
	}
	n := priv.Size()
	if len(encrypted) <= n {
		return nil, ErrImportDecrypt
	}
	eph, err := rsa.DecryptOAEP(h, nil, priv, encrypted[:n], nil)
	if err != nil {
		return nil, ErrImportDecrypt
	}
	defer clear(eph)
	if len(eph) != importEphemeralSize {
		return nil, ErrImportDecrypt
	}
	raw, err := kwpUnwrap(eph, encrypted[n:])
	if err != nil {
		return nil, ErrImportDecrypt
	}
	return raw, nil
}

// importRSAPrivateKey checks that raw is the PKCS #8 DER of an RSA private
// key of spec s and returns its PKCS #1 DER, the stored form; the caller
// clears it.
func importRSAPrivateKey(s keySpec, raw []byte) ([]byte, error) {
	key, err := x509.ParsePKCS8PrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s key material: not a PKCS #8 private key: %w", s, ErrInvalidKeyMaterial)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		zeroPrivate(key)
		return nil, fmt.Errorf("keyring: %s key material: not an RSA key: %w", s, ErrInvalidKeyMaterial)
	}
	defer zeroRSA(priv)
	if priv.N.BitLen() != s.info().bits {
		return nil, fmt.Errorf("keyring: %s key material: modulus of %d bits: %w", s, priv.N.BitLen(), ErrInvalidKeyMaterial)
	}
	return x509.MarshalPKCS1PrivateKey(priv), nil
}

// zeroPrivate zeroes what it can of a parsed private key of another type.
func zeroPrivate(key any) {
	switch p := key.(type) {
	case *ecdsa.PrivateKey:
		zeroECDSA(p)
	case ed25519.PrivateKey:
		clear(p)
	}
}

// importedMaterialID is ImportMaterial's KeyMaterialId of raw.
func (k *Keyring) importedMaterialID(ref MaterialRef, s keySpec, raw []byte) (string, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed.Load() {
		return "", ErrClosed
	}
	mac := hmac.New(sha256.New, k.idKey.bytes())
	var b []byte
	b = appendLP(b, ref.Account)
	b = appendLP(b, ref.Region)
	b = appendLP(b, ref.KeyID)
	b = appendLP(b, s.String())
	mac.Write(b)
	mac.Write(raw)
	sum := sha256.Sum256(mac.Sum(nil))
	return hex.EncodeToString(sum[:]), nil
}
