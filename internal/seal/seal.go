// Package seal is Trent's root of trust: it wraps and unwraps the domain key,
// the 256-bit key under which the keyring stores all key material.
//
// A Provider holds (or reaches) a root key that never leaves it. The
// wrapped domain key is stored in the database; on start the server asks
// the provider to unwrap it, checks the result against the stored key check
// value (see keyring.CheckDomainKey) and only then opens the keyring.
//
// Implementations: [File] (a root key in a local file, the default). Shamir
// shares and PKCS#11 will follow and implement the same interface.
package seal

import "context"

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
	// domain record spell it ("file").
	Name() string
}
