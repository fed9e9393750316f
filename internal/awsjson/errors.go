package awsjson

import (
	"errors"
	"strconv"
)

// ErrTooDeep is the cause (see errors.Is) of the *Error a Decoder returns
// for a body that nests arrays and objects more than MaxDepth deep. It is
// one of the documented differences from encoding/json, which accepts up
// to 10000 levels.
var ErrTooDeep = errors.New("awsjson: nesting too deep")

// ErrBase64 is the cause (see errors.Is) of the *Error a Decoder returns
// for a blob that is not strict, padded standard base64 without line
// breaks (see Decoder.Blob).
var ErrBase64 = errors.New("awsjson: invalid base64")

// Error is the only error type a Decoder returns.
//
// Field is non-empty when a member's value is unusable: it has the wrong
// JSON type (for a map value or list element, null is the wrong type), it
// is a number that does not fit the Go type, or it is a blob that is not
// valid base64 (errors.Is(err, ErrBase64)). It holds the dotted path
// encoding/json reports for type errors (the member name, prefixed by the
// names of the enclosing members entered with Decoder.Object; map keys and
// list indexes are not included).
//
// Field is empty for syntax errors, a body that is not an object, and
// ErrTooDeep. Msg describes the problem and, for syntax errors, the byte
// offset; it may quote a short prefix of the offending input.
type Error struct {
	Field string
	Msg   string

	cause error // ErrTooDeep, ErrBase64 or nil
}

func (e *Error) Error() string {
	if e.Field != "" {
		return "awsjson: member " + strconv.Quote(e.Field) + ": " + e.Msg
	}
	return "awsjson: " + e.Msg
}

// Unwrap returns ErrTooDeep for nesting errors, ErrBase64 for invalid
// base64 and nil otherwise.
func (e *Error) Unwrap() error { return e.cause }

// syntaxError builds the error for malformed JSON at offset off.
func syntaxError(off int, what string) *Error {
	return &Error{Msg: what + " at offset " + strconv.Itoa(off)}
}

// numText renders a number for an error message, shortened if long.
func numText(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
