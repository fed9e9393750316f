package sigv4

import (
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// appendCanonicalRequest appends to dst the SigV4 canonical request of r:
//
//	method \n uri \n query \n (name:value \n)* \n name;name... \n payloadHex
//
// names must be the lower-case signed header names in ascending order; uri
// and query must already be in canonical form. Header values are trimmed,
// runs of spaces inside them collapse to one space, and repeated header
// lines are joined with ","; host comes from r.Host.
func appendCanonicalRequest(dst []byte, r *http.Request, uri, query string, names []string, payloadHex []byte) []byte {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	dst = append(dst, method...)
	dst = append(dst, '\n')
	dst = append(dst, uri...)
	dst = append(dst, '\n')
	dst = append(dst, query...)
	dst = append(dst, '\n')
	dst = appendCanonicalHeaders(dst, r, names)
	dst = append(dst, '\n')
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	return append(dst, payloadHex...)
}

// maxCanonicalKey is the longest header name canonicalised without
// allocating.
const maxCanonicalKey = 128

func appendCanonicalHeaders(dst []byte, r *http.Request, names []string) []byte {
	var key [maxCanonicalKey]byte
	for _, name := range names {
		dst = append(dst, name...)
		dst = append(dst, ':')
		if name == "host" {
			dst = appendHeaderValue(dst, hostOf(r))
			dst = append(dst, '\n')
			continue
		}
		var vals []string
		if len(name) <= len(key) {
			n := canonicalHeaderKey(key[:], name)
			vals = r.Header[string(key[:n])] // no allocation: map index by converted bytes
		} else {
			vals = r.Header[textproto.CanonicalMIMEHeaderKey(name)]
		}
		if len(vals) == 0 && name == "content-length" && r.ContentLength > 0 {
			// A client-side request keeps its length outside Header.
			dst = strconv.AppendInt(dst, r.ContentLength, 10)
		}
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderValue(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst
}

// hostOf returns the host the client addressed: r.Host (the Host header or
// HTTP/2 :authority, port included exactly as sent), else a Host entry in
// r.Header, else r.URL.Host.
func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if h := r.Header["Host"]; len(h) > 0 {
		return h[0]
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// canonicalHeaderKey writes the textproto canonical form of name
// ("x-amz-date" -> "X-Amz-Date") into dst, which must be at least as long,
// and returns its length. Like textproto, it leaves a name with a byte that
// is not a token character unchanged.
func canonicalHeaderKey(dst []byte, name string) int {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenChars[c] {
			return copy(dst, name)
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst[i] = c
		upper = c == '-'
	}
	return len(name)
}

// tokenChars marks the bytes allowed in an HTTP header name (RFC 9110 token).
var tokenChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

// appendHeaderValue appends v trimmed of surrounding white space, with each
// run of spaces inside it collapsed to one space (as aws-sdk-go-v2 does).
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for {
		i := strings.Index(v, "  ")
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i+1]...)
		v = strings.TrimLeft(v[i+1:], " ")
	}
}

// requestPath returns the path of r as the client sent it, still
// percent-encoded: from r.RequestURI when it is in origin form (a server
// request), else from r.URL.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	return urlPath(r.URL)
}

// urlPath returns the escaped path of u as aws-sdk-go-v2 signs it ("/" when
// empty).
func urlPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		p = strings.TrimPrefix(p, "//")
		if i := strings.IndexByte(p, '/'); i >= 0 {
			p = p[i:]
		} else {
			p = ""
		}
	}
	if p == "" {
		return "/"
	}
	return p
}

// canonicalURIs returns the canonical URI of a request whose wire path is p,
// for a service other than S3: the path with dot segments and empty segments
// removed (as AWS's test suite and botocore do), then URI-encoded again (so
// "%" becomes "%25"). When normalising changed the path, alt is the encoding
// of the path as sent, which is what aws-sdk-go-v2 signs; otherwise alt is "".
func canonicalURIs(p string) (primary, alt string) {
	if p == "/" || p == "" {
		return "/", ""
	}
	n := normalizePath(p)
	primary = string(appendURIEncoded(nil, n, false))
	if n != p {
		alt = string(appendURIEncoded(nil, p, false))
	}
	return primary, alt
}

// normalizePath removes "." and ".." segments and empty segments ("//"),
// keeping a leading and a trailing slash.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if p[len(p)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// appendURIEncoded appends s with every byte other than the unreserved
// characters (A-Z a-z 0-9 - . _ ~) percent-encoded in upper-case hex; "/" is
// kept unless encodeSlash.
func appendURIEncoded(dst []byte, s string, encodeSlash bool) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// canonicalQuery returns the canonical query string of the raw query: every
// parameter decoded as net/url does ("+" is a space; a pair that does not
// decode is dropped, as aws-sdk-go-v2 drops it), re-encoded, and sorted by
// encoded name, then encoded value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	values, _ := url.ParseQuery(raw) // the SDK signs what url.ParseQuery keeps
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range values {
		ek := string(appendURIEncoded(nil, k, true))
		for _, v := range vs {
			pairs = append(pairs, pair{ek, string(appendURIEncoded(nil, v, true))})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}
