package sigv4

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownAccessKey is what a Lookup returns (wrapped is fine) when the
// access key ID does not exist or may not be used. Verify turns it into an
// *Error of KindUnrecognizedClient. Any other Lookup error is returned by
// Verify as is (wrapped), as an internal failure rather than a verdict on the
// request.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// ErrExpiredToken is what a SessionLookup returns (wrapped is fine) when
// the security token was valid but has expired. Verify turns it into an
// *Error of KindExpiredToken.
var ErrExpiredToken = errors.New("sigv4: expired security token")

// Kind classifies a verification failure. The zero Kind is invalid. Each Kind
// corresponds to one AWS error code; internal/api maps it to the wire name.
type Kind int

const (
	// KindMissingAuth: the request carries no Authorization header
	// (AWS: MissingAuthenticationTokenException).
	KindMissingAuth Kind = iota + 1
	// KindIncompleteSignature: the Authorization header or the request date is
	// malformed or incomplete (AWS: IncompleteSignatureException).
	KindIncompleteSignature
	// KindInvalidSignature: the signature does not match, the request time is
	// outside the allowed skew, the credential scope is wrong, or a header that
	// must be signed is not (AWS: InvalidSignatureException).
	KindInvalidSignature
	// KindUnrecognizedClient: the access key ID is unknown
	// (AWS: UnrecognizedClientException).
	KindUnrecognizedClient
	// KindExpiredToken: the security token has expired
	// (AWS: ExpiredTokenException, ExpiredToken in query-protocol services).
	KindExpiredToken
)

// String returns the Kind's name, e.g. "InvalidSignature".
func (k Kind) String() string {
	switch k {
	case KindMissingAuth:
		return "MissingAuth"
	case KindIncompleteSignature:
		return "IncompleteSignature"
	case KindInvalidSignature:
		return "InvalidSignature"
	case KindUnrecognizedClient:
		return "UnrecognizedClient"
	case KindExpiredToken:
		return "ExpiredToken"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is every verification failure that Verify reports about the request
// itself. Message is the text AWS sends for the same failure; it quotes only
// what the client sent (never a secret) and is safe to return to the client.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// Messages, as AWS words them.
const (
	msgMissingAuth       = "Missing Authentication Token"
	msgUnrecognized      = "The security token included in the request is invalid."
	msgExpiredToken      = "The security token included in the request is expired"
	msgMismatch          = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgDateNotSigned     = "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
	msgTokenNotSigned    = "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."
	msgDateHdrUnsigned   = "'Date' must be a 'SignedHeader' in the AWS Authorization."
	msgBothAuthForms     = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgContentSHA256     = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgAuthTooLong       = "Authorization header is too long."
	msgRequiresCred      = "Authorization header requires 'Credential' parameter. "
	msgRequiresSig       = "Authorization header requires 'Signature' parameter. "
	msgRequiresSigned    = "Authorization header requires 'SignedHeaders' parameter. "
	msgRequiresDate      = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
	compactISO8601       = "20060102T150405Z"
	maxQuotedInMessage   = 1024
	quotedTruncateSuffix = "...(truncated)"
)

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// quote bounds client-supplied text copied into a message.
func quote(s string) string {
	if len(s) > maxQuotedInMessage {
		return s[:maxQuotedInMessage] + quotedTruncateSuffix
	}
	return s
}

func errNotKeyValue(part, header string) *Error {
	return newError(KindIncompleteSignature, "'"+quote(part)+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+quote(header)+"'.")
}

// errNotSigned reports a header that the request carries but did not
// sign, in the words AWS uses for X-Amz-Date and X-Amz-Security-Token.
func errNotSigned(name string) *Error {
	return newError(KindInvalidSignature, "'"+quote(name)+"' must be a 'SignedHeader' in the AWS Authorization.")
}

func errUnsupportedAlgorithm(alg string) *Error {
	return newError(KindIncompleteSignature, "Unsupported AWS 'algorithm': '"+quote(alg)+"' (only AWS4-HMAC-SHA256 for now). ")
}

func errBadDate(got string) *Error {
	return newError(KindIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '"+quote(got)+"'. See http://en.wikipedia.org/wiki/ISO_8601")
}

func errCredentialParts(cred string) *Error {
	return newError(KindIncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+quote(cred)+"'")
}

// errSkew reports a request time outside [now-skew, now+skew].
func errSkew(t, now time.Time, skew time.Duration) *Error {
	d := skewString(skew)
	if t.Before(now) {
		return newError(KindInvalidSignature, "Signature expired: "+t.UTC().Format(compactISO8601)+" is now earlier than "+
			now.Add(-skew).UTC().Format(compactISO8601)+" ("+now.UTC().Format(compactISO8601)+" - "+d+".)")
	}
	return newError(KindInvalidSignature, "Signature not yet current: "+t.UTC().Format(compactISO8601)+" is still later than "+
		now.Add(skew).UTC().Format(compactISO8601)+" ("+now.UTC().Format(compactISO8601)+" + "+d+".)")
}

func skewString(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

// scopeErrors accumulates the credential-scope complaints that AWS reports
// together in one message.
type scopeErrors struct{ b strings.Builder }

func (s *scopeErrors) region(got string) {
	s.b.WriteString("Credential should be scoped to a valid region, not '" + quote(got) + "'. ")
}

func (s *scopeErrors) service(want string) {
	s.b.WriteString("Credential should be scoped to correct service: '" + want + "'. ")
}

func (s *scopeErrors) terminator(got string) {
	s.b.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + quote(got) + "'. ")
}

func (s *scopeErrors) date(scope, want, amzDate string) {
	s.b.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
		quote(scope) + "' != '" + want + "', from '" + quote(amzDate) + "'.")
}

func (s *scopeErrors) err() error {
	if s.b.Len() == 0 {
		return nil
	}
	return newError(KindInvalidSignature, s.b.String())
}
