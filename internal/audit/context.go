package audit

import (
	"context"
	"sync"
)

// A request's pending event travels in its context from the api through
// the service into the store. The store appends it in the same
// transaction as the first change the request makes (so a change and its
// event commit together or not at all) and marks it written; the api
// appends it through the Writer afterwards only if nothing wrote it.

type ctxKey struct{}

// pending is a request's event and whether a transaction has committed it.
type pending struct {
	mu      sync.Mutex // guards ev's Resources (SetResource) and written
	ev      *Event
	written bool
}

// NewContext returns ctx carrying ev as the request's pending event.
func NewContext(ctx context.Context, ev *Event) context.Context {
	return context.WithValue(ctx, ctxKey{}, &pending{ev: ev})
}

func fromContext(ctx context.Context) *pending {
	p, _ := ctx.Value(ctxKey{}).(*pending)
	return p
}

// FromContext returns the request's pending event, or nil. Code that sets
// fields on it (a service recording responseElements before its write)
// must do so before the store call that writes it.
func FromContext(ctx context.Context) *Event {
	if p := fromContext(ctx); p != nil {
		return p.ev
	}
	return nil
}

// SetResource records that the request acts on the KMS key arn of account
// (resources[]). It does nothing when ctx carries no event or the event is
// already written. Safe for concurrent use.
func SetResource(ctx context.Context, account, arn string) {
	p := fromContext(ctx)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.written {
		p.ev.AddResource(account, arn)
	}
}

// Written reports whether a transaction has committed ctx's event.
func Written(ctx context.Context) bool {
	p := fromContext(ctx)
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// Pending is how a store's write transaction takes ctx's event: it returns
// the event when ctx carries one that no transaction has committed, and a
// commit function to call once the transaction has committed. ok is false
// when there is nothing to write. A transaction that fails must not call
// commit; the event stays pending.
func Pending(ctx context.Context) (ev *Event, commit func(), ok bool) {
	p := fromContext(ctx)
	if p == nil {
		return nil, nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written {
		return nil, nil, false
	}
	return p.ev, func() {
		p.mu.Lock()
		p.written = true
		p.mu.Unlock()
	}, true
}

// SetResponse records v, encoded with encoding/json with its first-level
// member names in camelCase as CloudTrail writes them, as the pending
// event's responseElements. A service calls it before the store write that
// commits the event; v must hold nothing secret. It does nothing when ctx
// carries no event, the event is written, or v does not encode.
func SetResponse(ctx context.Context, v any) {
	p := fromContext(ctx)
	if p == nil {
		return
	}
	b, err := CamelJSON(v)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.written {
		p.ev.ResponseElements = b
	}
}
