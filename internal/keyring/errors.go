package keyring

import (
	"errors"
	"fmt"
	"strconv"
)

var (
	// ErrInvalidCiphertext is the one opaque error for a ciphertext blob
	// that cannot be decrypted: malformed, edited anywhere, decrypted with
	// another encryption context, or naming a material version that does not
	// exist. It never says which.
	ErrInvalidCiphertext = errors.New("keyring: invalid ciphertext")

	// ErrUnknownKeyRef means a ciphertext blob is well framed but its
	// header names a key reference that no key can have (an edited account,
	// region or key ID). ParseHeader returns it so that callers
	// answer as for a blob of a key that does not exist. It wraps
	// ErrInvalidCiphertext: a caller that does not care sees that.
	ErrUnknownKeyRef = fmt.Errorf("keyring: ciphertext names an unknown key: %w", ErrInvalidCiphertext)

	// ErrKeyCheckMismatch means a domain key does not match the stored key
	// check value: the root of trust unwrapped a domain key of another
	// database (or the wrong root key was configured).
	ErrKeyCheckMismatch = errors.New("keyring: domain key does not match the key check value")

	// ErrInvalidDomainKey means a domain key is not DomainKeySize bytes.
	ErrInvalidDomainKey = errors.New("keyring: domain key must be 32 bytes")

	// ErrMaterialNotFound is what a MaterialSource returns (possibly
	// wrapped) for a material reference that does not exist. Encrypt and
	// GenerateDataKey return it wrapped; Decrypt and ReEncrypt turn it into
	// ErrInvalidCiphertext.
	ErrMaterialNotFound = errors.New("keyring: key material not found")

	// ErrUnwrap means wrapped bytes (material or a secret) do not
	// authenticate under this keyring's domain key for the reference or
	// label given: they were altered, belong to another reference or label,
	// or were wrapped under another domain key. It is an internal error, not
	// the client's.
	ErrUnwrap = errors.New("keyring: wrapped data does not authenticate under this domain key")

	// ErrInvalidRef means a MaterialRef is malformed (see MaterialRef).
	ErrInvalidRef = errors.New("keyring: invalid material reference")

	// ErrInvalidSize means a length argument is out of range: plaintext
	// longer than MaxPlaintextSize, a data key or random length outside
	// 1..MaxRandomSize.
	ErrInvalidSize = errors.New("keyring: size out of range")

	// ErrClosed means the keyring was closed.
	ErrClosed = errors.New("keyring: closed")

	// ErrUnsupportedSpec means a key spec or data key pair spec name is not
	// one the keyring implements (NewMaterial, GenerateKeyPair).
	ErrUnsupportedSpec = errors.New("keyring: unsupported key spec")

	// ErrWrongKeyType means the operation does not exist for the key's
	// type: PublicKey of a symmetric or HMAC key, Sign with an HMAC key,
	// GenerateMac with an RSA key, DeriveSharedSecret with a key that is not
	// on a NIST curve, Encapsulate with a key that is not ML-KEM, and so on.
	// The service checks KeyUsage first; this is the keyring's own guard.
	ErrWrongKeyType = errors.New("keyring: operation not available for this key type")

	// ErrAlgorithmMismatch means the algorithm does not fit the key spec
	// (AWS: "Algorithm X is incompatible with key spec Y."), including names
	// the keyring does not know.
	ErrAlgorithmMismatch = errors.New("keyring: algorithm incompatible with key spec")

	// ErrMessageTypeMismatch means the message type does not fit the
	// signing algorithm: DIGEST with ED25519_SHA_512 or ML_DSA_SHAKE_256,
	// RAW with ED25519_PH_SHA_512, EXTERNAL_MU with anything but ML-DSA, or a
	// message type the keyring does not know.
	ErrMessageTypeMismatch = errors.New("keyring: message type incompatible with signing algorithm")

	// ErrInvalidDigest means a DIGEST message is not the length of the
	// algorithm's hash, or an EXTERNAL_MU message is not 64 bytes (AWS:
	// "Digest is invalid length for algorithm X.").
	ErrInvalidDigest = errors.New("keyring: digest is invalid length for algorithm")

	// ErrInvalidSignature is the one opaque answer of Verify for a
	// signature that does not verify, malformed ones included.
	ErrInvalidSignature = errors.New("keyring: invalid signature")

	// ErrInvalidMac is the one opaque answer of VerifyMac for a tag that
	// does not match (of any length).
	ErrInvalidMac = errors.New("keyring: invalid MAC")

	// ErrInvalidPeerKey means DeriveSharedSecret's peer public key is
	// unusable. It is always returned inside a *PeerKeyError that says why.
	ErrInvalidPeerKey = errors.New("keyring: invalid peer public key")

	// ErrInvalidKeyMaterial means raw key material does not encode a key of
	// its spec (wrong length, scalar out of range, malformed DER), or
	// stored material authenticated but does not parse (an internal error).
	ErrInvalidKeyMaterial = errors.New("keyring: invalid key material")

	// ErrInvalidImportToken means an import token does not authenticate:
	// altered, made for another key or under another domain key, or not a
	// token at all.
	ErrInvalidImportToken = errors.New("keyring: invalid import token")

	// ErrExpiredImportToken means an authentic import token is past its
	// expiry.
	ErrExpiredImportToken = errors.New("keyring: import token expired")

	// ErrImportDecrypt is the one opaque error for encrypted key material
	// that the token's wrapping key cannot decrypt.
	ErrImportDecrypt = errors.New("keyring: encrypted key material does not decrypt under the wrapping key")

	// ErrNotFIPSApproved means the algorithm asked for is one that Go's
	// FIPS 140-3 module refuses in FIPS 140-only mode
	// (GODEBUG=fips140=only, crypto/fips140.Enforced): RSAES-OAEP with
	// SHA-1, whether for EncryptRSA and DecryptRSA (RSAES_OAEP_SHA_1) or
	// for key import (RSAES_OAEP_SHA_1 and RSA_AES_KEY_WRAP_SHA_1 in
	// ImportParameters and ImportMaterial). It is the caller's choice of
	// algorithm that this process cannot serve, never a fault of the
	// input or of the keyring; with other modes those algorithms work.
	ErrNotFIPSApproved = errors.New("keyring: algorithm not allowed in FIPS 140-only mode")

	// ErrExternalMuUnsupported means an ML-DSA EXTERNAL_MU Sign or Verify
	// was asked: the ML-DSA implementation (cloudflare/circl v1.6.5) takes
	// only messages, not an external mu (see mldsa.go).
	ErrExternalMuUnsupported = errors.New("keyring: ML-DSA EXTERNAL_MU is not supported by this build")
)

// ErrPlaintextTooLarge is EncryptRSA's error for a plaintext longer than
// the key and algorithm allow (k/8 - 2*hLen - 2 bytes for OAEP). Max is
// that limit, for AWS's message "Algorithm X and key spec Y cannot encrypt
// data larger than N bytes." errors.Is(err, ErrInvalidSize) holds.
type ErrPlaintextTooLarge struct {
	Max int
}

func (e ErrPlaintextTooLarge) Error() string {
	return "keyring: plaintext larger than " + strconv.Itoa(e.Max) + " bytes"
}

// Unwrap returns ErrInvalidSize.
func (e ErrPlaintextTooLarge) Unwrap() error { return ErrInvalidSize }

// PeerKeyError is DeriveSharedSecret's error for an unusable peer public
// key. Reason is a short English phrase safe to show the caller (it never
// contains key material), e.g. "the public key is not valid DER
// SubjectPublicKeyInfo" or "the public key's curve is P-384, the KMS key's
// is P-256". errors.Is(err, ErrInvalidPeerKey) holds.
type PeerKeyError struct {
	Reason string
}

func (e *PeerKeyError) Error() string { return "keyring: invalid peer public key: " + e.Reason }

// Unwrap returns ErrInvalidPeerKey.
func (e *PeerKeyError) Unwrap() error { return ErrInvalidPeerKey }
