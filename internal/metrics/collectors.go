package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trentkms/trent/internal/keyring"
)

// keyCounter exports trent_keys{state}: the store is asked at most once
// per every; scrapes in between (and scrapes while the store fails) get
// the last counts.
type keyCounter struct {
	count func(ctx context.Context) (map[string]int64, error)
	every time.Duration
	now   func() time.Time
	log   *slog.Logger
	desc  *prometheus.Desc

	mu     sync.Mutex // guards the fields below and serialises the query
	last   map[string]int64
	asked  time.Time
	loaded bool
}

// keyCountTimeout bounds the count query of one scrape.
const keyCountTimeout = 2 * time.Second

func (k *keyCounter) Describe(ch chan<- *prometheus.Desc) { ch <- k.desc }

func (k *keyCounter) Collect(ch chan<- prometheus.Metric) {
	for state, n := range k.counts() {
		ch <- prometheus.MustNewConstMetric(k.desc, prometheus.GaugeValue, float64(n), state)
	}
}

func (k *keyCounter) counts() map[string]int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.loaded || now.Sub(k.asked) >= k.every {
		k.asked, k.loaded = now, true
		// Prometheus's Collect carries no context; the query gets its
		// own deadline so that a stuck store cannot hang scrapes.
		ctx, cancel := context.WithTimeout(context.Background(), keyCountTimeout)
		got, err := k.count(ctx)
		cancel()
		if err != nil {
			k.log.Warn("metrics: count keys by state", "err", err)
		} else {
			k.last = got
		}
	}
	out := make(map[string]int64, len(KeyStates)+len(k.last))
	for _, s := range KeyStates {
		out[s] = 0
	}
	for s, n := range k.last {
		out[s] = n
	}
	return out
}

// cacheCollector exports the keyring cache's counters.
type cacheCollector struct {
	stats func() keyring.CacheStats
}

var (
	cacheHits      = prometheus.NewDesc("trent_keyring_cache_hits_total", "Key material lookups answered from the keyring cache.", nil, nil)
	cacheMisses    = prometheus.NewDesc("trent_keyring_cache_misses_total", "Key material lookups not in the keyring cache.", nil, nil)
	cacheLoads     = prometheus.NewDesc("trent_keyring_cache_loads_total", "Key material unwraps caused by misses (concurrent misses share one).", nil, nil)
	cacheEvictions = prometheus.NewDesc("trent_keyring_cache_evictions_total", "Key materials evicted from the keyring cache for room.", nil, nil)
	cacheEntries   = prometheus.NewDesc("trent_keyring_cache_entries", "Key materials in the keyring cache.", nil, nil)
	cacheBytes     = prometheus.NewDesc("trent_keyring_cache_bytes", "Approximate heap bytes of the key materials in the keyring cache.", nil, nil)
)

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHits, cacheMisses, cacheLoads, cacheEvictions, cacheEntries, cacheBytes} {
		ch <- d
	}
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheLoads, prometheus.CounterValue, float64(s.Loads))
	ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes))
}
