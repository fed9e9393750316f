package service

import "strconv"

// Requests reach the operations validated against the model's constraints
// (kmsapi's Validate, run by Call), so an operation checks only the rules
// that AWS documents beyond the model: smaller limits, members the model
// leaves optional that an operation requires, and the like. Their messages
// take the form of the model's: "1 validation error detected: Value 'x' at
// 'limit' failed to satisfy constraint: Member must ...".

const oneValidationError = "1 validation error detected: "

// errNull is the validation error for a member that the model leaves
// optional and the request needs.
func errNull(field string) error {
	return &Error{Kind: KindValidation, Message: oneValidationError + "Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}

// checkRange applies a range narrower than the model's to an integer
// member (nil: absent, nothing to check).
func checkRange(n *int, field string, min, max int) error {
	switch {
	case n == nil:
		return nil
	case *n < min:
		return &Error{Kind: KindValidation, Message: oneValidationError + "Value '" + strconv.Itoa(*n) + "' at '" + field +
			"' failed to satisfy constraint: Member must have value greater than or equal to " + strconv.Itoa(min)}
	case *n > max:
		return &Error{Kind: KindValidation, Message: oneValidationError + "Value '" + strconv.Itoa(*n) + "' at '" + field +
			"' failed to satisfy constraint: Member must have value less than or equal to " + strconv.Itoa(max)}
	}
	return nil
}

// checkLimit applies an operation's documented maximum of Limit where it
// is below the model's 1000 (reference/kms-api.md: ListAliases, ListGrants
// and ListRetirableGrants 1-100, ListResourceTags 1-50).
func checkLimit(n *int, max int) error {
	return checkRange(n, "limit", 1, max)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
