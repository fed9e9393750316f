// Package api is Trent's protocol edge: it authenticates requests with
// SigV4, routes AWS JSON 1.1 calls by X-Amz-Target, decodes and encodes
// bodies, and maps typed errors to AWS error names and HTTP statuses. It is
// the only package that knows HTTP and the wire names of errors.
package api

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/awsjson"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
)

// MaxBodyBytes caps the body of a request whose operation is not known
// before the body is read (an unknown X-Amz-Target, the query protocol);
// a known operation's body is capped at its limit in the operation table.
// Larger requests are refused before the body is read past the cap.
const MaxBodyBytes = service.DefaultBodyLimit

const jsonContentType = "application/x-amz-json-1.1"

// Config holds the handler's collaborators.
type Config struct {
	Service *service.Service
	// KMS verifies requests signed for the "kms" service.
	KMS    *sigv4.Verifier
	Logger *slog.Logger
	// Audit appends the events of authenticated requests; nil disables
	// auditing (tests of other things, and the bench comparison).
	Audit AuditWriter
	// Unauthenticated counts requests that fail authentication; nil
	// drops them.
	Unauthenticated *audit.Aggregator
	// CloudTrail verifies requests signed for "cloudtrail" (LookupEvents)
	// and AuditLog answers them; nil CloudTrail answers such requests
	// UnknownOperationException.
	CloudTrail *sigv4.Verifier
	AuditLog   audit.Log
	// AuthorizeLookup decides who may call LookupEvents; nil means
	// RootOnlyLookup (see the integration hook there).
	AuthorizeLookup AuthorizeLookup
	// Ready reports why the node cannot serve (store unreachable, disk
	// nearly full...), or nil; /readyz adds the audit writer's state.
	Ready func(ctx context.Context) error
	// TestingClock, when non-nil, serves TestingClockPath: the control that
	// end-to-end tests use to move the key clock (trent server
	// --testing-clock). It is not authenticated; nil, as in production,
	// makes the path answer 404.
	TestingClock http.Handler

	// IAM serves the IAM and STS query APIs on the same listener; nil
	// leaves them out. IAMVerifier and STSVerifier check requests signed
	// for "iam" and "sts".
	IAM         *iam.Service
	IAMVerifier *sigv4.Verifier
	STSVerifier *sigv4.Verifier
	// AuthorizeIAM decides IAM calls by principals other than the account
	// root (the integrator wires the policy engine here): whether caller's
	// identity policies allow action (e.g. "iam:CreateUser") on resource
	// (the ARN of the user or role, with its path), and if not, whether an
	// explicit Deny or the lack of an Allow refuses it. Nil: only the root
	// may call IAM.
	AuthorizeIAM func(caller *iam.Principal, action, resource string) (IAMDecision, error)

	// Requests, when non-nil, is told the outcome of every API request
	// (metrics). Metrics, when non-nil, is served at GET /metrics without
	// authentication.
	Requests RequestObserver
	Metrics  http.Handler

	// Authenticated, when non-nil, is called with the request's context
	// for every API request whose signature verifies (the connection
	// limiter's connlimit.MarkAuthenticated). It must be cheap and safe
	// for concurrent use.
	Authenticated func(ctx context.Context)
}

// TestingClockPath is where Config.TestingClock is served.
const TestingClockPath = "/_trent/testing/clock"

// Handler serves the AWS KMS JSON API and the health endpoint.
type Handler struct {
	svc    *service.Service
	kms    *sigv4.Verifier
	log    *slog.Logger
	routes map[string]*route
	clock  http.Handler
	ids    requestIDs
	bufs   sync.Pool

	iamSvc      *iam.Service
	iamVerifier *sigv4.Verifier
	stsVerifier *sigv4.Verifier
	iamRoutes   map[string]queryRoute
	stsRoutes   map[string]queryRoute
	authorize   func(caller *iam.Principal, action, resource string) (IAMDecision, error)

	audit AuditWriter
	agg   *audit.Aggregator
	ct    *sigv4.Verifier
	trail audit.Log
	ready func(ctx context.Context) error

	authorizeLookup AuthorizeLookup

	requests RequestObserver
	metrics  http.Handler
	authed   func(ctx context.Context)
}

// route is a KMS operation as the handler serves it.
type route struct {
	op *service.Operation
}

// New returns the handler.
func New(c Config) *Handler {
	h := &Handler{svc: c.Service, kms: c.KMS, log: c.Logger, clock: c.TestingClock,
		audit: c.Audit, agg: c.Unauthenticated, ct: c.CloudTrail, trail: c.AuditLog, ready: c.Ready, authorizeLookup: c.AuthorizeLookup,
		requests: c.Requests, metrics: c.Metrics, authed: c.Authenticated}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ids.init()
	h.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	h.routes = kmsRoutes()
	if c.IAM != nil {
		h.iamSvc, h.iamVerifier, h.stsVerifier, h.authorize = c.IAM, c.IAMVerifier, c.STSVerifier, c.AuthorizeIAM
		h.iamRoutes, h.stsRoutes = queryRoutes(service.APIIAM, h.iamQueryRoutes()), queryRoutes(service.APISTS, h.stsQueryRoutes())
	}
	return h
}

// kmsRoutes maps the X-Amz-Target of every KMS operation of the table to
// its route.
func kmsRoutes() map[string]*route {
	m := make(map[string]*route)
	for _, op := range service.Operations() {
		if op.API == service.APIKMS {
			m[op.Model.Target] = &route{op: op}
		}
	}
	return m
}

// decoders and encoders are reused: a Decoder or Encoder handed to an
// interface method (DecodeJSON, EncodeJSON) would otherwise be allocated
// for every request.
var (
	decoders = sync.Pool{New: func() any { return new(awsjson.Decoder) }}
	encoders = sync.Pool{New: func() any { return new(awsjson.Encoder) }}
)

// decodeInput reads body into in with the operation's generated decoder
// (internal/kmsapi): member names match exactly, unknown members are
// skipped, and blobs, maps and lists are read as strictly as AWS reads
// them. An empty body is an input with no members. It returns the
// SerializationException message of a body that is not the operation's
// JSON, or "".
func decodeInput(body []byte, in kmsapi.Input) string {
	if len(body) == 0 {
		return ""
	}
	d := decoders.Get().(*awsjson.Decoder)
	d.Reset(body)
	in.DecodeJSON(d)
	err := d.Err()
	d.Reset(nil)
	decoders.Put(d)
	if err == nil {
		return ""
	}
	var e *awsjson.Error
	if errors.As(err, &e) && e.Field != "" {
		if errors.Is(err, awsjson.ErrBase64) {
			return msgBadBase64(e.Field)
		}
		return msgWrongType(e.Field)
	}
	return msgBadJSON
}

// The SerializationException messages. AWS's wording is not recorded;
// these name the member where there is one.
const msgBadJSON = "Invalid JSON in request body"

func msgWrongType(field string) string {
	return "Unexpected value type in payload at '" + field + "'"
}

func msgBadBase64(field string) string {
	return "Invalid base64 value in payload at '" + field + "'"
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == TestingClockPath {
		if h.clock == nil {
			http.NotFound(w, r)
			return
		}
		h.clock.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/healthz":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok\n")
			return
		case "/readyz":
			h.serveReady(w, r)
			return
		case "/metrics":
			if h.metrics != nil {
				h.metrics.ServeHTTP(w, r)
				return
			}
		}
		http.NotFound(w, r)
		return
	}
	now := time.Now()
	o := outcome{reqID: h.ids.next(), status: http.StatusOK}
	h.serveAPI(w, r, &o, now)
	h.done(r.Context(), &o, now)
}

// serveAPI answers one API call (KMS, CloudTrail, IAM or STS), recording
// in o what the request log and metrics report.
func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request, o *outcome, now time.Time) {
	reqID := o.reqID
	// Assigned in canonical form directly: Header.Set would canonicalise
	// (and allocate) on every request. Clients read it case-insensitively.
	w.Header()["X-Amzn-Requestid"] = []string{reqID}
	target := r.Header.Get("X-Amz-Target")
	o.op = opName(target)
	if r.Method != http.MethodPost {
		h.unauthenticated(r, reqID, target, "UnknownOperationException", "", now)
		h.writeError(w, o, wireError{"UnknownOperationException", 400, ""})
		return
	}
	// KMS requests name their operation in X-Amz-Target; the IAM and STS
	// query protocol does not. One map lookup keeps the KMS path as it was.
	if _, kms := r.Header["X-Amz-Target"]; !kms && h.iamSvc != nil && !isJSON(r) {
		h.serveQuery(w, r, o, reqID, now)
		return
	}

	rt := h.routes[target]
	limit := int64(MaxBodyBytes)
	if rt != nil {
		limit = rt.op.Limit()
	} else if target == lookupEventsTarget {
		limit = lookupEventsOp.Limit()
	}
	bp := h.bufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			*bp = (*bp)[:0]
			h.bufs.Put(bp)
		}
	}()
	body, err := readBody(r, *bp, limit)
	*bp = body[:0]
	defer clear(body) // the request may hold plaintext
	if err != nil {
		we := tooLarge(limit)
		h.unauthenticated(r, reqID, target, we.typ, we.message, now)
		h.writeError(w, o, we)
		return
	}

	verifier := h.kms
	cloudTrail := false
	if len(target) > len(cloudTrailPrefix) && target[:len(cloudTrailPrefix)] == cloudTrailPrefix && h.ct != nil {
		verifier, cloudTrail = h.ct, true
	}
	res, err := verifier.Verify(r.Context(), r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			h.unauthenticated(r, reqID, target, sigErrors[se.Kind], se.Message, now)
			h.writeError(w, o, wireError{sigErrors[se.Kind], 400, se.Message})
			return
		}
		h.log.ErrorContext(r.Context(), "credential lookup failed", "request_id", reqID, "err", err)
		h.unauthenticated(r, reqID, target, errInternal.typ, "", now)
		h.writeError(w, o, errInternal)
		return
	}
	if h.authed != nil {
		h.authed(r.Context())
	}
	p, _ := res.Credential.Handle.(*iam.Principal)
	if p == nil {
		h.writeError(w, o, errInternal)
		return
	}
	o.account, o.principal = p.Account, p.ARN
	caller := service.Caller{Account: p.Account, ARN: p.ARN, AccessKeyID: res.AccessKeyID, Region: res.Region,
		Principal: p, RoleARN: p.RoleARN, SourceIP: remoteIP(r.RemoteAddr), SecureTransport: r.TLS != nil}
	if cloudTrail {
		h.serveCloudTrail(w, r, o, reqID, target, body, &caller, now)
		return
	}

	ctx := r.Context()
	var ev *audit.Event
	if h.audit != nil {
		ev = h.newEvent(r, reqID, audit.SourceKMS, opName(target), rt != nil && rt.op.Mutates, &caller, now)
		ctx = audit.NewContext(ctx, ev)
	}
	if rt == nil {
		h.fail(ctx, w, o, ev, wireError{"UnknownOperationException", 400, ""})
		return
	}
	in := rt.op.Model.NewInput()
	if msg := decodeInput(body, in); msg != "" {
		h.fail(ctx, w, o, ev, wireError{"SerializationException", 400, msg})
		return
	}
	if ev != nil {
		ev.RequestParameters = rt.op.RequestParameters(in)
	}
	out, err := h.svc.Call(ctx, &caller, rt.op, in)
	if err != nil {
		we := serviceError(err)
		if we.status >= 500 {
			h.log.ErrorContext(ctx, "request failed", "request_id", reqID, "target", target, "err", err)
		}
		h.fail(ctx, w, o, ev, we)
		return
	}
	if ev != nil && len(rt.op.Response) > 0 && !audit.Written(ctx) {
		ev.ResponseElements = rt.op.ResponseElements(out)
	}
	if !h.finish(ctx, ev, nil) {
		scrub(out)
		h.writeError(w, o, errInternal)
		return
	}
	enc := encoders.Get().(*awsjson.Encoder)
	enc.Reset(*bp)
	out.EncodeJSON(enc)
	b := enc.Bytes()
	enc.Reset(nil)
	encoders.Put(enc)
	*bp = b[:0]
	writeJSON(w, b)
	clear(b) // the response may hold plaintext
	scrub(out)
}

// scrub zeroes the secrets of an output once it is written: the members
// the model marks sensitive (TestScrubSensitive checks every output).
func scrub(out kmsapi.Output) {
	switch o := out.(type) {
	case *kmsapi.DecryptResponse:
		clear(o.Plaintext)
	case *kmsapi.GenerateDataKeyResponse:
		clear(o.Plaintext)
	case *kmsapi.GenerateRandomResponse:
		clear(o.Plaintext)
	case *kmsapi.GenerateDataKeyPairResponse:
		clear(o.PrivateKeyPlaintext)
	case *kmsapi.DeriveSharedSecretResponse:
		clear(o.SharedSecret)
	case *kmsapi.EncapsulateResponse:
		clear(o.SharedSecret)
	case *kmsapi.DecapsulateResponse:
		clear(o.SharedSecret)
	case *kmsapi.GetParametersForImportResponse:
		clear(o.PublicKey) // sensitive in the model, though public
	}
}

// writeJSON writes a 200 answer whose AWS JSON body is b.
func writeJSON(w http.ResponseWriter, b []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = contentTypeValue
	hdr["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.Write(b)
}

// isJSON reports whether the request says it is AWS JSON (a KMS request
// that lacks its X-Amz-Target is answered as KMS).
func isJSON(r *http.Request) bool {
	ct := r.Header["Content-Type"]
	return len(ct) > 0 && len(ct[0]) >= 16 && ct[0][:16] == "application/x-am"
}

var contentTypeValue = []string{jsonContentType}

// remoteIP returns the host part of a RemoteAddr ("ip:port", "[ip6]:port")
// without allocating (net.SplitHostPort allocates its error for other
// shapes).
func remoteIP(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr
	}
	host := addr[:i]
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host
}

// fail answers we after recording it in the request's event; if the event
// cannot be written the answer is KMSInternalException instead.
func (h *Handler) fail(ctx context.Context, w http.ResponseWriter, o *outcome, ev *audit.Event, we wireError) {
	if !h.finish(ctx, ev, &we) {
		we = errInternal
	}
	h.writeError(w, o, we)
}

// serveReady answers /readyz: 200 "ready" when the node can serve, else
// 503 with one line per reason (audit log not writable, store not
// reachable, disk nearly full, ...).
func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	var reasons []string
	if h.audit != nil {
		if err := h.audit.Err(); err != nil {
			reasons = append(reasons, "audit: "+err.Error())
		}
	}
	if h.ready != nil {
		if err := h.ready(r.Context()); err != nil {
			reasons = append(reasons, err.Error())
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	if len(reasons) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready\n"+strings.Join(reasons, "\n")+"\n")
		return
	}
	io.WriteString(w, "ready\n")
}

// readBody reads at most limit bytes into buf.
func readBody(r *http.Request, buf []byte, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return buf, errTooLargeErr
	}
	lr := io.LimitReader(r.Body, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errTooLargeErr
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var errTooLargeErr = errors.New("request body too large")

func (h *Handler) writeError(w http.ResponseWriter, o *outcome, e wireError) {
	o.code, o.status = e.typ, e.status
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.typ, e.message})
	hdr := w.Header()
	hdr.Set("Content-Type", jsonContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	w.Write(b)
}

// requestIDs makes UUID-shaped request IDs from a random per-process prefix
// and a counter: unique, unguessable across restarts, and cheap.
type requestIDs struct {
	prefix [8]byte
	n      atomic.Uint64
}

func (g *requestIDs) init() {
	rand.Read(g.prefix[:])
}

func (g *requestIDs) next() string {
	var b [16]byte
	copy(b[:8], g.prefix[:])
	binary.BigEndian.PutUint64(b[8:], g.n.Add(1))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
