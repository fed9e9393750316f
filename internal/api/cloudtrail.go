package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/service"
)

// CloudTrail's LookupEvents, served on the KMS listener for the audit log
// (AWS JSON 1.1, SigV4 service "cloudtrail"). A caller sees only its own
// account's events.

const cloudTrailPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."

// lookupEventsTarget is the one CloudTrail operation served.
const lookupEventsTarget = cloudTrailPrefix + "LookupEvents"

// lookupEventsOp is its entry in the operation table, and
// lookupEventsParams the members its events record.
var (
	lookupEventsOp     = service.Lookup(service.APICloudTrail, "LookupEvents")
	lookupEventsParams = mustMembers(reflect.TypeFor[lookupEventsInput](), lookupEventsOp.Request)
)

func mustMembers(t reflect.Type, names []string) *audit.Members {
	m, err := audit.NewMembers(t, names)
	if err != nil {
		panic("api: " + err.Error())
	}
	return m
}

// AuthorizeLookup decides whether c may read its account's events
// (cloudtrail:LookupEvents). It returns nil to allow.
//
// INTEGRATION HOOK: until identity policies exist only the account root
// is allowed; the access-control work replaces Config.AuthorizeLookup with
// a check of cloudtrail:LookupEvents in the caller's identity policy.
type AuthorizeLookup func(ctx context.Context, c *service.Caller) error

// RootOnlyLookup is the default AuthorizeLookup: the account root only.
func RootOnlyLookup(_ context.Context, c *service.Caller) error {
	if strings.HasSuffix(c.ARN, ":root") {
		return nil
	}
	return LookupDenied(c)
}

// LookupDenied is the refusal of LookupEvents to c.
func LookupDenied(c *service.Caller) error {
	action := lookupEventsOp.Actions[0].Name
	return errors.New("User: " + c.ARN + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action")
}

type lookupAttribute struct {
	AttributeKey   string `json:"AttributeKey"`
	AttributeValue string `json:"AttributeValue"`
}

type lookupEventsInput struct {
	LookupAttributes []*lookupAttribute `json:"LookupAttributes"`
	StartTime        *float64           `json:"StartTime"`
	EndTime          *float64           `json:"EndTime"`
	MaxResults       *int               `json:"MaxResults"`
	NextToken        *string            `json:"NextToken"`
	EventCategory    *string            `json:"EventCategory"`
}

type lookupResource struct {
	ResourceType string `json:"ResourceType"`
	ResourceName string `json:"ResourceName"`
}

type lookupEvent struct {
	EventId         string           `json:"EventId"`
	EventName       string           `json:"EventName"`
	ReadOnly        string           `json:"ReadOnly"`
	AccessKeyId     string           `json:"AccessKeyId,omitempty"`
	EventTime       float64          `json:"EventTime"`
	EventSource     string           `json:"EventSource"`
	Username        string           `json:"Username,omitempty"`
	Resources       []lookupResource `json:"Resources"`
	CloudTrailEvent string           `json:"CloudTrailEvent"`
}

type lookupEventsOutput struct {
	Events    []lookupEvent `json:"Events"`
	NextToken *string       `json:"NextToken,omitempty"`
}

// lookupScanBudget bounds the records one LookupEvents call reads when
// filtering on attributes the store does not index; past it the call
// returns what it found with a NextToken.
const lookupScanBudget = 20000

func (h *Handler) serveCloudTrail(w http.ResponseWriter, r *http.Request, o *outcome, reqID, target string, body []byte, c *service.Caller, now time.Time) {
	ctx := r.Context()
	var ev *audit.Event
	if h.audit != nil {
		ev = h.newEvent(r, reqID, audit.SourceCloudTrail, opName(target), false, c, now)
	}
	if target != lookupEventsTarget || h.trail == nil {
		h.fail(ctx, w, o, ev, wireError{"UnknownOperationException", 400, ""})
		return
	}
	var in lookupEventsInput
	if msg := decodeLookupEvents(body, &in); msg != "" {
		h.fail(ctx, w, o, ev, wireError{"SerializationException", 400, msg})
		return
	}
	if ev != nil {
		ev.RequestParameters = lookupEventsParams.JSON(&in)
	}
	authorize := h.authorizeLookup
	if authorize == nil {
		authorize = RootOnlyLookup
	}
	if err := authorize(ctx, c); err != nil {
		h.fail(ctx, w, o, ev, wireError{"AccessDeniedException", 400, err.Error()})
		return
	}
	out, we := h.lookupEvents(ctx, c, &in)
	if we != nil {
		h.fail(ctx, w, o, ev, *we)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.fail(ctx, w, o, ev, errInternal)
		return
	}
	if !h.finish(ctx, ev, nil) {
		h.writeError(w, o, errInternal)
		return
	}
	writeJSON(w, b)
}

// decodeLookupEvents decodes LookupEvents' body with encoding/json (the
// CloudTrail API keeps its own codec), refusing a null element of
// LookupAttributes, which AWS's JSON protocol refuses and encoding/json
// takes. It returns the SerializationException message, or "".
func decodeLookupEvents(body []byte, in *lookupEventsInput) string {
	if len(body) == 0 {
		return ""
	}
	err := json.Unmarshal(body, in)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return msgWrongType(te.Field)
	case err != nil:
		return msgBadJSON
	case slices.Contains(in.LookupAttributes, nil):
		return msgWrongType("LookupAttributes")
	}
	return ""
}

// lookupEvents runs the query: the store filters on account, time, event
// name and key; the other attributes are matched here.
func (h *Handler) lookupEvents(ctx context.Context, c *service.Caller, in *lookupEventsInput) (*lookupEventsOutput, *wireError) {
	max := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, &wireError{"InvalidMaxResultsException", 400, "Value for MaxResults is invalid. It must be between 1 and 50."}
		}
		max = *in.MaxResults
	}
	q := audit.Query{Account: c.Account, Limit: 200}
	if in.StartTime != nil {
		q.Start = epochTime(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = epochTime(*in.EndTime).Add(time.Nanosecond) // EndTime is inclusive
	}
	if in.StartTime != nil && in.EndTime != nil && *in.StartTime > *in.EndTime {
		return nil, &wireError{"InvalidTimeRangeException", 400, "Start time must be before end time."}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, &wireError{"InvalidLookupAttributesException", 400, "You cannot specify more than one lookup attribute."}
	}
	var match func(r *audit.Record, ev *audit.Event) bool
	for _, a := range in.LookupAttributes {
		v := a.AttributeValue
		if v == "" {
			return nil, &wireError{"InvalidLookupAttributesException", 400, "AttributeValue must not be empty."}
		}
		switch a.AttributeKey {
		case "EventName":
			q.EventName = v
		case "ResourceName":
			if strings.HasPrefix(v, "arn:") {
				q.KeyARN = v
			} else {
				match = func(r *audit.Record, _ *audit.Event) bool {
					for _, arn := range strings.Split(r.KeyARNs, ",") {
						if strings.HasSuffix(arn, "/"+v) || arn == v {
							return true
						}
					}
					return false
				}
			}
		case "Username":
			match = func(_ *audit.Record, ev *audit.Event) bool { return username(ev) == v }
		case "EventId":
			match = func(_ *audit.Record, ev *audit.Event) bool { return ev.EventID == v }
		case "AccessKeyId":
			match = func(_ *audit.Record, ev *audit.Event) bool { return ev.UserIdentity.AccessKeyID == v }
		case "ReadOnly":
			match = func(_ *audit.Record, ev *audit.Event) bool { return strconv.FormatBool(ev.ReadOnly) == v }
		case "EventSource":
			match = func(_ *audit.Record, ev *audit.Event) bool { return ev.EventSource == v }
		case "ResourceType":
			match = func(r *audit.Record, _ *audit.Event) bool { return v == audit.ResourceTypeKey && r.KeyARNs != "" }
		default:
			return nil, &wireError{"InvalidLookupAttributesException", 400, "Unsupported lookup attribute key: " + a.AttributeKey}
		}
	}
	if in.NextToken != nil {
		seq, ok := parseNextToken(*in.NextToken)
		if !ok {
			return nil, &wireError{"InvalidNextTokenException", 400, "Invalid NextToken."}
		}
		q.BeforeSeq = seq
	}
	out := &lookupEventsOutput{Events: []lookupEvent{}}
	scanned := 0
	for {
		recs, err := h.trail.QueryAudit(ctx, q)
		if err != nil {
			h.log.ErrorContext(ctx, "lookup events", "err", err)
			return nil, &errInternal
		}
		for i := range recs {
			r := &recs[i]
			q.BeforeSeq = r.Seq
			scanned++
			ev, err := audit.ParseEvent(r.Event)
			if err != nil {
				continue
			}
			if match != nil && !match(r, ev) {
				continue
			}
			out.Events = append(out.Events, toLookupEvent(r, ev))
			if len(out.Events) == max {
				if i < len(recs)-1 || len(recs) == q.Limit {
					tok := nextToken(r.Seq)
					out.NextToken = &tok
				}
				return out, nil
			}
		}
		if len(recs) < q.Limit {
			return out, nil
		}
		if scanned >= lookupScanBudget {
			tok := nextToken(q.BeforeSeq)
			out.NextToken = &tok
			return out, nil
		}
	}
}

func epochTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func nextToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("trent-audit:" + strconv.FormatInt(seq, 10)))
}

func parseNextToken(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "trent-audit:")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	return seq, err == nil && seq > 0
}

// username is CloudTrail's Username of an event: "root" for the account
// root, the user name of an IAM user, the session name of an assumed
// role, else the ARN.
func username(ev *audit.Event) string {
	arn := ev.UserIdentity.ARN
	switch {
	case arn == "":
		return ""
	case strings.HasSuffix(arn, ":root"):
		return "root"
	}
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func toLookupEvent(r *audit.Record, ev *audit.Event) lookupEvent {
	le := lookupEvent{
		EventId:         ev.EventID,
		EventName:       ev.EventName,
		ReadOnly:        strconv.FormatBool(ev.ReadOnly),
		AccessKeyId:     ev.UserIdentity.AccessKeyID,
		EventTime:       float64(ev.EventTime.Unix()),
		EventSource:     ev.EventSource,
		Username:        username(ev),
		Resources:       []lookupResource{},
		CloudTrailEvent: string(r.Event),
	}
	for _, res := range ev.Resources {
		le.Resources = append(le.Resources, lookupResource{ResourceType: res.Type, ResourceName: res.ARN})
	}
	return le
}
