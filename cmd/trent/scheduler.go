package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// scheduleInterval is how often a node runs the due time-driven work
// (deletions whose window ended, automatic rotations). A due item happens
// within about this long of its time.
const scheduleInterval = 30 * time.Second

// dueRunner is the service's scheduled work.
type dueRunner interface {
	RunDue(ctx context.Context) (deleted, rotated int, err error)
}

// runScheduler runs r.RunDue once at once and then every interval until
// ctx ends. It closes done when it returns.
func runScheduler(ctx context.Context, r dueRunner, interval time.Duration, logger *slog.Logger, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		runDue(ctx, r, logger)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func runDue(ctx context.Context, r dueRunner, logger *slog.Logger) {
	deleted, rotated, err := r.RunDue(ctx)
	if err != nil && ctx.Err() == nil {
		logger.Error("scheduled work", "deleted", deleted, "rotated", rotated, "err", err)
		return
	}
	if deleted > 0 || rotated > 0 {
		logger.Info("scheduled work", "deleted", deleted, "rotated", rotated)
	}
}

// offsetClock is the key clock of a server started with --testing-clock:
// the real time plus an offset that only moves forward. It is safe for
// concurrent use.
type offsetClock struct {
	offset atomic.Int64 // nanoseconds
}

func (c *offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// testingClockHandler serves POST /_trent/testing/clock?advance=<duration>:
// it moves the key clock forward by the Go duration given (0 is allowed),
// runs the due work once and answers {"now": <epoch seconds>} with the key
// clock's new time. For tests only: it has no authentication.
func testingClockHandler(c *offsetClock, r dueRunner, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var d time.Duration
		if s := req.URL.Query().Get("advance"); s != "" {
			var err error
			if d, err = time.ParseDuration(s); err != nil || d < 0 {
				http.Error(w, "advance must be a non-negative Go duration such as 720h", http.StatusBadRequest)
				return
			}
		}
		c.offset.Add(int64(d))
		deleted, rotated, err := r.RunDue(req.Context())
		if err != nil {
			logger.Error("scheduled work after moving the testing clock", "err", err)
			http.Error(w, "scheduled work failed: see the server log", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Now     int64 `json:"now"`
			Deleted int   `json:"deleted"`
			Rotated int   `json:"rotated"`
		}{c.Now().Unix(), deleted, rotated})
	})
}
