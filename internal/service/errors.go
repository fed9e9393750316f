package service

import (
	"errors"
	"fmt"
)

// Kind classifies a service error. Each kind corresponds to one AWS KMS
// error; only internal/api knows the wire names. The zero Kind is invalid.
type Kind int

const (
	_ Kind = iota
	KindValidation
	KindNotFound
	KindAlreadyExists
	KindInvalidAliasName
	KindInvalidArn
	KindInvalidMarker
	KindDisabled
	KindInvalidState
	KindInvalidKeyUsage
	KindUnsupportedOperation
	KindLimitExceeded
	KindTag
	KindMalformedPolicy
	KindAccessDenied
	KindDryRun
	KindIncorrectKey
	KindInvalidCiphertext
	KindInvalidGrantToken
	KindInvalidGrantID
	KindCustomKeyStoreNotFound
	KindInternal
	KindUnavailable // the server cannot serve now (sealed, store down)
	KindInvalidSignature
	KindInvalidMac
	KindInvalidImportToken
	KindExpiredImportToken
	KindIncorrectKeyMaterial
	KindConflict // a rotation is in progress or due within 20 minutes
)

var kindNames = [...]string{
	KindValidation:             "Validation",
	KindNotFound:               "NotFound",
	KindAlreadyExists:          "AlreadyExists",
	KindInvalidAliasName:       "InvalidAliasName",
	KindInvalidArn:             "InvalidArn",
	KindInvalidMarker:          "InvalidMarker",
	KindDisabled:               "Disabled",
	KindInvalidState:           "InvalidState",
	KindInvalidKeyUsage:        "InvalidKeyUsage",
	KindUnsupportedOperation:   "UnsupportedOperation",
	KindLimitExceeded:          "LimitExceeded",
	KindTag:                    "Tag",
	KindMalformedPolicy:        "MalformedPolicy",
	KindAccessDenied:           "AccessDenied",
	KindDryRun:                 "DryRun",
	KindIncorrectKey:           "IncorrectKey",
	KindInvalidCiphertext:      "InvalidCiphertext",
	KindInvalidGrantToken:      "InvalidGrantToken",
	KindInvalidGrantID:         "InvalidGrantId",
	KindCustomKeyStoreNotFound: "CustomKeyStoreNotFound",
	KindInternal:               "Internal",
	KindUnavailable:            "Unavailable",
	KindInvalidSignature:       "InvalidSignature",
	KindInvalidMac:             "InvalidMac",
	KindInvalidImportToken:     "InvalidImportToken",
	KindExpiredImportToken:     "ExpiredImportToken",
	KindIncorrectKeyMaterial:   "IncorrectKeyMaterial",
	KindConflict:               "Conflict",
}

func (k Kind) String() string {
	if k <= 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is a failure the client is told about. Message is safe to send: it
// never holds key material or plaintext.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Message }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// ErrDryRun is returned when a DryRun request would have succeeded.
var ErrDryRun = &Error{Kind: KindDryRun, Message: "The request would have succeeded, but the DryRun option is set."}

// KindOf returns the Kind of err, or KindInternal for errors that are not
// service errors (they are logged, never shown).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// notFIPSApproved is the answer to an algorithm that this process cannot
// serve because it runs in FIPS 140-only mode (keyring.ErrNotFIPSApproved:
// RSAES-OAEP with SHA-1). It is UnsupportedOperationException, which AWS
// documents as "a specified parameter is not supported or a specified
// resource is not valid for this operation": the algorithm is valid for
// the key and the request is well formed (so not ValidationException or
// InvalidKeyUsageException, which would say the input is wrong), but this
// server does not support it. It is a client error (HTTP 400) that SDKs
// do not retry, where the KMSInternalException it was before (HTTP 500)
// is retried. instead names the algorithm to use.
func notFIPSApproved(alg, instead string) error {
	return errorf(KindUnsupportedOperation, "%s is not allowed: this server runs in FIPS 140-only mode, where SHA-1 is not an approved hash for RSAES-OAEP. Use %s.", alg, instead)
}
