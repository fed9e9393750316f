package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRunner counts RunDue calls and records the clock it saw.
type fakeRunner struct {
	calls atomic.Int64
	clock *offsetClock
	seen  atomic.Int64 // key clock's Unix seconds at the last call
}

func (f *fakeRunner) RunDue(context.Context) (int, int, error) {
	f.calls.Add(1)
	if f.clock != nil {
		f.seen.Store(f.clock.Now().Unix())
	}
	return 1, 2, nil
}

func TestTestingClockHandler(t *testing.T) {
	clk := &offsetClock{}
	r := &fakeRunner{clock: clk}
	h := testingClockHandler(clk, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name, method, query string
		status              int
	}{
		{"get", http.MethodGet, "?advance=1h", http.StatusMethodNotAllowed},
		{"not a duration", http.MethodPost, "?advance=30d", http.StatusBadRequest},
		{"negative", http.MethodPost, "?advance=-1h", http.StatusBadRequest},
		{"ok", http.MethodPost, "?advance=720h", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, "/_trent/testing/clock"+tt.query, nil))
			if w.Code != tt.status {
				t.Errorf("HTTP %d, want %d", w.Code, tt.status)
			}
		})
	}
	if r.calls.Load() != 1 {
		t.Fatalf("RunDue called %d times, want once (only for the accepted request)", r.calls.Load())
	}
	want := time.Now().Add(720 * time.Hour)
	if got := time.Unix(r.seen.Load(), 0); got.Sub(want).Abs() > time.Minute {
		t.Errorf("RunDue saw the key clock at %v, want about %v", got, want)
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_trent/testing/clock", nil))
	var out struct{ Now int64 }
	if err := json.NewDecoder(w.Body).Decode(&out); err != nil || w.Code != http.StatusOK {
		t.Fatalf("without advance: HTTP %d, %v", w.Code, err)
	}
	if got := time.Unix(out.Now, 0); got.Sub(want).Abs() > time.Minute {
		t.Errorf("now = %v, want about %v (the clock does not move back)", got, want)
	}
}

// TestSchedulerStops checks that the scheduler runs at once, on its
// interval, and returns when its context ends.
func TestSchedulerStops(t *testing.T) {
	r := &fakeRunner{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go runScheduler(ctx, r, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)), done)
	deadline := time.Now().Add(10 * time.Second)
	for r.calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not stop")
	}
	if r.calls.Load() < 3 {
		t.Errorf("RunDue ran %d times, want at least 3", r.calls.Load())
	}
}
