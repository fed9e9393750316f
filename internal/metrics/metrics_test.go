package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
)

// scrape returns the text exposition.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestExposition(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var countCalls int
	counts := map[string]int64{"Enabled": 3, "PendingDeletion": 1}
	m := New(Config{
		Operations: []string{"Encrypt", "Decrypt", "CreateUser"},
		CountKeys: func(ctx context.Context) (map[string]int64, error) {
			countCalls++
			if countCalls == 3 {
				return nil, errors.New("store down")
			}
			return counts, nil
		},
		Cache: func() keyring.CacheStats {
			return keyring.CacheStats{Hits: 90, Misses: 10, Loads: 9, Entries: 4, Bytes: 512}
		},
		Unsealed:    func() bool { return true },
		FreeDisk:    func() (int64, error) { return 5 << 30, nil },
		MinFreeDisk: 1 << 30,
		Now:         clock.Now,
	})
	m.ObserveRequest("Encrypt", "", 2*time.Millisecond)
	m.ObserveRequest("Encrypt", "", 3*time.Millisecond)
	m.ObserveRequest("Encrypt", "NotFoundException", time.Millisecond)
	m.ObserveRequest("CreateUser", "AccessDenied", time.Millisecond)
	m.ObserveRequest("NoSuchOp", "UnknownOperationException", time.Millisecond)
	m.ObserveRequest("", "IncompleteSignatureException", time.Millisecond)
	m.ObserveAuditCommit(7, 4*time.Millisecond, nil)
	m.ObserveAuditCommit(1, time.Millisecond, errors.New("disk full"))

	text := scrape(t, m)
	for _, want := range []string{
		`trent_requests_total{code="OK",operation="Encrypt"} 2`,
		`trent_requests_total{code="NotFoundException",operation="Encrypt"} 1`,
		`trent_requests_total{code="AccessDenied",operation="CreateUser"} 1`,
		`trent_requests_total{code="UnknownOperationException",operation="other"} 1`,
		`trent_requests_total{code="IncompleteSignatureException",operation="other"} 1`,
		`trent_requests_total{code="OK",operation="Decrypt"} 0`,
		`trent_request_duration_seconds_count{operation="Encrypt"} 3`,
		`trent_request_duration_seconds_bucket{operation="Encrypt",le="0.0025"} 2`,
		`trent_audit_batch_events_count 1`,
		`trent_audit_batch_events_sum 7`,
		`trent_audit_commit_duration_seconds_count 1`,
		`trent_audit_commit_failures_total 1`,
		`trent_keys{state="Enabled"} 3`,
		`trent_keys{state="PendingDeletion"} 1`,
		`trent_keys{state="Disabled"} 0`,
		`trent_keyring_cache_hits_total 90`,
		`trent_keyring_cache_misses_total 10`,
		`trent_keyring_cache_loads_total 9`,
		`trent_keyring_cache_entries 4`,
		`trent_keyring_cache_bytes 512`,
		`trent_unsealed 1`,
		`trent_audit_disk_free_bytes 5.36870912e+09`,
		`trent_audit_min_free_disk_bytes 1.073741824e+09`,
		`go_goroutines `,
		`process_`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if strings.Contains(text, `operation="NoSuchOp"`) {
		t.Error("an unknown operation name became a label value")
	}

	// Key counts are cached: a scrape within 10 s does not query.
	tests := []struct {
		name      string
		advance   time.Duration
		wantCalls int
		wantLine  string
	}{
		{"within the interval", 5 * time.Second, 1, `trent_keys{state="Enabled"} 3`},
		{"after the interval", 6 * time.Second, 2, `trent_keys{state="Enabled"} 5`},
		{"store failing keeps the last counts", 11 * time.Second, 3, `trent_keys{state="Enabled"} 5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			counts = map[string]int64{"Enabled": 5}
			clock.Add(tc.advance)
			text := scrape(t, m)
			if countCalls != tc.wantCalls {
				t.Errorf("store counted %d times, want %d", countCalls, tc.wantCalls)
			}
			if !strings.Contains(text, tc.wantLine) {
				t.Errorf("exposition lacks %q", tc.wantLine)
			}
		})
	}
}

func TestErrorCodesBounded(t *testing.T) {
	m := New(Config{Operations: []string{"Encrypt"}})
	for i := range MaxErrorCodes + 10 {
		m.ObserveRequest("Encrypt", "Code"+strings.Repeat("x", i), time.Millisecond)
	}
	text := scrape(t, m)
	if n := strings.Count(text, `trent_requests_total{code="Code`); n != MaxErrorCodes {
		t.Errorf("%d distinct codes exported, want %d", n, MaxErrorCodes)
	}
	if !strings.Contains(text, `trent_requests_total{code="other",operation="Encrypt"} 10`) {
		t.Error("codes past the bound are not counted as other")
	}
}

func TestObserveRequestAllocatesNothing(t *testing.T) {
	m := New(Config{Operations: []string{"Encrypt"}})
	m.ObserveRequest("Encrypt", "NotFoundException", time.Millisecond) // resolve the code once
	tests := []struct{ name, op, code string }{
		{"success", "Encrypt", ""},
		{"known error", "Encrypt", "NotFoundException"},
		{"unknown operation", "Bogus", ""},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(1000, func() { m.ObserveRequest(tc.op, tc.code, time.Millisecond) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", tc.name, n)
		}
	}
}

func TestConcurrentObserve(t *testing.T) {
	m := New(Config{Operations: []string{"Encrypt"}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				m.ObserveRequest("Encrypt", []string{"", "A", "B", "C"}[(g+i)%4], time.Microsecond)
			}
		}()
	}
	wg.Wait()
	text := scrape(t, m)
	if !strings.Contains(text, `trent_request_duration_seconds_count{operation="Encrypt"} 8000`) {
		t.Error("lost observations under concurrency")
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := New(Config{Operations: []string{"Encrypt", "Decrypt"}})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("Encrypt", "", time.Millisecond)
		}
	})
}
