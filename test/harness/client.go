package harness

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// transport returns a new HTTP transport that trusts the test CA.
func (s *Server) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.caPool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12}
	}
	s.mu.Lock()
	s.transports = append(s.transports, tr)
	s.mu.Unlock()
	return tr
}

// HTTPClient returns an HTTP client for raw requests to the server (it
// trusts the test CA when the server serves HTTPS).
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.transport(), Timeout: 60 * time.Second}
}

// CredentialsFile is the first account's credentials file.
func (s *Server) CredentialsFile() string { return filepath.Join(s.DataDir, "credentials") }

// Credentials reads the default profile of an AWS shared-credentials file.
func Credentials(t testing.TB, path string) (accessKeyID, secret string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read credentials: %v", err)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "default" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			accessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if accessKeyID == "" || secret == "" {
		t.Fatalf("credentials file %s has no [default] aws_access_key_id and aws_secret_access_key:\n%s", path, b)
	}
	return accessKeyID, secret
}

// Credentials reads the default profile of a credentials file.
func (s *Server) Credentials(t testing.TB, path string) (accessKeyID, secret string) {
	t.Helper()
	return Credentials(t, path)
}

// KMS returns a client for region with the first account's credentials.
func (s *Server) KMS(t testing.TB, region string) *kms.Client {
	t.Helper()
	return s.KMSFor(t, s.CredentialsFile(), region)
}

// KMSFor returns a client for region with the credentials in credPath. It
// makes one attempt per call (no retries), so tests see errors directly.
func (s *Server) KMSFor(t testing.TB, credPath, region string) *kms.Client {
	t.Helper()
	ak, sk := Credentials(t, credPath)
	return s.KMSWith(aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, region)
}

// KMSWith returns a client for region with the given credentials.
func (s *Server) KMSWith(creds aws.Credentials, region string) *kms.Client {
	return kms.New(kms.Options{
		Region:           region,
		Credentials:      credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint:     aws.String(s.Endpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       bufferedBodyClient{s.HTTPClient()},
	})
}

// bufferedBodyClient hands net/http a copy of the request body in memory.
//
// Without it, a server that answers within microseconds (any local server)
// makes the SDK fail now and then with "deserialization failed ... use of
// closed network connection" on responses over about 4 KB. The cause is on
// the client: smithy-go closes its request body wrapper as soon as
// http.Client.Do returns, while net/http's connection writer may still be
// finishing with that body (its check for extra bytes after Content-Length);
// the closed wrapper's WriteTo returns io.EOF, net/http takes that as a
// failed write and closes the connection under the response being read.
// With retries on (the SDK default) the call is silently retried; these
// clients make one attempt, so the harness removes the race instead. The
// bytes on the wire are unchanged.
type bufferedBodyClient struct{ c *http.Client }

func (b bufferedBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return b.c.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("buffer request body: %w", err)
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return b.c.Do(r)
}
