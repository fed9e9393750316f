package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A real aws-sdk-go-v2 KMS Encrypt request with session credentials: the
// headers kms-api.md 1.7 item 3 lists (8 signed), plus an unsigned
// User-Agent.
const (
	sampleAKID   = "ASIAIOSFODNN7EXAMPLE"
	sampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sampleToken  = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtrentsessiontoken=="
	sampleBody   = `{"KeyId":"alias/trent-bench","Plaintext":"aGVsbG8gd29ybGQ="}`
	// sampleAuthz is the Authorization header that aws-sdk-go-v2 v1.48.0's
	// own signer (v4.Signer.SignHTTP) produced for sampleRequest at
	// sampleTime; it was computed once, outside this package.
	sampleAuthz = "AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20260115/us-east-1/kms/aws4_request, " +
		"SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target, " +
		"Signature=95eace113730ade7420e0aee2f38bd5793e72480c37e94f65957e2240863bb72"
)

var (
	sampleTime = time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	sampleCred = &Credential{Secret: []byte(sampleSecret), Handle: "arn:aws:iam::111122223333:user/bench"}
)

// sampleRequest returns the unsigned client-side request.
func sampleRequest(body []byte) *http.Request {
	r, err := http.NewRequest(http.MethodPost, "https://kms.us-east-1.amazonaws.com/", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService.Encrypt")
	r.Header.Set("Amz-Sdk-Invocation-Id", "3e8f2a0c-7b1d-4c55-9a63-2f4e8b9d1c07")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/kms#1.62.6")
	return r
}

func sampleSigner() *Signer {
	return &Signer{AccessKeyID: sampleAKID, Secret: []byte(sampleSecret), SessionToken: sampleToken, Region: "us-east-1", Service: "kms"}
}

// serverView returns the signed client request r as net/http's server hands
// it to a handler: origin-form RequestURI, Content-Length in the header.
func serverView(r *http.Request) *http.Request {
	s := &http.Request{
		Method: r.Method, URL: &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}, RequestURI: r.URL.RequestURI(),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Host: r.Host, Header: r.Header.Clone(), ContentLength: r.ContentLength,
	}
	if r.ContentLength > 0 {
		s.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	return s
}

func sampleVerifier(now time.Time) *Verifier {
	return &Verifier{
		Service:     "kms",
		AllowRegion: func(r string) bool { return r == "us-east-1" || r == "eu-west-1" },
		Lookup: func(_ context.Context, akid string) (*Credential, error) {
			if akid == sampleAKID {
				return sampleCred, nil
			}
			return nil, ErrUnknownAccessKey
		},
		Now: func() time.Time { return now },
	}
}

// signedSample returns the server's view of the sample request, signed.
func signedSample(tb testing.TB) (*http.Request, []byte) {
	tb.Helper()
	body := []byte(sampleBody)
	r := sampleRequest(body)
	sampleSigner().Sign(r, body, sampleTime)
	return serverView(r), body
}

func wantError(t *testing.T, err error, kind Kind, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error %v %q", err, kind, msg)
	}
	if e.Kind != kind || e.Message != msg {
		t.Fatalf("err = %v %q\nwant  %v %q", e.Kind, e.Message, kind, msg)
	}
}

func TestSDKSample(t *testing.T) {
	r, body := signedSample(t)
	if got := r.Header.Get("Authorization"); got != sampleAuthz {
		t.Fatalf("Signer: Authorization =\n%s\nwant (aws-sdk-go-v2):\n%s", got, sampleAuthz)
	}
	res, err := sampleVerifier(sampleTime.Add(time.Minute)).Verify(context.Background(), r, body)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Result{AccessKeyID: sampleAKID, Region: "us-east-1", Service: "kms", Date: "20260115", Time: sampleTime,
		SessionToken: sampleToken, Credential: sampleCred}
	if res != want {
		t.Errorf("Result = %+v\nwant %+v", res, want)
	}

	// The client's own view (no RequestURI, length outside Header) verifies too.
	c := sampleRequest(body)
	sampleSigner().Sign(c, body, sampleTime)
	if _, err := sampleVerifier(sampleTime).Verify(context.Background(), c, body); err != nil {
		t.Fatalf("Verify(client-side request): %v", err)
	}
}

// TestRoundTripHTTP sends Signer-signed requests through a real net/http
// server and verifies them there.
func TestRoundTripHTTP(t *testing.T) {
	v := sampleVerifier(time.Now())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct{ name, path, body string }{
		{"kms", "/", sampleBody},
		{"empty body", "/", ""},
		{"path and query", "/a/b%20c/./d?x=1&b=%2F&a=+", "{}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleRequest([]byte(tc.body))
			u, _ := url.Parse(srv.URL + tc.path)
			r.URL, r.Host = u, ""
			sampleSigner().Sign(r, []byte(tc.body), time.Now())
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, msg)
			}
		})
	}
}

func TestSignatureFlip(t *testing.T) {
	cases := map[string]func() (*http.Request, []byte){
		"sdk-sample": func() (*http.Request, []byte) { return signedSample(t) },
	}
	for _, c := range loadSuite(t) {
		if c.name == "get-vanilla" || c.name == "post-x-www-form-urlencoded" {
			cases[c.name] = func() (*http.Request, []byte) { rr := mustParseRaw(t, c.sreq); return rr.request(), rr.body }
		}
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			r, body := mk()
			v := sampleVerifier(sampleTime)
			if name != "sdk-sample" {
				v = suiteVerifier(suiteTime)
			}
			if _, err := v.Verify(context.Background(), r, body); err != nil {
				t.Fatalf("unmodified: %v", err)
			}
			authz := r.Header.Get("Authorization")
			at := strings.Index(authz, "Signature=") + len("Signature=")
			for i := at; i < len(authz); i++ {
				for _, c := range []byte("0123456789abcdefABCDEF-g ") {
					if c == authz[i] {
						continue
					}
					r.Header.Set("Authorization", authz[:i]+string(c)+authz[i+1:])
					_, err := v.Verify(context.Background(), r, body)
					wantError(t, err, KindInvalidSignature, msgMismatch)
				}
			}
			for _, sig := range []string{"", authz[at : len(authz)-1], authz[at:] + "0", strings.ToUpper(authz[at:])} {
				r.Header.Set("Authorization", authz[:at]+sig)
				_, err := v.Verify(context.Background(), r, body)
				wantError(t, err, KindInvalidSignature, msgMismatch)
			}
		})
	}
}

func TestSkew(t *testing.T) {
	rr := mustParseRaw(t, loadSuiteCase(t, "get-vanilla").sreq)
	for _, tc := range []struct {
		name  string
		shift time.Duration
		skew  time.Duration
		want  string
	}{
		{"now 10 min later", 10 * time.Minute, 0, "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)"},
		{"now 6 min later", 6 * time.Minute, 0, "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T124200Z - 5 min.)"},
		{"now 6 min earlier", -6 * time.Minute, 0, "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T123000Z + 5 min.)"},
		{"15 min skew", 16 * time.Minute, 15 * time.Minute, "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"},
		{"now 5 min later", 5 * time.Minute, 0, ""},
		{"now 5 min earlier", -5 * time.Minute, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := suiteVerifier(suiteTime.Add(tc.shift))
			v.MaxSkew = tc.skew
			_, err := v.Verify(context.Background(), rr.request(), nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantError(t, err, KindInvalidSignature, tc.want)
		})
	}
}

func loadSuiteCase(t *testing.T, name string) suiteCase {
	t.Helper()
	for _, c := range loadSuite(t) {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no suite case %q", name)
	return suiteCase{}
}

func TestScope(t *testing.T) {
	const okCred = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	for _, tc := range []struct {
		name, cred string
		v          func(*Verifier)
		kind       Kind
		want       string
	}{
		{"region not allowed", okCred, func(v *Verifier) { v.AllowRegion = func(string) bool { return false } },
			KindInvalidSignature, "Credential should be scoped to a valid region, not 'us-east-1'. "},
		{"wrong service", okCred, func(v *Verifier) { v.Service = "kms" },
			KindInvalidSignature, "Credential should be scoped to correct service: 'kms'. "},
		{"wrong terminator", "AKIDEXAMPLE/20150830/us-east-1/service/aws4_requesT", nil,
			KindInvalidSignature, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requesT'. "},
		{"wrong date", "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request", nil,
			KindInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."},
		{"everything wrong", "AKIDEXAMPLE/2015/mars/s3/end", nil, KindInvalidSignature,
			"Credential should be scoped to a valid region, not 'mars'. Credential should be scoped to correct service: 'service'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'end'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '2015' != '20150830', from '20150830T123600Z'."},
		{"four parts", "AKIDEXAMPLE/20150830/us-east-1/service", nil, KindIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'"},
		{"six parts", "AKID/EXAMPLE/20150830/us-east-1/service/aws4_request", nil, KindIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/EXAMPLE/20150830/us-east-1/service/aws4_request'"},
		{"empty", "", nil, KindIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got ''"},
		{"unknown key", "AKIDEXAMPLF/20150830/us-east-1/service/aws4_request", nil, KindUnrecognizedClient, msgUnrecognized},
		{"trailing slashes ignored", okCred + "//", nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := mustParseRaw(t, loadSuiteCase(t, "get-vanilla").sreq)
			r := rr.request()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), okCred, tc.cred, 1))
			v := suiteVerifier(suiteTime)
			if tc.v != nil {
				tc.v(v)
			}
			_, err := v.Verify(context.Background(), r, nil)
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

func TestLookupFailures(t *testing.T) {
	rr := mustParseRaw(t, loadSuiteCase(t, "get-vanilla").sreq)
	internal := errors.New("database on fire")
	for _, tc := range []struct {
		name   string
		lookup Lookup
		kind   Kind // 0: an internal error, not *Error
	}{
		{"unknown", func(context.Context, string) (*Credential, error) { return nil, ErrUnknownAccessKey }, KindUnrecognizedClient},
		{"unknown wrapped", func(context.Context, string) (*Credential, error) {
			return nil, errors.Join(errors.New("iam"), ErrUnknownAccessKey)
		}, KindUnrecognizedClient},
		{"nil credential", func(context.Context, string) (*Credential, error) { return nil, nil }, KindUnrecognizedClient},
		{"internal", func(context.Context, string) (*Credential, error) { return nil, internal }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := suiteVerifier(suiteTime)
			v.Lookup = tc.lookup
			_, err := v.Verify(context.Background(), rr.request(), nil)
			if tc.kind == 0 {
				var e *Error
				if errors.As(err, &e) || !errors.Is(err, internal) {
					t.Fatalf("err = %v, want a wrapped internal error", err)
				}
				return
			}
			wantError(t, err, tc.kind, msgUnrecognized)
		})
	}
}

// TestLookupSession: a request with a security token is resolved by
// LookupSession, which sees the token as signed; its verdicts become the
// AWS errors; without LookupSession, Lookup serves every request.
func TestLookupSession(t *testing.T) {
	internal := errors.New("database on fire")
	for _, tc := range []struct {
		name    string
		session SessionLookup
		kind    Kind
		msg     string
	}{
		{"valid", func(_ context.Context, id, tok string) (*Credential, error) {
			if id != sampleAKID || tok != sampleToken {
				return nil, ErrUnknownAccessKey
			}
			return sampleCred, nil
		}, 0, ""},
		{"forged", func(context.Context, string, string) (*Credential, error) { return nil, ErrUnknownAccessKey }, KindUnrecognizedClient, msgUnrecognized},
		{"expired", func(context.Context, string, string) (*Credential, error) {
			return nil, fmt.Errorf("session: %w", ErrExpiredToken)
		}, KindExpiredToken, "The security token included in the request is expired"},
		{"internal", func(context.Context, string, string) (*Credential, error) { return nil, internal }, -1, ""},
		{"no session lookup", nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, body := signedSample(t)
			v := sampleVerifier(sampleTime)
			v.LookupSession = tc.session
			_, err := v.Verify(context.Background(), r, body)
			switch tc.kind {
			case 0:
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			case -1:
				if !errors.Is(err, internal) {
					t.Fatalf("err = %v, want the internal error", err)
				}
			default:
				wantError(t, err, tc.kind, tc.msg)
			}
		})
	}
}
