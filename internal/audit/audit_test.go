package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memLog is an in-memory Log: a real implementation of the contract,
// with hooks to slow it down or make it fail.
type memLog struct {
	mu      sync.Mutex
	recs    []Record
	digests []Digest
	cp      *Checkpoint
	delay   time.Duration
	fail    error
	appends int
	// digestDelay slows AddAuditDigests down (outside the lock, as a
	// round trip to a database would).
	digestDelay time.Duration
	// maxTail is the most events that ever followed the last digest.
	maxTail int64
}

func (m *memLog) AppendAudit(_ context.Context, evs []*Event) (Head, error) {
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return Head{}, m.fail
	}
	m.appends++
	h := m.head()
	for _, ev := range evs {
		r := NewRecord(ev, h.Seq+1, h.Hash)
		m.recs = append(m.recs, r)
		h = Head{Seq: r.Seq, Hash: r.Hash}
	}
	if tip, ok := m.tip(); ok {
		m.maxTail = max(m.maxTail, h.Seq-tip.ToSeq)
	}
	return h, nil
}

func (m *memLog) head() Head {
	if len(m.recs) == 0 {
		if m.cp != nil {
			return Head{Seq: m.cp.Seq, Hash: m.cp.Hash}
		}
		return Head{Hash: Genesis}
	}
	r := m.recs[len(m.recs)-1]
	return Head{Seq: r.Seq, Hash: r.Hash}
}

func (m *memLog) AuditHead(context.Context) (Head, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.head(), nil
}

// AuditRecords returns records in stored order (which tampering may
// change), after the one with Seq == after.
func (m *memLog) AuditRecords(_ context.Context, after int64, limit int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := 0
	if after > 0 {
		i = len(m.recs)
		for j, r := range m.recs {
			if r.Seq == after {
				i = j + 1
				break
			}
		}
		if m.cp != nil && after == m.cp.Seq {
			i = 0
		}
	}
	return append([]Record(nil), m.recs[i:min(len(m.recs), i+limit)]...), nil
}

func (m *memLog) QueryAudit(_ context.Context, q Query) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Record
	for i := len(m.recs) - 1; i >= 0 && len(out) < q.Limit; i-- {
		r := m.recs[i]
		if !q.End.IsZero() && !r.Time.Before(q.End) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func (m *memLog) AddAuditDigests(_ context.Context, ds []Digest) error {
	time.Sleep(m.digestDelay)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(ds) > 0 && ds[0].Chained() {
		if tip, ok := m.tip(); ok && tip.Chained() && (ds[0].FromSeq != tip.ToSeq+1 || !bytes.Equal(ds[0].PrevMAC, tip.MAC)) {
			return ErrDigestConflict
		}
		for _, d := range m.digests {
			if d.Chained() && bytes.Equal(d.PrevMAC, ds[0].PrevMAC) {
				return ErrDigestConflict
			}
		}
	}
	m.digests = append(m.digests, ds...)
	return nil
}

func (m *memLog) tip() (Digest, bool) {
	var tip Digest
	ok := false
	for _, d := range m.digests {
		switch {
		case !ok, d.Chained() && !tip.Chained(), d.Chained() == tip.Chained() && d.ToSeq >= tip.ToSeq:
			tip, ok = d, true
		}
	}
	return tip, ok
}

func (m *memLog) AuditDigestTip(context.Context) (Digest, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.tip()
	return d, ok, nil
}

func (m *memLog) AuditDigests(context.Context) ([]Digest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Digest(nil), m.digests...), nil
}

func (m *memLog) PruneAudit(_ context.Context, c Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.recs {
		if r.Seq == c.Seq {
			m.recs = append([]Record(nil), m.recs[i+1:]...)
			m.cp = &c
			m.digests = slices.DeleteFunc(m.digests, func(d Digest) bool { return d.ToSeq < c.Seq })
			return nil
		}
	}
	return errors.New("no such event")
}

func (m *memLog) AuditCheckpoint(context.Context) (Checkpoint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cp == nil {
		return Checkpoint{}, false, nil
	}
	return *m.cp, true, nil
}

var _ Log = (*memLog)(nil)

var testKey = bytes.Repeat([]byte{7}, 32)

func event(i int) *Event {
	ev := &Event{
		EventVersion: EventVersion, EventTime: time.Unix(1700000000+int64(i), 0), EventSource: SourceKMS,
		EventName: "Encrypt", AWSRegion: "us-east-1", EventID: fmt.Sprintf("ev-%d", i), RequestID: fmt.Sprintf("req-%d", i),
		UserIdentity:       Identity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"},
		RequestParameters:  json.RawMessage(`{"keyId":"alias/x"}`),
		EventType:          TypeAPICall,
		ManagementEvent:    true,
		ReadOnly:           true,
		RecipientAccountID: "111122223333",
		EventCategory:      CategoryManagement,
	}
	ev.AddResource("111122223333", "arn:aws:kms:us-east-1:111122223333:key/k")
	return ev
}

func TestMarshal(t *testing.T) {
	ev := event(1)
	ev.UserAgent = "agent <&> \u2028 \xff"
	ev.SourceIPAddress = "192.0.2.1"
	ev.ErrorCode, ev.ErrorMessage = "NotFoundException", "Key 'x' does not exist"
	b := ev.Marshal(nil)
	if !json.Valid(b) {
		t.Fatalf("Marshal wrote invalid JSON: %s", b)
	}
	got, err := ParseEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.EventName != "Encrypt" || got.ErrorCode != "NotFoundException" || got.Resources[0].Type != ResourceTypeKey ||
		got.EventTime.Format(time.RFC3339) != "2023-11-14T22:13:21Z" || got.UserIdentity.ARN != ev.UserIdentity.ARN {
		t.Errorf("round trip: got %+v", got)
	}
	// encoding/json re-encodes the stored bytes unchanged (exports embed
	// them as json.RawMessage).
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(struct{ E json.RawMessage }{b})
	if !bytes.Contains(buf.Bytes(), b) {
		t.Errorf("re-encoding changed the event:\n%s\n%s", b, buf.Bytes())
	}
	// Every member CloudTrail's KMS record has.
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "userAgent",
		"sourceIPAddress", "requestParameters", "responseElements", "errorCode", "errorMessage", "requestID", "eventID",
		"readOnly", "resources", "eventType", "managementEvent", "recipientAccountId", "eventCategory"} {
		if _, ok := m[k]; !ok {
			t.Errorf("member %s missing from %s", k, b)
		}
	}
}

func TestMarshalSizeCap(t *testing.T) {
	tests := []struct {
		name string
		set  func(ev *Event)
	}{
		{"requestParameters", func(ev *Event) {
			ev.RequestParameters = json.RawMessage(`{"x":"` + strings.Repeat("a", 40000) + `"}`)
		}},
		{"everything", func(ev *Event) {
			big := json.RawMessage(`{"x":"` + strings.Repeat("a", 40000) + `"}`)
			ev.RequestParameters, ev.ResponseElements, ev.AdditionalEventData = big, big, big
			ev.UserAgent = strings.Repeat("u", 100000)
			ev.ErrorMessage = strings.Repeat("é", 100000)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(1)
			tc.set(ev)
			b := ev.Marshal(nil)
			if len(b) > MaxEventBytes || !json.Valid(b) {
				t.Fatalf("capped event: %d bytes, valid %v", len(b), json.Valid(b))
			}
			if !bytes.Contains(b, TruncatedMarker) {
				t.Errorf("no truncation marker in %.200s", b)
			}
		})
	}
}

func appendN(t *testing.T, l Log, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if _, err := l.AppendAudit(t.Context(), []*Event{event(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(m *memLog)
		head    bool // pass the head taken before tampering
		wantSeq int64
	}{
		{"intact", func(m *memLog) {}, true, 0},
		{"changed event", func(m *memLog) {
			m.recs[4].Event = bytes.Replace(m.recs[4].Event, []byte("Encrypt"), []byte("Decrypt"), 1)
		}, false, 5},
		{"changed column", func(m *memLog) { m.recs[2].EventName = "Decrypt" }, false, 3},
		{"changed event and its hash", func(m *memLog) {
			r := &m.recs[4]
			r.Event = bytes.Replace(r.Event, []byte("Encrypt"), []byte("Decrypt"), 1)
			r.EventName = "Decrypt"
			r.Hash = Link(r.PrevHash, r.Seq, r.Event)
		}, false, 6},
		{"removed middle", func(m *memLog) { m.recs = append(m.recs[:3], m.recs[4:]...) }, false, 4},
		{"removed first", func(m *memLog) { m.recs = m.recs[1:] }, false, 1},
		{"swapped", func(m *memLog) { m.recs[2], m.recs[6] = m.recs[6], m.recs[2] }, false, 3},
		{"swapped contents, seqs kept", func(m *memLog) {
			a, b := m.recs[2], m.recs[6]
			a.Seq, b.Seq = b.Seq, a.Seq
			m.recs[2], m.recs[6] = b, a
		}, false, 3},
		{"inserted", func(m *memLog) {
			extra := NewRecord(event(99), 4, m.recs[2].Hash)
			m.recs = append(m.recs[:3], append([]Record{extra}, m.recs[3:]...)...)
		}, false, 4},
		{"tail removed, head kept elsewhere", func(m *memLog) { m.recs = m.recs[:7] }, true, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &memLog{}
			appendN(t, m, 10)
			if _, err := WriteDigests(t.Context(), WriterConfig{Store: m, DigestKey: testKey}); err != nil {
				t.Fatal(err)
			}
			head, _ := m.AuditHead(t.Context())
			tc.tamper(m)
			opts := VerifyOptions{Key: testKey, Digests: m.digests}
			if tc.head {
				opts.ExpectHead = &head
			}
			rep, err := Verify(t.Context(), m, opts)
			var ve *VerifyError
			switch {
			case tc.wantSeq == 0 && err != nil:
				t.Fatalf("Verify of an intact log: %v", err)
			case tc.wantSeq == 0:
				if rep.Events != 10 || rep.Head.String() != head.String() {
					t.Errorf("report %+v, want 10 events to head %v", rep, head)
				}
			case !errors.As(err, &ve):
				t.Fatalf("Verify: got %v, want a VerifyError at %d", err, tc.wantSeq)
			case ve.Seq != tc.wantSeq:
				t.Errorf("Verify names event %d (%v), want %d", ve.Seq, err, tc.wantSeq)
			}
		})
	}
}

// A tail removal is found without a head kept elsewhere when a signed
// digest covers the removed events; a forged digest is refused.
func TestVerifyDigests(t *testing.T) {
	m := &memLog{}
	appendN(t, m, 10)
	if _, err := WriteDigests(t.Context(), WriterConfig{Store: m, DigestKey: testKey}); err != nil {
		t.Fatal(err)
	}
	ds, _ := m.AuditDigests(t.Context())
	if _, err := Verify(t.Context(), m, VerifyOptions{Key: testKey, Digests: ds}); err != nil {
		t.Fatalf("intact: %v", err)
	}
	m.recs = m.recs[:8]
	_, err := Verify(t.Context(), m, VerifyOptions{Key: testKey, Digests: ds})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Seq != 9 {
		t.Fatalf("tail removed under a digest: %v", err)
	}
	// The whole chain rewritten from event 3 on, and the digest forged
	// without the key.
	m2 := &memLog{}
	appendN(t, m2, 10)
	rewritten := &memLog{recs: append([]Record(nil), m2.recs[:2]...)}
	for i := 3; i <= 10; i++ {
		ev := event(i)
		ev.EventName = "Decrypt"
		rewritten.AppendAudit(t.Context(), []*Event{ev})
	}
	h, _ := rewritten.AuditHead(t.Context())
	forged := Digest{FromSeq: 1, ToSeq: 10, Hash: h.Hash, Time: time.Unix(5, 0), PrevMAC: ZeroMAC, Every: 100}
	forged.Sign([]byte("not the key"))
	_, err = Verify(t.Context(), rewritten, VerifyOptions{Key: testKey, Digests: []Digest{forged}})
	if !errors.As(err, &ve) || ve.Seq != 1 {
		t.Fatalf("forged digest: %v", err)
	}
	// With the real digest of the original chain, the rewrite shows.
	ds2 := Digest{FromSeq: 1, ToSeq: 10, Hash: m2.head().Hash, Time: time.Unix(5, 0), PrevMAC: ZeroMAC, Every: 100}
	ds2.Sign(testKey)
	_, err = Verify(t.Context(), rewritten, VerifyOptions{Key: testKey, Digests: []Digest{ds2}})
	if !errors.As(err, &ve) || ve.Seq != 10 {
		t.Fatalf("rewritten chain against its digest: %v", err)
	}
}

func TestPruneCheckpoint(t *testing.T) {
	m := &memLog{}
	appendN(t, m, 10)
	if _, err := WriteDigests(t.Context(), WriterConfig{Store: m, DigestKey: testKey}); err != nil {
		t.Fatal(err)
	}
	head, _ := m.AuditHead(t.Context())
	c, ok, err := Prune(t.Context(), m, testKey, time.Unix(1700000000+6, 0), time.Unix(9, 0))
	if err != nil || !ok || c.Seq != 5 {
		t.Fatalf("Prune = %+v, %v, %v; want checkpoint at 5", c, ok, err)
	}
	opts := VerifyOptions{Key: testKey, Checkpoint: &c, ExpectHead: &head, Digests: m.digests}
	rep, err := Verify(t.Context(), m, opts)
	if err != nil || rep.Events != 5 || rep.CheckpointSeq != 5 {
		t.Fatalf("Verify after pruning: %+v, %v", rep, err)
	}
	// A checkpoint moved without the key is refused.
	bad := c
	bad.Seq = 6
	bad.Hash = m.recs[0].Hash
	m.recs = m.recs[1:]
	var ve *VerifyError
	if _, err := Verify(t.Context(), m, VerifyOptions{Key: testKey, Checkpoint: &bad, Digests: m.digests}); !errors.As(err, &ve) {
		t.Fatalf("forged checkpoint: %v", err)
	}
	// Without the checkpoint the pruned chain does not verify from 1.
	if _, err := Verify(t.Context(), m, VerifyOptions{Key: testKey, Digests: m.digests}); !errors.As(err, &ve) || ve.Seq != 1 {
		t.Fatalf("pruned chain without checkpoint: %v", err)
	}
}

func TestHeadString(t *testing.T) {
	m := &memLog{}
	appendN(t, m, 3)
	h, _ := m.AuditHead(t.Context())
	got, err := ParseHead(h.String())
	if err != nil || got.String() != h.String() {
		t.Fatalf("ParseHead(%s) = %v, %v", h, got, err)
	}
	for _, bad := range []string{"", "3", "x:00", "3:zz", "3:00", "-1:" + strings.Repeat("00", 32)} {
		if _, err := ParseHead(bad); err == nil {
			t.Errorf("ParseHead(%q) accepted", bad)
		}
	}
}

func TestWriterBatches(t *testing.T) {
	m := &memLog{delay: 20 * time.Millisecond}
	w, err := NewWriter(t.Context(), WriterConfig{Store: m, DigestKey: testKey, DigestEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := event(i)
			if err := w.Append(context.Background(), ev); err != nil {
				errs <- err
				return
			}
			// Durable when Append returns: the log holds it.
			m.mu.Lock()
			found := false
			for _, r := range m.recs {
				if bytes.Contains(r.Event, []byte(`"eventID":"`+ev.EventID+`"`)) {
					found = true
				}
			}
			m.mu.Unlock()
			if !found {
				errs <- fmt.Errorf("event %d not in the log when Append returned", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Events != n || st.Batches >= n/4 || st.MaxBatch < 10 {
		t.Errorf("stats %+v: want %d events in far fewer transactions", st, n)
	}
	if m.appends != int(st.Batches) {
		t.Errorf("%d store appends for %d batches", m.appends, st.Batches)
	}
	w.Close() // digests what is left
	ds, _ := m.AuditDigests(t.Context())
	if len(ds) == 0 {
		t.Error("no digest after 200 events with DigestEvery 50")
	}
	if _, err := Verify(t.Context(), m, VerifyOptions{Key: testKey, Digests: ds}); err != nil {
		t.Fatal(err)
	}
}

func TestWriterFailsClosed(t *testing.T) {
	m := &memLog{fail: errors.New("disk I/O error")}
	type commit struct {
		events int
		failed bool
	}
	var commitsMu sync.Mutex
	var commits []commit
	onCommit := func(n int, took time.Duration, err error) {
		commitsMu.Lock()
		commits = append(commits, commit{n, err != nil})
		commitsMu.Unlock()
	}
	w, err := NewWriter(t.Context(), WriterConfig{Store: m, OnCommit: onCommit})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer func() {
		commitsMu.Lock()
		defer commitsMu.Unlock()
		if want := []commit{{1, true}, {1, false}}; !slices.Equal(commits, want) {
			t.Errorf("OnCommit saw %v, want %v", commits, want)
		}
	}()
	if err := w.Append(t.Context(), event(1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append with a failing store: %v, want ErrUnavailable", err)
	}
	if err := w.Err(); err == nil || !strings.Contains(err.Error(), "disk I/O error") {
		t.Fatalf("Err after a failed commit: %v", err)
	}
	m.mu.Lock()
	m.fail = nil
	m.mu.Unlock()
	if err := w.Append(t.Context(), event(2)); err != nil {
		t.Fatalf("Append after recovery: %v", err)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err after recovery: %v", err)
	}
	w.Close()
	if err := w.Append(t.Context(), event(3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
}

func TestAggregator(t *testing.T) {
	m := &memLog{}
	w, err := NewWriter(t.Context(), WriterConfig{Store: m})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := NewAggregator(AggregatorConfig{Append: w.Append, Account: "111122223333"})
	now := time.Unix(1700000000, 0)
	for i := range 1000 {
		a.Add(Unauthenticated{SourceIP: "10.0.0.1", ErrorCode: "InvalidSignatureException", AccessKeyID: "AKIAEXAMPLE",
			EventName: "Encrypt", RequestID: fmt.Sprint("r", i), Time: now.Add(time.Duration(i) * time.Millisecond)})
	}
	for i := range 10 {
		a.Add(Unauthenticated{SourceIP: fmt.Sprint("10.0.1.", i), ErrorCode: "MissingAuthenticationTokenException", Time: now})
	}
	// The same source, error and key on another service is its own
	// aggregate, under its own event source.
	a.Add(Unauthenticated{SourceIP: "10.0.0.1", ErrorCode: "InvalidSignatureException", AccessKeyID: "AKIAEXAMPLE",
		EventName: "ListUsers", EventSource: "iam.amazonaws.com", RequestID: "iam0", Time: now})
	if n := a.Flush(t.Context()); n != 12 {
		t.Fatalf("Flush appended %d events, want 12", n)
	}
	if len(m.recs) != 12 {
		t.Fatalf("log has %d events after 1011 unauthenticated requests, want 12", len(m.recs))
	}
	var total int64
	iam := 0
	for _, r := range m.recs {
		ev, _ := ParseEvent(r.Event)
		total += Count(ev)
		if ev.EventSource == "iam.amazonaws.com" {
			iam++
			if Count(ev) != 1 || ev.EventName != "ListUsers" || ev.RequestID != "iam0" {
				t.Errorf("IAM aggregate %+v", ev)
			}
			continue
		}
		if ev.EventSource != SourceKMS {
			t.Errorf("event source %q, want %s", ev.EventSource, SourceKMS)
		}
		if ev.UserIdentity.AccessKeyID == "AKIAEXAMPLE" {
			var x struct {
				Count   int64
				Samples []struct{ RequestID string }
			}
			json.Unmarshal(ev.AdditionalEventData, &x)
			if x.Count != 1000 || len(x.Samples) != MaxSamples || x.Samples[0].RequestID != "r0" {
				t.Errorf("aggregate %s", ev.AdditionalEventData)
			}
		}
	}
	if total != 1011 || iam != 1 {
		t.Errorf("aggregates count %d requests (%d IAM aggregates), want 1011 (1)", total, iam)
	}
	if n := a.Flush(t.Context()); n != 0 {
		t.Errorf("second Flush appended %d", n)
	}
}

func TestPendingContext(t *testing.T) {
	ev := event(1)
	ev.Resources = nil
	ctx := NewContext(t.Context(), ev)
	SetResource(ctx, "111122223333", "arn:a")
	SetResource(ctx, "111122223333", "arn:a")
	SetResource(ctx, "111122223333", "arn:b")
	if len(ev.Resources) != 2 {
		t.Errorf("resources %+v", ev.Resources)
	}
	got, commit, ok := Pending(ctx)
	if !ok || got != ev {
		t.Fatal("Pending did not return the event")
	}
	if Written(ctx) {
		t.Fatal("written before commit")
	}
	commit()
	if !Written(ctx) {
		t.Fatal("not written after commit")
	}
	if _, _, ok := Pending(ctx); ok {
		t.Fatal("a written event is pending again")
	}
	SetResource(ctx, "111122223333", "arn:c")
	if len(ev.Resources) != 2 {
		t.Error("SetResource changed a written event")
	}
	if _, _, ok := Pending(t.Context()); ok || FromContext(t.Context()) != nil {
		t.Error("a context without an event has one")
	}
}

// TestSealAllocatesOnce checks that an Encrypt-shaped event is encoded
// into one allocation (sizeHint must cover the encoding), and that its
// record's stored form is less than half its size and gives it back.
func TestSealAllocatesOnce(t *testing.T) {
	ev := &Event{EventVersion: EventVersion, EventTime: time.Now(), EventSource: SourceKMS, EventName: "Encrypt",
		AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1", UserAgent: "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 source/x86_64.debian.12 prompt/off command/kms.encrypt",
		UserIdentity: Identity{Type: "AssumedRole", PrincipalID: "AROAEXAMPLEEXAMPLE123:session-name", ARN: "arn:aws:sts::111122223333:assumed-role/app/session-name",
			AccountID: "111122223333", AccessKeyID: "ASIAEXAMPLEEXAMPLE12",
			SessionContext: SessionContext{SessionIssuer: SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLEEXAMPLE123", ARN: "arn:aws:iam::111122223333:role/app", AccountID: "111122223333", UserName: "app"}}},
		RequestParameters: json.RawMessage(`{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","encryptionContext":{"purpose":"test","tenant":"a"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`),
		RequestID:         "89352247-0bb6-4e9b-8000-000000000002", EventID: "44be6465-5885-464b-a137-bf5c3e217ed0", ReadOnly: true,
		EventType: TypeAPICall, ManagementEvent: true, RecipientAccountID: "111122223333", EventCategory: CategoryManagement}
	ev.AddResource("111122223333", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	if n := testing.AllocsPerRun(100, ev.Seal); n != 1 {
		t.Errorf("Seal allocates %v times, want 1", n)
	}
	if got, want := ev.encoded(), ev.Marshal(nil); !bytes.Equal(got, want) {
		t.Errorf("sealed encoding differs from Marshal")
	}
	r := NewRecord(ev, 1, Genesis)
	if len(r.Stored) >= len(r.Event)/2 {
		t.Errorf("stored form is %d bytes for %d of JSON, want less than half", len(r.Stored), len(r.Event))
	}
	if got, err := Decompress(r.Stored); err != nil || !bytes.Equal(got, r.Event) {
		t.Errorf("Decompress(stored form) = %q, %v; want the encoding", got, err)
	}
}

func TestAdminEvent(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := AdminEvent(SourceIAM, "CreateAccessKey", "111122223333", "trent admin credentials create", "id-1", at)
	back, err := ParseEvent(ev.Marshal(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"command":"trent admin credentials create"}`
	if back.EventType != TypeServiceEvent || back.EventSource != SourceIAM || back.UserIdentity.InvokedBy != AdminInvoker ||
		back.UserIdentity.AccountID != "111122223333" || back.UserIdentity.ARN != "" || back.RecipientAccountID != "111122223333" ||
		string(back.AdditionalEventData) != want || !back.EventTime.Equal(at) || back.ReadOnly {
		t.Errorf("AdminEvent round trip: %+v", back)
	}
}
