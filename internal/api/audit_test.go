package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

const auditAccount = "111122223333"

// auditFixture is the request path with the audit log on: SQLite store,
// group-commit writer, aggregator and LookupEvents.
type auditFixture struct {
	fixture
	st  *sqlstore.DB
	w   *audit.Writer
	agg *audit.Aggregator
	ct  sigv4.Signer
}

// failingLog is a store whose audit appends fail (the disk is full).
type failingLog struct {
	*sqlstore.DB
	mu   sync.Mutex
	fail bool
}

func (f *failingLog) AppendAudit(ctx context.Context, evs []*audit.Event) (audit.Head, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return audit.Head{}, errors.New("database or disk is full")
	}
	return f.DB.AppendAudit(ctx, evs)
}

func newAuditFixture(tb testing.TB, wrap func(*sqlstore.DB) audit.Appender) *auditFixture {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "trent.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	dk, _ := keyring.NewDomainKey(nil)
	kr, err := keyring.Open(dk, keyring.Options{Source: service.MaterialSource(st)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kr.Close() })
	ak, secret, err := iam.NewAccessKey(kr, auditAccount, iam.RootARN(auditAccount), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Bootstrap(ctx, store.Domain{WrappedKey: []byte{1}, KeyCheck: []byte{1}, SealType: "file"}, store.Account{ID: auditAccount}, ak); err != nil {
		tb.Fatal(err)
	}
	var app audit.Appender = st
	if wrap != nil {
		app = wrap(st)
	}
	key, _ := kr.AuditKey()
	w, err := audit.NewWriter(ctx, audit.WriterConfig{Store: app, DigestKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	agg := audit.NewAggregator(audit.AggregatorConfig{Append: w.Append, Account: auditAccount})
	dir := iam.NewDirectory(st, kr)
	region := func(r string) bool { return r == "us-east-1" }
	h := New(Config{
		Service:         service.New(service.Config{Store: st, Keyring: kr}),
		KMS:             &sigv4.Verifier{Service: "kms", AllowRegion: region, Lookup: dir.Lookup},
		CloudTrail:      &sigv4.Verifier{Service: "cloudtrail", AllowRegion: region, Lookup: dir.Lookup},
		Audit:           w,
		Unauthenticated: agg,
		AuditLog:        st,
	})
	return &auditFixture{
		fixture: fixture{h: h, signer: sigv4.Signer{AccessKeyID: ak.ID, Secret: []byte(secret), Region: "us-east-1", Service: "kms"}},
		st:      st, w: w, agg: agg,
		ct: sigv4.Signer{AccessKeyID: ak.ID, Secret: []byte(secret), Region: "us-east-1", Service: "cloudtrail"},
	}
}

// events returns every stored event after seq.
func (f *auditFixture) events(tb testing.TB, after int64) []audit.Record {
	tb.Helper()
	recs, err := f.st.AuditRecords(context.Background(), after, 100000)
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}

func (f *auditFixture) head(tb testing.TB) int64 {
	tb.Helper()
	h, err := f.st.AuditHead(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h.Seq
}

// checkSchema checks an event against the CloudTrail KMS record shape.
func checkSchema(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("event is not JSON: %v: %s", err, b)
	}
	str := func(k string) string {
		v, ok := m[k].(string)
		if !ok {
			t.Errorf("%s: want a string, got %T in %s", k, m[k], b)
		}
		return v
	}
	if str("eventVersion") != "1.08" || str("eventSource") != audit.SourceKMS || str("eventCategory") != "Management" {
		t.Errorf("fixed members wrong: %s", b)
	}
	if _, err := time.Parse(time.RFC3339, str("eventTime")); err != nil || !strings.HasSuffix(str("eventTime"), "Z") {
		t.Errorf("eventTime %q is not RFC 3339 UTC", m["eventTime"])
	}
	if len(str("eventID")) != 36 || len(str("requestID")) != 36 {
		t.Errorf("eventID/requestID not UUIDs: %s", b)
	}
	if et := str("eventType"); et != audit.TypeAPICall {
		t.Errorf("eventType %q", et)
	}
	str("eventName")
	str("awsRegion")
	str("sourceIPAddress")
	str("recipientAccountId")
	for _, k := range []string{"readOnly", "managementEvent"} {
		if _, ok := m[k].(bool); !ok {
			t.Errorf("%s: want a bool in %s", k, b)
		}
	}
	id, ok := m["userIdentity"].(map[string]any)
	if !ok || id["type"] != "Root" || id["arn"] != iam.RootARN(auditAccount) || id["accountId"] != auditAccount || id["accessKeyId"] == nil || id["principalId"] != auditAccount {
		t.Errorf("userIdentity %v", m["userIdentity"])
	}
	for _, k := range []string{"requestParameters", "responseElements"} {
		v, present := m[k]
		if _, isObj := v.(map[string]any); !present || v != nil && !isObj {
			t.Errorf("%s: want an object or null in %s", k, b)
		}
	}
	if rs, ok := m["resources"]; ok {
		for _, r := range rs.([]any) {
			r := r.(map[string]any)
			if r["type"] != audit.ResourceTypeKey || !strings.HasPrefix(r["ARN"].(string), "arn:aws:kms:us-east-1:"+auditAccount+":key/") || r["accountId"] != auditAccount {
				t.Errorf("resource %v", r)
			}
		}
	}
	return m
}

// TestEveryOperationOneEvent calls every KMS operation, successfully or
// not, and checks that each yields exactly one well-formed event that
// names its request, its outcome and the key it acted on, and that no
// byte of plaintext or ciphertext the test saw appears in the log.
func TestEveryOperationOneEvent(t *testing.T) {
	f := newAuditFixture(t, nil)
	var created struct{ KeyMetadata struct{ Arn, KeyId string } }
	if w := f.call(t, "CreateKey", map[string]any{"Description": "audited"}, &created); w.status != 200 {
		t.Fatalf("CreateKey: %d %s", w.status, w.body.String())
	}
	arn := created.KeyMetadata.Arn
	secret := []byte("PLAINTEXT-MARKER-d41d8cd98f00b204")
	var enc struct{ CiphertextBlob []byte }
	f.call(t, "Encrypt", map[string]any{"KeyId": arn, "Plaintext": secret}, &enc)
	var hmacKey struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, &hmacKey)
	var signKey struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, &signKey)

	ctx := map[string]string{"Department": "Audit"}
	body := func(extra map[string]any) map[string]any {
		m := map[string]any{"KeyId": arn}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var ops []string
	for target := range f.h.routes {
		ops = append(ops, strings.TrimPrefix(target, "TrentService."))
	}
	inputs := map[string]map[string]any{
		"CreateKey":                       {"Description": "x", "Tags": []map[string]string{{"TagKey": "k", "TagValue": "v"}}},
		"ListKeys":                        {},
		"ListAliases":                     {},
		"Encrypt":                         body(map[string]any{"Plaintext": secret, "EncryptionContext": ctx}),
		"Decrypt":                         {"CiphertextBlob": enc.CiphertextBlob},
		"ReEncrypt":                       {"CiphertextBlob": enc.CiphertextBlob, "DestinationKeyId": arn},
		"GenerateDataKey":                 body(map[string]any{"KeySpec": "AES_256", "EncryptionContext": ctx}),
		"GenerateDataKeyWithoutPlaintext": body(map[string]any{"NumberOfBytes": 32}),
		"GenerateRandom":                  {"NumberOfBytes": 16},
		"CreateAlias":                     {"AliasName": "alias/audited", "TargetKeyId": arn},
		"UpdateAlias":                     {"AliasName": "alias/audited", "TargetKeyId": arn},
		"DeleteAlias":                     {"AliasName": "alias/audited"},
		"TagResource":                     body(map[string]any{"Tags": []map[string]string{{"TagKey": "a", "TagValue": "b"}}}),
		"UntagResource":                   body(map[string]any{"TagKeys": []string{"a"}}),
		"UpdateKeyDescription":            body(map[string]any{"Description": "new"}),
		"ScheduleKeyDeletion":             body(map[string]any{"PendingWindowInDays": 7}),
		"Sign":                            {"KeyId": signKey.KeyMetadata.Arn, "Message": secret, "SigningAlgorithm": "ECDSA_SHA_256"},
		"Verify":                          {"KeyId": signKey.KeyMetadata.Arn, "Message": secret, "Signature": []byte("sig"), "SigningAlgorithm": "ECDSA_SHA_256"},
		"GenerateMac":                     {"KeyId": hmacKey.KeyMetadata.Arn, "Message": secret, "MacAlgorithm": "HMAC_SHA_256"},
		"VerifyMac":                       {"KeyId": hmacKey.KeyMetadata.Arn, "Message": secret, "Mac": secret, "MacAlgorithm": "HMAC_SHA_256"},
		"GetParametersForImport":          body(map[string]any{"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
		"ImportKeyMaterial":               body(map[string]any{"ImportToken": secret, "EncryptedKeyMaterial": secret, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
		"DeriveSharedSecret":              {"KeyId": signKey.KeyMetadata.Arn, "KeyAgreementAlgorithm": "ECDH", "PublicKey": secret},
		"Decapsulate":                     body(map[string]any{"Ciphertext": secret}),
	}
	// Sensitive bytes: the plaintext and ciphertext this test sent or got.
	var sensitive [][]byte
	addSensitive := func(b []byte) {
		if len(b) >= 8 {
			sensitive = append(sensitive, b, []byte(base64.StdEncoding.EncodeToString(b)))
		}
	}
	addSensitive(secret)
	addSensitive(enc.CiphertextBlob)

	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			in, ok := inputs[op]
			if !ok {
				in = body(nil)
			}
			before := f.head(t)
			raw, _ := json.Marshal(in)
			w := newRecorder()
			f.h.ServeHTTP(w, f.request(op, raw))
			// What came back may be secret too (plaintext, data keys, MACs).
			var out map[string]any
			json.Unmarshal(w.body.Bytes(), &out)
			for _, k := range []string{"Plaintext", "CiphertextBlob", "Signature", "Mac", "SharedSecret", "ImportToken", "PrivateKeyPlaintext", "PrivateKeyCiphertextBlob", "CiphertextForRecipient"} {
				if s, ok := out[k].(string); ok {
					b, _ := base64.StdEncoding.DecodeString(s)
					addSensitive(b)
				}
			}
			recs := f.events(t, before)
			if len(recs) != 1 {
				t.Fatalf("%d events for one %s request (status %d)", len(recs), op, w.status)
			}
			m := checkSchema(t, recs[0].Event)
			if m["eventName"] != op || recs[0].EventName != op {
				t.Errorf("eventName %v, want %s", m["eventName"], op)
			}
			if m["requestID"] != w.hdr.Get("X-Amzn-Requestid") {
				t.Errorf("requestID %v, response says %s", m["requestID"], w.hdr.Get("X-Amzn-Requestid"))
			}
			var e struct {
				Type string `json:"__type"`
			}
			json.Unmarshal(w.body.Bytes(), &e)
			if got, _ := m["errorCode"].(string); got != e.Type {
				t.Errorf("errorCode %q, response %d %q", got, w.status, e.Type)
			}
			if m["readOnly"] != !service.Lookup(service.APIKMS, op).Mutates {
				t.Errorf("readOnly %v for %s", m["readOnly"], op)
			}
			if w.status == 200 && strings.Contains(string(raw), `"KeyId"`) && m["resources"] == nil {
				t.Errorf("a successful %s on a key has no resources: %s", op, recs[0].Event)
			}
		})
	}
	// The encryption context and key IDs are there; the secrets are not.
	all := f.events(t, 0)
	var joined []byte
	for _, r := range all {
		joined = append(joined, r.Event...)
	}
	if !bytes.Contains(joined, []byte(`"encryptionContext":{"Department":"Audit"}`)) {
		t.Error("no event carries the encryption context")
	}
	for _, s := range sensitive {
		if bytes.Contains(joined, s) {
			t.Errorf("the audit log contains sensitive bytes %q", s)
		}
	}
	// CreateKey's event, written with the key, carries its metadata.
	ev, _ := audit.ParseEvent(all[0].Event)
	if ev.EventName != "CreateKey" || !bytes.Contains(ev.ResponseElements, []byte(`"keyId":"`+created.KeyMetadata.KeyId+`"`)) || ev.Resources[0].ARN != arn {
		t.Errorf("CreateKey event: %s", all[0].Event)
	}
	ds, err := f.st.AuditDigests(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(t.Context(), f.st, audit.VerifyOptions{Digests: ds})
	if err != nil || rep.Events != int64(len(all)) {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}

// TestUnauthenticatedFlood sends many requests that fail authentication
// and checks that the log grows by aggregates, not per request.
func TestUnauthenticatedFlood(t *testing.T) {
	f := newAuditFixture(t, nil)
	before := f.head(t)
	bad := &sigv4.Signer{AccessKeyID: f.signer.AccessKeyID, Secret: []byte("wrong secret"), Region: "us-east-1", Service: "kms"}
	unknown := &sigv4.Signer{AccessKeyID: "AKIAUNKNOWNKEY000000", Secret: []byte("x"), Region: "us-east-1", Service: "kms"}
	const n = 300
	for i := range n {
		var r *http.Request
		switch i % 3 {
		case 0: // bad signature
			r = f.request("Encrypt", []byte(`{}`))
			r.Header.Del("Authorization")
			bad.Sign(r, []byte(`{}`), time.Now())
		case 1: // unknown access key
			r = f.request("Encrypt", []byte(`{}`))
			r.Header.Del("Authorization")
			unknown.Sign(r, []byte(`{}`), time.Now())
		default: // no signature at all
			r, _ = http.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", strings.NewReader(`{}`))
			r.Header.Set("X-Amz-Target", "TrentService.Encrypt")
		}
		r.RemoteAddr = "192.0.2.7:1234"
		w := newRecorder()
		f.h.ServeHTTP(w, r)
		if w.status != 400 {
			t.Fatalf("request %d: status %d", i, w.status)
		}
	}
	if got := f.head(t); got != before {
		t.Fatalf("%d events written before the flush; unauthenticated requests must not be written one by one", got-before)
	}
	f.agg.Flush(t.Context())
	recs := f.events(t, before)
	if len(recs) != 3 {
		t.Fatalf("%d events for %d unauthenticated requests of 3 kinds, want 3 aggregates", len(recs), n)
	}
	var total int64
	codes := map[string]string{}
	for _, r := range recs {
		ev, _ := audit.ParseEvent(r.Event)
		total += audit.Count(ev)
		codes[ev.ErrorCode] = ev.UserIdentity.AccessKeyID
		if ev.SourceIPAddress != "192.0.2.7" || ev.EventName != "Encrypt" {
			t.Errorf("aggregate %s", r.Event)
		}
	}
	if total != n {
		t.Errorf("aggregates count %d requests, want %d", total, n)
	}
	if codes["InvalidSignatureException"] != f.signer.AccessKeyID || codes["UnrecognizedClientException"] != "AKIAUNKNOWNKEY000000" {
		t.Errorf("claimed access keys by error: %v", codes)
	}
	if _, ok := codes["MissingAuthenticationTokenException"]; !ok {
		t.Errorf("no aggregate for missing authentication: %v", codes)
	}
}

// TestFailClosed: when the audit log cannot be written, requests fail
// with KMSInternalException, mutations change nothing, and /readyz says
// why.
func TestFailClosed(t *testing.T) {
	var fl *failingLog
	f := newAuditFixture(t, func(db *sqlstore.DB) audit.Appender {
		fl = &failingLog{DB: db}
		return fl
	})
	var created struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{}, &created)
	fl.mu.Lock()
	fl.fail = true
	fl.mu.Unlock()
	w := f.call(t, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": []byte("x")}, nil)
	if w.status != 500 || !strings.Contains(w.body.String(), "KMSInternalException") {
		t.Fatalf("Encrypt with the audit log failing: %d %s", w.status, w.body.String())
	}
	if strings.Contains(w.body.String(), "CiphertextBlob") {
		t.Fatal("the response carries a ciphertext although its event was not written")
	}
	rr := newRecorder()
	f.h.ServeHTTP(rr, httpGet("/readyz"))
	if rr.status != 503 || !strings.Contains(rr.body.String(), "database or disk is full") {
		t.Errorf("/readyz while failing: %d %s", rr.status, rr.body.String())
	}
	fl.mu.Lock()
	fl.fail = false
	fl.mu.Unlock()
	if w := f.call(t, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": []byte("x")}, nil); w.status != 200 {
		t.Fatalf("Encrypt after recovery: %d", w.status)
	}
	rr = newRecorder()
	f.h.ServeHTTP(rr, httpGet("/readyz"))
	if rr.status != 200 {
		t.Errorf("/readyz after recovery: %d %s", rr.status, rr.body.String())
	}
}

// TestMutationFailsWithItsEvent: a mutation whose event cannot be written
// in its transaction changes nothing.
func TestMutationFailsWithItsEvent(t *testing.T) {
	f := newAuditFixture(t, nil)
	var created struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{}, &created)
	// Make every append fail, as a full disk would.
	if _, err := f.st.SQL().Exec(`CREATE TRIGGER audit_full BEFORE INSERT ON audit_events BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	w := f.call(t, "DisableKey", map[string]any{"KeyId": created.KeyMetadata.Arn}, nil)
	if w.status != 500 {
		t.Fatalf("DisableKey with no writable audit log: %d %s", w.status, w.body.String())
	}
	var state string
	f.st.SQL().QueryRow(`SELECT state FROM keys`).Scan(&state)
	if state != "Enabled" {
		t.Errorf("the key is %s after a DisableKey that failed", state)
	}
}

func httpGet(path string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:4599"+path, nil)
	return r
}

func (f *auditFixture) lookup(t *testing.T, in map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(in)
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", bytes.NewReader(b))
	r.Host = "127.0.0.1:4599"
	r.Header.Set("Content-Type", jsonContentType)
	r.Header.Set("X-Amz-Target", lookupEventsTarget)
	r.ContentLength = int64(len(b))
	f.ct.Sign(r, b, time.Now())
	w := newRecorder()
	f.h.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.body.Bytes(), &out)
	return w.status, out
}

func TestLookupEvents(t *testing.T) {
	f := newAuditFixture(t, nil)
	var created struct{ KeyMetadata struct{ Arn, KeyId string } }
	f.call(t, "CreateKey", map[string]any{}, &created)
	for range 7 {
		f.call(t, "Encrypt", map[string]any{"KeyId": created.KeyMetadata.Arn, "Plaintext": []byte("x")}, nil)
	}
	f.call(t, "DescribeKey", map[string]any{"KeyId": created.KeyMetadata.Arn}, nil)
	tests := []struct {
		name   string
		in     map[string]any
		status int
		count  int
		next   bool
	}{
		// First: the lookups are events too, and root makes them.
		{"username", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "Username", "AttributeValue": "root"}}, "MaxResults": 50}, 200, 9, false},
		{"by event name", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}}}, 200, 7, false},
		{"page", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}}, "MaxResults": 5}, 200, 5, true},
		{"by resource ARN", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "ResourceName", "AttributeValue": created.KeyMetadata.Arn}}}, 200, 9, false},
		{"by key ID", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "ResourceName", "AttributeValue": created.KeyMetadata.KeyId}}}, 200, 9, false},
		{"read-only false", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "ReadOnly", "AttributeValue": "false"}}}, 200, 1, false},
		{"future", map[string]any{"StartTime": time.Now().Add(time.Hour).Unix()}, 200, 0, false},
		{"bad max", map[string]any{"MaxResults": 51}, 400, 0, false},
		{"bad attribute", map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "Nope", "AttributeValue": "x"}}}, 400, 0, false},
		{"bad token", map[string]any{"NextToken": "garbage"}, 400, 0, false},
		{"bad range", map[string]any{"StartTime": 10, "EndTime": 5}, 400, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.lookup(t, tc.in)
			if status != tc.status {
				t.Fatalf("status %d (%v), want %d", status, out, tc.status)
			}
			if status != 200 {
				return
			}
			evs := out["Events"].([]any)
			if len(evs) != tc.count {
				t.Errorf("%d events, want %d", len(evs), tc.count)
			}
			if _, ok := out["NextToken"]; ok != tc.next {
				t.Errorf("NextToken present %v, want %v", ok, tc.next)
			}
			for _, e := range evs {
				e := e.(map[string]any)
				var ct audit.Event
				if err := json.Unmarshal([]byte(e["CloudTrailEvent"].(string)), &ct); err != nil || ct.EventID != e["EventId"] {
					t.Errorf("CloudTrailEvent %v", e["CloudTrailEvent"])
				}
			}
		})
	}
	// Paging reaches the rest.
	_, p1 := f.lookup(t, map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}}, "MaxResults": 5})
	_, p2 := f.lookup(t, map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}}, "MaxResults": 5, "NextToken": p1["NextToken"]})
	if n := len(p2["Events"].([]any)); n != 2 {
		t.Errorf("second page has %d events, want 2", n)
	}
	// The lookups are audited too, as CloudTrail events.
	recs, _ := f.st.QueryAudit(t.Context(), audit.Query{EventName: "LookupEvents", Limit: 100})
	if len(recs) == 0 {
		t.Fatal("LookupEvents calls are not audited")
	}
	ev, _ := audit.ParseEvent(recs[0].Event)
	if ev.EventSource != audit.SourceCloudTrail || !ev.ReadOnly {
		t.Errorf("LookupEvents event %s", recs[0].Event)
	}
}

// TestLookupEventsOwnAccountOnly: a second account's root sees only its
// own events.
func TestLookupEventsOwnAccountOnly(t *testing.T) {
	f := newAuditFixture(t, nil)
	f.call(t, "CreateKey", map[string]any{}, nil)
	ctx := t.Context()
	status, out := f.lookup(t, map[string]any{})
	if status != 200 {
		t.Fatalf("lookup: %d %v", status, out)
	}
	for _, e := range out["Events"].([]any) {
		var ct audit.Event
		json.Unmarshal([]byte(e.(map[string]any)["CloudTrailEvent"].(string)), &ct)
		if ct.RecipientAccountID != auditAccount {
			t.Errorf("event of account %s returned", ct.RecipientAccountID)
		}
	}
	// Events of another account in the same log are not returned.
	other := &audit.Event{EventVersion: "1.08", EventName: "Encrypt", EventSource: audit.SourceKMS, EventTime: time.Now(), EventID: "x",
		RecipientAccountID: "444455556666", EventType: audit.TypeAPICall, EventCategory: "Management"}
	if _, err := f.st.AppendAudit(ctx, []*audit.Event{other}); err != nil {
		t.Fatal(err)
	}
	_, out = f.lookup(t, map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": "EventId", "AttributeValue": "x"}}})
	if n := len(out["Events"].([]any)); n != 0 {
		t.Errorf("another account's event is visible: %v", out)
	}
}

// BenchmarkEncryptAudit compares the whole request path of Encrypt with
// the audit log (SQLite, synchronous=FULL, group commit) and without, in
// one run, from parallel clients.
func BenchmarkEncryptAudit(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("audit=%v", on), func(b *testing.B) {
			f := newAuditFixture(b, nil)
			if !on {
				f.h.audit = nil
			}
			var created struct{ KeyMetadata struct{ Arn string } }
			f.call(b, "CreateKey", map[string]any{}, &created)
			pt, _ := json.Marshal(make([]byte, 1024))
			body := []byte(`{"KeyId":"` + created.KeyMetadata.Arn + `","Plaintext":` + string(pt) + `}`)
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req := f.request("Encrypt", body)
				rd := bytes.NewReader(body)
				w := newRecorder()
				for pb.Next() {
					rd.Reset(body)
					req.Body = io.NopCloser(rd)
					w.body.Reset()
					f.h.ServeHTTP(w, req)
					if w.status != 200 {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
			b.StopTimer()
			if on {
				st := f.w.Stats()
				if st.Batches > 0 {
					b.ReportMetric(float64(st.Events)/float64(st.Batches), "events/batch")
					b.ReportMetric(float64(st.CommitTime.Microseconds())/float64(st.Batches), "µs/commit")
				}
			}
		})
	}
}

// TestAuditRequestParameters checks the requestParameters that the
// operation table lists, for an operation of each kind: the members it
// names (a dry run included), the default algorithm of Encrypt, nothing
// secret, and none for an operation Trent does not serve.
func TestAuditRequestParameters(t *testing.T) {
	f := newAuditFixture(t, nil)
	var created struct{ KeyMetadata struct{ Arn string } }
	f.call(t, "CreateKey", map[string]any{}, &created)
	arn := created.KeyMetadata.Arn
	for _, tc := range []struct {
		op   string
		in   map[string]any
		want string
	}{
		{"Encrypt", map[string]any{"KeyId": arn, "Plaintext": []byte("secret"), "EncryptionContext": map[string]string{"Dept": "a"}, "DryRun": true, "GrantTokens": []string{"tok"}},
			`{"dryRun":true,"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"Dept":"a"},"keyId":"` + arn + `"}`},
		{"GenerateDataKeyWithoutPlaintext", map[string]any{"KeyId": arn, "NumberOfBytes": 16, "DryRun": true},
			`{"dryRun":true,"keyId":"` + arn + `","numberOfBytes":16}`},
		{"TagResource", map[string]any{"KeyId": arn, "Tags": []map[string]string{{"TagKey": "k", "TagValue": "v"}}},
			`{"keyId":"` + arn + `","tags":[{"tagKey":"k","tagValue":"v"}]}`},
		{"ReplicateKey", map[string]any{"KeyId": arn, "ReplicaRegion": "eu-west-1"}, `null`},
	} {
		before := f.head(t)
		f.call(t, tc.op, tc.in, nil)
		recs := f.events(t, before)
		if len(recs) != 1 {
			t.Fatalf("%s: %d events", tc.op, len(recs))
		}
		var ev struct {
			RequestParameters json.RawMessage `json:"requestParameters"`
		}
		if err := json.Unmarshal(recs[0].Event, &ev); err != nil {
			t.Fatal(err)
		}
		if got := string(ev.RequestParameters); got != tc.want {
			t.Errorf("%s: requestParameters %s, want %s", tc.op, got, tc.want)
		}
	}
}
