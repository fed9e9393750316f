package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/trentkms/trent/test/harness"
)

// The server's connection limits, seen from raw TCP connections: at most
// --max-connections at once (more wait), and a connection none of whose
// requests authenticated is closed after the 10 s read-header timeout
// instead of the 120 s idle timeout.

// unauthIdle is the server's idle timeout for connections that have not
// authenticated (its read-header timeout).
const unauthIdle = 10 * time.Second

// rawConn is one raw HTTP/1.1 connection to the server.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, s *harness.Server) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	if _, err := c.c.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response reads one response within d; nil if none came in time or the
// connection closed.
func (c *rawConn) response(d time.Duration) *http.Response {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// status sends req (the whole request) and returns the answer's status.
func (c *rawConn) status(req []byte) int {
	c.t.Helper()
	c.write(req)
	resp := c.response(10 * time.Second)
	if resp == nil {
		c.t.Fatalf("no answer to %q", firstLine(req))
	}
	return resp.StatusCode
}

// closedWithin reports whether the server closes the connection within d.
func (c *rawConn) closedWithin(d time.Duration) bool {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.ReadByte()
	switch {
	case err == nil:
		c.t.Fatal("unexpected bytes from the server")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false
	}
	return true
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	return string(line)
}

var healthz = []byte("GET /healthz HTTP/1.1\r\nHost: trent\r\n\r\n")

// unsignedListKeys is a KMS request without a signature.
var unsignedListKeys = []byte("POST / HTTP/1.1\r\nHost: trent\r\nContent-Type: application/x-amz-json-1.1\r\n" +
	"X-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\n\r\n{}")

// signedListKeys returns a ListKeys request signed now, as bytes on the
// wire.
func signedListKeys(t *testing.T, s *harness.Server) []byte {
	t.Helper()
	const body = `{"Limit":1}`
	req, err := http.NewRequest(http.MethodPost, s.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", jsonContentType)
	req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
	ak, sk := harness.Credentials(t, s.CredentialsFile())
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, req,
		hex.EncodeToString(sum[:]), "kms", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUnauthenticatedConnectionsClosed: keep-alive connections whose
// requests all failed authentication, or that sent nothing, are closed
// after the read-header timeout; an authenticated one stays open.
func TestUnauthenticatedConnectionsClosed(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account})
	unauth, silent, authed, late := dialRaw(t, s), dialRaw(t, s), dialRaw(t, s), dialRaw(t, s)
	if st := unauth.status(unsignedListKeys); st != 400 {
		t.Fatalf("unsigned ListKeys: HTTP %d", st)
	}
	if st := unauth.status(unsignedListKeys); st != 400 { // still not authenticated
		t.Fatalf("unsigned ListKeys: HTTP %d", st)
	}
	if st := authed.status(signedListKeys(t, s)); st != 200 {
		t.Fatalf("signed ListKeys: HTTP %d", st)
	}
	if st := late.status(unsignedListKeys); st != 400 {
		t.Fatalf("unsigned ListKeys: HTTP %d", st)
	}
	if st := late.status(signedListKeys(t, s)); st != 200 { // authenticates on its second request
		t.Fatalf("signed ListKeys: HTTP %d", st)
	}
	start := time.Now()

	var wg sync.WaitGroup
	for name, c := range map[string]*rawConn{"after failed requests": unauth, "that sent nothing": silent} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !c.closedWithin(unauthIdle + 5*time.Second) {
				t.Errorf("a connection %s was still open %v later (the idle timeout is 120 s)", name, time.Since(start).Round(time.Second))
				return
			}
			if took := time.Since(start); took < unauthIdle-time.Second {
				t.Errorf("a connection %s was closed after %v, before the %v timeout", name, took, unauthIdle)
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Until(start.Add(unauthIdle + 2*time.Second)))
	for name, c := range map[string]*rawConn{"authenticated": authed, "authenticated on its second request": late} {
		if c.closedWithin(10 * time.Millisecond) {
			t.Fatalf("the %s connection was closed after %v", name, time.Since(start).Round(time.Second))
		}
		if st := c.status(signedListKeys(t, s)); st != 200 {
			t.Errorf("the %s connection, %v later: HTTP %d", name, time.Since(start).Round(time.Second), st)
		}
	}
}

// TestUnauthenticatedConnectionsClosedTLS is the same through TLS with Go's
// client (HTTP/2 when the server offers it): after an unsigned request the
// client's connection is gone 12 s later; after a signed one it is reused.
func TestUnauthenticatedConnectionsClosedTLS(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account, TLS: true})
	e := &env{s: s, account: account, region: region, tls: true}
	// send posts a KMS ListKeys (signed or not) with hc and reports the
	// protocol and whether it reused a connection.
	send := func(hc *http.Client, signed bool) (proto string, reused bool, status int) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.Endpoint+"/", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", jsonContentType)
		req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
		if signed {
			signFor(e.creds(t), region, time.Time{}, strings.NewReader(`{}`))(t, req)
		}
		req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Proto, reused, resp.StatusCode
	}
	unauth, authed := s.HTTPClient(), s.HTTPClient()
	if _, _, st := send(unauth, false); st != 400 {
		t.Fatalf("unsigned: HTTP %d", st)
	}
	proto, _, st := send(authed, true)
	if st != 200 {
		t.Fatalf("signed: HTTP %d", st)
	}
	t.Logf("protocol %s", proto)
	time.Sleep(unauthIdle + 2*time.Second)
	if _, reused, _ := send(unauth, false); reused {
		t.Errorf("the unauthenticated connection was still open %v later", unauthIdle+2*time.Second)
	}
	if _, reused, st := send(authed, true); !reused || st != 200 {
		t.Errorf("the authenticated connection: reused %v, HTTP %d; want reused, 200", reused, st)
	}
}

// TestConnectionCap: with --max-connections 3, a fourth connection waits
// while three requests are in flight and is served when one ends; it also
// waits while three connections send nothing, but only until the
// read-header timeout closes them; and it is served at once when the held
// connections are idle, one of them being closed to make room.
func TestConnectionCap(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: []string{"--max-connections", "3"}})

	t.Run("in-flight requests", func(t *testing.T) {
		var busy []*rawConn
		var rests [][]byte
		for range 3 {
			c := dialRaw(t, s)
			req := signedListKeys(t, s)
			c.write(req[:len(req)-4]) // the body's last bytes are held back
			busy, rests = append(busy, c), append(rests, req[len(req)-4:])
			time.Sleep(100 * time.Millisecond)
		}
		w := dialRaw(t, s)
		w.write(healthz)
		if resp := w.response(time.Second); resp != nil {
			t.Fatalf("a fourth connection was served (HTTP %d) while 3 requests held the cap of 3", resp.StatusCode)
		}
		busy[0].write(rests[0])
		if resp := busy[0].response(10 * time.Second); resp == nil || resp.StatusCode != 200 {
			t.Fatalf("the first held request was not answered: %v", resp)
		}
		if resp := w.response(5 * time.Second); resp == nil || resp.StatusCode != 200 {
			t.Fatalf("the waiting connection was not served once a request ended: %v", resp)
		}
		for i, c := range busy[1:] {
			c.write(rests[i+1])
			if resp := c.response(10 * time.Second); resp == nil || resp.StatusCode != 200 {
				t.Fatalf("held request %d: %v", i+2, resp)
			}
		}
	})

	t.Run("silent connections", func(t *testing.T) {
		for range 3 {
			dialRaw(t, s)
			time.Sleep(100 * time.Millisecond)
		}
		start := time.Now()
		w := dialRaw(t, s)
		w.write(healthz)
		if resp := w.response(2 * time.Second); resp != nil {
			t.Fatalf("a fourth connection was served (HTTP %d) while 3 silent ones held the cap of 3", resp.StatusCode)
		}
		resp := w.response(unauthIdle + 5*time.Second)
		if resp == nil || resp.StatusCode != 200 {
			t.Fatalf("the waiting connection was not served %v later: %v", time.Since(start).Round(time.Second), resp)
		}
		t.Logf("served after %v", time.Since(start).Round(100*time.Millisecond))
	})

	t.Run("idle connections", func(t *testing.T) {
		var idle []*rawConn
		for range 3 {
			c := dialRaw(t, s)
			if st := c.status(signedListKeys(t, s)); st != 200 {
				t.Fatalf("signed ListKeys: HTTP %d", st)
			}
			idle = append(idle, c)
		}
		w := dialRaw(t, s)
		w.write(healthz)
		if resp := w.response(2 * time.Second); resp == nil || resp.StatusCode != 200 {
			t.Fatalf("a fourth connection was not served while the 3 held ones were idle: %v", resp)
		}
		// The first is the one idle the longest.
		if !idle[0].closedWithin(time.Second) {
			t.Error("the connection idle the longest was not closed to make room")
		}
		for i, c := range idle[1:] {
			if c.closedWithin(10 * time.Millisecond) {
				t.Errorf("idle connection %d was closed too", i+2)
			}
		}
	})
}

func TestMaxConnectionsFlag(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "many"} {
		_, err := harness.StartErr(t, harness.Options{ExtraArgs: []string{"--max-connections", v}})
		var se *harness.StartError
		if !errors.As(err, &se) || !strings.Contains(se.Stderr, "--max-connections") {
			t.Errorf("--max-connections %s: %v, want a refusal naming the flag", v, err)
		}
	}
}
