package cluster_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// benchEncrypts is how many Encrypts the measurement sends over the nodes.
const benchEncrypts = 3000

// tableStats is one row of pg_stat_user_tables.
type tableStats struct{ scans, ins, upd, del int64 }

// cryptoPathTables are what a cryptographic request would read if it
// missed the caches: keys, materials, aliases, grants and identities.
var cryptoPathTables = []string{"keys", "key_materials", "aliases", "grants", "accounts", "access_keys", "iam_users", "iam_roles", "iam_policies"}

func readTableStats(t *testing.T, db *sql.DB, schema string) map[string]tableStats {
	t.Helper()
	// A fresh connection-level snapshot: statistics are cached per
	// transaction otherwise.
	if _, err := db.Exec(`SELECT pg_stat_clear_snapshot()`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT relname, coalesce(seq_scan,0) + coalesce(idx_scan,0), n_tup_ins, n_tup_upd, n_tup_del
		FROM pg_stat_user_tables WHERE schemaname = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]tableStats{}
	for rows.Next() {
		var name string
		var s tableStats
		if err := rows.Scan(&name, &s.scans, &s.ins, &s.upd, &s.del); err != nil {
			t.Fatal(err)
		}
		m[name] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// auditStopped matches the line a node logs when its audit writer stops.
var auditStopped = regexp.MustCompile(`audit writer stopped"? events=(\d+) transactions=(\d+) largest_batch=(\d+)`)

// TestScaleMeasures measures what the number of nodes a database can carry
// depends on: the statements PostgreSQL runs per cryptographic request
// (none on the key and identity tables once the caches are warm; the
// audit events go in batches) and the audit writer's batches. It sends
// benchEncrypts Encrypts over three nodes and reads PostgreSQL's per-table
// statistics for the cluster's schema before and after.
func TestScaleMeasures(t *testing.T) {
	ctx := t.Context()
	c := startCluster(t, 3)
	u, err := url.Parse(c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	out, err := c.kms(t, 0).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	key := *out.KeyMetadata.Arn
	var clients []*kms.Client
	for i := range c.nodes {
		cl := c.kms(t, i)
		if _, err := cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &key, Plaintext: []byte("warm")}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cl)
	}
	// Let the start-up's and warm-up's statistics reach PostgreSQL's
	// collector: an idle backend reports what it did after at most 10 s
	// (PGSTAT_IDLE_INTERVAL), and one that exits reports at once.
	time.Sleep(11 * time.Second)
	var xact0 int64
	if err := db.QueryRow(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&xact0); err != nil {
		t.Fatal(err)
	}
	before := readTableStats(t, db, schema)

	var sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 24 {
		wg.Go(func() {
			cl := clients[w%len(clients)]
			for sent.Add(1) <= benchEncrypts {
				if _, err := cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &key, Plaintext: make([]byte, 1024)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if t.Failed() {
		return
	}
	// Stopping the nodes flushes their audit writers and closes their
	// connections, whose backends then report their statistics.
	var events, batches, largest int64
	for _, n := range c.nodes {
		n.Stop(t)
		m := auditStopped.FindStringSubmatch(n.Stderr())
		if m == nil {
			t.Fatalf("node log has no %q line:\n%s", auditStopped, n.Stderr())
		}
		e, _ := strconv.ParseInt(m[1], 10, 64)
		b, _ := strconv.ParseInt(m[2], 10, 64)
		l, _ := strconv.ParseInt(m[3], 10, 64)
		events, batches, largest = events+e, batches+b, max(largest, l)
	}
	var after map[string]tableStats
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = readTableStats(t, db, schema)
		if after["audit_events"].ins-before["audit_events"].ins >= benchEncrypts {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL's statistics show %d audit events inserted, want at least %d", after["audit_events"].ins-before["audit_events"].ins, benchEncrypts)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var xact1 int64
	if err := db.QueryRow(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&xact1); err != nil {
		t.Fatal(err)
	}

	var reads []string
	for _, tbl := range cryptoPathTables {
		if d := after[tbl].scans - before[tbl].scans; d != 0 {
			reads = append(reads, fmt.Sprintf("%s: %d", tbl, d))
		}
	}
	if len(reads) > 0 {
		t.Errorf("%d Encrypts with warm caches read key or identity tables: %s; want none", benchEncrypts, strings.Join(reads, ", "))
	}
	auditEvents := after["audit_events"].ins - before["audit_events"].ins
	auditTx := after["audit_head"].upd - before["audit_head"].upd // one head update per batch
	var other []string
	for tbl, a := range after {
		if slices.Contains(cryptoPathTables, tbl) || tbl == "audit_events" || tbl == "audit_head" {
			continue
		}
		b := before[tbl]
		if d := (a.scans - b.scans) + (a.ins - b.ins) + (a.upd - b.upd) + (a.del - b.del); d != 0 {
			other = append(other, fmt.Sprintf("%s %d", tbl, d))
		}
	}
	slices.Sort(other)
	report(t, "database work per Encrypt (%d Encrypts over 3 nodes in %v, %.0f/s): 0 reads of key/identity tables; %d audit events in %d transactions (%.1f events each, %.3f transactions per Encrypt); other tables (change feed polls, digests, shutdown): %s",
		benchEncrypts, elapsed.Round(time.Millisecond), benchEncrypts/elapsed.Seconds(), auditEvents, auditTx,
		float64(auditEvents)/float64(max(auditTx, 1)), float64(auditTx)/benchEncrypts, strings.Join(other, ", "))
	report(t, "PostgreSQL commits in the database during the run: %d (%.3f per Encrypt; counts every client of the database)",
		xact1-xact0, float64(xact1-xact0)/benchEncrypts)
	report(t, "audit writers over the nodes' lives: %d events in %d batches (%.1f per batch, largest %d); %.0f batches/s across the cluster during the run",
		events, batches, float64(events)/float64(max(batches, 1)), largest, float64(auditTx)/elapsed.Seconds())
	if auditTx >= benchEncrypts {
		t.Errorf("%d audit transactions for %d Encrypts: the writer does not batch", auditTx, benchEncrypts)
	}
}
