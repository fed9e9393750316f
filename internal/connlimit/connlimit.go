// Package connlimit bounds what connections cost a server: a listener
// that holds at most Max connections at once, and a short idle timeout for
// every connection none of whose requests has authenticated.
//
// Beyond the cap, connections wait: the listener stops accepting and the
// kernel's listen queue holds them, in order, until a held connection
// closes. So that the wait does not last as long as clients keep idle
// keep-alive connections open, the listener, while a connection waits,
// closes an idle held connection to make room (first one that never
// authenticated, else the one idle the longest), as an idle timeout
// would. A waiting connection (a health check, say) therefore gets in as
// soon as any held connection is between requests, and otherwise when
// the first in-flight request ends (the server's read and write timeouts
// bound it) or an unauthenticated connection times out.
//
// Wire it into an http.Server: serve the Listener, and set ConnState to
// Listener.ConnState and ConnContext to Listener.ConnContext; the handler
// calls MarkAuthenticated for each request that authenticates.
package connlimit

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Listener.
type Config struct {
	// Max is the number of connections held at once; it must be at least 1.
	Max int
	// UnauthenticatedIdle is how long a connection none of whose requests
	// has authenticated may stay idle between requests before it is
	// closed; it must be positive. (The time to the first request is the
	// http.Server's ReadHeaderTimeout, or the TLS handshake timeout.)
	UnauthenticatedIdle time.Duration
	// Logger, when set, is told (at most once a minute) that the cap made
	// connections wait.
	Logger *slog.Logger
}

// Listener is a net.Listener that holds at most Config.Max connections.
// Its methods are safe for concurrent use.
type Listener struct {
	inner net.Listener
	cfg   Config
	slots chan struct{} // one token per held connection

	mu    sync.Mutex         // guards conns
	conns map[*Conn]struct{} // the held connections

	waiting  atomic.Bool   // Accept is waiting for a slot
	idleSig  chan struct{} // a held connection became idle while Accept waits (capacity 1)
	idleSeq  atomic.Uint64 // orders idle transitions: the smaller, the longer idle
	lastWarn atomic.Int64  // unix seconds of the last "cap reached" log line

	done      chan struct{}
	closeOnce sync.Once
}

// New returns a Listener over inner. It panics if cfg.Max < 1 or
// cfg.UnauthenticatedIdle <= 0 (a programming error: validate flags first).
func New(inner net.Listener, cfg Config) *Listener {
	if cfg.Max < 1 || cfg.UnauthenticatedIdle <= 0 {
		panic("connlimit: Config needs Max >= 1 and UnauthenticatedIdle > 0")
	}
	return &Listener{
		inner: inner, cfg: cfg,
		slots:   make(chan struct{}, cfg.Max),
		conns:   make(map[*Conn]struct{}),
		idleSig: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// Accept waits for a free slot, then returns the next connection. While
// it waits, the connection it has accepted from the kernel (the first in
// line) is held open and the rest wait in the listen queue.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.inner.Accept()
	if err != nil {
		return nil, err
	}
	if !l.acquire() {
		c.Close()
		return nil, net.ErrClosed
	}
	tc := &Conn{Conn: c, l: l}
	tc.timer = time.AfterFunc(time.Hour, tc.expire)
	tc.timer.Stop()
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// acquire takes a slot, waiting (and making room) while there is none. It
// returns false when the listener is closed.
func (l *Listener) acquire() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	l.warnFull()
	l.waiting.Store(true)
	defer l.waiting.Store(false)
	for {
		select {
		case l.slots <- struct{}{}:
			return true
		default:
		}
		// After waiting is set every idle transition signals idleSig, so
		// a connection that becomes idle after this scan is not missed.
		// An eviction frees its slot before it returns: take that slot
		// rather than evicting again on a later idle signal.
		if l.evictIdle() {
			continue
		}
		select {
		case l.slots <- struct{}{}:
			return true
		case <-l.idleSig:
		case <-l.done:
			return false
		}
	}
}

func (l *Listener) warnFull() {
	if l.cfg.Logger == nil {
		return
	}
	now := time.Now().Unix()
	if last := l.lastWarn.Load(); now-last < 60 || !l.lastWarn.CompareAndSwap(last, now) {
		return
	}
	l.cfg.Logger.Warn("connection cap reached: new connections wait, idle ones are closed to make room", "max_connections", l.cfg.Max)
}

// evictIdle closes one idle held connection, if there is one: one that
// never authenticated first, else the one idle the longest. It reports
// whether it closed one.
func (l *Listener) evictIdle() bool {
	var victim *Conn
	var victimSeq uint64
	victimAuthed := true
	l.mu.Lock()
	for c := range l.conns {
		seq := c.idleSeq.Load()
		if seq == 0 {
			continue // not idle
		}
		authed := c.authed.Load()
		if victim == nil || (victimAuthed && !authed) || (authed == victimAuthed && seq < victimSeq) {
			victim, victimSeq, victimAuthed = c, seq, authed
		}
	}
	l.mu.Unlock()
	if victim == nil {
		return false
	}
	// false when another goroutine is closing it: that one frees the
	// slot, which the caller then waits for.
	freed, _ := victim.close()
	return freed
}

// Close stops accepting; held connections stay open (http.Server.Shutdown
// closes them).
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.inner.Close()
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Held returns the number of connections held.
func (l *Listener) Held() int { return len(l.slots) }

// ConnState is the http.Server's ConnState hook: it tracks which held
// connections are idle and starts the unauthenticated idle timeout.
func (l *Listener) ConnState(nc net.Conn, s http.ConnState) {
	c := unwrap(nc)
	if c == nil {
		return
	}
	switch s {
	case http.StateActive:
		c.idleSeq.Store(0)
		if c.timing.Load() {
			c.timing.Store(false)
			c.timer.Stop()
		}
	case http.StateIdle:
		c.idleSeq.Store(l.idleSeq.Add(1))
		if !c.authed.Load() {
			c.timing.Store(true)
			c.timer.Reset(l.cfg.UnauthenticatedIdle)
		}
		if l.waiting.Load() {
			select {
			case l.idleSig <- struct{}{}:
			default:
			}
		}
	}
}

type ctxKey struct{}

// ConnContext is the http.Server's ConnContext hook: it lets
// MarkAuthenticated find the request's connection.
func (l *Listener) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if c := unwrap(nc); c != nil {
		return context.WithValue(ctx, ctxKey{}, c)
	}
	return ctx
}

// MarkAuthenticated records that a request on ctx's connection (a request
// context of a server wired with ConnContext) authenticated: from then on
// the connection has the server's usual idle timeout. Without such a
// connection it does nothing. It does not allocate.
func MarkAuthenticated(ctx context.Context) {
	if c, ok := ctx.Value(ctxKey{}).(*Conn); ok && !c.authed.Load() {
		c.authed.Store(true)
	}
}

// unwrap returns the *Conn under nc (directly, or under TLS), or nil.
func unwrap(nc net.Conn) *Conn {
	switch c := nc.(type) {
	case *Conn:
		return c
	case *tls.Conn:
		tc, _ := c.NetConn().(*Conn)
		return tc
	}
	return nil
}

// Conn is a held connection.
type Conn struct {
	net.Conn
	l       *Listener
	authed  atomic.Bool   // a request on it authenticated
	idleSeq atomic.Uint64 // 0 while not idle; else when it became idle (Listener.idleSeq)
	timing  atomic.Bool   // the unauthenticated idle timer is running
	timer   *time.Timer   // closes the connection when it expires idle and unauthenticated
	closed  atomic.Bool
}

// expire closes the connection if it is still idle and unauthenticated.
func (c *Conn) expire() {
	if c.idleSeq.Load() != 0 && !c.authed.Load() {
		c.Close()
	}
}

// Close closes the connection and frees its slot (once).
func (c *Conn) Close() error {
	_, err := c.close()
	return err
}

// close closes the connection; the call that closes it first frees its
// slot before returning, and reports freed.
func (c *Conn) close() (freed bool, err error) {
	if !c.closed.CompareAndSwap(false, true) {
		return false, c.Conn.Close()
	}
	err = c.Conn.Close()
	c.timer.Stop()
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	<-c.l.slots
	return true, err
}
