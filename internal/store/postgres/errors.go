package postgres

import "errors"

// ErrAsyncCommit means the server acknowledges commits before they are
// durable (synchronous_commit is off, or a value Open does not know) and
// Options.AllowAsyncCommit was not set.
var ErrAsyncCommit = errors.New("postgres: commits are not durable when acknowledged")
