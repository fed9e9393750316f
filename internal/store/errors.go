package store

import "errors"

var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a record with the same identity already exists.
	ErrExists = errors.New("store: already exists")
	// ErrConflict means a compare-and-swap update lost a race: the record's
	// version changed since it was read. Re-read and retry or report.
	ErrConflict = errors.New("store: version conflict")
	// ErrLimitExceeded means a per-resource limit would be exceeded.
	ErrLimitExceeded = errors.New("store: limit exceeded")
	// ErrNotInitialised means the database holds no domain record yet.
	ErrNotInitialised = errors.New("store: database not initialised")
	// ErrAlreadyInitialised means Bootstrap found an initialised database.
	ErrAlreadyInitialised = errors.New("store: database already initialised")
	// ErrSchemaTooNew means the database was migrated by a newer Trent.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrResidue means a deletion committed but the engine could not yet
	// scrub the deleted bytes from its write-ahead log.
	ErrResidue = errors.New("store: deleted data may remain in the write-ahead log")
	// ErrAccessKeysRemain means a user cannot be deleted while it has
	// access keys.
	ErrAccessKeysRemain = errors.New("store: the user still has access keys")
	// ErrPoliciesRemain means a user or role cannot be deleted while it has
	// inline policies.
	ErrPoliciesRemain = errors.New("store: the principal still has inline policies")
	// ErrUnsupported means the backend does not offer the operation.
	ErrUnsupported = errors.New("store: operation not supported by this backend")
)
