package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// vanilla returns the suite's get-vanilla request (valid as it stands).
func vanilla(t *testing.T) *http.Request {
	return mustParseRaw(t, loadSuiteCase(t, "get-vanilla").sreq).request()
}

func TestMalformed(t *testing.T) {
	const (
		cred   = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
		signed = "SignedHeaders=host;x-amz-date"
		sig    = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	)
	long := "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig + ", X=" + strings.Repeat("a", maxAuthorizationLen)
	for _, tc := range []struct {
		name  string
		authz []string // nil: no Authorization header
		edit  func(r *http.Request)
		kind  Kind
		want  string
	}{
		{"valid", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig}, nil, 0, ""},
		{"valid without spaces", []string{"AWS4-HMAC-SHA256 " + cred + "," + signed + "," + sig}, nil, 0, ""},
		{"valid, extra part", []string{"AWS4-HMAC-SHA256 " + cred + ", Foo=bar, " + signed + ", " + sig}, nil, 0, ""},
		{"no header", nil, nil, KindMissingAuth, msgMissingAuth},
		{"blank header", []string{"  "}, nil, KindMissingAuth, msgMissingAuth},
		{"bearer", []string{"Bearer token"}, nil, KindIncompleteSignature,
			"'token' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer token'."},
		{"algorithm only", []string{"AWS4-HMAC-SHA256"}, nil, KindIncompleteSignature,
			msgRequiresCred + msgRequiresSig + msgRequiresSigned + "Authorization=AWS4-HMAC-SHA256"},
		{"credential only", []string{"AWS4-HMAC-SHA256 " + cred}, nil, KindIncompleteSignature,
			msgRequiresSig + msgRequiresSigned + "Authorization=AWS4-HMAC-SHA256 " + cred},
		{"no date", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed}, func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			KindIncompleteSignature, msgRequiresSig + msgRequiresDate + "Authorization=AWS4-HMAC-SHA256 " + cred + ", " + signed},
		{"part without equals", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature"}, nil, KindIncompleteSignature,
			"'Signature' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature'."},
		{"other algorithm", []string{"AWS4-HMAC-SHA512 " + cred + ", " + signed + ", " + sig}, nil, KindIncompleteSignature,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{"host not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig}, nil, KindInvalidSignature, msgHostNotSigned},
		{"no signed headers", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig}, nil, KindInvalidSignature, msgHostNotSigned},
		{"x-amz-date not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig}, nil, KindInvalidSignature, msgDateNotSigned},
		{"token not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "tok") }, KindInvalidSignature, msgTokenNotSigned},
		{"x-amz-target not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Target", "TrentService.DisableKey") }, KindInvalidSignature,
			"'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."},
		{"x-amz-content-sha256 not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, KindInvalidSignature,
			"'X-Amz-Content-Sha256' must be a 'SignedHeader' in the AWS Authorization."},
		{"lower-case x-amz header not signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header["x-amz-foo"] = []string{"1"} }, KindInvalidSignature,
			"'x-amz-foo' must be a 'SignedHeader' in the AWS Authorization."},
		{"two unsigned, the least named", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) {
				r.Header.Set("X-Amz-Zeta", "1")
				r.Header.Set("X-Amz-Alpha", "1")
				r.Header.Set("X-Amz-Mid", "1")
			},
			KindInvalidSignature, "'X-Amz-Alpha' must be a 'SignedHeader' in the AWS Authorization."},
		{"signed x-amz header, upper case in the list", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date;X-Amz-Target, " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Target", "t") }, KindInvalidSignature, msgMismatch},
		{"x-amzn header need not be signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793") }, 0, ""},
		{"amz-sdk header need not be signed", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("Amz-Sdk-Request", "attempt=1") }, 0, ""},
		{"bad x-amz-date", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Date", "2015-08-30T12:36:00Z") }, KindIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"impossible x-amz-date", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150231T123600Z") }, KindIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '20150231T123600Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"too long", []string{long}, nil, KindIncompleteSignature, msgAuthTooLong},
		{"query form too", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig},
			func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" }, KindInvalidSignature, msgBothAuthForms},
		{"second header ignored", []string{"AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig, "junk"}, nil, 0, ""},
		{"signed headers unsorted", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, " + sig}, nil, KindInvalidSignature, msgMismatch},
		{"signed headers upper case", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;X-Amz-Date, " + sig}, nil, KindInvalidSignature, msgMismatch},
		{"signed headers repeated", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host;x-amz-date, " + sig}, nil, KindInvalidSignature, msgMismatch},
		{"signed headers empty name", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date;, " + sig}, nil, KindInvalidSignature, msgMismatch},
		{"too many signed headers", []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=" + manyNames(maxSignedHeaders+1) + ", " + sig}, nil, KindInvalidSignature, msgMismatch},
		{"quoted text bounded", []string{"Bearer " + strings.Repeat("x", 2000)}, nil, KindIncompleteSignature,
			"'" + strings.Repeat("x", maxQuotedInMessage) + quotedTruncateSuffix + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer " +
				strings.Repeat("x", maxQuotedInMessage-len("Bearer ")) + quotedTruncateSuffix + "'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := vanilla(t)
			r.Header.Del("Authorization")
			for _, h := range tc.authz {
				r.Header.Add("Authorization", h)
			}
			if tc.edit != nil {
				tc.edit(r)
			}
			_, err := suiteVerifier(suiteTime).Verify(context.Background(), r, nil)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantError(t, err, tc.kind, tc.want)
		})
	}
}

// manyNames returns n sorted header names, host and x-amz-date among them.
func manyNames(n int) string {
	names := []string{"host", "x-amz-date"}
	for i := 2; i < n; i++ {
		names = append(names, fmt.Sprintf("x-h%03d", i))
	}
	return strings.Join(names, ";")
}

func TestDateHeader(t *testing.T) {
	for _, tc := range []struct {
		name, date string
		signDate   bool
		want       string
	}{
		{"signed", "Sun, 30 Aug 2015 12:36:00 GMT", true, ""},
		{"unsigned", "Sun, 30 Aug 2015 12:36:00 GMT", false, msgDateHdrUnsigned},
		{"malformed", "yesterday", true, "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, RequestURI: "/", Host: "example.amazonaws.com", Header: http.Header{}}
			r.Header.Set("Date", tc.date)
			names := []string{"host"}
			if tc.signDate {
				names = []string{"date", "host"}
			}
			if !tc.signDate {
				refSign(r, nil, suiteAccessKey, suiteSecret, suiteRegion, suiteService, "", names)
				_, err := suiteVerifier(suiteTime).Verify(context.Background(), r, nil)
				wantError(t, err, KindInvalidSignature, tc.want)
				return
			}
			if tc.want != "" {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, Signature=00")
				_, err := suiteVerifier(suiteTime).Verify(context.Background(), r, nil)
				wantError(t, err, KindIncompleteSignature, tc.want)
				return
			}
			refSign(r, nil, suiteAccessKey, suiteSecret, suiteRegion, suiteService, "", names)
			res, err := suiteVerifier(suiteTime).Verify(context.Background(), r, nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !res.Time.Equal(suiteTime) {
				t.Errorf("Time = %v", res.Time)
			}
		})
	}
}

func TestContentSHA256(t *testing.T) {
	body := []byte(sampleBody)
	sum := sha256.Sum256(body)
	for _, tc := range []struct {
		name, value string
		wantErr     string
	}{
		{"matches", hex.EncodeToString(sum[:]), ""},
		{"unsigned payload still signs the body", "UNSIGNED-PAYLOAD", ""},
		{"mismatch", strings.Repeat("0", 64), msgContentSHA256},
		{"upper case", strings.ToUpper(hex.EncodeToString(sum[:])), msgContentSHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleRequest(body)
			r.Header.Set("X-Amz-Content-Sha256", tc.value)
			sampleSigner().Sign(r, body, sampleTime)
			_, err := sampleVerifier(sampleTime).Verify(context.Background(), serverView(r), body)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			} else {
				wantError(t, err, KindInvalidSignature, tc.wantErr)
			}
		})
	}
	t.Run("body swapped", func(t *testing.T) {
		r, _ := signedSample(t)
		_, err := sampleVerifier(sampleTime).Verify(context.Background(), r, []byte(`{"KeyId":"alias/other","Plaintext":"aGVsbG8gd29ybGQ="}`))
		wantError(t, err, KindInvalidSignature, msgMismatch)
	})
}

// TestPaths checks that a path is accepted both as the suite (botocore)
// normalises it and as aws-sdk-go-v2 signs it, and in no other form.
func TestPaths(t *testing.T) {
	const target = "/a/./b//c/../d%20e?z=1&a=%2f"
	const normalized, raw, query = "/a/b/d%2520e", "/a/./b//c/../d%2520e", "a=%2F&z=1"
	for _, tc := range []struct {
		name, uri string
		ok        bool
	}{{"normalised", normalized, true}, {"as sent", raw, true}, {"other", "/a/b/c/d%2520e", false}} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.ParseRequestURI(target)
			r := &http.Request{Method: "GET", URL: u, RequestURI: target, Host: "example.amazonaws.com", Header: http.Header{}}
			r.Header.Set("X-Amz-Date", suiteAmzDate)
			names := []string{"host", "x-amz-date"}
			scope := "20150830/us-east-1/service/aws4_request"
			sig := refSignature(suiteSecret, r, nil, names, tc.uri, query, suiteAmzDate, scope)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"+scope+", SignedHeaders=host;x-amz-date, Signature="+sig)
			_, err := suiteVerifier(suiteTime).Verify(context.Background(), r, nil)
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok {
				wantError(t, err, KindInvalidSignature, msgMismatch)
			}
		})
	}
}

func TestKeyCache(t *testing.T) {
	body := []byte(sampleBody)
	cur := sampleCred
	var mu sync.Mutex
	v := sampleVerifier(sampleTime)
	v.Lookup = func(context.Context, string) (*Credential, error) { mu.Lock(); defer mu.Unlock(); return cur, nil }
	signWith := func(secret string) *http.Request {
		s := sampleSigner()
		s.Secret = []byte(secret)
		r := sampleRequest(body)
		s.Sign(r, body, sampleTime)
		return serverView(r)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, signWith(sampleSecret), body); err != nil {
		t.Fatal(err)
	}
	if n := v.keys.len(); n != 1 {
		t.Fatalf("cache holds %d keys, want 1", n)
	}

	t.Run("new secret", func(t *testing.T) {
		mu.Lock()
		cur = &Credential{Secret: []byte("rotated-secret")}
		mu.Unlock()
		_, err := v.Verify(ctx, signWith(sampleSecret), body)
		wantError(t, err, KindInvalidSignature, msgMismatch)
		if _, err := v.Verify(ctx, signWith("rotated-secret"), body); err != nil {
			t.Fatalf("with the new secret: %v", err)
		}
		if n := v.keys.len(); n != 1 {
			t.Fatalf("cache holds %d keys, want 1", n)
		}
	})

	t.Run("forget", func(t *testing.T) {
		v.Forget("someone-else")
		if n := v.keys.len(); n != 1 {
			t.Fatalf("cache holds %d keys, want 1", n)
		}
		v.Forget(sampleAKID)
		if n := v.keys.len(); n != 0 {
			t.Fatalf("cache holds %d keys after Forget, want 0", n)
		}
	})

	t.Run("bounded", func(t *testing.T) {
		var c keyCache
		var k signingKey
		cred := &Credential{Secret: []byte("s")}
		for i := range maxCachedKeys + 10 {
			c.get(&k, cred, credentialScope{accessKeyID: "AKID", date: "20260101", region: fmt.Sprint("r", i), service: "kms"})
		}
		if n := c.len(); n > maxCachedKeys {
			t.Fatalf("cache holds %d keys, want <= %d", n, maxCachedKeys)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		mu.Lock()
		cur = sampleCred
		mu.Unlock()
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				r := signWith(sampleSecret)
				for i := range 200 {
					if g == 0 && i%10 == 0 {
						v.Forget(sampleAKID)
					}
					if _, err := v.Verify(ctx, r, body); err != nil {
						t.Errorf("Verify: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestSigningKey checks the padded-block HMAC against crypto/hmac.
func TestSigningKey(t *testing.T) {
	var k signingKey
	deriveSigningKey(&k, []byte(suiteSecret), "20150830", "us-east-1", "service")
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	kSigning := mac(mac(mac(mac([]byte("AWS4"+suiteSecret), "20150830"), "us-east-1"), "service"), "aws4_request")
	for _, msg := range []string{"", "x", strings.Repeat("m", 200)} {
		buf := append(append([]byte{}, k.ipad[:]...), msg...)
		got := k.sum(buf)
		if want := mac(kSigning, msg); !hmac.Equal(got[:], want) {
			t.Errorf("sum(%q) = %x, want %x", msg, got, want)
		}
		if buf[0] != 0 || buf[63] != 0 {
			t.Errorf("sum left the inner key block in the buffer")
		}
	}
	k.clear()
	if k != (signingKey{}) {
		t.Errorf("clear left key bytes")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		0: "Kind(0)", KindMissingAuth: "MissingAuth", KindIncompleteSignature: "IncompleteSignature",
		KindInvalidSignature: "InvalidSignature", KindUnrecognizedClient: "UnrecognizedClient", KindExpiredToken: "ExpiredToken", 9: "Kind(9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
	e := &Error{Kind: KindInvalidSignature, Message: "m"}
	if got := e.Error(); got != "sigv4: InvalidSignature: m" {
		t.Errorf("Error() = %q", got)
	}
}

func TestVerifierMisuse(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Verify with no Lookup did not panic")
		}
	}()
	v := &Verifier{Service: "kms", AllowRegion: func(string) bool { return true }}
	v.Verify(context.Background(), vanilla(t), nil) //nolint:errcheck // panics
}

func TestCanonicalHelpers(t *testing.T) {
	key := func(name string) string {
		var b [maxCanonicalKey]byte
		return string(b[:canonicalHeaderKey(b[:], name)])
	}
	for name, want := range map[string]string{
		"x-amz-date": "X-Amz-Date", "content-md5": "Content-Md5", "X-AMZ-TARGET": "X-Amz-Target",
		"my_header": "My_header", "bad name": "bad name", "a": "A", "": "",
	} {
		if got := key(name); got != want {
			t.Errorf("canonicalHeaderKey(%q) = %q, want %q", name, got, want)
		}
	}
	for in, want := range map[string]string{
		"": "/", "/": "/", "//": "/", "/a/": "/a/", "a/b": "a/b", "/a/../../b": "/b", "/a/.": "/a", "/%2e%2e/a": "/%2e%2e/a",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct{ scheme, host, want string }{
		{"https", "kms.us-east-1.amazonaws.com:443", "kms.us-east-1.amazonaws.com"},
		{"http", "localhost:80", "localhost"},
		{"http", "localhost:443", "localhost:443"},
		{"https", "127.0.0.1:8443", "127.0.0.1:8443"},
	} {
		if got := stripDefaultPort(tc.scheme, tc.host); got != tc.want {
			t.Errorf("stripDefaultPort(%q, %q) = %q, want %q", tc.scheme, tc.host, got, tc.want)
		}
	}
	for _, tc := range []struct {
		u    *url.URL
		want string
	}{
		{&url.URL{}, "/"},
		{&url.URL{Path: "/a b"}, "/a%20b"},
		{&url.URL{Opaque: "//host/x%2Fy?q"}, "/x%2Fy"},
		{&url.URL{Opaque: "//host"}, "/"},
	} {
		if got := urlPath(tc.u); got != tc.want {
			t.Errorf("urlPath(%#v) = %q, want %q", tc.u, got, tc.want)
		}
	}
	r := &http.Request{Header: http.Header{"Host": {"from-header"}}, URL: &url.URL{Host: "from-url"}}
	if got := hostOf(r); got != "from-header" {
		t.Errorf("hostOf = %q, want from-header", got)
	}
	r.Header.Del("Host")
	if got := hostOf(r); got != "from-url" {
		t.Errorf("hostOf = %q, want from-url", got)
	}
	if got := string(appendHeaderValue(nil, " \t a   b \t c  ")); got != "a b \t c" {
		t.Errorf("appendHeaderValue = %q", got)
	}
}
