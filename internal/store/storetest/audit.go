package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// AuditStore is a store that also keeps the audit log.
type AuditStore interface {
	store.Store
	audit.Log
}

// OpenAudit returns a new, empty AuditStore for one test.
type OpenAudit func(t *testing.T) AuditStore

// RunAudit runs the audit log's conformance tests.
func RunAudit(t *testing.T, open OpenAudit) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s AuditStore)
	}{
		{"Empty", testAuditEmpty},
		{"AppendAndVerify", testAuditAppend},
		{"AtomicWithChange", testAuditAtomic},
		{"ConcurrentAppends", testAuditConcurrent},
		{"Query", testAuditQuery},
		{"DigestsAndPrune", testAuditPrune},
		{"Batches", testAuditBatches},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	t.Run("Digests", func(t *testing.T) { runAuditDigests(t, open) })
}

var auditTestKey = []byte("0123456789abcdef0123456789abcdef")

func testEvent(name, account, keyARN string) *audit.Event {
	ev := &audit.Event{
		EventVersion: audit.EventVersion, EventTime: at(int(len(name))), EventSource: audit.SourceKMS,
		EventName: name, AWSRegion: region1, EventID: fmt.Sprintf("id-%s-%s", name, keyARN),
		UserIdentity:       audit.Identity{Type: "Root", ARN: "arn:aws:iam::" + account + ":root", AccountID: account},
		RequestParameters:  []byte(`{"keyId":"` + keyARN + `"}`),
		EventType:          audit.TypeAPICall,
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      audit.CategoryManagement,
	}
	if keyARN != "" {
		ev.AddResource(account, keyARN)
	}
	return ev
}

// verify digests the events no digest covers yet, as a stopping server
// does, and verifies the log.
func verify(t *testing.T, s AuditStore) audit.Report {
	t.Helper()
	if _, err := audit.WriteDigests(t.Context(), audit.WriterConfig{Store: s, DigestKey: auditTestKey}); err != nil {
		t.Fatalf("WriteDigests: %v", err)
	}
	rep, err := verifyErr(t, s)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// verifyErr verifies the log as it is, without a head kept elsewhere.
func verifyErr(t *testing.T, s AuditStore) (audit.Report, error) {
	t.Helper()
	ctx := t.Context()
	ds, err := s.AuditDigests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := audit.VerifyOptions{Key: auditTestKey, Digests: ds, StoredHead: &head}
	if c, ok, err := s.AuditCheckpoint(ctx); err != nil {
		t.Fatal(err)
	} else if ok {
		opts.Checkpoint = &c
	}
	return audit.Verify(ctx, s, opts)
}

func testAuditEmpty(t *testing.T, s AuditStore) {
	h, err := s.AuditHead(t.Context())
	if err != nil || h.Seq != 0 {
		t.Fatalf("AuditHead of an empty log = %v, %v; want 0, nil", h, err)
	}
	if rep := verify(t, s); rep.Events != 0 {
		t.Errorf("Verify of an empty log checked %d events", rep.Events)
	}
}

func testAuditAppend(t *testing.T, s AuditStore) {
	ctx := t.Context()
	h1, err := s.AppendAudit(ctx, []*audit.Event{testEvent("Encrypt", acct1, "k1")})
	if err != nil {
		t.Fatal(err)
	}
	var batch []*audit.Event
	for i := range 300 { // more than one INSERT statement
		batch = append(batch, testEvent(fmt.Sprintf("Op%d", i), acct1, "k2"))
	}
	h2, err := s.AppendAudit(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if h1.Seq != 1 || h2.Seq != 301 {
		t.Fatalf("heads after 1 and 301 events: %d, %d", h1.Seq, h2.Seq)
	}
	got, err := s.AuditHead(ctx)
	if err != nil || got.String() != h2.String() {
		t.Fatalf("AuditHead = %v, %v; want %v", got, err, h2)
	}
	rs, err := s.AuditRecords(ctx, 0, 2)
	if err != nil || len(rs) != 2 {
		t.Fatalf("AuditRecords: %d, %v", len(rs), err)
	}
	ev, err := audit.ParseEvent(rs[1].Event)
	if err != nil {
		t.Fatal(err)
	}
	if ev.EventName != "Op0" || rs[1].EventName != "Op0" || rs[1].KeyARNs != "k2" || rs[1].Account != acct1 {
		t.Errorf("record 2 = %+v (event %s)", rs[1], rs[1].Event)
	}
	if rep := verify(t, s); rep.Events != 301 {
		t.Errorf("Verify checked %d events, want 301", rep.Events)
	}
}

// A change and the event in its context commit together, or neither does.
func testAuditAtomic(t *testing.T, s AuditStore) {
	bootstrap(t, s)
	ev := testEvent("CreateKey", acct1, "arn:k")
	ctx := audit.NewContext(t.Context(), ev)
	if err := s.CreateKey(ctx, testKey(acct1, region1, "key-1"), []store.KeyMaterial{testMaterial(1)}); err != nil {
		t.Fatal(err)
	}
	if !audit.Written(ctx) {
		t.Fatal("the event of a committed CreateKey is not marked written")
	}
	// A second write in the same request does not log it again.
	if _, err := s.UpdateKey(ctx, mustKey(t, s, store.KeyRef{Account: acct1, Region: region1, ID: "key-1"})); err != nil {
		t.Fatal(err)
	}
	ev2 := testEvent("CreateKey", acct1, "arn:k2")
	ctx2 := audit.NewContext(t.Context(), ev2)
	err := s.CreateKey(ctx2, testKey(acct1, region1, "key-1"), []store.KeyMaterial{testMaterial(1)})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateKey of a taken ID: %v", err)
	}
	if audit.Written(ctx2) {
		t.Fatal("the event of a failed CreateKey is marked written")
	}
	rs, err := s.AuditRecords(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].KeyARNs != "arn:k" {
		t.Fatalf("records after one committed and one failed change: %+v", rs)
	}
	verify(t, s)
}

func mustKey(t *testing.T, s store.Store, ref store.KeyRef) store.Key {
	t.Helper()
	k, err := s.Key(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testAuditConcurrent(t *testing.T, s AuditStore) {
	errs := race(16, func(i int) error {
		for j := range 5 {
			if _, err := s.AppendAudit(context.Background(), []*audit.Event{testEvent(fmt.Sprintf("W%d", i), acct1, fmt.Sprint(j)), testEvent("X", acct2, "")}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if rep := verify(t, s); rep.Events != 160 || rep.Head.Seq != 160 {
		t.Errorf("after 160 concurrent appends: %+v", rep)
	}
}

func testAuditQuery(t *testing.T, s AuditStore) {
	ctx := t.Context()
	a := testEvent("Encrypt", acct1, "arn:a")
	b := testEvent("Decrypt", acct1, "arn:b")
	b.ErrorCode = "NotFoundException"
	c := testEvent("ReEncrypt", acct1, "arn:a")
	c.AddResource(acct1, "arn:b")
	d := testEvent("Encrypt", acct2, "arn:a")
	d.EventTime = at(1000)
	if _, err := s.AppendAudit(ctx, []*audit.Event{a, b, c, d}); err != nil {
		t.Fatal(err)
	}
	seqs := func(q audit.Query) []int64 {
		t.Helper()
		q.Limit = max(q.Limit, 10)
		return querySeqs(t, s, q)
	}
	tests := []struct {
		name string
		q    audit.Query
		want []int64
	}{
		{"all newest first", audit.Query{}, []int64{4, 3, 2, 1}},
		{"ascending", audit.Query{Ascending: true, AfterSeq: 1}, []int64{2, 3, 4}},
		{"account", audit.Query{Account: acct1}, []int64{3, 2, 1}},
		{"event name", audit.Query{EventName: "Encrypt"}, []int64{4, 1}},
		{"key in a list", audit.Query{KeyARN: "arn:b"}, []int64{3, 2}},
		{"error code", audit.Query{ErrorCode: "NotFoundException"}, []int64{2}},
		{"principal", audit.Query{Principal: "arn:aws:iam::" + acct2 + ":root"}, []int64{4}},
		{"time", audit.Query{Start: at(500)}, []int64{4}},
		{"end", audit.Query{End: at(500)}, []int64{3, 2, 1}},
		{"page", audit.Query{BeforeSeq: 3}, []int64{2, 1}},
	}
	for _, tc := range tests {
		if got := seqs(tc.q); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func testAuditPrune(t *testing.T, s AuditStore) {
	ctx := t.Context()
	for i := range 10 {
		if _, err := s.AppendAudit(ctx, []*audit.Event{testEvent(fmt.Sprint("E", i), acct1, "")}); err != nil {
			t.Fatal(err)
		}
		if i == 4 || i == 8 {
			if _, err := audit.WriteDigests(ctx, audit.WriterConfig{Store: s, DigestKey: auditTestKey, Now: func() time.Time { return time.Unix(int64(i), 0) }}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ds, err := s.AuditDigests(ctx)
	if err != nil || len(ds) != 2 || ds[0].ToSeq != 5 || ds[1].FromSeq != 6 || ds[1].ToSeq != 9 {
		t.Fatalf("digests: %+v, %v", ds, err)
	}
	rs, err := s.AuditRecords(ctx, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The digest of 1..5 goes with the events; the checkpoint names it,
	// which the digest of 6..9 is chained to.
	c := audit.Checkpoint{Seq: 6, Hash: rs[0].Hash, Time: at(6), LinkSeq: 5, LinkMAC: ds[0].MAC, LinkEvery: ds[0].Every}
	c.Sign(auditTestKey)
	bad := c
	bad.Hash = make([]byte, 32)
	if err := s.PruneAudit(ctx, bad); err == nil {
		t.Fatal("PruneAudit accepted a checkpoint with a wrong hash")
	}
	if err := s.PruneAudit(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.AuditCheckpoint(ctx)
	if err != nil || !ok || got.Seq != 6 || !got.Valid(auditTestKey) || got.LinkSeq != 5 || got.LinkEvery != ds[0].Every {
		t.Fatalf("AuditCheckpoint = %+v, %v, %v; want the signed checkpoint at 6 with its link", got, ok, err)
	}
	if left, err := s.AuditDigests(ctx); err != nil || len(left) != 1 || left[0].FromSeq != 6 {
		t.Fatalf("digests after pruning to 6: %+v, %v; want the one of 6..9", left, err)
	}
	if rep := verify(t, s); rep.Events != 4 || rep.CheckpointSeq != 6 || rep.Head.Seq != 10 {
		t.Errorf("after pruning to 6: %+v", rep)
	}
	if _, err := s.AppendAudit(ctx, []*audit.Event{testEvent("After", acct1, "")}); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s); rep.Head.Seq != 11 {
		t.Errorf("after appending to a pruned log: %+v", rep)
	}
}

// testAuditBatches appends several events per call (one row per call on
// SQLite, audit.EncodeBatch) between single ones, and reads, queries,
// pages and prunes across and inside those calls.
func testAuditBatches(t *testing.T, s AuditStore) {
	ctx := t.Context()
	// seq 1: single; 2..31: a batch; 32: single; 33..52: a batch.
	var evs [][]*audit.Event
	evs = append(evs, []*audit.Event{testEvent("Single", acct1, "arn:s")})
	var b1 []*audit.Event
	for i := range 30 {
		name, key := "Encrypt", "arn:a"
		if i%3 == 0 {
			name, key = "Decrypt", "arn:b"
		}
		ev := testEvent(name, acct1, key)
		ev.EventTime = at(i)
		if i == 7 {
			ev.ErrorCode = "DisabledException"
		}
		b1 = append(b1, ev)
	}
	evs = append(evs, b1, []*audit.Event{testEvent("Single", acct2, "arn:s")})
	var b2 []*audit.Event
	for i := range 20 {
		ev := testEvent("GenerateDataKey", acct2, "arn:c")
		ev.EventTime = at(100 + i)
		b2 = append(b2, ev)
	}
	evs = append(evs, b2)
	for _, e := range evs {
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if rep := verify(t, s); rep.Events != 52 || rep.Head.Seq != 52 {
		t.Fatalf("verify: %+v", rep)
	}
	// AuditRecords from inside a batch, with a limit inside it.
	rs, err := s.AuditRecords(ctx, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 || rs[0].Seq != 11 || rs[4].Seq != 15 {
		t.Fatalf("AuditRecords(10, 5): %d records from %d", len(rs), rs[0].Seq)
	}
	if ev, err := audit.ParseEvent(rs[0].Event); err != nil || rs[0].EventName != ev.EventName || ev.EventName != "Decrypt" || rs[0].KeyARNs != "arn:b" {
		t.Fatalf("record 11: columns %q %q, event %v", rs[0].EventName, rs[0].KeyARNs, err)
	}
	seqs := func(q audit.Query) []int64 {
		t.Helper()
		return querySeqs(t, s, q)
	}
	tests := []struct {
		name string
		q    audit.Query
		want []int64
	}{
		{"newest first, a page", audit.Query{Limit: 3}, []int64{52, 51, 50}},
		{"before, inside a batch", audit.Query{BeforeSeq: 33, Limit: 3}, []int64{32, 31, 30}},
		{"ascending after, inside a batch", audit.Query{Ascending: true, AfterSeq: 29, Limit: 4}, []int64{30, 31, 32, 33}},
		{"event name across rows", audit.Query{EventName: "Decrypt", Limit: 4}, []int64{29, 26, 23, 20}},
		{"event name, paged past rows", audit.Query{EventName: "Decrypt", BeforeSeq: 20, Limit: 100}, []int64{17, 14, 11, 8, 5, 2}},
		{"error code in a batch", audit.Query{ErrorCode: "DisabledException", Limit: 10}, []int64{9}},
		{"key", audit.Query{KeyARN: "arn:s", Limit: 10}, []int64{32, 1}},
		{"account", audit.Query{Account: acct2, EventName: "Single", Limit: 10}, []int64{32}},
		// Event times are kept to the second; at() has a fraction.
		{"time inside a batch", audit.Query{Start: at(27), End: at(29), Limit: 10}, []int64{31, 30}},
		{"time, second batch", audit.Query{Start: at(118), Limit: 10}, []int64{52}},
	}
	for _, tc := range tests {
		if got := seqs(tc.q); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// Prune to an event inside the second batch; the rest verifies from
	// the checkpoint.
	rs, err = s.AuditRecords(ctx, 39, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := audit.Checkpoint{Seq: 40, Hash: rs[0].Hash, Time: at(200)}
	c.Sign(auditTestKey)
	if err := s.PruneAudit(ctx, c); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s); rep.Events != 12 || rep.CheckpointSeq != 40 || rep.Head.Seq != 52 {
		t.Errorf("after pruning to 40: %+v", rep)
	}
	if got := seqs(audit.Query{Ascending: true, Limit: 3}); fmt.Sprint(got) != "[41 42 43]" {
		t.Errorf("oldest after pruning: %v", got)
	}
	// More than a batch holds, with one event over.
	big := make([]*audit.Event, audit.MaxBatchEvents+1)
	for i := range big {
		big[i] = testEvent("Sign", acct1, "arn:d")
	}
	if _, err := s.AppendAudit(ctx, big); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s); rep.Head.Seq != 52+int64(len(big)) || rep.Events != 12+int64(len(big)) {
		t.Errorf("after %d more: %+v", len(big), rep)
	}
}

// querySeqs returns the sequence numbers QueryAudit answers q with.
func querySeqs(t *testing.T, s AuditStore, q audit.Query) []int64 {
	t.Helper()
	rs, err := s.QueryAudit(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}
