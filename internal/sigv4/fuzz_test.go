package sigv4

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzVerify mutates the Authorization header, X-Amz-Date and body of the
// suite's requests, and adds a header. Verify must never panic, must answer
// every rejection with a well-formed *Error, and may accept only a request
// whose signature the independent oracle (refSignature) computes too and
// that signs every X-Amz-* header it carries.
func FuzzVerify(f *testing.F) {
	type prepared struct {
		rr         *rawRequest
		uri, query string // the canonical URI and query lines of the case's .creq
	}
	var ps []prepared
	for _, c := range loadSuite(f) {
		rr := mustParseRaw(f, c.sreq)
		lines := strings.Split(c.creq, "\n")
		r := rr.request()
		f.Add(uint8(len(ps)), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), rr.body, "")
		f.Add(uint8(len(ps)), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), rr.body, "X-Amz-Target")
		ps = append(ps, prepared{rr, lines[1], lines[2]})
	}
	if len(ps) == 0 {
		f.Fatal("no seeds: the test suite was not found")
	}
	v := suiteVerifier(suiteTime)
	f.Fuzz(func(t *testing.T, idx uint8, authz, amzDate string, body []byte, extra string) {
		p := ps[int(idx)%len(ps)]
		r := p.rr.request()
		r.Header.Set("Authorization", authz)
		r.Header.Del("X-Amz-Date")
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		if extra != "" {
			r.Header[extra] = append(r.Header[extra], "fuzz")
		}
		res, err := v.Verify(context.Background(), r, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind < KindMissingAuth || e.Kind > KindExpiredToken || e.Message == "" {
				t.Fatalf("Verify error %#v is not a well-formed *Error", err)
			}
			return
		}
		a := parseRefAuthz(authz)
		akid, scope, _ := strings.Cut(strings.TrimRight(a.credential, "/"), "/")
		if res.AccessKeyID != akid || akid != suiteAccessKey {
			t.Fatalf("accepted access key %q (credential %q)", res.AccessKeyID, a.credential)
		}
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-amz-") && !slices.Contains(a.signedHeaders, strings.ToLower(name)) {
				t.Fatalf("accepted a request whose %q header is not in SignedHeaders %q", name, a.signedHeaders)
			}
		}
		want := refSignature(suiteSecret, r, body, a.signedHeaders, p.uri, p.query, amzDate, scope)
		if a.signature != want {
			t.Fatalf("accepted signature %q; the oracle computes %q\nAuthorization: %q\nX-Amz-Date: %q", a.signature, want, authz, amzDate)
		}
	})
}
