package audit_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/test/harness"
)

// rewriteLog does what an attacker with write access to the database and
// this code can: it deletes every event and appends them again, one of
// them changed, so that the chain is consistent and hashed anew.
func rewriteLog(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "trent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.AuditRecords(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SQL().ExecContext(ctx, `DELETE FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	var evs []*audit.Event
	for i, r := range recs {
		ev, err := audit.ParseEvent(r.Event)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			ev.SourceIPAddress = "192.0.2.99" // someone else's request
		}
		evs = append(evs, ev)
	}
	if _, err := s.AppendAudit(ctx, evs); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyDetectsDigestTampering: without a head kept elsewhere, `trent
// audit verify` reports digests deleted or edited in the SQLite file, a
// chain rewritten after deleting them, and a server that starts on such a
// log does not make it verify; nor does an export with a digest removed.
func TestVerifyDetectsDigestTampering(t *testing.T) {
	harness.SQLiteOnly(t)
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: []string{"--audit-digest-every", "3", "--audit-digest-interval", "1h"}})
	traffic(t, s.KMS(t, region))
	s.Stop(t) // writes the digest of the tail

	head := strings.TrimSpace(mustRun(t, s, "audit", "head", "--data-dir", s.DataDir))
	var n int
	fmt.Sscanf(head, "%d:", &n)
	if n < 14 {
		t.Fatalf("head %s: want at least 14 events", head)
	}
	out := mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir)
	if !strings.Contains(out, fmt.Sprintf("digests cover events up to %d ", n)) {
		t.Errorf("verify of the intact log: %s; want its last digest at the head %d", out, n)
	}
	db, err := sql.Open("sqlite", filepath.Join(s.DataDir, "trent.db"))
	if err != nil {
		t.Fatal(err)
	}
	var ranges []string
	rows, err := db.Query(`SELECT from_seq, to_seq FROM audit_digests ORDER BY to_seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var from, to int
		rows.Scan(&from, &to)
		ranges = append(ranges, fmt.Sprintf("%d..%d", from, to))
	}
	rows.Close()
	db.Close()
	if want := fmt.Sprintf("[1..0 1..3 4..6 7..9 10..12 13..%d]", n); n <= 15 && fmt.Sprint(ranges) != want {
		t.Errorf("digests %v, want %s", ranges, want)
	}

	tests := []struct {
		name    string
		sql     []string
		rewrite bool // then rewrite the events
		start   bool // then start and stop a server on the log
		wantSeq int
	}{
		{name: "delete one digest (a gap in the covered ranges)", sql: []string{`DELETE FROM audit_digests WHERE to_seq = 6`}, wantSeq: 4},
		{name: "delete the first digest", sql: []string{`DELETE FROM audit_digests WHERE to_seq = 0`}, wantSeq: 1},
		{name: "delete the last digests (the tail outgrows the schedule)", sql: []string{`DELETE FROM audit_digests WHERE to_seq > 6`}, wantSeq: 13},
		{name: "delete every digest", sql: []string{`DELETE FROM audit_digests`}, wantSeq: 1},
		{name: "delete every digest and rewrite the events", sql: []string{`DELETE FROM audit_digests`}, rewrite: true, wantSeq: 1},
		{name: "delete every digest, rewrite the events and start a server", sql: []string{`DELETE FROM audit_digests`}, rewrite: true, start: true, wantSeq: 4},
		{name: "edit a digest's MAC", sql: []string{`UPDATE audit_digests SET mac = randomblob(32) WHERE to_seq = 6`}, wantSeq: 4},
		{name: "edit a digest's link", sql: []string{`UPDATE audit_digests SET prev_mac = randomblob(32) WHERE to_seq = 6`}, wantSeq: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDataDir(t, s.DataDir)
			db, err := sql.Open("sqlite", filepath.Join(dir, "trent.db"))
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.sql {
				if res, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				} else if k, _ := res.RowsAffected(); k == 0 {
					t.Fatalf("%s changed nothing", q)
				}
			}
			db.Close()
			if tc.rewrite {
				rewriteLog(t, dir)
			}
			if tc.start {
				started := harness.Start(t, harness.Options{DataDir: dir, AccountID: account, ExtraArgs: []string{"--audit-digest-every", "3", "--audit-digest-interval", "1h"}})
				started.Stop(t)
			}
			r := s.Run(t, "audit", "verify", "--data-dir", dir)
			want := fmt.Sprintf("at event %d:", tc.wantSeq)
			if r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
				t.Fatalf("verify after tampering: exit %d, stdout %q, stderr %q; want failure %q", r.ExitCode, r.Stdout, r.Stderr, want)
			}
		})
	}

	t.Run("an export without one of its digests", func(t *testing.T) {
		export := filepath.Join(t.TempDir(), "audit.jsonl")
		mustRun(t, s, "audit", "export", "--data-dir", s.DataDir, "--out", export)
		mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir, "--file", export)
		f, err := os.Open(export)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), `"toSeq":6,`) {
				kept = append(kept, sc.Text())
			}
		}
		f.Close()
		cut := filepath.Join(t.TempDir(), "cut.jsonl")
		if err := os.WriteFile(cut, []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := s.Run(t, "audit", "verify", "--data-dir", s.DataDir, "--file", cut)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "at event 4:") {
			t.Fatalf("verify of an export without the digest of 4..6: exit %d, %q", r.ExitCode, r.Stderr)
		}
	})
}

// TestVerifyWhileServing: `trent audit verify` of a log that a server
// keeps appending to (and digesting every 20 events) reads one snapshot,
// so the events appended while it reads are not held against the digests.
func TestVerifyWhileServing(t *testing.T) {
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: []string{"--audit-digest-every", "20"}})
	c := s.KMS(t, region)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)})
		}
	}()
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir)
	}
	cancel()
	<-done
}
