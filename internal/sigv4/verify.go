// Package sigv4 verifies and creates AWS Signature Version 4
// (AWS4-HMAC-SHA256) signatures on HTTP requests, in the Authorization
// header form that AWS SDKs use for JSON services such as KMS.
//
// The server side is Verifier: it answers every failure with an *Error whose
// Kind and Message are what AWS answers for the same request. The client
// side is Signer, for the load generator and tests. Canonicalisation follows
// AWS's SigV4 test suite (copied under testdata/) for services other than
// S3. Presigned (query-string) authentication is not supported: a request
// authenticated only by its query string is answered as KindMissingAuth.
package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credential is what a Lookup returns for an access key ID. Treat it as
// immutable once a Lookup has returned it: to change a secret, return a new
// *Credential.
type Credential struct {
	Secret []byte // the secret access key; the verifier never logs or returns it
	Handle any    // opaque to the verifier, returned in Result (the caller's principal)
}

// Lookup finds an access key. It returns ErrUnknownAccessKey (wrapped is
// fine) when the key does not exist or is not usable. accessKeyID is what
// the client sent: any string of up to a few KiB, possibly empty. Lookup must
// be fast (the caller caches) and safe for concurrent use. Verify reuses a
// derived signing key only while Lookup keeps returning the pointer it was
// derived from: return the same *Credential while the secret is unchanged
// (or every request derives a new key), and a new one when it changes.
type Lookup func(ctx context.Context, accessKeyID string) (*Credential, error)

// SessionLookup finds temporary security credentials: the access key ID
// and the X-Amz-Security-Token the request carries (as signed; repeated
// headers joined by ","). It returns ErrUnknownAccessKey for a token that
// is unknown, forged, revoked or not the access key's, ErrExpiredToken for
// one that has expired, and the same *Credential for as long as the
// session's secret and principal are unchanged, as Lookup does.
type SessionLookup func(ctx context.Context, accessKeyID, sessionToken string) (*Credential, error)

// DefaultMaxSkew is the clock skew Verify allows when MaxSkew is not set.
const DefaultMaxSkew = 5 * time.Minute

// Verifier checks SigV4 signatures on requests to one service. Set the
// exported fields before the first Verify and do not change them afterwards;
// a Verifier must not be copied after first use. Verify and Forget are safe
// for concurrent use.
type Verifier struct {
	Service     string                   // "kms", "iam", "sts", "cloudtrail": the scope's service must equal it
	AllowRegion func(region string) bool // whether the scope's region is served
	Lookup      Lookup
	// LookupSession, when set, resolves requests that carry a security
	// token; when nil they are looked up by Lookup like any other.
	LookupSession SessionLookup
	Now           func() time.Time // nil = time.Now; ALWAYS the real clock in production
	MaxSkew       time.Duration    // <= 0 means DefaultMaxSkew

	keys keyCache
}

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID  string
	Region       string      // from the credential scope
	Service      string      // from the credential scope (equals Verifier.Service)
	Date         string      // YYYYMMDD, from the credential scope
	Time         time.Time   // the request time (X-Amz-Date, else Date), UTC
	SessionToken string      // X-Amz-Security-Token ("," joins repeated headers), "" if absent; the caller validates it
	Credential   *Credential // what Lookup returned for AccessKeyID
}

// Verify checks the SigV4 Authorization header of r over r's method, path,
// query, the headers the client signed, and body (the complete request
// body, which the caller has read). It checks, in AWS's order: the header's
// syntax and parts, that host, the date header the request is dated by
// (X-Amz-Date, else Date) and every X-Amz-* header it carries are signed,
// the date (X-Amz-Date, else Date), the clock skew, the
// credential scope (region allowed, service, terminator, date), the access
// key (Lookup), X-Amz-Content-Sha256 if present, then the signature, in
// constant time.
//
// The signature covers only the headers SignedHeaders names, so a header
// left out of it can be changed by anyone who replays the request: for
// X-Amz-Target, the operation itself. Verify therefore refuses a request
// that carries an X-Amz-* header it did not sign, naming the header, as
// AWS does for the headers it requires ("'X-Amz-Date' must be a
// 'SignedHeader' in the AWS Authorization."). The AWS CLI, boto3 and
// aws-sdk-go-v2 sign every X-Amz-* header they send.
//
// Every verdict on the request is an *Error. A Lookup failure other than
// ErrUnknownAccessKey is returned wrapped, as an internal error. Verify
// never panics on hostile input; it panics if the Verifier lacks Service,
// AllowRegion or Lookup.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Result, error) {
	if v.Service == "" || v.AllowRegion == nil || v.Lookup == nil {
		panic("sigv4: Verifier needs Service, AllowRegion and Lookup")
	}
	var h string
	if hs := r.Header["Authorization"]; len(hs) > 0 {
		h = trimOWS(hs[0])
	}
	if h == "" {
		return Result{}, newError(KindMissingAuth, msgMissingAuth)
	}
	if r.URL != nil && r.URL.RawQuery != "" && hasQueryParam(r.URL.RawQuery, "X-Amz-Algorithm") {
		return Result{}, newError(KindInvalidSignature, msgBothAuthForms)
	}
	if len(h) > maxAuthorizationLen {
		return Result{}, newError(KindIncompleteSignature, msgAuthTooLong)
	}
	a, perr := parseAuthorization(h)
	if perr != nil {
		return Result{}, perr
	}
	amzDates, dates := r.Header["X-Amz-Date"], r.Header["Date"]
	if !a.hasCredential || !a.hasSignature || !a.hasSigned || len(amzDates)+len(dates) == 0 {
		return Result{}, errMissingParts(a, len(amzDates)+len(dates) > 0, h)
	}
	if a.algorithm != algorithm {
		return Result{}, errUnsupportedAlgorithm(a.algorithm)
	}

	var names [maxSignedHeaders]string
	sl := scanSignedHeaders(a.signedHeaders, &names)
	tokens := r.Header["X-Amz-Security-Token"]
	switch {
	case !sl.host:
		return Result{}, newError(KindInvalidSignature, msgHostNotSigned)
	case len(amzDates) > 0 && !sl.amzDate:
		return Result{}, newError(KindInvalidSignature, msgDateNotSigned)
	case len(amzDates) == 0 && !sl.date:
		// A request dated by Date alone must sign it. AWS documents no
		// answer for this case; Trent fails closed with the message it
		// gives for an unsigned X-Amz-Date.
		return Result{}, newError(KindInvalidSignature, msgDateHdrUnsigned)
	case len(tokens) > 0 && !sl.token:
		return Result{}, newError(KindInvalidSignature, msgTokenNotSigned)
	}
	if name := unsignedAmzHeader(r.Header, names[:sl.n], sl, a.signedHeaders); name != "" {
		return Result{}, errNotSigned(name)
	}

	t, amzDate, derr := requestTime(amzDates, dates)
	if derr != nil {
		return Result{}, derr
	}
	now, skew := v.now(), v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if t.Before(now.Add(-skew)) || t.After(now.Add(skew)) {
		return Result{}, errSkew(t, now, skew)
	}

	cs, ok := splitCredential(a.credential)
	if !ok {
		return Result{}, errCredentialParts(a.credential)
	}
	var se scopeErrors
	if !v.AllowRegion(cs.region) {
		se.region(cs.region)
	}
	if cs.service != v.Service {
		se.service(v.Service)
	}
	if cs.terminator != "aws4_request" {
		se.terminator(cs.terminator)
	}
	if cs.date != amzDate[:8] {
		se.date(cs.date, amzDate[:8], amzDate)
	}
	if err := se.err(); err != nil {
		return Result{}, err
	}

	var cred *Credential
	var err error
	if len(tokens) > 0 && v.LookupSession != nil {
		cred, err = v.LookupSession(ctx, cs.accessKeyID, joinTokens(tokens))
	} else {
		cred, err = v.Lookup(ctx, cs.accessKeyID)
	}
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			return Result{}, newError(KindUnrecognizedClient, msgUnrecognized)
		}
		if errors.Is(err, ErrExpiredToken) {
			return Result{}, newError(KindExpiredToken, msgExpiredToken)
		}
		return Result{}, fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	if cred == nil {
		return Result{}, newError(KindUnrecognizedClient, msgUnrecognized)
	}

	bodySum := sha256.Sum256(body)
	var bodyHex [2 * sha256.Size]byte
	hex.Encode(bodyHex[:], bodySum[:])
	// The canonical request always carries the body's hash, so a client that
	// signed "UNSIGNED-PAYLOAD" instead gets a signature mismatch.
	if xs := r.Header["X-Amz-Content-Sha256"]; len(xs) > 0 && xs[0] != "UNSIGNED-PAYLOAD" && xs[0] != string(bodyHex[:]) {
		return Result{}, newError(KindInvalidSignature, msgContentSHA256)
	}

	var provided [sha256.Size]byte
	if !sl.canonical || !decodeLowerHex(provided[:], a.signature) {
		return Result{}, newError(KindInvalidSignature, msgMismatch)
	}
	var key signingKey
	defer key.clear()
	v.keys.get(&key, cred, cs)

	query := ""
	if r.URL != nil {
		query = canonicalQuery(r.URL.RawQuery)
	}
	uri, alt := canonicalURIs(requestPath(r))
	sig := computeSignature(&key, r, uri, query, names[:sl.n], bodyHex[:], amzDate, cs.scope)
	match := subtle.ConstantTimeCompare(sig[:], provided[:]) == 1
	if !match && alt != "" {
		sig = computeSignature(&key, r, alt, query, names[:sl.n], bodyHex[:], amzDate, cs.scope)
		match = subtle.ConstantTimeCompare(sig[:], provided[:]) == 1
	}
	if !match {
		return Result{}, newError(KindInvalidSignature, msgMismatch)
	}
	res := Result{
		AccessKeyID: cs.accessKeyID,
		Region:      cs.region,
		Service:     cs.service,
		Date:        cs.date,
		Time:        t,
		Credential:  cred,
	}
	res.SessionToken = joinTokens(tokens)
	return res, nil
}

// joinTokens returns the X-Amz-Security-Token value as signed ("" if
// absent); no valid token has a comma.
func joinTokens(tokens []string) string {
	switch len(tokens) {
	case 0:
		return ""
	case 1:
		return tokens[0]
	}
	return strings.Join(tokens, ",")
}

// Forget drops the cached signing keys of the access key ID (call it when a
// key is revoked or its secret changes). Safe for concurrent use.
func (v *Verifier) Forget(accessKeyID string) { v.keys.forget(accessKeyID) }

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func errMissingParts(a authorization, hasDate bool, h string) *Error {
	var b strings.Builder
	if !a.hasCredential {
		b.WriteString(msgRequiresCred)
	}
	if !a.hasSignature {
		b.WriteString(msgRequiresSig)
	}
	if !a.hasSigned {
		b.WriteString(msgRequiresSigned)
	}
	if !hasDate {
		b.WriteString(msgRequiresDate)
	}
	b.WriteString("Authorization=")
	b.WriteString(quote(h))
	return newError(KindIncompleteSignature, b.String())
}

// requestTime returns the request time and its ISO-8601 basic form for the
// string to sign: from the first X-Amz-Date, else from the first Date
// (RFC 1123 and the other forms http.ParseTime accepts).
func requestTime(amzDates, dates []string) (time.Time, string, *Error) {
	if len(amzDates) > 0 {
		t, ok := parseAmzDate(amzDates[0])
		if !ok {
			return time.Time{}, "", errBadDate(amzDates[0])
		}
		return t, amzDates[0], nil
	}
	t, err := http.ParseTime(dates[0])
	if err != nil {
		return time.Time{}, "", errBadDate(dates[0])
	}
	t = t.UTC()
	return t, t.Format(compactISO8601), nil
}

// scratchPool holds buffers for canonical requests and strings to sign.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledScratch keeps buffers grown by huge requests out of the pool.
const maxPooledScratch = 64 << 10

// computeSignature returns HMAC-SHA256(kSigning, string to sign) of the
// request in its canonical form.
func computeSignature(k *signingKey, r *http.Request, uri, query string, names []string, payloadHex []byte, amzDate, scope string) [sha256.Size]byte {
	bp := scratchPool.Get().(*[]byte)
	buf := appendCanonicalRequest((*bp)[:0], r, uri, query, names, payloadHex)
	creqSum := sha256.Sum256(buf)
	buf = append(buf[:0], k.ipad[:]...)
	buf = appendStringToSign(buf, amzDate, scope, creqSum)
	sig := k.sum(buf) // zeroes the ipad copy
	if cap(buf) <= maxPooledScratch {
		*bp = buf[:0]
		scratchPool.Put(bp)
	}
	return sig
}

// appendStringToSign appends the SigV4 string to sign.
func appendStringToSign(dst []byte, amzDate, scope string, creqSum [sha256.Size]byte) []byte {
	dst = append(dst, algorithm+"\n"...)
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, creqSum[:])
}
