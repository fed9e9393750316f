package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/api"
	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// auditFlags configure the server's audit log.
type auditFlags struct {
	retention      time.Duration
	digestEvery    int64
	digestInterval time.Duration
	unauthInterval time.Duration
	minFreeDisk    int64
	flushInterval  time.Duration
	testingNoAudit bool
}

func (a *auditFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&a.retention, "audit-retention", 0, "delete audit events older than this (e.g. 2160h), leaving a signed checkpoint; 0 keeps them forever")
	fs.Int64Var(&a.digestEvery, "audit-digest-every", audit.DefaultDigestEvery, "write a signed audit digest after this many events; no digest covers more, and verify accepts at most twice that after the last one (recorded in each digest)")
	fs.DurationVar(&a.digestInterval, "audit-digest-interval", time.Minute, "write a signed audit digest at least this often while events arrive (recorded in each digest)")
	fs.DurationVar(&a.unauthInterval, "audit-unauthenticated-interval", 10*time.Second, "interval over which requests that fail authentication are counted into one event per source, error and access key")
	fs.Int64Var(&a.minFreeDisk, "min-free-disk", 1<<30, "bytes of free space in the data directory below which /readyz reports not ready")
	fs.DurationVar(&a.flushInterval, "audit-flush-interval", 0, "SQLite: answer once an audit event is written to the operating system (it survives kill -9) and flush events to disk this often, so that a power failure can lose the events of the last interval; 0 flushes every batch before answering")
	fs.BoolVar(&a.testingNoAudit, "testing-no-audit", false, "FOR MEASUREMENTS ONLY: serve without writing audit events (loopback only), to compare throughput")
}

// auditNode is the server's audit machinery: the writer, the aggregator of
// unauthenticated requests and the retention loop.
type auditNode struct {
	w       *audit.Writer
	agg     *audit.Aggregator
	ping    func(ctx context.Context) error
	aggDone chan struct{}
	dataDir string
	minFree int64
	stop    context.CancelFunc
	done    chan struct{}
	noAudit bool
	log     *slog.Logger
}

// onCommit observes each audit transaction (metrics); nil for none.
func startAudit(ctx context.Context, n *node, f *auditFlags, dataDir string, accounts []store.Account, logger *slog.Logger, onCommit func(int, time.Duration, error)) (*auditNode, error) {
	key, err := n.keyring.AuditKey()
	if err != nil {
		return nil, err
	}
	if f.digestEvery > 1e12 {
		return nil, fmt.Errorf("--audit-digest-every %d: want at most 1000000000000", f.digestEvery)
	}
	if f.flushInterval != 0 && f.flushInterval < time.Millisecond {
		return nil, fmt.Errorf("--audit-flush-interval %v: want 0, or 1ms or more", f.flushInterval)
	}
	if err := n.store.SetAuditFlushInterval(ctx, f.flushInterval, logger); err != nil {
		return nil, fmt.Errorf("--audit-flush-interval: %w", err)
	}
	if f.flushInterval > 0 {
		logger.Warn("audit events are flushed to disk every --audit-flush-interval, not before each answer: a power failure can lose the events of the last interval", "interval", f.flushInterval)
	}
	w, err := audit.NewWriter(ctx, audit.WriterConfig{
		Store: n.store, Logger: logger, DigestKey: key,
		DigestEvery: f.digestEvery, DigestInterval: f.digestInterval, OnCommit: onCommit,
	})
	if err != nil {
		return nil, err
	}
	first := ""
	if len(accounts) > 0 {
		first = accounts[0].ID
	}
	agg := audit.NewAggregator(audit.AggregatorConfig{
		Append: w.Append, Interval: f.unauthInterval, Account: first, Logger: logger, NewID: uuid.NewString,
	})
	a := &auditNode{w: w, agg: agg, ping: n.store.SQL().PingContext, aggDone: make(chan struct{}), dataDir: dataDir, minFree: f.minFreeDisk, done: make(chan struct{}), noAudit: f.testingNoAudit, log: logger}
	if a.noAudit {
		logger.Warn("--testing-no-audit: requests are NOT audited; for throughput comparisons only")
		a.agg = nil
	}
	bg, stop := context.WithCancel(context.Background())
	a.stop = stop
	go func() {
		defer close(a.aggDone)
		agg.Run(bg)
	}()
	go func() {
		defer close(a.done)
		if f.retention <= 0 {
			<-bg.Done()
			return
		}
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if cp, ok, err := audit.Prune(bg, n.store, key, time.Now().Add(-f.retention), time.Now()); err != nil {
				logger.Error("audit retention: prune failed", "err", err)
			} else if ok {
				logger.Info("audit retention: pruned", "through_seq", cp.Seq)
			}
			select {
			case <-t.C:
			case <-bg.Done():
				return
			}
		}
	}()
	return a, nil
}

// apiWriter is the writer the api appends through (nil under
// --testing-no-audit).
func (a *auditNode) apiWriter() api.AuditWriter {
	if a.noAudit {
		return nil
	}
	return a.w
}

// ready is /readyz's check: the store answers and the data directory has
// room.
func (a *auditNode) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var errs []error
	if err := a.ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("store: not reachable: %w", err))
	}
	if free, err := freeDisk(a.dataDir); err == nil {
		if free < a.minFree {
			errs = append(errs, fmt.Errorf("disk: %d bytes free in %s, below --min-free-disk %d", free, a.dataDir, a.minFree))
		}
	}
	return errors.Join(errs...)
}

// Close flushes the aggregator and stops the writer.
func (a *auditNode) Close() {
	a.stop()
	<-a.done
	<-a.aggDone
	a.w.Close()
	st := a.w.Stats()
	a.log.Info("audit writer stopped", "events", st.Events, "transactions", st.Batches, "largest_batch", st.MaxBatch, "commit_time", st.CommitTime)
}
