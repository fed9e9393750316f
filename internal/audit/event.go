// Package audit is Trent's audit trail: one CloudTrail-shaped event per
// request (and per piece of scheduled work), appended durably to a single
// hash chain before the response is sent, with periodic digests signed by
// a key derived from the root of trust, and offline verification.
//
// The pieces:
//   - Event is the record (CloudTrail's KMS record, eventVersion 1.08);
//     Event.Marshal gives the canonical bytes that are stored and hashed.
//   - NewContext/FromContext/SetResource carry a request's pending event
//     through the service into the store, which appends it in the same
//     transaction as the change it records (see Pending).
//   - Writer is the group-commit appender for everything else: concurrent
//     events go into one transaction and one fsync.
//   - Aggregator counts unauthenticated requests per source and error
//     instead of logging each one.
//   - Verify checks a chain, its digests and its checkpoint.
package audit

import (
	"encoding/json"
	"github.com/trentkms/trent/internal/awsjson"
	"strconv"
	"time"
	"unicode/utf8"
)

// Constants of the CloudTrail record.
const (
	EventVersion = "1.08"
	// SourceKMS and SourceCloudTrail are eventSource values.
	SourceKMS        = "kms.amazonaws.com"
	SourceCloudTrail = "cloudtrail.amazonaws.com"
	// TypeAPICall is a request's eventType; TypeServiceEvent is work the
	// service did on its own (scheduled deletion, automatic rotation,
	// expiry of imported material).
	TypeAPICall        = "AwsApiCall"
	TypeServiceEvent   = "AwsServiceEvent"
	CategoryManagement = "Management"
	// ResourceTypeKey is the type of a resources[] entry that is a KMS key.
	ResourceTypeKey = "AWS::KMS::Key"
)

// MaxEventBytes caps the canonical encoding of one event. An event that
// would be larger has its requestParameters (then responseElements and
// additionalEventData) replaced by TruncatedMarker.
const MaxEventBytes = 16 << 10

// TruncatedMarker replaces a member that made its event exceed
// MaxEventBytes.
var TruncatedMarker = json.RawMessage(`{"trentTruncated":true}`)

// Identity is userIdentity.
type Identity struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// UserName is set for IAM users.
	UserName string `json:"userName,omitempty"`
	// SessionContext is set for role sessions (type AssumedRole).
	SessionContext SessionContext `json:"sessionContext,omitzero"`
	// InvokedBy is set on service events ("kms.amazonaws.com").
	InvokedBy string `json:"invokedBy,omitempty"`
}

// SessionContext is userIdentity.sessionContext: what issued the
// temporary credentials.
type SessionContext struct {
	SessionIssuer SessionIssuer `json:"sessionIssuer,omitzero"`
}

// SessionIssuer is sessionContext.sessionIssuer: for a role session, the
// role (type "Role", principalId the role ID AROA..., arn the role ARN,
// userName the role name).
type SessionIssuer struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// Resource is one entry of resources[].
type Resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// Event is one CloudTrail record. The json tags give the field names for
// decoding; encoding goes through Marshal, which writes the members in the
// order declared here.
type Event struct {
	EventVersion    string    `json:"eventVersion"`
	UserIdentity    Identity  `json:"userIdentity"`
	EventTime       time.Time `json:"eventTime"`
	EventSource     string    `json:"eventSource"`
	EventName       string    `json:"eventName"`
	AWSRegion       string    `json:"awsRegion"`
	SourceIPAddress string    `json:"sourceIPAddress,omitempty"`
	UserAgent       string    `json:"userAgent,omitempty"`
	ErrorCode       string    `json:"errorCode,omitempty"`
	ErrorMessage    string    `json:"errorMessage,omitempty"`
	// RequestParameters, ResponseElements and AdditionalEventData are
	// JSON objects, or nil for null. They must never hold plaintext,
	// ciphertext, key material, signatures, MACs, import tokens or secrets.
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID,omitempty"`
	EventID             string          `json:"eventID"`
	ReadOnly            bool            `json:"readOnly"`
	Resources           []Resource      `json:"resources,omitempty"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	EventCategory       string          `json:"eventCategory"`

	enc []byte // Marshal's output, once Seal has run
}

// Seal encodes the event now and freezes that encoding: later changes to
// its fields are not recorded. The Writer seals events in the appending
// goroutine, so that the encoding work runs in parallel rather than in the
// one goroutine that commits. (Compression to the stored form is left to
// that goroutine, NewRecord: S2 keeps a 64 KiB table on the stack, which in
// hundreds of request goroutines meant growing hundreds of stacks after
// every collection shrank them, and cost more than it saved.)
func (e *Event) Seal() { e.enc = e.Marshal(make([]byte, 0, e.sizeHint())) }

// encoded returns the sealed encoding, or encodes now.
func (e *Event) encoded() []byte {
	if e.enc != nil {
		return e.enc
	}
	return e.Marshal(make([]byte, 0, e.sizeHint()))
}

// sizeHint is about the size of the event's encoding: its member names and
// punctuation plus the lengths of its values. Encoding into a buffer of
// this capacity allocates once instead of growing through every power of
// two, which on the Encrypt path was a quarter of all bytes allocated.
func (e *Event) sizeHint() int {
	const members = 448 // names, quotes, punctuation and the fixed values
	n := members + len(e.RequestParameters) + len(e.ResponseElements) + len(e.AdditionalEventData) +
		len(e.UserIdentity.PrincipalID) + len(e.UserIdentity.ARN) + len(e.UserIdentity.AccountID) +
		len(e.UserIdentity.AccessKeyID) + len(e.UserIdentity.UserName) + len(e.UserIdentity.InvokedBy) +
		len(e.EventName) + len(e.AWSRegion) + len(e.SourceIPAddress) + len(e.UserAgent) + len(e.ErrorCode) +
		len(e.ErrorMessage) + len(e.RequestID) + len(e.EventID) + len(e.RecipientAccountID)
	if si := &e.UserIdentity.SessionContext.SessionIssuer; si.ARN != "" {
		n += 160 + len(si.PrincipalID) + len(si.ARN) + len(si.UserName)
	}
	for _, r := range e.Resources {
		n += 64 + len(r.AccountID) + len(r.ARN)
	}
	return min(n, MaxEventBytes+1)
}

// AddResource adds a key to resources[] unless it is there already.
func (e *Event) AddResource(account, arn string) {
	for _, r := range e.Resources {
		if r.ARN == arn {
			return
		}
	}
	e.Resources = append(e.Resources, Resource{AccountID: account, Type: ResourceTypeKey, ARN: arn})
}

// Marshal appends the event's canonical encoding to dst: compact JSON,
// members in declaration order, strings escaped as encoding/json escapes
// them, eventTime in RFC 3339 UTC with second precision. Events larger than
// MaxEventBytes are truncated as MaxEventBytes documents. Marshal does not
// validate the raw members; the api builds them.
func (e *Event) Marshal(dst []byte) []byte {
	start := len(dst)
	out := e.appendJSON(dst, e.RequestParameters, e.ResponseElements, e.AdditionalEventData)
	if len(out)-start <= MaxEventBytes {
		return out
	}
	out = e.appendJSON(out[:start], TruncatedMarker, e.ResponseElements, e.AdditionalEventData)
	if len(out)-start <= MaxEventBytes {
		return out
	}
	out = e.appendJSON(out[:start], TruncatedMarker, TruncatedMarker, TruncatedMarker)
	// Still too large: its strings (unauthenticated input among them)
	// are cut, shorter and shorter, until it fits.
	for n := 256; len(out)-start > MaxEventBytes; n /= 4 {
		c := e.clipped(n)
		out = c.appendJSON(out[:start], TruncatedMarker, TruncatedMarker, TruncatedMarker)
	}
	return out
}

// clipped returns a copy of e with every string cut to n bytes and at
// most 4 resources.
func (e *Event) clipped(n int) *Event {
	c := *e
	for _, p := range []*string{&c.EventVersion, &c.EventSource, &c.EventName, &c.AWSRegion, &c.SourceIPAddress,
		&c.UserAgent, &c.ErrorCode, &c.ErrorMessage, &c.RequestID, &c.EventID, &c.EventType, &c.RecipientAccountID,
		&c.EventCategory, &c.UserIdentity.Type, &c.UserIdentity.PrincipalID, &c.UserIdentity.ARN,
		&c.UserIdentity.AccountID, &c.UserIdentity.AccessKeyID, &c.UserIdentity.InvokedBy,
		&c.UserIdentity.UserName, &c.UserIdentity.SessionContext.SessionIssuer.Type,
		&c.UserIdentity.SessionContext.SessionIssuer.PrincipalID, &c.UserIdentity.SessionContext.SessionIssuer.ARN,
		&c.UserIdentity.SessionContext.SessionIssuer.AccountID, &c.UserIdentity.SessionContext.SessionIssuer.UserName} {
		*p = clip(*p, n)
	}
	c.Resources = nil
	for i, r := range e.Resources {
		if i == 4 {
			break
		}
		c.Resources = append(c.Resources, Resource{AccountID: clip(r.AccountID, n), Type: clip(r.Type, n), ARN: clip(r.ARN, n)})
	}
	return &c
}

func (e *Event) appendJSON(b []byte, req, resp, extra json.RawMessage) []byte {
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, e.EventVersion)
	b = append(b, `,"userIdentity":{`...)
	n := len(b)
	b = appendOpt(b, "type", e.UserIdentity.Type)
	b = appendOpt(b, "principalId", e.UserIdentity.PrincipalID)
	b = appendOpt(b, "arn", e.UserIdentity.ARN)
	b = appendOpt(b, "accountId", e.UserIdentity.AccountID)
	b = appendOpt(b, "accessKeyId", e.UserIdentity.AccessKeyID)
	b = appendOpt(b, "userName", e.UserIdentity.UserName)
	if si := &e.UserIdentity.SessionContext.SessionIssuer; *si != (SessionIssuer{}) {
		b = append(b, `"sessionContext":{"sessionIssuer":{`...)
		m := len(b)
		b = appendOpt(b, "type", si.Type)
		b = appendOpt(b, "principalId", si.PrincipalID)
		b = appendOpt(b, "arn", si.ARN)
		b = appendOpt(b, "accountId", si.AccountID)
		b = appendOpt(b, "userName", si.UserName)
		if len(b) > m {
			b = b[:len(b)-1]
		}
		b = append(b, "}},"...)
	}
	b = appendOpt(b, "invokedBy", e.UserIdentity.InvokedBy)
	if len(b) > n {
		b = b[:len(b)-1] // the trailing comma
	}
	b = append(b, `},"eventTime":"`...)
	b = e.EventTime.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	b = append(b, `","eventSource":`...)
	b = appendString(b, e.EventSource)
	b = append(b, `,"eventName":`...)
	b = appendString(b, e.EventName)
	b = append(b, `,"awsRegion":`...)
	b = appendString(b, e.AWSRegion)
	b = append(b, ',')
	b = appendOpt(b, "sourceIPAddress", e.SourceIPAddress)
	b = appendOpt(b, "userAgent", clip(e.UserAgent, maxUserAgent))
	b = appendOpt(b, "errorCode", clip(e.ErrorCode, maxShort))
	b = appendOpt(b, "errorMessage", clip(e.ErrorMessage, maxErrorMessage))
	b = append(b, `"requestParameters":`...)
	b = appendRaw(b, req)
	b = append(b, `,"responseElements":`...)
	b = appendRaw(b, resp)
	if len(extra) > 0 {
		b = append(b, `,"additionalEventData":`...)
		b = append(b, extra...)
	}
	if e.RequestID != "" {
		b = append(b, `,"requestID":`...)
		b = appendString(b, e.RequestID)
	}
	b = append(b, `,"eventID":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	if len(e.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"accountId":`...)
			b = appendString(b, r.AccountID)
			b = append(b, `,"type":`...)
			b = appendString(b, r.Type)
			b = append(b, `,"ARN":`...)
			b = appendString(b, r.ARN)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"eventType":`...)
	b = appendString(b, e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = append(b, `,"recipientAccountId":`...)
	b = appendString(b, e.RecipientAccountID)
	b = append(b, `,"eventCategory":`...)
	b = appendString(b, e.EventCategory)
	return append(b, '}')
}

// Caps of free-text members, so that requestParameters is what truncation
// has to give up.
const (
	maxUserAgent    = 1024
	maxErrorMessage = 2048
	maxShort        = 256
)

// clip cuts s to at most n bytes, at a UTF-8 boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// appendOpt appends "name":"v", (with the comma) when v is not empty.
func appendOpt(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = appendString(b, v)
	return append(b, ',')
}

func appendRaw(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// ParseEvent decodes an event's stored encoding.
func ParseEvent(b []byte) (*Event, error) {
	e := new(Event)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, err
	}
	return e, nil
}

// appendString appends s as a JSON string exactly as encoding/json writes
// it (HTML characters, U+2028/2029 escaped; invalid UTF-8 as \ufffd), so
// that re-encoding a stored event with encoding/json keeps its bytes.
func appendString(dst []byte, s string) []byte { return awsjson.AppendString(dst, s) }

// AppendString appends s as a JSON string; the api uses it to build
// requestParameters without reflection.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// ServiceEvent returns the AwsServiceEvent that records work the service
// did on its own on a key: eventName DeleteKey (scheduled deletion),
// RotateKey (automatic rotation) or DeleteExpiredKeyMaterial, with
// userIdentity {accountId, invokedBy kms.amazonaws.com} as AWS writes it.
func ServiceEvent(name, account, region, keyARN, eventID string, t time.Time) *Event {
	ev := &Event{
		EventVersion:       EventVersion,
		UserIdentity:       Identity{AccountID: account, InvokedBy: SourceKMS},
		EventTime:          t,
		EventSource:        SourceKMS,
		EventName:          name,
		AWSRegion:          region,
		SourceIPAddress:    SourceKMS,
		UserAgent:          SourceKMS,
		EventID:            eventID,
		EventType:          TypeServiceEvent,
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      CategoryManagement,
	}
	ev.AddResource(account, keyARN)
	return ev
}

// SourceIAM is the eventSource of IAM events.
const SourceIAM = "iam.amazonaws.com"

// AdminInvoker is userIdentity.invokedBy, sourceIPAddress and userAgent of
// the events of trent admin commands.
const AdminInvoker = "trent-admin"

// AdminEvent returns the event that records a change an operator made
// with a trent admin command, which reaches the database directly rather
// than through the API (docs/audit.md): eventType AwsServiceEvent, since
// no API call was made; userIdentity {accountId, invokedBy "trent-admin"},
// since no AWS principal made it; additionalEventData {"command": command}.
// Its region is us-east-1, where CloudTrail records IAM's global events.
func AdminEvent(source, name, account, command, eventID string, t time.Time) *Event {
	extra, _ := json.Marshal(map[string]string{"command": command})
	return &Event{
		EventVersion:        EventVersion,
		UserIdentity:        Identity{AccountID: account, InvokedBy: AdminInvoker},
		EventTime:           t,
		EventSource:         source,
		EventName:           name,
		AWSRegion:           "us-east-1",
		SourceIPAddress:     AdminInvoker,
		UserAgent:           AdminInvoker,
		AdditionalEventData: extra,
		EventID:             eventID,
		EventType:           TypeServiceEvent,
		ManagementEvent:     true,
		RecipientAccountID:  account,
		EventCategory:       CategoryManagement,
	}
}
