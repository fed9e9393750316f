package api

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/service"
)

// Every request gets one audit event. Authenticated requests: the api
// builds the event before the service call and puts it in the request's
// context (audit.NewContext); a mutation's store transaction writes it
// with the change; whatever was not written that way (reads, cryptographic
// operations, failures) is appended through the group-commit writer after
// the call and before the response. If that append fails the client gets
// KMSInternalException instead of its answer (fail closed).
// Unauthenticated requests are counted by the Aggregator instead.

// AuditWriter is the group-commit appender (audit.Writer).
type AuditWriter interface {
	Append(ctx context.Context, ev *audit.Event) error
	Err() error
}

// opName is the operation named by an X-Amz-Target ("TrentService.Encrypt"
// -> "Encrypt"), capped in length since it is unauthenticated input.
func opName(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		target = target[i+1:]
	}
	if len(target) > 64 {
		target = target[:64]
	}
	return target
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newEvent starts the event of an authenticated request for the operation
// name; mutates says whether it changes state (readOnly false), as the
// operation table says. A request for an operation Trent does not serve
// is readOnly.
func (h *Handler) newEvent(r *http.Request, reqID, source, name string, mutates bool, c *service.Caller, now time.Time) *audit.Event {
	return &audit.Event{
		EventVersion:       audit.EventVersion,
		UserIdentity:       userIdentity(c),
		EventTime:          now,
		EventSource:        source,
		EventName:          name,
		AWSRegion:          c.Region,
		SourceIPAddress:    sourceIP(r),
		UserAgent:          r.UserAgent(),
		RequestID:          reqID,
		EventID:            newEventID(),
		ReadOnly:           !mutates,
		EventType:          audit.TypeAPICall,
		ManagementEvent:    true,
		RecipientAccountID: c.Account,
		EventCategory:      audit.CategoryManagement,
	}
}

// userIdentity is the caller as CloudTrail records it: for the root, type
// Root and principalId the account ID; for an IAM user, type IAMUser,
// principalId the user ID (AIDA...) and userName; for a role session, type
// AssumedRole, principalId "AROA...:session", arn the sts assumed-role ARN
// and sessionContext.sessionIssuer naming the role. accessKeyId is always
// the key that signed the request. A caller without a directory record
// (internal calls, tests) is typed from its ARN.
func userIdentity(c *service.Caller) audit.Identity {
	id := audit.Identity{ARN: c.ARN, AccountID: c.Account, AccessKeyID: c.AccessKeyID}
	p := c.Principal
	if p == nil {
		id.Type, id.PrincipalID = "IAMUser", c.AccessKeyID
		if strings.HasSuffix(c.ARN, ":root") {
			id.Type, id.PrincipalID = "Root", c.Account
		}
		return id
	}
	id.ARN, id.AccountID = p.ARN, p.Account
	switch p.Type {
	case iam.TypeRoot:
		id.Type, id.PrincipalID = "Root", p.Account
	case iam.TypeUser:
		id.Type, id.PrincipalID, id.UserName = "IAMUser", p.UserID, p.UserName
	case iam.TypeAssumedRole:
		id.Type, id.PrincipalID = "AssumedRole", p.UserID
		roleID, _, _ := strings.Cut(p.UserID, ":")
		id.SessionContext.SessionIssuer = audit.SessionIssuer{
			Type: "Role", PrincipalID: roleID, ARN: p.RoleARN, AccountID: p.Account,
			UserName: p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:],
		}
	default:
		id.Type, id.PrincipalID = p.Type, p.UserID
	}
	return id
}

// newEventID returns a random UUID without the allocation-heavy
// uuid.NewString path: the request ID generator's cheaper scheme is not
// used because event IDs must be unguessable on their own.
func newEventID() string {
	return uuid.NewString()
}

// finish records err (or success) in ev and appends it unless a store
// transaction already wrote it. It returns false when the event could not
// be written: the caller must answer KMSInternalException.
func (h *Handler) finish(ctx context.Context, ev *audit.Event, we *wireError) bool {
	if h.audit == nil || ev == nil {
		return true
	}
	if audit.Written(ctx) {
		return true
	}
	if we != nil {
		ev.ErrorCode, ev.ErrorMessage = we.typ, we.message
	}
	if err := h.audit.Append(ctx, ev); err != nil {
		h.log.ErrorContext(ctx, "audit event not written: failing the request", "request_id", ev.RequestID, "event", ev.EventName, "err", err)
		return false
	}
	return true
}

// unauthenticated counts a KMS or CloudTrail request (named by its
// X-Amz-Target) that failed authentication.
func (h *Handler) unauthenticated(r *http.Request, reqID, target, code, msg string, now time.Time) {
	src := audit.SourceKMS
	if strings.HasPrefix(target, cloudTrailPrefix) {
		src = audit.SourceCloudTrail
	}
	h.countUnauthenticated(r, reqID, src, target, code, msg, now)
}

// countUnauthenticated counts a request of the event source src that
// failed authentication; name is the operation it claimed (unverified).
func (h *Handler) countUnauthenticated(r *http.Request, reqID, src, name, code, msg string, now time.Time) {
	if h.agg == nil {
		return
	}
	akid, region := claimedCredential(r)
	h.agg.Add(audit.Unauthenticated{
		SourceIP: sourceIP(r), ErrorCode: code, AccessKeyID: akid, EventName: opName(name),
		EventSource: src, Region: region, UserAgent: r.UserAgent(), RequestID: reqID, Time: now, Message: msg,
	})
}

// claimedCredential returns the access key ID and region an Authorization
// header (or X-Amz-Credential query parameter) claims, unverified and
// capped in length.
func claimedCredential(r *http.Request) (akid, region string) {
	s := r.Header.Get("Authorization")
	if i := strings.Index(s, "Credential="); i >= 0 {
		s = s[i+len("Credential="):]
	} else {
		s = r.URL.Query().Get("X-Amz-Credential")
	}
	if i := strings.IndexAny(s, ", "); i >= 0 {
		s = s[:i]
	}
	parts := strings.SplitN(s, "/", 4)
	akid = parts[0]
	if len(parts) > 2 {
		region = parts[2]
	}
	if len(akid) > 128 {
		akid = akid[:128]
	}
	if len(region) > 32 {
		region = region[:32]
	}
	return akid, region
}
