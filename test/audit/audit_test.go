// Package audit_test drives a real trent server and checks its audit log
// from outside: every SDK call has its event, `trent audit verify` passes
// on the intact log and fails, naming the first bad event, on each kind of
// tampering done to the SQLite file directly; a server killed with SIGKILL
// under load has an event for every request that got a response; and the
// AWS CLI's `aws cloudtrail lookup-events` reads the events.
package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	_ "modernc.org/sqlite"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	account = "111122223333"
)

// traffic makes a mix of calls and returns the request IDs of those that
// got a response (success or a service error).
func traffic(t *testing.T, c *kms.Client) []string {
	t.Helper()
	ctx := t.Context()
	var ids []string
	rec := func(md smithymiddleware.Metadata) {
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
			ids = append(ids, id)
		}
	}
	ck, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	rec(ck.ResultMetadata)
	for i := range 10 {
		out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: ck.KeyMetadata.Arn, Plaintext: []byte(fmt.Sprint("secret-", i)),
			EncryptionContext: map[string]string{"n": fmt.Sprint(i)}})
		if err != nil {
			t.Fatal(err)
		}
		rec(out.ResultMetadata)
	}
	if out, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/audited"), TargetKeyId: ck.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	} else {
		rec(out.ResultMetadata)
	}
	if out, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: ck.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	} else {
		rec(out.ResultMetadata)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/audited"), Plaintext: []byte("x")})
	var de *types.DisabledException
	if !asErr(err, &de) {
		t.Fatalf("Encrypt with a disabled key: %v", err)
	}
	return ids
}

func asErr[T error](err error, target *T) bool {
	for err != nil {
		if e, ok := err.(T); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func mustRun(t *testing.T, s *harness.Server, args ...string) string {
	t.Helper()
	r := s.Run(t, args...)
	if r.ExitCode != 0 {
		t.Fatalf("trent %s: exit %d\n%s%s", strings.Join(args, " "), r.ExitCode, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// listEvents returns `trent audit list` output, parsed.
func listEvents(t *testing.T, s *harness.Server, args ...string) []map[string]any {
	t.Helper()
	out := mustRun(t, s, append([]string{"audit", "list", "--data-dir", s.DataDir}, args...)...)
	var evs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit list line %q: %v", sc.Text(), err)
		}
		evs = append(evs, m)
	}
	return evs
}

// copyDataDir copies the server's stopped data directory (database and
// root key) for one tampering experiment.
func copyDataDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{"trent.db", "seal.key"} {
		in, err := os.Open(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dst, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

func TestVerifyDetectsTampering(t *testing.T) {
	harness.SQLiteOnly(t)
	s := harness.Start(t, harness.Options{AccountID: account})
	ids := traffic(t, s.KMS(t, region))
	s.Stop(t) // the WAL is checkpointed into trent.db on a clean stop

	evs := listEvents(t, s)
	got := map[string]bool{}
	for _, ev := range evs {
		got[ev["requestID"].(string)] = true
		if ev["eventSource"] != "kms.amazonaws.com" || ev["recipientAccountId"] != account {
			t.Errorf("event %v", ev)
		}
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), "secret-") || strings.Contains(string(b), "c2VjcmV0LT") {
			t.Errorf("plaintext in event %s", b)
		}
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("request %s got a response but has no event", id)
		}
	}
	if n := len(listEvents(t, s, "--event-name", "Encrypt", "--error-code", "DisabledException")); n != 1 {
		t.Errorf("audit list --event-name Encrypt --error-code DisabledException: %d events, want 1", n)
	}

	head := strings.TrimSpace(mustRun(t, s, "audit", "head", "--data-dir", s.DataDir))
	out := mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir, "--expect-head", head)
	if !strings.Contains(out, "verified") {
		t.Fatalf("verify: %s", out)
	}
	export := filepath.Join(t.TempDir(), "audit.jsonl")
	mustRun(t, s, "audit", "export", "--data-dir", s.DataDir, "--out", export)
	mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir, "--file", export, "--expect-head", head)
	var n int
	fmt.Sscanf(head, "%d:", &n)
	if n < 14 {
		t.Fatalf("head %s: want at least 14 events", head)
	}

	// The event column holds the stored form (compressed); the first two
	// cases edit it the way an attacker with the file would: decompress,
	// change, compress again; and by damaging its bytes.
	editEvent := func(t *testing.T, db *sql.DB, seq int, edit func([]byte) []byte) {
		t.Helper()
		var stored []byte
		if err := db.QueryRow(`SELECT event FROM audit_events WHERE seq = ?`, seq).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE audit_events SET event = ? WHERE seq = ?`, edit(stored), seq); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		sql     []string
		fn      func(t *testing.T, db *sql.DB)
		head    bool
		wantSeq int
	}{
		{"update an event", nil, func(t *testing.T, db *sql.DB) {
			editEvent(t, db, 5, func(stored []byte) []byte {
				ev, err := audit.Decompress(stored)
				if err != nil {
					t.Fatal(err)
				}
				changed := bytes.Replace(ev, []byte(`"readOnly":true`), []byte(`"readOnly":false`), 1)
				if bytes.Equal(changed, ev) {
					t.Fatalf("event 5 has no readOnly true: %s", ev)
				}
				return audit.Compress(nil, changed)
			})
		}, false, 5},
		{"damage an event's stored bytes", nil, func(t *testing.T, db *sql.DB) {
			editEvent(t, db, 7, func(stored []byte) []byte {
				b := bytes.Clone(stored)
				b[len(b)/2] ^= 0x20
				return b
			})
		}, false, 7},
		{"update an error code column", []string{`UPDATE audit_events SET error_code = '' WHERE error_code != ''`}, nil, false, n},
		{"delete a middle event", []string{`DELETE FROM audit_events WHERE seq = 4`}, nil, false, 4},
		{"swap two events", []string{
			`UPDATE audit_events SET seq = -1 WHERE seq = 3`,
			`UPDATE audit_events SET seq = 3 WHERE seq = 6`,
			`UPDATE audit_events SET seq = 6 WHERE seq = -1`,
		}, nil, false, 3},
		{"delete the tail and fix the head record", []string{
			fmt.Sprintf(`DELETE FROM audit_events WHERE seq > %d`, n-2),
			fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = (SELECT hash FROM audit_events WHERE seq = %d)`, n-2, n-2),
		}, nil, true, n - 1},
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
			if tc.fn != nil {
				tc.fn(t, db)
			}
			db.Close()
			args := []string{"audit", "verify", "--data-dir", dir}
			if tc.head {
				// Without the head kept elsewhere the truncated chain is
				// consistent (unless a digest covered the lost events).
				args = append(args, "--expect-head", head)
			}
			r := s.Run(t, args...)
			want := fmt.Sprintf("at event %d:", tc.wantSeq)
			if r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
				t.Fatalf("verify after tampering: exit %d, stderr %q; want failure %q", r.ExitCode, r.Stderr, want)
			}
		})
	}
}

// TestKill9UnderLoad: every request that got a response before SIGKILL
// has its event after the restart, and the chain verifies; with events
// flushed before each answer, and (SQLite) with --audit-flush-interval,
// which answers once they are written to the operating system.
func TestKill9UnderLoad(t *testing.T) {
	t.Run("flush per batch", func(t *testing.T) { kill9UnderLoad(t) })
	if !harness.UsePostgres() { // the flush interval is SQLite's
		t.Run("flush interval", func(t *testing.T) { kill9UnderLoad(t, "--audit-flush-interval", "50ms") })
	}
}

func kill9UnderLoad(t *testing.T, extraArgs ...string) {
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: extraArgs})
	c := s.KMS(t, region)
	ck, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var md smithymiddleware.Metadata
				if i%10 == 5 {
					out, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
					if err != nil {
						continue
					}
					md = out.ResultMetadata
				} else if i%10 == 0 {
					out, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(fmt.Sprintf("alias/w%d-%d", w, i)), TargetKeyId: ck.KeyMetadata.KeyId})
					if err != nil {
						continue
					}
					md = out.ResultMetadata
				} else if i%10 == 3 {
					// A policy that differs from every other, so each
					// success is a new policy version of the key.
					policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"w%dx%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"}]}`, w, i, account)
					out, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: ck.KeyMetadata.KeyId, PolicyName: aws.String("default"), Policy: aws.String(policy)})
					if err != nil {
						continue
					}
					md = out.ResultMetadata
				} else if i%10 == 7 {
					out, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: ck.KeyMetadata.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + account + ":root"),
						Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
					if err != nil {
						continue
					}
					md = out.ResultMetadata
				} else {
					out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: ck.KeyMetadata.Arn, Plaintext: []byte("x")})
					if err != nil {
						continue
					}
					md = out.ResultMetadata
				}
				if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	s.Kill9()
	cancel()
	wg.Wait()
	s.Restart(t)
	s.Stop(t)
	if len(acked) < 50 {
		t.Fatalf("only %d requests answered before the kill", len(acked))
	}
	got := map[string]bool{}
	aliases, keys, grants, policies := 0, 0, 0, 0
	for _, ev := range listEvents(t, s) {
		got[ev["requestID"].(string)] = true
		if ev["errorCode"] == nil {
			switch ev["eventName"] {
			case "CreateAlias":
				aliases++
			case "CreateKey":
				keys++
			case "CreateGrant":
				grants++
			case "PutKeyPolicy":
				policies++
			}
		}
	}
	missing := 0
	for _, id := range acked {
		if !got[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d answered requests have no event after kill -9", missing, len(acked))
	}
	// Every key and alias in the database has the event of its creation,
	// and every such event its key or alias.
	if !harness.UsePostgres() {
		db, err := sql.Open("sqlite", filepath.Join(s.DataDir, "trent.db"))
		if err != nil {
			t.Fatal(err)
		}
		var storedAliases, storedKeys, storedGrants int
		var version int64
		db.QueryRow(`SELECT count(*) FROM aliases`).Scan(&storedAliases)
		db.QueryRow(`SELECT count(*) FROM keys`).Scan(&storedKeys)
		db.QueryRow(`SELECT count(*) FROM grants`).Scan(&storedGrants)
		db.QueryRow(`SELECT version FROM keys WHERE id = ?`, *ck.KeyMetadata.KeyId).Scan(&version)
		db.Close()
		if storedAliases != aliases || storedKeys != keys {
			t.Errorf("stored %d aliases and %d keys; successful events: %d CreateAlias, %d CreateKey", storedAliases, storedKeys, aliases, keys)
		}
		// Grants, and policy versions of the key (only PutKeyPolicy
		// changes it here), each have exactly one event.
		if storedGrants != grants {
			t.Errorf("stored %d grants; successful CreateGrant events: %d", storedGrants, grants)
		}
		if version-1 != int64(policies) {
			t.Errorf("the key is at version %d (%d policy changes); successful PutKeyPolicy events: %d", version, version-1, policies)
		}
		if grants == 0 || policies == 0 {
			t.Errorf("the load made %d grants and %d policy changes; want some of each", grants, policies)
		}
	}
	mustRun(t, s, "audit", "verify", "--data-dir", s.DataDir)
}

// TestUnauthenticatedFloodAggregates floods the server with unsigned
// requests and checks that the log grows by aggregates.
func TestUnauthenticatedFloodAggregates(t *testing.T) {
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: []string{"--audit-unauthenticated-interval", "200ms"}})
	hc := s.HTTPClient()
	for range 500 {
		resp, err := hc.Post(s.Endpoint, "application/x-amz-json-1.1", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("unsigned request: %d", resp.StatusCode)
		}
	}
	time.Sleep(time.Second)
	s.Stop(t)
	evs := listEvents(t, s, "--error-code", "MissingAuthenticationTokenException")
	if len(evs) == 0 || len(evs) > 10 {
		t.Fatalf("%d events for 500 unsigned requests, want a few aggregates", len(evs))
	}
	var total float64
	for _, ev := range evs {
		total += ev["additionalEventData"].(map[string]any)["count"].(float64)
	}
	if total != 500 {
		t.Errorf("aggregates count %v requests, want 500", total)
	}
}

// TestLookupEventsWithAWSCLI runs `aws cloudtrail lookup-events` against
// the server.
func TestLookupEventsWithAWSCLI(t *testing.T) {
	cli := os.Getenv("TRENT_AWS_CLI")
	if cli == "" {
		cli = "/usr/bin/aws"
	}
	if _, err := os.Stat(cli); err != nil {
		harness.Missing(t, "AWS CLI %s not found", cli)
	}
	s := harness.Start(t, harness.Options{AccountID: account})
	traffic(t, s.KMS(t, region))
	env := []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + s.CredentialsFile(),
		"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	if dp, err := harness.AWSDataPath(); err == nil {
		env = append(env, "AWS_DATA_PATH="+dp)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, "cloudtrail", "lookup-events", "--endpoint-url", s.Endpoint, "--output", "json",
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=Encrypt")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws cloudtrail lookup-events: %v\n%s", err, out)
	}
	var res struct {
		Events []struct {
			EventId, EventName, Username, CloudTrailEvent string
			Resources                                     []struct{ ResourceType, ResourceName string }
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("lookup-events output: %v\n%s", err, out)
	}
	// 10 successful Encrypts and one refused (the key was disabled).
	if len(res.Events) != 11 {
		t.Fatalf("lookup-events returned %d Encrypt events, want 11:\n%s", len(res.Events), out)
	}
	for _, e := range res.Events {
		var ct map[string]any
		if e.EventName != "Encrypt" || e.Username != "root" || json.Unmarshal([]byte(e.CloudTrailEvent), &ct) != nil || ct["eventID"] != e.EventId {
			t.Errorf("event %+v", e)
		}
		if len(e.Resources) != 1 || e.Resources[0].ResourceType != "AWS::KMS::Key" {
			t.Errorf("resources %+v", e.Resources)
		}
	}
}

// TestTwoNodesOneChain: two nodes sharing one PostgreSQL database, both
// under concurrent load with mutations and reads, extend one chain that
// verifies, with an event for every answered request; and, writing a
// digest every 20 events, one chain of digests.
func TestTwoNodesOneChain(t *testing.T) {
	if os.Getenv("TRENT_TEST_POSTGRES_DSN") == "" {
		harness.Missing(t, "TRENT_TEST_POSTGRES_DSN is not set")
	}
	dsn := harness.NewPostgresStore(t)
	nodeArgs := []string{"--store", dsn, "--audit-digest-every", "20", "--audit-digest-interval", "200ms"}
	first := harness.Start(t, harness.Options{ExtraArgs: nodeArgs})
	seal, err := os.ReadFile(filepath.Join(first.DataDir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "seal.key"), seal, 0o600); err != nil {
		t.Fatal(err)
	}
	second := harness.Start(t, harness.Options{DataDir: dir, ExtraArgs: nodeArgs})
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for i, n := range []*harness.Server{first, second} {
		c := n.KMSFor(t, first.CredentialsFile(), region)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 25 {
					var md smithymiddleware.Metadata
					if j%5 == 0 {
						out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{Description: aws.String(fmt.Sprint(i, w, j))})
						if err != nil {
							t.Error(err)
							return
						}
						md = out.ResultMetadata
					} else {
						out, err := c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)})
						if err != nil {
							t.Error(err)
							return
						}
						md = out.ResultMetadata
					}
					id, _ := awsmiddleware.GetRequestIDMetadata(md)
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	first.Stop(t)
	second.Stop(t)
	args := []string{"--data-dir", first.DataDir, "--store", dsn}
	out := mustRun(t, first, append([]string{"audit", "verify"}, args...)...)
	var digests int
	if !strings.Contains(out, "verified") || !strings.Contains(out, "events after it are not signed yet") {
		t.Fatalf("verify: %s", out)
	}
	if _, err := fmt.Sscanf(out[strings.Index(out, "), ")+3:], "%d signed digests", &digests); err != nil || digests < 200/20 {
		t.Errorf("verify checked %d digests (%v), want at least one per 20 of the 200 events:\n%s", digests, err, out)
	}
	got := map[string]bool{}
	for _, ev := range listEvents(t, first, "--store", dsn) {
		got[ev["requestID"].(string)] = true
	}
	for _, id := range acked {
		if !got[id] {
			t.Errorf("request %s has no event", id)
		}
	}
	if len(acked) != 200 {
		t.Errorf("%d requests answered, want 200", len(acked))
	}
}
