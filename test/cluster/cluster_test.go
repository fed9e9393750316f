// Package cluster_test is the cluster proof: several trent processes on one
// PostgreSQL database behave as one service. A change made through one node
// is honoured by every other node within the propagation bound; under
// concurrent load with a node killed (kill -9) and restarted, every
// acknowledged key and ciphertext survives, background jobs run exactly
// once, and the audit log stays one verifiable chain. It also measures what
// scale depends on (database statements per cryptographic request, audit
// batches, invalidation lag) and logs the numbers as "cluster:" lines.
//
// It needs TRENT_TEST_POSTGRES_DSN (skipped without it, failed with
// TRENT_REQUIRE_ALL=1). Run it serially: go test -p 1 ./test/cluster.
package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

const region = "us-east-1"

// propagationDeadline is how long a test waits for another node to honour
// a change before failing. The bound the README states is about a second
// (the change feed is read every 500 ms); a loaded CI machine gets more.
const propagationDeadline = 10 * time.Second

// report logs a measurement as a "cluster: ..." line; CI runs this
// package with -v and prints those lines.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("cluster: "+format, args...)
}

func TestMain(m *testing.M) { harness.Main(m) }

// cluster is n nodes on one fresh PostgreSQL schema. The first node
// initialises the database and writes the credentials; the others start
// with --seal-file naming the first node's root key file, as the README
// tells operators to do.
type cluster struct {
	dsn   string
	nodes []*harness.Server
	creds string // the first account's credentials file
}

func startCluster(t *testing.T, n int, extra ...string) *cluster {
	t.Helper()
	dsn := harness.NewPostgresStore(t)
	args := append([]string{"--store", dsn}, extra...)
	first := harness.Start(t, harness.Options{ExtraArgs: args})
	c := &cluster{dsn: dsn, nodes: []*harness.Server{first}, creds: first.CredentialsFile()}
	seal := filepath.Join(first.DataDir, "seal.key")
	for range n - 1 {
		node := harness.Start(t, harness.Options{ExtraArgs: append([]string{"--seal-file", seal}, args...)})
		if _, err := os.Stat(node.CredentialsFile()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("joining node wrote a credentials file (stat: %v)", err)
		}
		c.nodes = append(c.nodes, node)
	}
	return c
}

// kms returns a client of node i with the first account's credentials.
func (c *cluster) kms(t *testing.T, i int) *kms.Client {
	return c.nodes[i].KMSFor(t, c.creds, region)
}

// kmsAll returns a client per node with the given credentials.
func (c *cluster) kmsAll(creds aws.Credentials) []*kms.Client {
	var cs []*kms.Client
	for _, n := range c.nodes {
		cs = append(cs, n.KMSWith(creds, region))
	}
	return cs
}

// advanceClock moves node i's key clock (--testing-clock) forward by d and
// runs its due work; it returns what that run reported.
func (c *cluster) advanceClock(ctx context.Context, i int, d time.Duration) (deleted, rotated int, err error) {
	n := c.nodes[i]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Endpoint+"/_trent/testing/clock?advance="+d.String(), nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := n.HTTPClient().Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("advance clock on node %d: %s", i, resp.Status)
	}
	var out struct{ Deleted, Rotated int }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, 0, err
	}
	return out.Deleted, out.Rotated, nil
}

// run runs a trent admin command and fails t unless it succeeds.
func mustRun(t *testing.T, s *harness.Server, args ...string) string {
	t.Helper()
	r := s.Run(t, args...)
	if r.ExitCode != 0 {
		t.Fatalf("trent %s: exit %d\n%s%s", strings.Join(args, " "), r.ExitCode, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// waitFor polls f every 20 ms until it returns true and returns how long
// that took; t fails after propagationDeadline.
func waitFor(t *testing.T, what string, f func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !f() {
		if time.Since(start) > propagationDeadline {
			t.Fatalf("%s: not honoured within %v", what, propagationDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	lag := time.Since(start)
	t.Logf("%s: honoured after %v", what, lag.Round(time.Millisecond))
	return lag
}

// errCode is the AWS error code of err, or "" when it is not an API error.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
