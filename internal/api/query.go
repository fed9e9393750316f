package api

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
)

// The AWS query protocol (IAM and STS): a form-encoded POST naming the
// Action and Version, answered in XML. Requests without X-Amz-Target come
// here; the SigV4 credential scope's service picks IAM or STS.

const (
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	// maxQueryParams bounds the parameters a query request may carry.
	maxQueryParams = 1000
)

// queryParams is a decoded query-protocol request.
type queryParams map[string]string

var errQueryMalformed = errors.New("malformed query string")

// decodeQuery decodes an application/x-www-form-urlencoded body:
// name=value pairs separated by '&', '+' for space, %XX escapes. A
// repeated name keeps its last value. It fails on bad escapes and on more
// than maxQueryParams pairs.
func decodeQuery(body string, into queryParams) error {
	n := 0
	for body != "" {
		var pair string
		if i := strings.IndexByte(body, '&'); i >= 0 {
			pair, body = body[:i], body[i+1:]
		} else {
			pair, body = body, ""
		}
		if pair == "" {
			continue
		}
		if n++; n > maxQueryParams {
			return errQueryMalformed
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return errQueryMalformed
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return errQueryMalformed
		}
		into[k] = v
	}
	return nil
}

// int returns an integer parameter: 0 when absent, ok false when it is not
// a decimal integer.
func (q queryParams) int(name string) (int, bool) {
	s, present := q[name]
	if !present {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// tags returns Tags.member.N.Key/Value for N = 1, 2, ... until a gap.
func (q queryParams) tags() []iam.Tag {
	var out []iam.Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i) + "."
		k, ok := q[p+"Key"]
		if !ok {
			return out
		}
		out = append(out, iam.Tag{Key: k, Value: q[p+"Value"]})
	}
}

// credentialService returns the service named in the Authorization
// header's credential scope ("" if it has none).
func credentialService(authz string) string {
	i := strings.Index(authz, "Credential=")
	if i < 0 {
		return ""
	}
	c := authz[i+len("Credential="):]
	if j := strings.IndexAny(c, ", "); j >= 0 {
		c = c[:j]
	}
	parts := strings.Split(c, "/")
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// queryError is an error as a query-protocol client sees it.
type queryError struct {
	code    string
	status  int
	message string
	sender  bool
}

var querySigErrors = map[sigv4.Kind]queryError{
	sigv4.KindMissingAuth:         {"MissingAuthenticationToken", 403, "", true},
	sigv4.KindIncompleteSignature: {"IncompleteSignature", 400, "", true},
	sigv4.KindInvalidSignature:    {"SignatureDoesNotMatch", 403, "", true},
	sigv4.KindUnrecognizedClient:  {"InvalidClientTokenId", 403, "", true},
	sigv4.KindExpiredToken:        {"ExpiredToken", 403, "", true},
}

// iamErrors maps iam.Kind to the code and HTTP status IAM and STS send.
var iamErrors = map[iam.Kind]queryError{
	iam.KindNoSuchEntity:        {"NoSuchEntity", 404, "", true},
	iam.KindEntityAlreadyExists: {"EntityAlreadyExists", 409, "", true},
	iam.KindDeleteConflict:      {"DeleteConflict", 409, "", true},
	iam.KindValidation:          {"ValidationError", 400, "", true},
	iam.KindInvalidInput:        {"InvalidInput", 400, "", true},
	iam.KindMalformedPolicy:     {"MalformedPolicyDocument", 400, "", true},
	iam.KindLimitExceeded:       {"LimitExceeded", 409, "", true},
	iam.KindAccessDenied:        {"AccessDenied", 403, "", true},
	iam.KindInternal:            {"ServiceFailure", 500, "An internal error occurred.", false},
}

var errQueryInternal = queryError{"ServiceFailure", 500, "An internal error occurred.", false}

func iamError(err error) queryError {
	var e *iam.Error
	if errors.As(err, &e) {
		if q, ok := iamErrors[e.Kind]; ok {
			q.message = e.Message
			return q
		}
	}
	return errQueryInternal
}

type xmlErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, o *outcome, ns, reqID string, e queryError) {
	o.code, o.status = e.code, e.status
	var r xmlErrorResponse
	r.Xmlns, r.RequestID = ns, reqID
	r.Error.Type, r.Error.Code, r.Error.Message = "Receiver", e.code, e.message
	if e.sender {
		r.Error.Type = "Sender"
	}
	writeXML(w, e.status, &r)
}

// xmlResponse is <ActionResponse><ActionResult>...</ActionResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></ActionResponse>.
type xmlResponse struct {
	XMLName  xml.Name
	Xmlns    string `xml:"xmlns,attr"`
	Result   any    `xml:",omitempty"` // a struct whose XMLName is set to ActionResult
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

func writeQueryResult(w http.ResponseWriter, ns, action, reqID string, result any) {
	r := xmlResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: ns, Result: result}
	r.Metadata.RequestID = reqID
	writeXML(w, http.StatusOK, &r)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		b = []byte(`<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code></Error></ErrorResponse>`)
		status = 500
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/xml")
	hdr.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// serveQuery handles a query-protocol request (IAM or STS) that arrived
// at now.
func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, o *outcome, reqID string, now time.Time) {
	authz := ""
	if hs := r.Header["Authorization"]; len(hs) > 0 {
		authz = hs[0]
	}
	svc := credentialService(authz)
	// refuse answers a request that is not authenticated and counts it in
	// the audit log's aggregates of unauthenticated requests, as for KMS,
	// under the event source of the service it was signed for (IAM
	// unless that is STS).
	refuse := func(ns, action string, e queryError) {
		src := sourceIAM
		if ns == stsNamespace {
			src = sourceSTS
		}
		h.countUnauthenticated(r, reqID, src, action, e.code, e.message, now)
		writeQueryError(w, o, ns, reqID, e)
	}
	body, err := readBody(r, nil, MaxBodyBytes)
	defer clear(body)
	params := queryParams{}
	if r.URL.RawQuery != "" {
		if decodeQuery(r.URL.RawQuery, params) != nil {
			ns := iamNamespace
			if svc == "sts" {
				ns = stsNamespace
			}
			refuse(ns, "", queryError{"MalformedQueryString", 400, "The query string is malformed.", true})
			return
		}
	}
	if err == nil {
		err = decodeQuery(string(body), params)
	}
	action := params["Action"]
	o.op = opName(action)
	ns, verifier, routes := iamNamespace, h.iamVerifier, h.iamRoutes
	if svc == "sts" || (svc != "iam" && params["Version"] == stsVersion) {
		ns, verifier, routes = stsNamespace, h.stsVerifier, h.stsRoutes
	}
	if err != nil {
		refuse(ns, action, queryError{"MalformedQueryString", 400, "The request body is not a valid form-encoded query.", true})
		return
	}
	if verifier == nil {
		refuse(ns, action, queryError{"InvalidAction", 400, "The IAM and STS APIs are not served by this endpoint.", true})
		return
	}
	res, err := verifier.Verify(r.Context(), r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			e := querySigErrors[se.Kind]
			e.message = se.Message
			refuse(ns, action, e)
			return
		}
		h.log.ErrorContext(r.Context(), "credential lookup failed", "request_id", reqID, "err", err)
		refuse(ns, action, errQueryInternal)
		return
	}
	if h.authed != nil {
		h.authed(r.Context())
	}
	p, _ := res.Credential.Handle.(*iam.Principal)
	if p == nil {
		writeQueryError(w, o, ns, reqID, errQueryInternal)
		return
	}
	o.account, o.principal = p.Account, p.ARN
	// Authenticated IAM and STS calls are audited as KMS calls are, under
	// their own event source; a mutation's event commits in the
	// transaction of its change (the store picks it up from the context).
	rt, ok := routes[action]
	ev := h.queryEvent(r, reqID, ns, action, rt.op, p, &res, params)
	if ev != nil {
		r = r.WithContext(audit.NewContext(r.Context(), ev))
	}
	fail := func(qe queryError) {
		if !h.finish(r.Context(), ev, &wireError{qe.code, qe.status, qe.message}) {
			qe = errQueryInternal
		}
		writeQueryError(w, o, ns, reqID, qe)
	}
	if !ok {
		version := params["Version"]
		fail(queryError{"InvalidAction", 400, "Could not find operation " + action + " for version " + version, true})
		return
	}
	out, err := rt.run(&queryCall{h: h, r: r, op: rt.op, caller: p, res: &res, params: params})
	if err != nil {
		qe := iamError(err)
		if qe.status >= 500 {
			h.log.ErrorContext(r.Context(), "request failed", "request_id", reqID, "action", action, "err", err)
		}
		fail(qe)
		return
	}
	if !h.finish(r.Context(), ev, nil) {
		writeQueryError(w, o, ns, reqID, errQueryInternal)
		return
	}
	if out != nil {
		setResultName(out, action+"Result")
	}
	writeQueryResult(w, ns, action, reqID, out)
}

// Event sources of the query-protocol services.
const (
	sourceIAM = "iam.amazonaws.com"
	sourceSTS = "sts.amazonaws.com"
)

// queryEvent returns the audit event of an authenticated IAM or STS call
// of op (nil for an action Trent does not serve), or nil without an audit
// log. Its requestParameters are the parameters the operation table lists
// for op, in lowerCamelCase as CloudTrail writes them; nothing secret is
// among them (secret access keys and session tokens appear only in
// responses, which these events do not record).
func (h *Handler) queryEvent(r *http.Request, reqID, ns, action string, op *service.Operation, p *iam.Principal, res *sigv4.Result, params queryParams) *audit.Event {
	if h.audit == nil {
		return nil
	}
	src := sourceIAM
	if ns == stsNamespace {
		src = sourceSTS
	}
	c := service.Caller{Account: p.Account, ARN: p.ARN, AccessKeyID: res.AccessKeyID, Region: res.Region, Principal: p}
	ev := h.newEvent(r, reqID, src, action, op != nil && op.Mutates, &c, time.Now())
	if op == nil {
		return ev
	}
	rp := make(map[string]string)
	for _, k := range op.Request {
		if v, ok := params[k]; ok {
			rp[strings.ToLower(k[:1])+k[1:]] = v
		}
	}
	if len(rp) > 0 {
		ev.RequestParameters, _ = json.Marshal(rp)
	}
	return ev
}

// queryCall is one authenticated query-protocol call.
type queryCall struct {
	h      *Handler
	r      *http.Request
	op     *service.Operation
	caller *iam.Principal
	res    *sigv4.Result
	params queryParams
}

// action is the IAM action the call is authorized for (the operation
// table's).
func (c *queryCall) action() string { return c.op.Actions[0].Name }

// queryOp runs an action; a nil result means the action answers only
// ResponseMetadata. Results are pointers to structs with an XMLName field.
type queryOp func(c *queryCall) (any, error)

// queryRoute is an IAM or STS operation of the table and its handler.
type queryRoute struct {
	op  *service.Operation
	run queryOp
}

// queryRoutes pairs the operations of api in the table with their
// handlers. A handler without an entry, or an entry without a handler, is
// a programming error.
func queryRoutes(api service.API, handlers map[string]queryOp) map[string]queryRoute {
	m := make(map[string]queryRoute, len(handlers))
	for _, op := range service.Operations() {
		if op.API != api {
			continue
		}
		run := handlers[op.Name]
		if run == nil {
			panic("api: no handler for " + op.Name)
		}
		m[op.Name] = queryRoute{op: op, run: run}
	}
	for name := range handlers {
		if _, ok := m[name]; !ok {
			panic("api: handler " + name + " has no entry in the operation table")
		}
	}
	return m
}

// setResultName names a result's element: v is a pointer to a struct
// whose first field is XMLName xml.Name.
func setResultName(v any, name string) {
	f := reflect.ValueOf(v).Elem().Field(0)
	if f.Type() == reflect.TypeFor[xml.Name]() {
		f.Set(reflect.ValueOf(xml.Name{Local: name}))
	}
}

func xmlTime(t interface{ Format(string) string }) string { return t.Format("2006-01-02T15:04:05Z") }
