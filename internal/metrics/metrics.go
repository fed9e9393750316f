// Package metrics exposes Trent's Prometheus metrics: requests and their
// latency by operation, the audit writer's batches and commits, keys by
// state, the keyring cache, the seal state, the audit disk's free space,
// and the Go runtime and process.
//
// It is the only package that imports the Prometheus client. The request
// path reaches it through api.RequestObserver and the audit writer through
// its OnCommit hook; everything else (key counts, cache counters, disk
// space) is read when Prometheus scrapes, never per request.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trentkms/trent/internal/keyring"
)

// Label values used when the real value is not one the registry resolved
// up front: an operation the handler does not serve (the name is
// unauthenticated input), and error codes past MaxErrorCodes for one
// operation.
const (
	OtherOperation = "other"
	OtherCode      = "other"
	// OKCode is the code label of successful requests.
	OKCode = "OK"
	// MaxErrorCodes bounds the distinct error codes counted per operation.
	MaxErrorCodes = 64
)

// KeyStates are the states a KMS key can be in; each is exported (as 0 when
// no key is in it) so that series do not appear and vanish.
var KeyStates = []string{"Creating", "Enabled", "Disabled", "PendingDeletion", "PendingImport",
	"PendingReplicaDeletion", "Unavailable", "Updating"}

// Config is what the metrics read. Every func may be nil, which leaves its
// metrics out.
type Config struct {
	// Operations are the operations counted under their own label value
	// (api.Operations()); requests naming anything else count as
	// OtherOperation.
	Operations []string
	// CountKeys returns the number of keys in each state. It is called
	// when Prometheus scrapes, at most once per KeyCountEvery (default 10
	// s); scrapes in between report the cached counts.
	CountKeys     func(ctx context.Context) (map[string]int64, error)
	KeyCountEvery time.Duration
	// Cache returns the keyring cache's counters (keyring.Keyring.Stats).
	Cache func() keyring.CacheStats
	// Unsealed reports whether the node holds its domain key.
	Unsealed func() bool
	// FreeDisk returns the free bytes where the audit log is written;
	// MinFreeDisk is the threshold below which /readyz fails.
	FreeDisk    func() (int64, error)
	MinFreeDisk int64
	Logger      *slog.Logger
	// Now is the clock for KeyCountEvery; nil means time.Now.
	Now func() time.Time
}

// Metrics is the registry and the hot-path observers. Its methods are safe
// for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	// ops is built in New and only read afterwards: the per-operation
	// children, resolved once, so that a request costs a map lookup, an
	// atomic add and a histogram observe.
	ops   map[string]*opMetrics
	other *opMetrics

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	auditBatch    prometheus.Histogram
	auditCommit   prometheus.Histogram
	auditFailures prometheus.Counter
}

// opMetrics are one operation's resolved children.
type opMetrics struct {
	name    string
	ok      prometheus.Counter
	latency prometheus.Observer
	// errs maps an error code to its counter: copy on write, so reads take
	// no lock; mu serialises the writers.
	errs atomic.Pointer[map[string]prometheus.Counter]
	mu   sync.Mutex
}

// New registers the metrics. It panics if cfg names an operation twice
// (programmer error).
func New(cfg Config) *Metrics {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeyCountEvery <= 0 {
		cfg.KeyCountEvery = 10 * time.Second
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		ops: make(map[string]*opMetrics, len(cfg.Operations)+1),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trent_requests_total",
			Help: "API requests answered, by operation and error code (OK for success).",
		}, []string{"operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trent_request_duration_seconds",
			Help:    "Time to answer an API request, by operation (including the audit append).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
		auditBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trent_audit_batch_events",
			Help:    "Events per audit append transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		auditCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trent_audit_commit_duration_seconds",
			Help:    "Time of one audit append transaction, fsync included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trent_audit_commit_failures_total",
			Help: "Audit append transactions that failed (requests waiting on them were refused).",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.auditBatch, m.auditCommit, m.auditFailures,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, op := range cfg.Operations {
		if m.ops[op] != nil {
			panic("metrics: operation " + op + " named twice")
		}
		m.ops[op] = m.newOp(op)
	}
	m.other = m.newOp(OtherOperation)

	if cfg.CountKeys != nil {
		reg.MustRegister(&keyCounter{count: cfg.CountKeys, every: cfg.KeyCountEvery, now: cfg.Now, log: cfg.Logger,
			desc: prometheus.NewDesc("trent_keys", "KMS keys by state (counted at most every 10 s).", []string{"state"}, nil)})
	}
	if cfg.Cache != nil {
		reg.MustRegister(&cacheCollector{stats: cfg.Cache})
	}
	if cfg.Unsealed != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trent_unsealed",
			Help: "1 when the node holds its domain key (unsealed), 0 when sealed.",
		}, func() float64 {
			if cfg.Unsealed() {
				return 1
			}
			return 0
		}))
	}
	if cfg.FreeDisk != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trent_audit_disk_free_bytes",
			Help: "Free bytes on the file system holding the audit log (the data directory); -1 when unknown.",
		}, func() float64 {
			n, err := cfg.FreeDisk()
			if err != nil {
				return -1
			}
			return float64(n)
		}))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trent_audit_min_free_disk_bytes",
			Help: "The --min-free-disk threshold: below it /readyz reports not ready.",
		}, func() float64 { return float64(cfg.MinFreeDisk) }))
	}
	return m
}

func (m *Metrics) newOp(name string) *opMetrics {
	o := &opMetrics{name: name, ok: m.requests.WithLabelValues(name, OKCode), latency: m.latency.WithLabelValues(name)}
	o.errs.Store(&map[string]prometheus.Counter{})
	return o
}

// ObserveRequest implements api.RequestObserver: one atomic add and one
// histogram observe for a known operation and a code seen before, no
// allocation.
func (m *Metrics) ObserveRequest(op, code string, took time.Duration) {
	o := m.ops[op]
	if o == nil {
		o = m.other
	}
	o.latency.Observe(took.Seconds())
	if code == "" {
		o.ok.Inc()
		return
	}
	o.errCounter(m.requests, code).Inc()
}

// errCounter returns the counter of code, resolving it the first time.
func (o *opMetrics) errCounter(vec *prometheus.CounterVec, code string) prometheus.Counter {
	if c, ok := (*o.errs.Load())[code]; ok {
		return c
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.errs.Load()
	if c, ok := old[code]; ok {
		return c
	}
	label := code
	if len(old) >= MaxErrorCodes {
		label = OtherCode
		if c, ok := old[OtherCode]; ok {
			return c
		}
	}
	c := vec.WithLabelValues(o.name, label)
	next := make(map[string]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[label] = c
	o.errs.Store(&next)
	return c
}

// ObserveAuditCommit is the audit writer's OnCommit hook.
func (m *Metrics) ObserveAuditCommit(events int, took time.Duration, err error) {
	if err != nil {
		m.auditFailures.Inc()
		return
	}
	m.auditBatch.Observe(float64(events))
	m.auditCommit.Observe(took.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the registry the metrics are in, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
