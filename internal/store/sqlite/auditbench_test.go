package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
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
	n := 64
	if v, err := strconv.Atoi(os.Getenv("TRENT_BENCH_BATCH")); err == nil {
		n = v
	}
	evs := make([]*audit.Event, n)
	for i := range evs {
		evs[i] = &audit.Event{EventVersion: "1.08", EventTime: time.Now(), EventSource: audit.SourceKMS, EventName: "Encrypt",
			UserIdentity: audit.Identity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333", AccessKeyID: "AKIAXXXXXXXXXXXXXXXX", PrincipalID: "111122223333"},
			AWSRegion:    "us-east-1", SourceIPAddress: "127.0.0.1", RequestID: fmt.Sprint("92a7c8f6-b96c-4036-8000-00000000000", i), EventID: "c5f768f3-d1c1-4f33-9c57-75952cccd4ed",
			RequestParameters: []byte(`{"keyId":"` + arn + `","encryptionContext":{"purpose":"bench"}}`),
			ReadOnly:          true, EventType: audit.TypeAPICall, ManagementEvent: true, RecipientAccountID: "111122223333", EventCategory: "Management"}
		evs[i].AddResource("111122223333", arn)
		evs[i].Seal()
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.AppendAudit(b.Context(), evs); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(evs)), "cpu-ns/event")
}
