package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Signer signs requests the way aws-sdk-go-v2 does (client side: the load
// generator and tests). Set the exported fields before the first Sign and do
// not change them afterwards; a Signer must not be copied after first use.
// Sign is safe for concurrent use.
type Signer struct {
	AccessKeyID  string
	Secret       []byte
	SessionToken string // sent as X-Amz-Security-Token when not ""
	Region       string
	Service      string

	key atomic.Pointer[signerKey] // the derived key of the most recent date
}

type signerKey struct {
	date string
	key  signingKey
}

// unsignedHeaders are the headers aws-sdk-go-v2 leaves out of the signature.
var unsignedHeaders = map[string]bool{
	"Authorization":     true,
	"User-Agent":        true,
	"X-Amzn-Trace-Id":   true,
	"Expect":            true,
	"Transfer-Encoding": true,
	"Content-Length":    true, // signed from r.ContentLength instead
	"Host":              true, // signed from r.Host instead
}

// Sign signs r, whose body is body, as made at time t. It sets X-Amz-Date,
// X-Amz-Security-Token (when s.SessionToken is set) and Authorization,
// replacing earlier values, and sets r.Host from r.URL.Host (without a
// default port) when it is empty. Like aws-sdk-go-v2 it signs host,
// content-length when r.ContentLength > 0, and every header in r.Header
// except Authorization, User-Agent, X-Amzn-Trace-Id, Expect and
// Transfer-Encoding; so a KMS request signs content-type, host, x-amz-date,
// x-amz-target and x-amz-security-token when present. The canonical URI is
// r.URL's escaped path, encoded once more and not normalised.
func (s *Signer) Sign(r *http.Request, body []byte, t time.Time) {
	amzDate := t.UTC().Format(compactISO8601)
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if s.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", s.SessionToken)
	}
	if r.Host == "" && r.URL != nil {
		r.Host = stripDefaultPort(r.URL.Scheme, r.URL.Host)
	}

	names := make([]string, 0, len(r.Header)+2)
	names = append(names, "host")
	if r.ContentLength > 0 {
		names = append(names, "content-length")
	}
	for k := range r.Header {
		if !unsignedHeaders[http.CanonicalHeaderKey(k)] {
			names = append(names, strings.ToLower(k))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)

	scope := amzDate[:8] + "/" + s.Region + "/" + s.Service + "/aws4_request"
	uri, query := "/", ""
	if r.URL != nil {
		uri = string(appendURIEncoded(nil, urlPath(r.URL), false))
		query = canonicalQuery(r.URL.RawQuery)
	}
	bodySum := sha256.Sum256(body)
	var bodyHex [2 * sha256.Size]byte
	hex.Encode(bodyHex[:], bodySum[:])

	sig := computeSignature(s.signingKey(amzDate[:8]), r, uri, query, names, bodyHex[:], amzDate, scope)
	r.Header.Set("Authorization", algorithm+" Credential="+s.AccessKeyID+"/"+scope+
		", SignedHeaders="+strings.Join(names, ";")+", Signature="+hex.EncodeToString(sig[:]))
}

// signingKey returns the derived key for date, deriving it when the date
// changed since the last call.
func (s *Signer) signingKey(date string) *signingKey {
	if k := s.key.Load(); k != nil && k.date == date {
		return &k.key
	}
	k := &signerKey{date: date}
	deriveSigningKey(&k.key, s.Secret, date, s.Region, s.Service)
	s.key.Store(k)
	return &k.key
}

// stripDefaultPort removes ":443" from an https host and ":80" from an http
// host, as aws-sdk-go-v2 does before signing.
func stripDefaultPort(scheme, host string) string {
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}
