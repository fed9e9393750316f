package storetest

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/internal/audit"
)

// runAuditDigests runs the conformance tests of the chain of digests:
// what is stored reads back, the store keeps one chain when writers race,
// and every kind of tampering done to the digests directly in the
// database (through the store's SQL handle, when it has one) is reported.
func runAuditDigests(t *testing.T, open OpenAudit) {
	t.Run("Chain", func(t *testing.T) { testDigestChain(t, open(t)) })
	t.Run("Race", func(t *testing.T) { testDigestRace(t, open(t)) })
	t.Run("Tamper", func(t *testing.T) { testDigestTamper(t, open) })
}

// digestConfig writes digests every 4 events at a fixed time.
func digestConfig(s AuditStore) audit.WriterConfig {
	return audit.WriterConfig{Store: s, DigestKey: auditTestKey, DigestEvery: 4, DigestInterval: time.Minute,
		Now: func() time.Time { return at(900) }}
}

// digestedLog appends 5 rounds of 4 events, each followed by its digest
// (after the empty digest that starts the chain), then 2 more events: the
// digests cover 1..4, 5..8, ..., 17..20, and 21..22 is the tail.
func digestedLog(t *testing.T, s AuditStore) []audit.Digest {
	t.Helper()
	ctx := t.Context()
	all, err := audit.WriteDigests(ctx, digestConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	for r := range 5 {
		var evs []*audit.Event
		for i := range 4 {
			evs = append(evs, testEvent(fmt.Sprintf("Op%d", 4*r+i), acct1, "k"))
		}
		if _, err := s.AppendAudit(ctx, evs); err != nil {
			t.Fatal(err)
		}
		ds, err := audit.WriteDigests(ctx, digestConfig(s))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ds...)
	}
	if _, err := s.AppendAudit(ctx, []*audit.Event{testEvent("Tail1", acct1, ""), testEvent("Tail2", acct1, "")}); err != nil {
		t.Fatal(err)
	}
	return all
}

func testDigestChain(t *testing.T, s AuditStore) {
	ctx := t.Context()
	written := digestedLog(t, s)
	var ranges []string
	for _, d := range written {
		ranges = append(ranges, fmt.Sprintf("%d..%d", d.FromSeq, d.ToSeq))
	}
	if got, want := fmt.Sprint(ranges), "[1..0 1..4 5..8 9..12 13..16 17..20]"; got != want {
		t.Fatalf("digests written: %s, want %s", got, want)
	}
	if !bytes.Equal(written[0].PrevMAC, audit.ZeroMAC) {
		t.Errorf("the first digest names %x, want the zero MAC", written[0].PrevMAC)
	}
	stored, err := s.AuditDigests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(written, stored); diff != "" {
		t.Errorf("stored digests differ from the written ones (-written +stored):\n%s", diff)
	}
	tip, ok, err := s.AuditDigestTip(ctx)
	if err != nil || !ok || !bytes.Equal(tip.MAC, written[5].MAC) {
		t.Fatalf("AuditDigestTip = %d..%d, %v, %v; want 17..20", tip.FromSeq, tip.ToSeq, ok, err)
	}
	rep, err := verifyErr(t, s)
	if err != nil || rep.LastDigest == nil || rep.LastDigest.ToSeq != 20 || rep.Head.Seq != 22 {
		t.Fatalf("Verify: %+v, %v; want the chain to 20 and the head at 22", rep, err)
	}

	// Digests that do not extend the last one change nothing: one
	// chained to an earlier digest, and one that starts a second chain.
	for _, prev := range []audit.Digest{written[2], {ToSeq: 0, MAC: audit.ZeroMAC}} {
		stale := audit.Digest{FromSeq: prev.ToSeq + 1, ToSeq: 22, Hash: rep.Head.Hash, Time: at(901), PrevMAC: prev.MAC, Every: 4, Interval: time.Minute}
		stale.Sign(auditTestKey)
		if err := s.AddAuditDigests(ctx, []audit.Digest{stale}); !errors.Is(err, audit.ErrDigestConflict) {
			t.Errorf("AddAuditDigests of a digest chained to the one of %d..%d: %v, want ErrDigestConflict", prev.FromSeq, prev.ToSeq, err)
		}
	}
	if after, err := s.AuditDigests(ctx); err != nil || len(after) != len(written) {
		t.Fatalf("digests after refused writes: %d, %v; want %d", len(after), err, len(written))
	}

	// Seven events after the last digest (within the 2*4 the schedule
	// leaves): a piece of 4 events ending at an exact event, and the rest.
	var evs []*audit.Event
	for i := range 5 {
		evs = append(evs, testEvent(fmt.Sprint("More", i), acct2, ""))
	}
	if _, err := s.AppendAudit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	ds, err := audit.WriteDigests(ctx, digestConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	ranges = ranges[:0]
	for _, d := range ds {
		ranges = append(ranges, fmt.Sprintf("%d..%d", d.FromSeq, d.ToSeq))
	}
	if got, want := fmt.Sprint(ranges), "[21..24 25..27]"; got != want {
		t.Fatalf("digests of 21..27: %s, want %s", got, want)
	}
	if _, err := verifyErr(t, s); err != nil {
		t.Fatalf("Verify after the pieces: %v", err)
	}

	// Nine events after the last digest, more than its schedule leaves
	// (digests removed, or none written for that long): one digest covers
	// them, and verification reports it rather than accept pieces.
	evs = evs[:0]
	for i := range 9 {
		evs = append(evs, testEvent(fmt.Sprint("Late", i), acct2, ""))
	}
	if _, err := s.AppendAudit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if ds, err = audit.WriteDigests(ctx, digestConfig(s)); err != nil || len(ds) != 1 || ds[0].FromSeq != 28 || ds[0].ToSeq != 36 {
		t.Fatalf("digests of 9 late events: %+v, %v; want one of 28..36", ds, err)
	}
	var ve *audit.VerifyError
	if _, err := verifyErr(t, s); !errors.As(err, &ve) || ve.Seq != 32 {
		t.Fatalf("Verify after a late digest: %v; want a failure at event 32", err)
	}
}

// testDigestRace: writers racing to extend the chain (as the nodes
// sharing a PostgreSQL database do) leave one chain: the store refuses
// all but one digest naming the same previous one.
func testDigestRace(t *testing.T, s AuditStore) {
	errs := race(8, func(i int) error {
		for j := range 3 {
			if _, err := s.AppendAudit(t.Context(), []*audit.Event{testEvent(fmt.Sprint("R", i, j), acct1, ""), testEvent("X", acct2, "")}); err != nil {
				return err
			}
			cfg := digestConfig(s)
			cfg.DigestEvery = 10 // more than all the writers append at once
			if _, err := audit.WriteDigests(t.Context(), cfg); err != nil && !errors.Is(err, audit.ErrDigestConflict) {
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
	rep := verify(t, s)
	if rep.Head.Seq != 48 || rep.LastDigest == nil || rep.LastDigest.ToSeq != 48 {
		t.Fatalf("after racing writers: %+v", rep)
	}
	ds, err := s.AuditDigests(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].FromSeq != ds[i-1].ToSeq+1 || !bytes.Equal(ds[i].PrevMAC, ds[i-1].MAC) {
			t.Fatalf("digest %d..%d does not follow %d..%d", ds[i].FromSeq, ds[i].ToSeq, ds[i-1].FromSeq, ds[i-1].ToSeq)
		}
	}
}

// testDigestTamper edits the digests (and events) in the database itself,
// with SQL, as an attacker with write access to it would, and checks that
// verification without a head kept elsewhere names the first event whose
// protection is lost.
func testDigestTamper(t *testing.T, open OpenAudit) {
	random := make([]byte, 32)
	rand.Read(random)
	tests := []struct {
		name    string
		sql     []string
		args    []any
		rewrite bool // then append a rewritten chain
		restart bool // then digest as a starting server does
		wantSeq int64
	}{
		{name: "delete a middle digest", sql: []string{`DELETE FROM audit_digests WHERE to_seq = 12`}, wantSeq: 9},
		{name: "delete the first digest with events", sql: []string{`DELETE FROM audit_digests WHERE to_seq = 4`}, wantSeq: 1},
		{name: "delete the empty digest that starts the chain", sql: []string{`DELETE FROM audit_digests WHERE to_seq = 0`}, wantSeq: 1},
		{name: "delete the last two digests", sql: []string{`DELETE FROM audit_digests WHERE to_seq > 12`}, wantSeq: 21},
		{name: "delete every digest", sql: []string{`DELETE FROM audit_digests`}, wantSeq: 1},
		{name: "delete every digest and rewrite the events", sql: []string{`DELETE FROM audit_digests`, `DELETE FROM audit_events`,
			`UPDATE audit_head SET seq = 0, hash = $1`}, args: []any{[]byte{}}, rewrite: true, wantSeq: 1},
		{name: "delete every digest, rewrite the events, and start a server", sql: []string{`DELETE FROM audit_digests`, `DELETE FROM audit_events`,
			`UPDATE audit_head SET seq = 0, hash = $1`}, args: []any{[]byte{}}, rewrite: true, restart: true, wantSeq: 5},
		{name: "edit a digest's MAC", sql: []string{`UPDATE audit_digests SET mac = $1 WHERE to_seq = 8`}, args: []any{random}, wantSeq: 5},
		{name: "edit a digest's link", sql: []string{`UPDATE audit_digests SET prev_mac = $1 WHERE to_seq = 8`}, args: []any{random}, wantSeq: 5},
		{name: "edit a digest's schedule", sql: []string{`UPDATE audit_digests SET digest_every = 1000 WHERE to_seq = 16`}, wantSeq: 13},
		{name: "make a digest unchained", sql: []string{`UPDATE audit_digests SET prev_mac = NULL WHERE to_seq = 16`}, wantSeq: 13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			h, ok := s.(interface{ SQL() *sql.DB })
			if !ok {
				t.Fatal("the store has no SQL handle to tamper with")
			}
			digestedLog(t, s)
			if _, err := verifyErr(t, s); err != nil {
				t.Fatalf("Verify before tampering: %v", err)
			}
			for _, q := range tc.sql {
				var args []any
				if strings.Contains(q, "$1") {
					args = tc.args
				}
				res, err := h.SQL().ExecContext(t.Context(), q, args...)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if n, _ := res.RowsAffected(); n == 0 && q != `DELETE FROM audit_events` {
					t.Fatalf("%s changed nothing", q)
				}
			}
			if tc.rewrite {
				// The same number of events, one of them changed, linked
				// and hashed again by the store itself.
				var evs []*audit.Event
				for i := range 22 {
					name := fmt.Sprint("Op", i)
					if i == 2 {
						name = "Rewritten"
					}
					evs = append(evs, testEvent(name, acct1, "k"))
				}
				if _, err := s.AppendAudit(t.Context(), evs); err != nil {
					t.Fatal(err)
				}
			}
			if tc.restart {
				if _, err := audit.WriteDigests(t.Context(), digestConfig(s)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := verifyErr(t, s)
			var ve *audit.VerifyError
			if !errors.As(err, &ve) || ve.Seq != tc.wantSeq {
				t.Fatalf("Verify after tampering: %v; want a failure at event %d", err, tc.wantSeq)
			}
		})
	}
}
