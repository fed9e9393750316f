package seal

import "errors"

var (
	// ErrWrongRootKey means a wrapped domain key was made by another root
	// key than the one the provider holds (for File: another seal file).
	ErrWrongRootKey = errors.New("seal: the domain key was wrapped by another root key")

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
)
