package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// server serves a Listener with cfg on loopback. Its handler marks the
// connection authenticated for /auth, blocks /block until release is
// closed, and answers 200 to everything.
type server struct {
	l       *Listener
	srv     *http.Server
	release chan struct{}
}

func startServer(t *testing.T, cfg Config) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{l: New(inner, cfg), release: make(chan struct{})}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/auth":
				MarkAuthenticated(r.Context())
			case "/block":
				<-s.release
			}
			w.Write([]byte("ok"))
		}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		ConnState:         s.l.ConnState,
		ConnContext:       s.l.ConnContext,
	}
	go s.srv.Serve(s.l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// client is one raw keep-alive connection.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, s *server) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

// send writes a GET of path.
func (c *client) send(path string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		c.t.Fatalf("write %s: %v", path, err)
	}
}

// answer reads a response within d; false if none came.
func (c *client) answer(d time.Duration) bool {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200
}

func (c *client) get(path string) {
	c.t.Helper()
	c.send(path)
	if !c.answer(5 * time.Second) {
		c.t.Fatalf("GET %s: no answer", path)
	}
}

// closedWithin reports whether the server closes the connection within d.
func (c *client) closedWithin(d time.Duration) bool {
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

func waitHeld(t *testing.T, l *Listener, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.Held() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Held() = %d, want %d", l.Held(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCapWaitsForABusyConnection(t *testing.T) {
	s := startServer(t, Config{Max: 2, UnauthenticatedIdle: time.Minute})
	a, b := dial(t, s), dial(t, s)
	a.send("/block")
	b.send("/block")
	waitHeld(t, s.l, 2)
	c := dial(t, s)
	c.send("/healthz")
	if c.answer(300 * time.Millisecond) {
		t.Fatal("a third connection was served while two requests held the cap of 2")
	}
	close(s.release)
	if !a.answer(5*time.Second) || !b.answer(5*time.Second) {
		t.Fatal("the blocked requests were not answered")
	}
	// The blocked requests' connections are now idle: one is closed to
	// make room and the waiting connection is served.
	if !c.answer(5 * time.Second) {
		t.Fatal("the waiting connection was not served once the others were idle")
	}
	if got := s.l.Held(); got != 2 {
		t.Errorf("Held() = %d, want 2", got)
	}
}

func TestWaitingConnectionEvictsIdleUnauthenticatedFirst(t *testing.T) {
	s := startServer(t, Config{Max: 3, UnauthenticatedIdle: time.Minute})
	authOld, unauth, authNew := dial(t, s), dial(t, s), dial(t, s)
	authOld.get("/auth")
	unauth.get("/")
	authNew.get("/auth")
	waitHeld(t, s.l, 3)

	c := dial(t, s)
	c.get("/healthz")
	if !unauth.closedWithin(time.Second) {
		t.Error("the idle unauthenticated connection was not closed to make room")
	}
	if authOld.closedWithin(100*time.Millisecond) || authNew.closedWithin(100*time.Millisecond) {
		t.Error("an authenticated connection was closed while an unauthenticated one was idle")
	}

	// Next, among authenticated idle connections, the one idle longest.
	c.get("/auth")
	authNew.get("/auth") // authOld is now the longest idle
	d := dial(t, s)
	d.get("/healthz")
	if !authOld.closedWithin(time.Second) {
		t.Error("the connection idle the longest was not closed to make room")
	}
	if authNew.closedWithin(100 * time.Millisecond) {
		t.Error("a more recently used connection was closed instead")
	}
	authNew.get("/auth")
}

func TestUnauthenticatedIdleTimeout(t *testing.T) {
	s := startServer(t, Config{Max: 10, UnauthenticatedIdle: 300 * time.Millisecond})
	unauth, authed, later := dial(t, s), dial(t, s), dial(t, s)
	unauth.get("/")
	authed.get("/auth")
	later.get("/")
	later.get("/auth") // authenticates on its second request
	start := time.Now()
	if !unauth.closedWithin(3 * time.Second) {
		t.Fatal("an idle connection that never authenticated was kept open")
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("closed after %v, before the %v timeout", took, 300*time.Millisecond)
	}
	if authed.closedWithin(500*time.Millisecond) || later.closedWithin(10*time.Millisecond) {
		t.Fatal("an authenticated connection was closed at the unauthenticated timeout")
	}
	authed.get("/")
	later.get("/")
	waitHeld(t, s.l, 2)
}

func TestActiveRequestIsNotTimedOut(t *testing.T) {
	s := startServer(t, Config{Max: 10, UnauthenticatedIdle: 200 * time.Millisecond})
	c := dial(t, s)
	c.get("/")
	c.send("/block") // becomes active before the timer fires
	time.Sleep(500 * time.Millisecond)
	close(s.release)
	if !c.answer(5 * time.Second) {
		t.Fatal("an in-flight request's connection was closed by the idle timeout")
	}
}

func TestCloseUnblocksAWaitingAccept(t *testing.T) {
	s := startServer(t, Config{Max: 1, UnauthenticatedIdle: time.Minute})
	a := dial(t, s)
	a.send("/block")
	waitHeld(t, s.l, 1)
	b := dial(t, s)
	b.send("/")
	time.Sleep(100 * time.Millisecond) // Accept is now waiting with b
	s.l.Close()
	if !b.closedWithin(5 * time.Second) {
		t.Error("the connection Accept held was not closed when the listener closed")
	}
	close(s.release)
	if !a.answer(5 * time.Second) {
		t.Error("the in-flight request did not finish after the listener closed")
	}
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Max: 0, UnauthenticatedIdle: time.Second}, {Max: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			New(nil, cfg)
		}()
	}
}
