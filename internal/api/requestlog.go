package api

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/trentkms/trent/internal/service"
)

// RequestObserver is told the outcome of every API request; the metrics
// package implements it. ObserveRequest is on every request's path: it
// must be cheap, allocation-free and safe for concurrent use.
type RequestObserver interface {
	// ObserveRequest records one request. op is the operation the request
	// named ("Encrypt", "CreateUser", "LookupEvents"), unvalidated: it may
	// be empty or any string of up to 64 bytes. code is the error code
	// answered ("" for success) and took the time to answer.
	ObserveRequest(op, code string, took time.Duration)
}

// outcome is what the request log and metrics learn about one API
// request. It lives on ServeHTTP's stack.
type outcome struct {
	reqID  string
	op     string // as the request named it, capped at 64 bytes
	code   string // error code answered; "" for success
	status int
	// account and principal are the authenticated caller's; empty when
	// authentication failed.
	account, principal string
}

// done reports a finished request to the observer and, at debug level,
// the log: one line with the request ID, operation, status, error code,
// duration, account and principal ARN. Nothing from the body (plaintext,
// ciphertext, key material, secrets) is in o, so none can be logged.
func (h *Handler) done(ctx context.Context, o *outcome, start time.Time) {
	took := time.Since(start)
	if h.requests != nil {
		h.requests.ObserveRequest(o.op, o.code, took)
	}
	if !h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	h.log.LogAttrs(ctx, slog.LevelDebug, "request",
		slog.String("request_id", o.reqID),
		slog.String("operation", o.op),
		slog.Int("status", o.status),
		slog.String("error_code", o.code),
		slog.Duration("duration", took),
		slog.String("account", o.account),
		slog.String("principal", o.principal),
	)
}

// Operations returns the name of every operation the handler serves (the
// operation table's: KMS, IAM, STS and CloudTrail LookupEvents), sorted:
// the operation label values a RequestObserver may want to resolve up
// front.
func Operations() []string {
	seen := map[string]bool{}
	for _, op := range service.Operations() {
		seen[op.Name] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
