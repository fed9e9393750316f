package seal

import "errors"

var (
	// ErrWrongRootKey means a wrapped domain key was made by another root
	// key than the one the provider holds (for File: another seal file).
	ErrWrongRootKey = errors.New("seal: the domain key was wrapped by another root key")

	// ErrWrongProvider means a wrapped domain key is in another provider's
	// format (a database sealed by pkcs11 opened with the file seal). Such
	// errors match ErrWrongRootKey as well.
	ErrWrongProvider = errors.New("seal: the domain key was wrapped by another kind of seal")

	// ErrCorrupt means a wrapped domain key names this provider's root key
	// but does not authenticate under it: the stored bytes were altered.
	ErrCorrupt = errors.New("seal: wrapped domain key is corrupt")

	// ErrMalformed means the bytes are not a wrapped domain key in any
	// format this build knows (too short, unknown version).
	ErrMalformed = errors.New("seal: malformed wrapped domain key")

	// ErrInvalidKeyFile means a root key file exists but is not a valid
	// root key file (wrong header, bad encoding, wrong key length).
	ErrInvalidKeyFile = errors.New("seal: invalid root key file")

	// ErrInsecurePermissions means a root key file can be read or written
	// by users other than its owner.
	ErrInsecurePermissions = errors.New("seal: root key file is accessible by group or others")

	// ErrClosed means the provider was closed and holds no key any more.
	ErrClosed = errors.New("seal: provider is closed")

	// ErrUnsuitableRootKey means the token's key of the configured label
	// could leave the token (CKA_SENSITIVE false or CKA_EXTRACTABLE true),
	// is not an AES-256 key, may not encrypt and decrypt, or has no CKA_ID.
	ErrUnsuitableRootKey = errors.New("seal: the token's key is not fit to be the root key")

	// ErrInvalidShare means text is not a share of the shamir seal (wrong
	// prefix, bad encoding, wrong length, checksum mismatch: a typo), or a
	// share whose parameters contradict its share set.
	ErrInvalidShare = errors.New("seal: invalid share")

	// ErrWrongShareSet means a share belongs to another share set than
	// the one that wraps the domain key (another installation's shares, or
	// the set a seal rotation replaced).
	ErrWrongShareSet = errors.New("seal: share of another share set")

	// ErrDuplicateShare means a share with the same index was submitted
	// already; progress is unchanged.
	ErrDuplicateShare = errors.New("seal: share already submitted")

	// ErrShareMismatch means the threshold of shares was reached but they
	// do not reconstruct the root key (the key check value differs): one
	// of them is wrong. Progress is reset and the shares are zeroed.
	ErrShareMismatch = errors.New("seal: the shares do not reconstruct the root key; progress reset")

	// ErrUnsealed means a share was submitted to an Unsealer that is not
	// sealed.
	ErrUnsealed = errors.New("seal: already unsealed")

	// ErrNotEnoughShares means fewer shares than the threshold were given
	// where all were expected at once (UnsealFrom).
	ErrNotEnoughShares = errors.New("seal: fewer shares than the threshold")
)
