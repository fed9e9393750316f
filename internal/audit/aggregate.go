package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Requests that fail authentication are not logged one by one: an
// unauthenticated client could otherwise make the server fsync once per
// request. The Aggregator counts them per (event source, source IP, error
// code, claimed access key) and, once per interval, appends one event per
// group with the count, the first and last time and up to MaxSamples
// samples.

// MaxSamples is how many requests an aggregate names.
const MaxSamples = 3

// maxGroups bounds the groups held in one interval; further groups are
// counted in one overflow group (source "overflow").
const maxGroups = 10000

// Unauthenticated describes one request that failed authentication.
type Unauthenticated struct {
	SourceIP    string
	ErrorCode   string
	AccessKeyID string // claimed, unverified; "" if none
	EventName   string // from the target, unverified
	EventSource string
	Region      string // claimed, unverified
	UserAgent   string
	RequestID   string
	Time        time.Time
	Message     string
}

type aggKey struct{ src, ip, code, akid string }

type aggregate struct {
	first   Unauthenticated
	count   int64
	last    time.Time
	samples []sample
}

type sample struct {
	RequestID string `json:"requestID"`
	EventTime string `json:"eventTime"`
}

// AggregatorConfig configures an Aggregator.
type AggregatorConfig struct {
	// Append writes the aggregate events (Writer.Append).
	Append func(ctx context.Context, ev *Event) error
	// Interval between flushes; zero means 10 s.
	Interval time.Duration
	// Account is recipientAccountId of the aggregates (the deployment's
	// first account); unauthenticated requests belong to none.
	Account string
	Logger  *slog.Logger
	NewID   func() string
}

// Aggregator counts unauthenticated requests. Add is cheap and never
// blocks on I/O. Safe for concurrent use.
type Aggregator struct {
	cfg    AggregatorConfig
	mu     sync.Mutex // guards groups
	groups map[aggKey]*aggregate
}

// NewAggregator returns an Aggregator; call Run to flush periodically.
func NewAggregator(cfg AggregatorConfig) *Aggregator {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Aggregator{cfg: cfg, groups: make(map[aggKey]*aggregate)}
}

// Add counts u.
func (a *Aggregator) Add(u Unauthenticated) {
	k := aggKey{u.EventSource, u.SourceIP, u.ErrorCode, clip(u.AccessKeyID, 128)}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.groups[k]
	if g == nil {
		if len(a.groups) >= maxGroups {
			k = aggKey{ip: "overflow"}
			u.SourceIP, u.ErrorCode, u.AccessKeyID = "overflow", "", ""
			g = a.groups[k]
		}
		if g == nil {
			g = &aggregate{first: u}
			a.groups[k] = g
		}
	}
	g.count++
	g.last = u.Time
	if len(g.samples) < MaxSamples {
		g.samples = append(g.samples, sample{RequestID: u.RequestID, EventTime: u.Time.UTC().Format(time.RFC3339Nano)})
	}
}

// Run flushes every interval until ctx ends, then flushes once more.
func (a *Aggregator) Run(ctx context.Context) {
	t := time.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.Flush(ctx)
		case <-ctx.Done():
			a.Flush(context.WithoutCancel(ctx))
			return
		}
	}
}

// Flush appends one event per group counted since the last flush and
// returns how many it appended.
func (a *Aggregator) Flush(ctx context.Context) int {
	a.mu.Lock()
	groups := a.groups
	a.groups = make(map[aggKey]*aggregate)
	a.mu.Unlock()
	n := 0
	for _, g := range groups {
		if err := a.cfg.Append(ctx, a.event(g)); err != nil {
			a.cfg.Logger.Error("audit: aggregate of unauthenticated requests not written", "source", g.first.SourceIP, "count", g.count, "err", err)
			continue
		}
		n++
	}
	return n
}

func (a *Aggregator) event(g *aggregate) *Event {
	u := g.first
	extra, _ := json.Marshal(struct {
		Aggregated bool     `json:"trentAggregated"`
		Count      int64    `json:"count"`
		FirstTime  string   `json:"firstEventTime"`
		LastTime   string   `json:"lastEventTime"`
		Samples    []sample `json:"samples"`
	}{true, g.count, u.Time.UTC().Format(time.RFC3339Nano), g.last.UTC().Format(time.RFC3339Nano), g.samples})
	id := ""
	if a.cfg.NewID != nil {
		id = a.cfg.NewID()
	}
	src := u.EventSource
	if src == "" {
		src = SourceKMS
	}
	return &Event{
		EventVersion:        EventVersion,
		UserIdentity:        Identity{Type: "Unknown", AccessKeyID: u.AccessKeyID},
		EventTime:           u.Time,
		EventSource:         src,
		EventName:           u.EventName,
		AWSRegion:           u.Region,
		SourceIPAddress:     u.SourceIP,
		UserAgent:           u.UserAgent,
		ErrorCode:           u.ErrorCode,
		ErrorMessage:        u.Message,
		AdditionalEventData: extra,
		RequestID:           u.RequestID,
		EventID:             id,
		ReadOnly:            false,
		EventType:           TypeAPICall,
		ManagementEvent:     true,
		RecipientAccountID:  a.cfg.Account,
		EventCategory:       CategoryManagement,
	}
}

// countOf reads an aggregate's count from its additionalEventData (for
// tests and tools); 1 for a plain event.
func countOf(ev *Event) int64 {
	if len(ev.AdditionalEventData) == 0 {
		return 1
	}
	var x struct {
		Aggregated bool  `json:"trentAggregated"`
		Count      int64 `json:"count"`
	}
	if json.Unmarshal(ev.AdditionalEventData, &x) != nil || !x.Aggregated {
		return 1
	}
	return x.Count
}

// Count is how many requests ev stands for: its aggregate count, or 1.
func Count(ev *Event) int64 { return countOf(ev) }
