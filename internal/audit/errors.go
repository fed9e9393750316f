package audit

import "errors"

// ErrUnavailable wraps every error of Writer.Append: the event is not known
// to be durable, so the request it records must fail (fail closed).
var ErrUnavailable = errors.New("audit log unavailable")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit writer closed")
