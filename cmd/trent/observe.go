package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/trentkms/trent/internal/api"
	"github.com/trentkms/trent/internal/metrics"
)

// newLogger returns the server's logger: format "text" (logfmt-like
// key=value) or "json", at level ("debug" adds one line per request).
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

// freeDisk returns the bytes available to the server in dir's file system.
func freeDisk(dir string) (int64, error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, err
	}
	return int64(fs.Bavail) * int64(fs.Bsize), nil
}

// newMetrics builds the node's metrics. Keys by state are counted with one
// GROUP BY query at most every 10 s, when Prometheus scrapes.
func newMetrics(n *node, dataDir string, minFree int64, logger *slog.Logger) *metrics.Metrics {
	db := n.store.SQL()
	return metrics.New(metrics.Config{
		Operations: api.Operations(),
		CountKeys: func(ctx context.Context) (map[string]int64, error) {
			rows, err := db.QueryContext(ctx, `SELECT state, COUNT(*) FROM keys GROUP BY state`)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			out := map[string]int64{}
			for rows.Next() {
				var state string
				var count int64
				if err := rows.Scan(&state, &count); err != nil {
					return nil, err
				}
				out[state] = count
			}
			return out, rows.Err()
		},
		Cache:       n.keyring.Stats,
		Unsealed:    func() bool { return n.keyring != nil }, // a node serves only once unsealed
		FreeDisk:    func() (int64, error) { return freeDisk(dataDir) },
		MinFreeDisk: minFree,
		Logger:      logger,
	})
}

// serveMetrics serves /metrics alone on addr (--metrics-listen), for a
// scraper that should not reach the API listener.
func serveMetrics(addr string, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			logger.Warn("metrics listener stopped", "err", err)
		}
	}()
	fmt.Printf("trent: metrics http://%s/metrics\n", ln.Addr())
	return srv, nil
}
