package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/metrics"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLoggedFixture is the KMS and IAM request path logging at debug level
// to the returned buffer, with metrics observed.
func newLoggedFixture(t *testing.T, newHandler func(io.Writer, *slog.HandlerOptions) slog.Handler) (*fixture, *sigv4.Signer, *lockedBuffer, *metrics.Metrics) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "trent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dk, _ := keyring.NewDomainKey(nil)
	kr, err := keyring.Open(dk, keyring.Options{Source: service.MaterialSource(st)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	const account = "111122223333"
	ak, secret, err := iam.NewAccessKey(kr, account, iam.RootARN(account), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{1}, SealType: "file"}, store.Account{ID: account}, ak); err != nil {
		t.Fatal(err)
	}
	buf := &lockedBuffer{}
	logger := slog.New(newHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := iam.NewDirectory(st, kr)
	svc := service.New(service.Config{Store: st, Keyring: kr, Logger: logger})
	pol := svc.IAMPolicies()
	mx := metrics.New(metrics.Config{Operations: Operations()})
	region := func(r string) bool { return r == "us-east-1" }
	h := New(Config{
		Service:     svc,
		KMS:         &sigv4.Verifier{Service: "kms", AllowRegion: region, Lookup: dir.Lookup},
		IAM:         iam.NewService(iam.Config{Store: st, Secrets: kr, Directory: dir, Validator: pol, Trust: pol, Logger: logger}),
		IAMVerifier: &sigv4.Verifier{Service: "iam", AllowRegion: region, Lookup: dir.Lookup},
		Logger:      logger,
		Requests:    mx,
		Metrics:     mx.Handler(),
	})
	f := &fixture{h: h, signer: sigv4.Signer{AccessKeyID: ak.ID, Secret: []byte(secret), Region: "us-east-1", Service: "kms"}}
	iamSigner := &sigv4.Signer{AccessKeyID: ak.ID, Secret: []byte(secret), Region: "us-east-1", Service: "iam"}
	return f, iamSigner, buf, mx
}

// sendQuery sends an IAM query-protocol request and returns the body.
func sendQuery(t *testing.T, h http.Handler, s *sigv4.Signer, params url.Values) (int, string) {
	t.Helper()
	params.Set("Version", "2010-05-08")
	body := []byte(params.Encode())
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", bytes.NewReader(body))
	r.Host = "127.0.0.1:4599"
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	s.Sign(r, body, time.Now())
	w := newRecorder()
	h.ServeHTTP(w, r)
	return w.status, w.body.String()
}

// TestRequestLogHoldsNoSecrets runs Encrypt, Decrypt and CreateAccessKey
// with the log at debug level, in both formats, and checks that every
// request has its line (request ID, operation, status, error code,
// duration, account, principal) and that neither the plaintext, nor the
// ciphertext, nor the new secret access key appears anywhere in the log.
func TestRequestLogHoldsNoSecrets(t *testing.T) {
	formats := []struct {
		name string
		new  func(io.Writer, *slog.HandlerOptions) slog.Handler
	}{
		{"json", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }},
		{"text", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }},
	}
	for _, format := range formats {
		t.Run(format.name, func(t *testing.T) {
			f, iamSigner, buf, _ := newLoggedFixture(t, format.new)
			var created struct{ KeyMetadata struct{ Arn string } }
			if w := f.call(t, "CreateKey", map[string]any{}, &created); w.status != 200 {
				t.Fatalf("CreateKey: %d %s", w.status, w.body.String())
			}
			plaintext := []byte("log-canary: the quick brown fox 0123456789")
			var enc struct{ CiphertextBlob []byte }
			if w := f.call(t, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": plaintext}, &enc); w.status != 200 {
				t.Fatalf("Encrypt: %d %s", w.status, w.body.String())
			}
			var dec struct{ Plaintext []byte }
			if w := f.call(t, "Decrypt", map[string]any{"CiphertextBlob": enc.CiphertextBlob}, &dec); w.status != 200 || !bytes.Equal(dec.Plaintext, plaintext) {
				t.Fatalf("Decrypt: %d %s", w.status, w.body.String())
			}
			// A failure is logged too, with its code.
			f.call(t, "Decrypt", map[string]any{"CiphertextBlob": []byte("not a ciphertext blob at all")}, nil)
			if st, body := sendQuery(t, f.h, iamSigner, url.Values{"Action": {"CreateUser"}, "UserName": {"logtest"}}); st != 200 {
				t.Fatalf("CreateUser: %d %s", st, body)
			}
			st, body := sendQuery(t, f.h, iamSigner, url.Values{"Action": {"CreateAccessKey"}, "UserName": {"logtest"}})
			m := regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`).FindStringSubmatch(body)
			if st != 200 || m == nil {
				t.Fatalf("CreateAccessKey: %d %s", st, body)
			}
			secret := m[1]

			log := buf.String()
			for name, b := range map[string]string{
				"plaintext":              string(plaintext),
				"plaintext (base64)":     base64.StdEncoding.EncodeToString(plaintext),
				"ciphertext (base64)":    base64.StdEncoding.EncodeToString(enc.CiphertextBlob),
				"ciphertext (raw)":       string(enc.CiphertextBlob),
				"secret access key":      secret,
				"caller's secret key":    string(f.signer.Secret),
				"ciphertext (base64url)": base64.RawURLEncoding.EncodeToString(enc.CiphertextBlob),
			} {
				if strings.Contains(log, b) {
					t.Errorf("the log holds the %s", name)
				}
			}
			// Every request has its line.
			wantOps := []struct{ op, code string }{
				{"CreateKey", ""}, {"Encrypt", ""}, {"Decrypt", ""}, {"Decrypt", "InvalidCiphertextException"},
				{"CreateUser", ""}, {"CreateAccessKey", ""},
			}
			var lines []map[string]string
			for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
				if kv := parseLine(t, format.name, l); kv["msg"] == "request" {
					lines = append(lines, kv)
				}
			}
			if len(lines) != len(wantOps) {
				t.Fatalf("%d request lines, want %d:\n%s", len(lines), len(wantOps), log)
			}
			for i, want := range wantOps {
				l := lines[i]
				if l["operation"] != want.op || l["error_code"] != want.code {
					t.Errorf("line %d: operation %q error_code %q, want %q %q", i, l["operation"], l["error_code"], want.op, want.code)
				}
				if len(l["request_id"]) != 36 || l["duration"] == "" || l["account"] != "111122223333" || l["principal"] != iam.RootARN("111122223333") {
					t.Errorf("line %d lacks a field: %v", i, l)
				}
				wantStatus := "200"
				if want.code != "" {
					wantStatus = "400"
				}
				if l["status"] != wantStatus {
					t.Errorf("line %d: status %q, want %s", i, l["status"], wantStatus)
				}
			}
		})
	}
}

// parseLine reads one log line of either format into strings.
func parseLine(t *testing.T, format, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			case float64:
				out[k] = jsonNum(v)
			}
		}
		return out
	}
	for _, m := range regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`).FindAllStringSubmatch(line, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			json.Unmarshal([]byte(v), &v)
		}
		out[m[1]] = v
	}
	return out
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestMetricsEndpoint checks that GET /metrics is served without
// authentication and counts what the API answered, unknown operation
// names folded into "other".
func TestMetricsEndpoint(t *testing.T) {
	f, iamSigner, _, _ := newLoggedFixture(t, func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) })
	var created struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{}, &created)
	f.call(t, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": []byte("x")}, nil)
	f.call(t, "Encrypt", map[string]any{"KeyId": "alias/none", "Plaintext": []byte("x")}, nil)
	f.call(t, "NoSuchOperation", map[string]any{}, nil)
	sendQuery(t, f.h, iamSigner, url.Values{"Action": {"GetUser"}, "UserName": {"nobody"}})

	w := newRecorder()
	f.h.ServeHTTP(w, httpGet("/metrics"))
	if w.status != 200 {
		t.Fatalf("GET /metrics: %d", w.status)
	}
	text := w.body.String()
	for _, want := range []string{
		`trent_requests_total{code="OK",operation="CreateKey"} 1`,
		`trent_requests_total{code="OK",operation="Encrypt"} 1`,
		`trent_requests_total{code="NotFoundException",operation="Encrypt"} 1`,
		`trent_requests_total{code="UnknownOperationException",operation="other"} 1`,
		`trent_requests_total{code="NoSuchEntity",operation="GetUser"} 1`,
		`trent_request_duration_seconds_count{operation="Encrypt"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
