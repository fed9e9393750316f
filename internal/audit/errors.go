package audit

import "errors"

// ErrUnavailable wraps every error of Writer.Append: the event is not known
// to be durable, so the request it records must fail (fail closed).
var ErrUnavailable = errors.New("audit log unavailable")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit writer closed")

// ErrDigestConflict is wrapped by Log.AddAuditDigests when the digests do
// not extend the stored chain of digests: another process extended it
// first. The caller reads the new tip and tries again.
var ErrDigestConflict = errors.New("audit digests do not extend the stored chain")
