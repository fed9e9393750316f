package keyring

import (
	"errors"
	"fmt"
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
)
