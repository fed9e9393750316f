package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

const jsonContentType = "application/x-amz-json-1.1"

// rawResponse is a response to a hand-made request.
type rawResponse struct {
	status  int
	header  http.Header
	body    []byte
	errType string // the body's __type
	message string // the body's message
}

// signFor returns a function that signs a request with body for kms in
// region at the given time (zero: now).
func signFor(creds aws.Credentials, region string, at time.Time, body io.Reader) func(t *testing.T, r *http.Request) {
	return func(t *testing.T, r *http.Request) {
		t.Helper()
		h := sha256.New()
		if _, err := io.Copy(h, body); err != nil {
			t.Fatalf("hash body: %v", err)
		}
		if at.IsZero() {
			at = time.Now()
		}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, hex.EncodeToString(h.Sum(nil)), "kms", region, at); err != nil {
			t.Fatalf("sign: %v", err)
		}
	}
}

func (e *env) creds(t *testing.T) aws.Credentials {
	ak, sk := harness.Credentials(t, e.s.CredentialsFile())
	return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
}

// raw POSTs body with the X-Amz-Target target (none if empty), signed by
// sign when it is not nil.
func (e *env) raw(t *testing.T, target string, body []byte, sign func(*testing.T, *http.Request)) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", jsonContentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if sign != nil {
		sign(t, req)
	}
	return e.do(t, req)
}

func (e *env) do(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := e.s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", req.Header.Get("X-Amz-Target"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
	var eb struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &eb) == nil {
		r.errType, r.message = eb.Type, eb.Message
	}
	return r
}

// signedRaw is raw with the first account's credentials, signed now.
func (e *env) signedRaw(t *testing.T, target, body string) rawResponse {
	t.Helper()
	return e.raw(t, target, []byte(body), signFor(e.creds(t), region, time.Time{}, strings.NewReader(body)))
}

// wantRawError checks an error response's status, headers and body.
func wantRawError(t *testing.T, r rawResponse, status int, errType, msgPrefix string) {
	t.Helper()
	if r.status != status || r.errType != errType || !strings.HasPrefix(r.message, msgPrefix) {
		t.Errorf("got HTTP %d %s %q, want HTTP %d %s with message starting %q\nbody: %s", r.status, r.errType, r.message, status, errType, msgPrefix, r.body)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, jsonContentType) {
		t.Errorf("error Content-Type = %q, want %s", got, jsonContentType)
	}
	if !requestIDLike.MatchString(r.header.Get("x-amzn-RequestId")) {
		t.Errorf("error response has x-amzn-RequestId %q", r.header.Get("x-amzn-RequestId"))
	}
}

func TestRawProtocol(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)

		ok := e.signedRaw(t, "TrentService.DescribeKey", `{"KeyId":"`+id+`"}`)
		if ok.status != 200 {
			t.Fatalf("signed DescribeKey: HTTP %d %s", ok.status, ok.body)
		}
		if got := ok.header.Get("Content-Type"); !strings.HasPrefix(got, jsonContentType) {
			t.Errorf("Content-Type = %q, want %s", got, jsonContentType)
		}
		if ok.header.Get("Date") == "" {
			t.Errorf("response has no Date header")
		}
		var out struct {
			KeyMetadata struct {
				KeyId        string
				CreationDate json.Number
			}
		}
		if err := json.Unmarshal(ok.body, &out); err != nil || out.KeyMetadata.KeyId != id {
			t.Errorf("DescribeKey body %s: %v", ok.body, err)
		}
		if _, err := out.KeyMetadata.CreationDate.Float64(); err != nil {
			t.Errorf("CreationDate %q is not epoch seconds: %v", out.KeyMetadata.CreationDate, err)
		}
		id1 := ok.header.Get("x-amzn-RequestId")
		if !requestIDLike.MatchString(id1) {
			t.Errorf("success response has x-amzn-RequestId %q", id1)
		}
		if id2 := e.signedRaw(t, "TrentService.ListKeys", `{}`).header.Get("x-amzn-RequestId"); id2 == id1 {
			t.Errorf("two requests share request ID %s", id1)
		}

		const unknown = "0e5d7c3b-4a2f-4e1d-9c8b-7a6f5e4d3c2b"
		nf := e.signedRaw(t, "TrentService.DescribeKey", `{"KeyId":"`+unknown+`"}`)
		wantRawError(t, nf, 400, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		var fields map[string]any
		if err := json.Unmarshal(nf.body, &fields); err != nil || len(fields) != 2 {
			t.Errorf("error body %s: want exactly __type and message", nf.body)
		}

		cases := []struct {
			name, target, body, errType, msg string
		}{
			{"unknown target", "TrentService.NoSuchOperation", `{}`, "UnknownOperationException", ""},
			{"other service's target", "AmazonSSM.GetParameter", `{}`, "UnknownOperationException", ""},
			{"no target", "", `{}`, "UnknownOperationException", ""},
			{"body not JSON", "TrentService.ListKeys", `{not json`, "SerializationException", ""},
			{"body a JSON array", "TrentService.ListKeys", `[1,2]`, "SerializationException", ""},
			{"member of the wrong type", "TrentService.DescribeKey", `{"KeyId":5}`, "SerializationException", ""},
			{"missing required member", "TrentService.DescribeKey", `{}`, "ValidationException",
				validationMsg("null", "keyId", "Member must not be null")},
			{"two missing members", "TrentService.CreateAlias", `{}`, "ValidationException", "2 validation errors detected: "},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantRawError(t, e.signedRaw(t, tc.target, tc.body), 400, tc.errType, tc.msg)
			})
		}

		t.Run("incomplete Authorization header", func(t *testing.T) {
			ak := e.creds(t).AccessKeyID
			for _, authz := range []string{
				"AWS4-HMAC-SHA256 Credential=" + ak + "/20260101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date",
				"AWS4-HMAC-SHA256 Credential=" + ak + "/20260101/us-east-1/kms/aws4_request, Signature=" + strings.Repeat("0", 64),
				"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64),
				"AWS4-HMAC-SHA256 garbage",
			} {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", jsonContentType)
				req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
				req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
				req.Header.Set("Authorization", authz)
				wantRawError(t, e.do(t, req), 400, "IncompleteSignatureException", "")
			}
		})
		t.Run("unsigned", func(t *testing.T) {
			wantRawError(t, e.raw(t, "TrentService.ListKeys", []byte(`{}`), nil), 400, "MissingAuthenticationTokenException", "")
		})
		t.Run("body changed after signing", func(t *testing.T) {
			r := e.raw(t, "TrentService.ListKeys", []byte(`{"Limit":1}`), signFor(e.creds(t), region, time.Time{}, strings.NewReader(`{}`)))
			wantRawError(t, r, 400, "InvalidSignatureException", "The request signature we calculated does not match")
		})
		t.Run("signature expired", func(t *testing.T) {
			r := e.raw(t, "TrentService.ListKeys", []byte(`{}`), signFor(e.creds(t), region, time.Now().Add(-10*time.Minute), strings.NewReader(`{}`)))
			wantRawError(t, r, 400, "InvalidSignatureException", "Signature expired: ")
		})
		t.Run("signature from the future", func(t *testing.T) {
			r := e.raw(t, "TrentService.ListKeys", []byte(`{}`), signFor(e.creds(t), region, time.Now().Add(10*time.Minute), strings.NewReader(`{}`)))
			wantRawError(t, r, 400, "InvalidSignatureException", "Signature not yet current: ")
		})
		t.Run("signed for another service", func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", jsonContentType)
			req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
			sum := sha256.Sum256([]byte(`{}`))
			if err := v4.NewSigner().SignHTTP(t.Context(), e.creds(t), req, hex.EncodeToString(sum[:]), "s3", region, time.Now()); err != nil {
				t.Fatal(err)
			}
			wantRawError(t, e.do(t, req), 400, "InvalidSignatureException", "")
		})
		t.Run("healthz", func(t *testing.T) {
			resp, err := e.s.HTTPClient().Get(e.s.Endpoint + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /healthz: HTTP %d", resp.StatusCode)
			}
		})
	})
}

func TestSigV4Errors(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		good := e.creds(t)
		bad := good
		bad.SecretAccessKey = strings.Repeat("x", len(good.SecretAccessKey))
		_, err := e.s.KMSWith(bad, region).ListKeys(t.Context(), &kms.ListKeysInput{})
		wantErr(t, err, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")

		unknown := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: good.SecretAccessKey}
		_, err = e.s.KMSWith(unknown, region).ListKeys(t.Context(), &kms.ListKeysInput{})
		wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")

		out, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{})
		if err != nil {
			t.Fatalf("ListKeys with the right credentials: %v", err)
		}
		if rid, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || !requestIDLike.MatchString(rid) {
			t.Errorf("SDK saw request ID %q on a success response", rid)
		}
	})
}

// TestBodyTooLarge sends a signed body far over the 1 MiB cap, with and
// without a Content-Length, and checks that the server answers with an
// error after reading only a small part of it.
func TestBodyTooLarge(t *testing.T) {
	const total = 128 << 20
	const maxRead = 48 << 20
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	stream := func() io.Reader { return io.LimitReader(repeatReader(chunk), total) }
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		for _, withLength := range []bool{true, false} {
			name := "chunked"
			if withLength {
				name = "content-length"
			}
			t.Run(name, func(t *testing.T) {
				var written atomic.Int64
				pr, pw := io.Pipe()
				go func() {
					_, err := io.Copy(pw, io.TeeReader(stream(), countWriter{&written}))
					pw.CloseWithError(err)
				}()
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", pr)
				if err != nil {
					t.Fatal(err)
				}
				req.ContentLength = -1
				if withLength {
					req.ContentLength = total
				}
				req.Header.Set("Content-Type", jsonContentType)
				req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
				signFor(e.creds(t), region, time.Time{}, stream())(t, req)

				start := time.Now()
				resp, err := e.s.HTTPClient().Do(req)
				pr.CloseWithError(io.ErrClosedPipe)
				elapsed := time.Since(start)
				if err != nil {
					// A server that closes the connection early may beat its
					// own response to the client; it must still not have read
					// the whole body.
					t.Logf("no response, connection error after %v: %v", elapsed, err)
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var eb struct {
						Type string `json:"__type"`
					}
					json.Unmarshal(b, &eb)
					if resp.StatusCode < 400 || resp.StatusCode >= 500 || eb.Type == "" {
						t.Errorf("oversized body: HTTP %d %s, want a 4xx error with __type", resp.StatusCode, b)
					}
					if resp.Header.Get("x-amzn-RequestId") == "" {
						t.Errorf("oversized body: response has no x-amzn-RequestId")
					}
					t.Logf("HTTP %d %s after %v", resp.StatusCode, b, elapsed)
				}
				if n := written.Load(); n >= maxRead {
					t.Errorf("client wrote %d MiB before the server answered; want the server to stop near 1 MiB", n>>20)
				}
			})
		}
		// The server is still healthy and serving.
		if _, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{}); err != nil {
			t.Errorf("ListKeys after oversized requests: %v", err)
		}
	})
}

type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

type countWriter struct{ n *atomic.Int64 }

func (w countWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// signHostDateOnly signs a POST of body to the server for kms with only
// host and x-amz-date in SignedHeaders (no X-Amz-Target, no Content-Type,
// no Content-Length yet), as a captured request an attacker could replay.
func (e *env) signHostDateOnly(t *testing.T, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	n := req.ContentLength
	req.ContentLength = 0 // aws-sdk-go-v2's signer signs content-length only when it is positive
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(t.Context(), e.creds(t), req, hex.EncodeToString(sum[:]), "kms", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	if a := req.Header.Get("Authorization"); !strings.Contains(a, "SignedHeaders=host;x-amz-date,") {
		t.Fatalf("the request signs more than host and x-amz-date: %s", a)
	}
	req.Header.Set("Content-Type", jsonContentType)
	return req
}

// TestUnsignedTargetReplay: a request whose signature covers only host and
// x-amz-date is refused when it carries an X-Amz-Target, which it did not
// sign: otherwise anyone holding it could replay it as another operation
// on the same body (DescribeKey's {"KeyId"} is DisableKey's and
// ScheduleKeyDeletion's too). The key is unchanged.
func TestUnsignedTargetReplay(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		body := `{"KeyId":"` + id + `"}`
		const want = "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
		for _, target := range []string{"TrentService.DisableKey", "TrentService.ScheduleKeyDeletion", "TrentService.DescribeKey"} {
			t.Run(target, func(t *testing.T) {
				req := e.signHostDateOnly(t, body)
				req.Header.Set("X-Amz-Target", target)
				wantRawError(t, e.do(t, req), 400, "InvalidSignatureException", want)
				if t.Failed() {
					t.Logf("the replay as %s was not refused", target)
				}
			})
		}
		md := describe(t, e.kms, id)
		if md.KeyState != types.KeyStateEnabled || md.DeletionDate != nil || !md.Enabled {
			t.Errorf("after the refused replays the key is %s (Enabled %v, DeletionDate %v), want Enabled", md.KeyState, md.Enabled, md.DeletionDate)
		}

		// The same request with its target signed is served: the refusal
		// is about the unsigned header, not the hand-made signature.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.Endpoint+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", jsonContentType)
		req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
		signFor(e.creds(t), region, time.Time{}, strings.NewReader(body))(t, req)
		if r := e.do(t, req); r.status != 200 {
			t.Errorf("DescribeKey with its target signed: HTTP %d %s", r.status, r.body)
		}
	})
}
