package keyring

import (
	"crypto"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// keySpec is a KMS KeySpec that the keyring can hold. The zero value is
// invalid. Each spec's name is AWS's (KeySpec enum); the name, not the
// number, is what wrapped material records, so the numbering may change.
type keySpec uint8

const (
	specInvalid keySpec = iota
	specSymmetricDefault
	specHMAC224
	specHMAC256
	specHMAC384
	specHMAC512
	specRSA2048
	specRSA3072
	specRSA4096
	specP256
	specP384
	specP521
	specSecp256k1
	specEd25519
	specMLDSA44
	specMLDSA65
	specMLDSA87
	specMLKEM512
	specMLKEM768
	specMLKEM1024
	numSpecs
)

// family groups the specs that share an implementation.
type family uint8

const (
	famInvalid family = iota
	famSymmetric
	famHMAC
	famRSA
	famNIST // ECDSA and ECDH on the NIST curves, crypto/ecdsa and crypto/ecdh
	famSecp256k1
	famEd25519
	famMLDSA
	famMLKEM
)

type specInfo struct {
	name string
	fam  family
	// hash is the HMAC hash, or the one ECDSA hash that AWS allows on the
	// curve (signing algorithms are curve-bound: ECDSA_SHA_384 on
	// ECC_NIST_P256 is "incompatible with key spec").
	hash crypto.Hash
	// keyLen is the size of the raw material the keyring generates: HMAC
	// key, EC scalar, Ed25519/ML-DSA/ML-KEM seed. RSA: 0 (PKCS #1 DER).
	keyLen int
	bits   int // RSA modulus size
	curve  elliptic.Curve
	ecdh   ecdh.Curve
}

var specs = [numSpecs]specInfo{
	specSymmetricDefault: {name: "SYMMETRIC_DEFAULT", fam: famSymmetric, keyLen: KeySize},
	specHMAC224:          {name: "HMAC_224", fam: famHMAC, hash: crypto.SHA224, keyLen: 28},
	specHMAC256:          {name: "HMAC_256", fam: famHMAC, hash: crypto.SHA256, keyLen: 32},
	specHMAC384:          {name: "HMAC_384", fam: famHMAC, hash: crypto.SHA384, keyLen: 48},
	specHMAC512:          {name: "HMAC_512", fam: famHMAC, hash: crypto.SHA512, keyLen: 64},
	specRSA2048:          {name: "RSA_2048", fam: famRSA, bits: 2048},
	specRSA3072:          {name: "RSA_3072", fam: famRSA, bits: 3072},
	specRSA4096:          {name: "RSA_4096", fam: famRSA, bits: 4096},
	specP256:             {name: "ECC_NIST_P256", fam: famNIST, hash: crypto.SHA256, keyLen: 32, curve: elliptic.P256(), ecdh: ecdh.P256()},
	specP384:             {name: "ECC_NIST_P384", fam: famNIST, hash: crypto.SHA384, keyLen: 48, curve: elliptic.P384(), ecdh: ecdh.P384()},
	specP521:             {name: "ECC_NIST_P521", fam: famNIST, hash: crypto.SHA512, keyLen: 66, curve: elliptic.P521(), ecdh: ecdh.P521()},
	specSecp256k1:        {name: "ECC_SECG_P256K1", fam: famSecp256k1, hash: crypto.SHA256, keyLen: 32},
	specEd25519:          {name: "ECC_NIST_EDWARDS25519", fam: famEd25519, keyLen: 32},
	specMLDSA44:          {name: "ML_DSA_44", fam: famMLDSA, keyLen: 32},
	specMLDSA65:          {name: "ML_DSA_65", fam: famMLDSA, keyLen: 32},
	specMLDSA87:          {name: "ML_DSA_87", fam: famMLDSA, keyLen: 32},
	specMLKEM512:         {name: "ML_KEM_512", fam: famMLKEM, keyLen: 64},
	specMLKEM768:         {name: "ML_KEM_768", fam: famMLKEM, keyLen: 64},
	specMLKEM1024:        {name: "ML_KEM_1024", fam: famMLKEM, keyLen: 64},
}

func (s keySpec) info() *specInfo {
	if s >= numSpecs {
		return &specs[specInvalid]
	}
	return &specs[s]
}

func (s keySpec) fam() family { return s.info().fam }

// String returns the KMS KeySpec name.
func (s keySpec) String() string {
	if n := s.info().name; n != "" {
		return n
	}
	return "INVALID"
}

// specByName returns the spec named name (AWS's KeySpec spelling).
func specByName(name string) (keySpec, bool) {
	for s := specSymmetricDefault; s < numSpecs; s++ {
		if specs[s].name == name {
			return s, true
		}
	}
	return specInvalid, false
}

// macAlgorithm returns the one MacAlgorithmSpec an HMAC spec allows.
func (s keySpec) macAlgorithm() string {
	switch s {
	case specHMAC224:
		return "HMAC_SHA_224"
	case specHMAC256:
		return "HMAC_SHA_256"
	case specHMAC384:
		return "HMAC_SHA_384"
	case specHMAC512:
		return "HMAC_SHA_512"
	}
	return ""
}

// hmacKeyRange is the key sizes an HMAC spec holds: from the hash's output
// size to its block size, the range AWS accepts for imported HMAC material
// (HMAC_224 and HMAC_256 28/32 to 64 bytes, HMAC_384 and HMAC_512 48/64 to
// 128). Generated keys have keyLen bytes.
func (s keySpec) hmacKeyRange() (lo, hi int) {
	h := s.info().hash
	return h.Size(), h.New().BlockSize()
}

// newHash returns the constructor of the spec's hash without going through
// crypto.Hash.New's registry lookup on the hot path.
func newHashFunc(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.SHA224:
		return sha256.New224
	case crypto.SHA256:
		return sha256.New
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	}
	return nil
}

// sigScheme is a signature construction.
type sigScheme uint8

const (
	schemeInvalid sigScheme = iota
	schemePSS
	schemePKCS1v15
	schemeECDSA
	schemeEd25519   // pure Ed25519 over the message
	schemeEd25519ph // Ed25519ph over a SHA-512 digest
	schemeMLDSA     // ML-DSA, pure with an empty context, or from an external mu
)

// sigAlg is a KMS SigningAlgorithmSpec.
type sigAlg struct {
	scheme sigScheme
	hash   crypto.Hash // 0 for schemeEd25519 and schemeMLDSA
}

// sigAlgByName returns the SigningAlgorithmSpec called name.
func sigAlgByName(name string) (sigAlg, bool) {
	switch name {
	case "RSASSA_PSS_SHA_256":
		return sigAlg{schemePSS, crypto.SHA256}, true
	case "RSASSA_PSS_SHA_384":
		return sigAlg{schemePSS, crypto.SHA384}, true
	case "RSASSA_PSS_SHA_512":
		return sigAlg{schemePSS, crypto.SHA512}, true
	case "RSASSA_PKCS1_V1_5_SHA_256":
		return sigAlg{schemePKCS1v15, crypto.SHA256}, true
	case "RSASSA_PKCS1_V1_5_SHA_384":
		return sigAlg{schemePKCS1v15, crypto.SHA384}, true
	case "RSASSA_PKCS1_V1_5_SHA_512":
		return sigAlg{schemePKCS1v15, crypto.SHA512}, true
	case "ECDSA_SHA_256":
		return sigAlg{schemeECDSA, crypto.SHA256}, true
	case "ECDSA_SHA_384":
		return sigAlg{schemeECDSA, crypto.SHA384}, true
	case "ECDSA_SHA_512":
		return sigAlg{schemeECDSA, crypto.SHA512}, true
	case "ED25519_SHA_512":
		return sigAlg{schemeEd25519, 0}, true
	case "ED25519_PH_SHA_512":
		return sigAlg{schemeEd25519ph, crypto.SHA512}, true
	case "ML_DSA_SHAKE_256":
		return sigAlg{schemeMLDSA, 0}, true
	}
	return sigAlg{}, false
}

// signs reports whether keys of the spec sign (ML-KEM keys do not).
func (s keySpec) signs() bool {
	switch s.fam() {
	case famRSA, famNIST, famSecp256k1, famEd25519, famMLDSA:
		return true
	}
	return false
}

// allows reports whether the spec signs with a, as AWS's DescribeKey
// SigningAlgorithms lists them: RSA all six PSS and PKCS #1 v1.5
// algorithms; each ECDSA curve its one hash (P-256 SHA-256, P-384 SHA-384,
// P-521 SHA-512, secp256k1 SHA-256); Ed25519 both Ed25519 algorithms;
// ML-DSA ML_DSA_SHAKE_256.
func (s keySpec) allows(a sigAlg) bool {
	switch s.fam() {
	case famRSA:
		return a.scheme == schemePSS || a.scheme == schemePKCS1v15
	case famNIST, famSecp256k1:
		return a.scheme == schemeECDSA && a.hash == s.info().hash
	case famEd25519:
		return a.scheme == schemeEd25519 || a.scheme == schemeEd25519ph
	case famMLDSA:
		return a.scheme == schemeMLDSA
	}
	return false
}

// Message types of Sign and Verify (KMS MessageType).
const (
	MessageRaw        = "RAW"
	MessageDigest     = "DIGEST"
	MessageExternalMu = "EXTERNAL_MU"
)

// MaxMessageSize is the largest RAW message Sign, Verify, GenerateMac and
// VerifyMac accept (AWS's limit).
const MaxMessageSize = 4096

// externalMuSize is the size of an ML-DSA external mu (FIPS 204 §6.2).
const externalMuSize = 64
