// Package seal is Trent's root of trust: it wraps and unwraps the domain key,
// the 256-bit key under which the keyring stores all key material.
//
// A Provider holds (or reaches) a root key that never leaves it. The
// wrapped domain key is stored in the database; on start the server asks
// the provider to unwrap it, checks the result against the stored key check
// value (see keyring.CheckDomainKey) and only then opens the keyring.
//
// Implementations:
//   - [File]: a root key in a local file (the default);
//   - [PKCS11]: an AES-256 key that lives in a PKCS#11 token and never
//     leaves it;
//   - [Shamir]: a root key split into shares held by people, never stored
//     whole; an [Unsealer] collects shares one at a time.
//
// Each provider's wrapped blob starts with a byte naming its format
// (0x01 file, 0x02 pkcs11, 0x03 shamir; docs/ciphertext-format.md §4), so
// that a blob of another provider is [ErrWrongProvider] and [ProviderOf]
// can say which provider a database needs.
package seal

import (
	"context"
	"fmt"
)

// Format bytes: the first byte of each provider's wrapped domain key.
const (
	formatFile   = 0x01
	formatPKCS11 = 0x02
	formatShamir = 0x03
)

// ProviderOf names the provider whose format wrapped is in ("file",
// "pkcs11" or "shamir"), or "" for bytes in no format this build knows. It
// reads the format byte only and says nothing of the blob's integrity.
func ProviderOf(wrapped []byte) string {
	if len(wrapped) == 0 {
		return ""
	}
	switch wrapped[0] {
	case formatFile:
		return "file"
	case formatPKCS11:
		return "pkcs11"
	case formatShamir:
		return "shamir"
	}
	return ""
}

// checkFormat returns nil when wrapped is in format, an error wrapping
// ErrWrongProvider and ErrWrongRootKey when it is another provider's, and
// ErrMalformed otherwise.
func checkFormat(wrapped []byte, format byte, name string) error {
	if len(wrapped) > 0 && wrapped[0] == format {
		return nil
	}
	if other := ProviderOf(wrapped); other != "" {
		return &wrongProviderError{have: other, want: name}
	}
	return ErrMalformed
}

// wrongProviderError is ErrWrongProvider naming both providers; it
// matches ErrWrongRootKey as well.
type wrongProviderError struct{ have, want string }

func (e *wrongProviderError) Error() string {
	return fmt.Sprintf("seal: the domain key is wrapped by the %s seal, not the %s seal", e.have, e.want)
}

func (e *wrongProviderError) Is(target error) bool {
	return target == ErrWrongProvider || target == ErrWrongRootKey
}

// DomainKeySize is the size in bytes of the domain key that providers wrap.
const DomainKeySize = 32

// Provider wraps and unwraps the domain key.
//
// Implementations are safe for concurrent use. Wrap output is
// self-describing and versioned, so that Unwrap can tell a blob made by
// another root key ([ErrWrongRootKey]) from a damaged one ([ErrCorrupt]).
// The slice Unwrap returns belongs to the caller, who should zero it once
// the keyring has copied it.
type Provider interface {
	// Wrap encrypts the DomainKeySize-byte domainKey under the root key.
	Wrap(ctx context.Context, domainKey []byte) ([]byte, error)
	// Unwrap reverses Wrap. It returns ErrWrongRootKey, ErrCorrupt or
	// ErrMalformed for blobs it cannot open, and never returns partial
	// plaintext.
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
	// Name names the provider type as the configuration and the database's
	// domain record spell it ("file", "pkcs11", "shamir").
	Name() string
	// Close releases the provider: it zeroes the keys it derived from the
	// root key (file, shamir) or logs out of the token (pkcs11). Wrap and
	// Unwrap then return ErrClosed. Close is idempotent.
	Close() error
}
