package sigv4

import (
	"strings"
	"time"
)

const (
	algorithm = "AWS4-HMAC-SHA256"
	// maxAuthorizationLen bounds the Authorization header Verify will parse.
	// An aws-sdk-go-v2 header is about 300 bytes; 64 signed headers of 40
	// bytes each still fit.
	maxAuthorizationLen = 8 << 10
	// maxSignedHeaders bounds the SignedHeaders list. A longer list cannot
	// verify (the request is answered as a signature mismatch).
	maxSignedHeaders = 64
)

// authorization is a parsed Authorization header. Its strings alias the
// header; nothing is copied.
type authorization struct {
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	hasCredential bool
	hasSigned     bool
	hasSignature  bool
}

// parseAuthorization splits h into the algorithm and the comma-separated
// key=value components that follow it (", " or "," between components; a
// repeated key keeps its last value; unknown keys are ignored). It checks
// only the key=value syntax: missing components are reported by the caller,
// which also knows whether the request has a date.
func parseAuthorization(h string) (authorization, *Error) {
	var a authorization
	rest := ""
	if i := strings.IndexByte(h, ' '); i >= 0 {
		a.algorithm, rest = h[:i], h[i+1:]
	} else {
		a.algorithm = h
	}
	for rest != "" {
		var part string
		if i := strings.IndexByte(rest, ','); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			part, rest = rest, ""
		}
		part = trimOWS(part)
		if part == "" {
			continue
		}
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			return a, errNotKeyValue(part, h)
		}
		switch val := part[eq+1:]; part[:eq] {
		case "Credential":
			a.credential, a.hasCredential = val, true
		case "SignedHeaders":
			a.signedHeaders, a.hasSigned = val, true
		case "Signature":
			a.signature, a.hasSignature = val, true
		}
	}
	return a, nil
}

// signedList is what Verify needs to know about a SignedHeaders list.
type signedList struct {
	n         int  // names stored
	canonical bool // lower-case, strictly ascending, non-empty names, at most maxSignedHeaders
	host      bool
	amzDate   bool
	date      bool
	token     bool
}

// scanSignedHeaders splits list on ';' into names (at most maxSignedHeaders
// are stored) and notes, case-insensitively, whether host, x-amz-date and
// date and x-amz-security-token are among them.
func scanSignedHeaders(list string, names *[maxSignedHeaders]string) signedList {
	s := signedList{canonical: true}
	prev := ""
	for last := false; !last; {
		name := list
		if i := strings.IndexByte(list, ';'); i >= 0 {
			name, list = list[:i], list[i+1:]
		} else {
			last = true
		}
		switch len(name) {
		case len("host"): // and len("date")
			s.host = s.host || strings.EqualFold(name, "host")
			s.date = s.date || strings.EqualFold(name, "date")
		case len("x-amz-date"):
			s.amzDate = s.amzDate || strings.EqualFold(name, "x-amz-date")
		case len("x-amz-security-token"):
			s.token = s.token || strings.EqualFold(name, "x-amz-security-token")
		}
		if name == "" || hasUpper(name) || (s.n > 0 && name <= prev) || s.n == maxSignedHeaders {
			s.canonical = false
			continue
		}
		names[s.n] = name
		s.n++
		prev = name
	}
	return s
}

// amzPrefix is the prefix of the headers a request must sign when it
// carries them.
const amzPrefix = "x-amz-"

// unsignedAmzHeader returns the name of an X-Amz-* header of h that the
// SignedHeaders list does not name (case-insensitively), or "" when every
// one is signed. names and sl are what scanSignedHeaders made of list:
// when sl.canonical, names holds the whole list, already split. When
// several headers are unsigned it returns the least name, so the answer
// does not depend on map order. It does not allocate.
func unsignedAmzHeader(h map[string][]string, names []string, sl signedList, list string) string {
	found := ""
	for name := range h {
		if len(name) < len(amzPrefix) || !asciiEqualFold(name[:len(amzPrefix)], amzPrefix) {
			continue
		}
		if found != "" && name >= found {
			continue
		}
		signed := false
		if sl.canonical {
			for _, n := range names {
				if asciiEqualFold(n, name) {
					signed = true
					break
				}
			}
		} else {
			signed = listHas(list, name)
		}
		if !signed {
			found = name
		}
	}
	return found
}

// listHas reports whether the ';'-separated list holds name,
// case-insensitively.
func listHas(list, name string) bool {
	for list != "" {
		item := list
		if i := strings.IndexByte(list, ';'); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			list = ""
		}
		if asciiEqualFold(item, name) {
			return true
		}
	}
	return false
}

// asciiEqualFold reports whether a and b are equal under ASCII case
// folding (header names are ASCII; strings.EqualFold also folds Unicode,
// which is slower and not wanted here).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// credentialScope is the Credential component split into its five parts.
type credentialScope struct {
	accessKeyID, date, region, service, terminator string
	scope                                          string // date/region/service/terminator, as sent
}

// splitCredential splits cred on '/' into exactly five parts. Like AWS, it
// ignores trailing slashes.
func splitCredential(cred string) (credentialScope, bool) {
	var c credentialScope
	trimmed := strings.TrimRight(cred, "/")
	s := trimmed
	var parts [5]string
	for i := range parts {
		j := strings.IndexByte(s, '/')
		if i == 4 {
			if j >= 0 {
				return c, false
			}
			parts[i] = s
			break
		}
		if j < 0 {
			return c, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	c.accessKeyID, c.date, c.region, c.service, c.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	c.scope = trimmed[len(c.accessKeyID)+1:]
	return c, true
}

// parseAmzDate parses the ISO-8601 basic format AWS uses,
// "20060102T150405Z", strictly: no other layout, no out-of-range fields.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := num(0, 4), num(4, 2), num(6, 2)
	h, mi, sec := num(9, 2), num(11, 2), num(13, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // e.g. February 30th
		return time.Time{}, false
	}
	return t, true
}

// trimOWS trims the optional whitespace (spaces and tabs) HTTP allows
// around values.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// hasQueryParam reports whether the raw query string has a parameter named
// exactly key (not percent-decoded).
func hasQueryParam(raw, key string) bool {
	for raw != "" {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		if i := strings.IndexByte(pair, '='); i >= 0 {
			pair = pair[:i]
		}
		if pair == key {
			return true
		}
	}
	return false
}

// decodeLowerHex decodes s, which must be exactly 2*len(dst) lower-case hex
// digits, into dst. It reports false for anything else (AWS compares the
// hex text, so upper-case digits never match).
func decodeLowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	val := func(c byte) (byte, bool) {
		switch {
		case '0' <= c && c <= '9':
			return c - '0', true
		case 'a' <= c && c <= 'f':
			return c - 'a' + 10, true
		}
		return 0, false
	}
	for i := range dst {
		hi, ok1 := val(s[2*i])
		lo, ok2 := val(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}
