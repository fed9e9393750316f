package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/audit"
)

// BenchmarkAppendAudit measures the audit append transaction (64 events,
// sealed as the Writer seals them) on SQLite with synchronous=FULL.
func BenchmarkAppendAudit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "trent.db")
	s, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const arn = "arn:aws:kms:us-east-1:318836043657:key/ca4f56e1-446e-4a4f-abd7-ceb3a54e2cb9"
	evs := make([]*audit.Event, 64)
	for i := range evs {
		evs[i] = &audit.Event{EventVersion: "1.08", EventTime: time.Now(), EventSource: audit.SourceKMS, EventName: "Encrypt",
			UserIdentity: audit.Identity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333", AccessKeyID: "AKIAXXXXXXXXXXXXXXXX", PrincipalID: "111122223333"},
			AWSRegion:    "us-east-1", SourceIPAddress: "127.0.0.1", RequestID: fmt.Sprint("92a7c8f6-b96c-4036-8000-00000000000", i), EventID: "c5f768f3-d1c1-4f33-9c57-75952cccd4ed",
			RequestParameters: []byte(`{"keyId":"` + arn + `","encryptionContext":{"purpose":"bench"}}`),
			ReadOnly:          true, EventType: audit.TypeAPICall, ManagementEvent: true, RecipientAccountID: "111122223333", EventCategory: "Management"}
		evs[i].AddResource("111122223333", arn)
		evs[i].Seal()
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.AppendAudit(b.Context(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
