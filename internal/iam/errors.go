package iam

import "strconv"

// Kind classifies an IAM or STS error; internal/api maps it to the AWS
// error code and HTTP status.
type Kind int

const (
	KindNoSuchEntity        Kind = iota + 1 // NoSuchEntity
	KindEntityAlreadyExists                 // EntityAlreadyExists
	KindDeleteConflict                      // DeleteConflict
	KindValidation                          // ValidationError
	KindInvalidInput                        // InvalidInput
	KindMalformedPolicy                     // MalformedPolicyDocument
	KindLimitExceeded                       // LimitExceeded
	KindAccessDenied                        // AccessDenied
	KindInternal                            // ServiceFailure
)

func (k Kind) String() string {
	switch k {
	case KindNoSuchEntity:
		return "NoSuchEntity"
	case KindEntityAlreadyExists:
		return "EntityAlreadyExists"
	case KindDeleteConflict:
		return "DeleteConflict"
	case KindValidation:
		return "Validation"
	case KindInvalidInput:
		return "InvalidInput"
	case KindMalformedPolicy:
		return "MalformedPolicy"
	case KindLimitExceeded:
		return "LimitExceeded"
	case KindAccessDenied:
		return "AccessDenied"
	case KindInternal:
		return "Internal"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is every error the IAM and STS operations return about a request.
// Message is what AWS answers in the same case and safe to return.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "iam: " + e.Kind.String() + ": " + e.Message }

func errorf(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

var errInternal = &Error{Kind: KindInternal, Message: "An internal error occurred."}
