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

// Error is the only error type a Decoder returns.
//
// Field is non-empty exactly when encoding/json would have returned a
// *json.UnmarshalTypeError with a non-empty Field: a member's value has the
// wrong JSON type, or is a number that does not fit the Go type. It holds
// the same dotted path encoding/json reports (the member name, prefixed by
// the names of the enclosing members entered with Decoder.Object; map keys
// and list indexes are not included).
//
// Field is empty for syntax errors, invalid base64, a body that is not an
// object, and ErrTooDeep. Msg describes the problem and, for syntax errors,
// the byte offset; it may quote a short prefix of the offending input.
type Error struct {
	Field string
	Msg   string

	cause error // ErrTooDeep or nil
}

func (e *Error) Error() string {
	if e.Field != "" {
		return "awsjson: member " + strconv.Quote(e.Field) + ": " + e.Msg
	}
	return "awsjson: " + e.Msg
}

// Unwrap returns ErrTooDeep for nesting errors and nil otherwise.
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
