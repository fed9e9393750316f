package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trentkms/trent/internal/sigv4"
)

// runBench is Trent's load generator: it sends real SigV4-signed requests
// over keep-alive connections and reports throughput and latency. To stay
// light beside the server on a small machine, each connection signs a
// request once per second and resends the same signed request (the body is
// the same; the signature stays valid for minutes).
func runBench(ctx context.Context, args []string) error {
	var (
		endpoint, op, keyID, credFile, region, profile, keySpec string
		size, conns                                             int
		duration                                                time.Duration
		insecure                                                bool
	)
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&endpoint, "endpoint", "http://127.0.0.1:4599", "server endpoint")
	fs.StringVar(&op, "op", "Encrypt", "operation: Encrypt, Decrypt, GenerateDataKey, GenerateRandom, DescribeKey, Sign, Verify, GenerateMac, VerifyMac")
	fs.IntVar(&size, "size", 1024, "plaintext bytes (Encrypt, Decrypt) or data key bytes (GenerateDataKey, GenerateRandom)")
	fs.IntVar(&conns, "conns", 64, "concurrent keep-alive connections")
	fs.DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	fs.StringVar(&keyID, "key-id", "", "key to use (default: create one)")
	fs.StringVar(&keySpec, "key-spec", "ECC_NIST_P256", "key spec of the key made for Sign and Verify")
	fs.StringVar(&credFile, "credentials", envOr("AWS_SHARED_CREDENTIALS_FILE", "./trent-data/credentials"), "AWS shared credentials file")
	fs.StringVar(&profile, "profile", "default", "credentials profile")
	fs.StringVar(&region, "region", envOr("AWS_REGION", "us-east-1"), "region to sign for")
	fs.BoolVar(&insecure, "insecure", false, "skip TLS certificate verification")
	if err := fs.Parse(args); err != nil {
		return err
	}
	akid, secret, err := readCredentials(credFile, profile)
	if err != nil {
		return err
	}
	tr := &http.Transport{
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure},
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	b := &bencher{client: client, endpoint: strings.TrimRight(endpoint, "/"),
		signer: sigv4.Signer{AccessKeyID: akid, Secret: []byte(secret), Region: region, Service: "kms"}}

	if keyID == "" && op != "GenerateRandom" {
		in := map[string]any{"Description": "trent bench"}
		switch op {
		case "Sign", "Verify":
			in["KeySpec"], in["KeyUsage"] = keySpec, "SIGN_VERIFY"
		case "GenerateMac", "VerifyMac":
			in["KeySpec"], in["KeyUsage"] = "HMAC_256", "GENERATE_VERIFY_MAC"
		}
		var out struct{ KeyMetadata struct{ Arn string } }
		if err := b.call(ctx, "CreateKey", in, &out); err != nil {
			return fmt.Errorf("create bench key: %w", err)
		}
		keyID = out.KeyMetadata.Arn
	}
	body, err := b.body(ctx, op, keyID, size, signingAlgorithm(keySpec))
	if err != nil {
		return err
	}

	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		errs       = map[string]int{}
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<16)
			localErrs := map[string]int{}
			w, err := b.dial(ctx, insecure)
			if err != nil {
				failed.Add(1)
				localErrs[err.Error()]++
			}
			var wire []byte
			var signedAt time.Time
			for w != nil && ctx.Err() == nil {
				now := time.Now()
				if now.After(deadline) {
					break
				}
				if wire == nil || now.Sub(signedAt) > time.Second {
					wire = rawRequest(b.request(ctx, op, body, now), body)
					signedAt = now
				}
				start := time.Now()
				status, err := w.roundTrip(wire)
				if err != nil {
					failed.Add(1)
					localErrs[err.Error()]++
					w.close()
					if w, err = b.dial(ctx, insecure); err != nil {
						break
					}
					continue
				}
				if status != 200 {
					failed.Add(1)
					localErrs["HTTP "+strconv.Itoa(status)]++
					continue
				}
				local = append(local, time.Since(start))
				ok.Add(1)
			}
			if w != nil {
				w.close()
			}
			mu.Lock()
			lat = append(lat, local...)
			for k, v := range localErrs {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	began := time.Now()
	wg.Wait()
	elapsed := time.Since(began)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("op=%s size=%d conns=%d duration=%s\n", op, size, conns, elapsed.Round(time.Millisecond))
	fmt.Printf("requests/s: %.0f   ok: %d   errors: %d\n", float64(ok.Load())/elapsed.Seconds(), ok.Load(), failed.Load())
	fmt.Printf("latency p50: %s   p99: %s   p99.9: %s\n", pct(0.50), pct(0.99), pct(0.999))
	for k, v := range errs {
		fmt.Printf("error %q: %d\n", k, v)
	}
	return nil
}

type bencher struct {
	client   *http.Client
	endpoint string
	signer   sigv4.Signer
}

func (b *bencher) request(ctx context.Context, op string, body []byte, now time.Time) *http.Request {
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.endpoint+"/", nil)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	r.ContentLength = int64(len(body))
	b.signer.Sign(r, body, now)
	return r
}

// call sends one signed request and decodes the response into out.
func (b *bencher) call(ctx context.Context, op string, in any, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	r := b.request(ctx, op, body, time.Now())
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := b.client.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s %s", op, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

// body builds the request body the run repeats.
func (b *bencher) body(ctx context.Context, op, keyID string, size int, signAlg string) ([]byte, error) {
	plaintext := make([]byte, size)
	rand.Read(plaintext)
	switch op {
	case "Encrypt":
		return json.Marshal(map[string]any{"KeyId": keyID, "Plaintext": plaintext, "EncryptionContext": map[string]string{"purpose": "bench"}})
	case "Decrypt":
		var out struct{ CiphertextBlob []byte }
		err := b.call(ctx, "Encrypt", map[string]any{"KeyId": keyID, "Plaintext": plaintext, "EncryptionContext": map[string]string{"purpose": "bench"}}, &out)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"CiphertextBlob": out.CiphertextBlob, "EncryptionContext": map[string]string{"purpose": "bench"}})
	case "GenerateDataKey":
		return json.Marshal(map[string]any{"KeyId": keyID, "NumberOfBytes": size})
	case "GenerateRandom":
		return json.Marshal(map[string]any{"NumberOfBytes": size})
	case "DescribeKey":
		return json.Marshal(map[string]any{"KeyId": keyID})
	case "Sign":
		return json.Marshal(map[string]any{"KeyId": keyID, "Message": plaintext, "SigningAlgorithm": signAlg})
	case "Verify":
		var out struct{ Signature []byte }
		if err := b.call(ctx, "Sign", map[string]any{"KeyId": keyID, "Message": plaintext, "SigningAlgorithm": signAlg}, &out); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"KeyId": keyID, "Message": plaintext, "Signature": out.Signature, "SigningAlgorithm": signAlg})
	case "GenerateMac":
		return json.Marshal(map[string]any{"KeyId": keyID, "Message": plaintext, "MacAlgorithm": "HMAC_SHA_256"})
	case "VerifyMac":
		var out struct{ Mac []byte }
		if err := b.call(ctx, "GenerateMac", map[string]any{"KeyId": keyID, "Message": plaintext, "MacAlgorithm": "HMAC_SHA_256"}, &out); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"KeyId": keyID, "Message": plaintext, "Mac": out.Mac, "MacAlgorithm": "HMAC_SHA_256"})
	}
	return nil, fmt.Errorf("unknown --op %q", op)
}

// readCredentials reads one profile of an AWS shared credentials file.
func readCredentials(path, profile string) (akid, secret string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "["+profile+"]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			akid = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if akid == "" || secret == "" {
		return "", "", fmt.Errorf("credentials: profile %q not found in %s", profile, path)
	}
	return akid, secret, sc.Err()
}

// benchConn is one keep-alive connection speaking just enough HTTP/1.1 to
// send a prepared request and read a response with a Content-Length: far
// lighter than net/http's client, so that the load generator leaves the
// CPU to the server it measures.
type benchConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (b *bencher) dial(ctx context.Context, insecure bool) (*benchConn, error) {
	u, err := url.Parse(b.endpoint)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: insecure})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	return &benchConn{c: c, br: bufio.NewReaderSize(c, 16<<10)}, nil
}

func (w *benchConn) close() { w.c.Close() }

// roundTrip writes a request and reads the response, returning its status.
func (w *benchConn) roundTrip(req []byte) (int, error) {
	if _, err := w.c.Write(req); err != nil {
		return 0, err
	}
	line, err := w.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	n := -1
	for {
		line, err := w.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	if _, err := w.br.Discard(n); err != nil {
		return 0, err
	}
	return status, nil
}

// rawRequest serializes a signed request with its body.
func rawRequest(r *http.Request, body []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("POST / HTTP/1.1\r\nHost: ")
	buf.WriteString(r.Host)
	buf.WriteString("\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			buf.WriteString(k + ": " + v + "\r\n")
		}
	}
	buf.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	buf.Write(body)
	return buf.Bytes()
}

// signingAlgorithm is the algorithm bench signs with for a key spec.
func signingAlgorithm(spec string) string {
	switch {
	case strings.HasPrefix(spec, "RSA_"):
		return "RSASSA_PSS_SHA_256"
	case spec == "ECC_NIST_P384":
		return "ECDSA_SHA_384"
	case spec == "ECC_NIST_P521":
		return "ECDSA_SHA_512"
	case spec == "ECC_NIST_EDWARDS25519":
		return "ED25519_SHA_512"
	case strings.HasPrefix(spec, "ML_DSA_"):
		return "ML_DSA_SHAKE_256"
	}
	return "ECDSA_SHA_256"
}
