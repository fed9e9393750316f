package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/connlimit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/metrics"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// fixture is a whole request path in-process: SQLite store, keyring,
// directory, verifier, service and handler.
type fixture struct {
	h      *Handler
	signer sigv4.Signer
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "trent.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	kr, err := keyring.Open(dk, keyring.Options{Source: service.MaterialSource(st)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kr.Close() })
	const account = "111122223333"
	ak, secret, err := iam.NewAccessKey(kr, account, iam.RootARN(account), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{1}, SealType: "file"}, store.Account{ID: account}, ak); err != nil {
		tb.Fatal(err)
	}
	dir := iam.NewDirectory(st, kr)
	svc := service.New(service.Config{Store: st, Keyring: kr})
	mx := metrics.New(metrics.Config{Operations: Operations()})
	h := New(Config{
		Service: svc,
		KMS:     &sigv4.Verifier{Service: "kms", AllowRegion: func(r string) bool { return r == "us-east-1" }, Lookup: dir.Lookup},
		// The request path as served: metrics observed, the request log
		// at info (its debug line skipped).
		Requests: mx,
		Metrics:  mx.Handler(),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		// As trent server wires it.
		Authenticated: connlimit.MarkAuthenticated,
	})
	return &fixture{h: h, signer: sigv4.Signer{AccessKeyID: ak.ID, Secret: []byte(secret), Region: "us-east-1", Service: "kms"}}
}

// request builds a signed request like aws-sdk-go-v2's.
func (f *fixture) request(op string, body []byte) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", bytes.NewReader(body))
	r.Host = "127.0.0.1:4599"
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("Content-Type", jsonContentType)
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	r.ContentLength = int64(len(body))
	f.signer.Sign(r, body, time.Now())
	return r
}

type recorder struct {
	hdr    http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{hdr: http.Header{}, status: 200} }
func (r *recorder) Header() http.Header         { return r.hdr }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func (f *fixture) call(tb testing.TB, op string, in any, out any) *recorder {
	tb.Helper()
	body, _ := json.Marshal(in)
	w := newRecorder()
	f.h.ServeHTTP(w, f.request(op, body))
	if out != nil && w.status == 200 {
		if err := json.Unmarshal(w.body.Bytes(), out); err != nil {
			tb.Fatalf("%s: decode %q: %v", op, w.body.String(), err)
		}
	}
	return w
}

func TestErrorsAndRequestID(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, op string
		body     string
		wantType string
		status   int
	}{
		{"unknown target", "Nope", `{}`, "UnknownOperationException", 400},
		{"not json", "CreateKey", `{`, "SerializationException", 400},
		{"wrong type", "DescribeKey", `{"KeyId":5}`, "SerializationException", 400},
		{"missing key", "DescribeKey", `{}`, "ValidationException", 400},
		{"unknown key", "DescribeKey", `{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`, "NotFoundException", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newRecorder()
			f.h.ServeHTTP(w, f.request(tt.op, []byte(tt.body)))
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			json.Unmarshal(w.body.Bytes(), &e)
			if w.status != tt.status || e.Type != tt.wantType {
				t.Errorf("got %d %s (%s), want %d %s", w.status, e.Type, e.Message, tt.status, tt.wantType)
			}
			if len(w.hdr.Get("x-amzn-RequestId")) != 36 {
				t.Errorf("x-amzn-RequestId = %q", w.hdr.Get("x-amzn-RequestId"))
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t)
	body := bytes.Repeat([]byte("a"), MaxBodyBytes+1)
	r := f.request("CreateKey", body)
	w := newRecorder()
	f.h.ServeHTTP(w, r)
	if w.status != 400 || !bytes.Contains(w.body.Bytes(), []byte("SerializationException")) {
		t.Fatalf("got %d %s", w.status, w.body.String())
	}
	// Without Content-Length the cap still holds.
	r = f.request("CreateKey", body)
	r.ContentLength = -1
	r.Body = io.NopCloser(bytes.NewReader(body))
	w = newRecorder()
	f.h.ServeHTTP(w, r)
	if w.status != 400 {
		t.Fatalf("chunked oversize body: got %d", w.status)
	}
}

func benchOp(b *testing.B, op string, body []byte) {
	f := newFixture(b)
	var created struct{ KeyMetadata struct{ Arn string } }
	f.call(b, "CreateKey", map[string]any{}, &created)
	body = bytes.ReplaceAll(body, []byte("KEY"), []byte(created.KeyMetadata.Arn))
	if op == "Decrypt" {
		var enc struct{ CiphertextBlob []byte }
		var in map[string]any
		json.Unmarshal(body, &in)
		f.call(b, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": make([]byte, 1024), "EncryptionContext": map[string]string{"purpose": "bench"}}, &enc)
		body, _ = json.Marshal(map[string]any{"CiphertextBlob": enc.CiphertextBlob, "EncryptionContext": map[string]string{"purpose": "bench"}})
	}
	req := f.request(op, body)
	w := newRecorder()
	f.h.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("%s: %d %s", op, w.status, w.body.String())
	}
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		w.body.Reset()
		f.h.ServeHTTP(w, req)
	}
}

// BenchmarkEncrypt measures the server's whole request path for Encrypt of
// 1 KiB (SigV4, JSON, key lookup, crypto, encoding), without the network.
func BenchmarkEncrypt(b *testing.B) {
	pt, _ := json.Marshal(make([]byte, 1024))
	benchOp(b, "Encrypt", []byte(`{"KeyId":"KEY","Plaintext":`+string(pt)+`,"EncryptionContext":{"purpose":"bench"}}`))
}

func BenchmarkDecrypt(b *testing.B) {
	benchOp(b, "Decrypt", nil)
}

// TestTestingClockHook checks that the testing-clock path exists only
// when Config.TestingClock is set, and is served without SigV4 then.
func TestTestingClockHook(t *testing.T) {
	f := newFixture(t)
	w := newRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, TestingClockPath+"?advance=720h", nil))
	if w.status != http.StatusNotFound {
		t.Errorf("without TestingClock: HTTP %d, want 404", w.status)
	}

	var served int
	h := New(Config{TestingClock: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
		w.WriteHeader(http.StatusTeapot)
	})})
	w = newRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, TestingClockPath+"?advance=720h", nil))
	if w.status != http.StatusTeapot || served != 1 {
		t.Errorf("with TestingClock: HTTP %d, served %d times; want the hook's answer, once", w.status, served)
	}
	w = newRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_trent/testing/other", nil))
	if served != 1 || w.status != http.StatusNotFound {
		t.Errorf("another path reached the hook")
	}
}

// TestAuthenticatedHook checks that Config.Authenticated is called for a
// request whose signature verifies, and only then.
func TestAuthenticatedHook(t *testing.T) {
	f := newFixture(t)
	calls := 0
	f.h.authed = func(context.Context) { calls++ }
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"signed", func() *http.Request { return f.request("ListKeys", []byte(`{}`)) }, 1},
		{"signed, failing operation", func() *http.Request { return f.request("DescribeKey", []byte(`{}`)) }, 1},
		{"unsigned", func() *http.Request {
			r := f.request("ListKeys", []byte(`{}`))
			r.Header.Del("Authorization")
			return r
		}, 0},
		{"wrong signature", func() *http.Request {
			r := f.request("ListKeys", []byte(`{}`))
			r.Header.Set("X-Amz-Target", "TrentService.DisableKey")
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1))
			return r
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			f.h.ServeHTTP(newRecorder(), tc.req())
			if calls != tc.want {
				t.Errorf("Authenticated called %d times, want %d", calls, tc.want)
			}
		})
	}
}
