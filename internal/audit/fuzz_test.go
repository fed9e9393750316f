package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseHead(f *testing.F) {
	for _, s := range []string{"0:" + strings.Repeat("00", 32), "12:" + strings.Repeat("ab", 32), "", ":", "1:", "x:y", "-1:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHead(s)
		if err != nil {
			return
		}
		if h.Seq < 0 || len(h.Hash) != HashSize {
			t.Fatalf("ParseHead(%q) = %+v", s, h)
		}
		again, err := ParseHead(h.String())
		if err != nil || again.String() != h.String() {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

// FuzzMarshal: whatever strings an event holds, its encoding is valid
// JSON, within the size cap, and gives the strings back.
func FuzzMarshal(f *testing.F) {
	f.Add("Encrypt", "agent/1.0", "msg", "127.0.0.1")
	f.Add("<&>", "\u2028\xff\x00", strings.Repeat("é", 5000), "")
	f.Fuzz(func(t *testing.T, name, agent, msg, ip string) {
		ev := &Event{EventVersion: EventVersion, EventName: name, UserAgent: agent, ErrorMessage: msg, SourceIPAddress: ip,
			ErrorCode: name, RequestParameters: json.RawMessage(`{"keyId":"k"}`)}
		b := ev.Marshal(nil)
		if !json.Valid(b) || len(b) > MaxEventBytes {
			t.Fatalf("Marshal: %d bytes, valid %v: %s", len(b), json.Valid(b), b)
		}
		got, err := ParseEvent(b)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(name) && len(name) <= maxShort && got.EventName != name {
			t.Errorf("eventName %q came back as %q", name, got.EventName)
		}
		if utf8.ValidString(agent) && len(agent) <= maxUserAgent && got.UserAgent != agent {
			t.Errorf("userAgent %q came back as %q", agent, got.UserAgent)
		}
	})
}

// FuzzParseDigestLine: whatever a digest line of an export holds, parsing
// it fails with ErrBadLine or gives a well-formed digest that encodes to a
// line parsing back to the same.
func FuzzParseDigestLine(f *testing.F) {
	m := &memLog{}
	for i := 1; i <= 6; i++ {
		m.AppendAudit(context.Background(), []*Event{event(i)})
	}
	ds, err := WriteDigests(context.Background(), WriterConfig{Store: m, DigestKey: testKey, DigestEvery: 4})
	if err != nil || len(ds) == 0 {
		f.Fatalf("seed digests: %v, %v", ds, err)
	}
	legacy := Digest{FromSeq: 1, ToSeq: 6, Hash: Genesis, Time: time.Unix(5, 1)}
	legacy.Sign(testKey)
	for _, d := range append(ds, legacy) {
		f.Add(MarshalDigestLine(d))
	}
	f.Add([]byte(`{"type":"digest","fromSeq":1,"toSeq":0,"hash":"","mac":""}`))
	f.Add([]byte(`{"type":"digest","every":9223372036854775807,"interval":"-1ns"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDigestLine(b)
		if err != nil {
			if !errors.Is(err, ErrBadLine) {
				t.Fatalf("ParseDigestLine: %v, not ErrBadLine", err)
			}
			return
		}
		if why := d.malformed(); why != "" {
			t.Fatalf("ParseDigestLine accepted a malformed digest (%s): %+v", why, d)
		}
		line := MarshalDigestLine(d)
		again, err := ParseDigestLine(line)
		if err != nil || !bytes.Equal(MarshalDigestLine(again), line) || !bytes.Equal(again.macInput(), d.macInput()) {
			t.Fatalf("round trip of %s: %s, %v", b, line, err)
		}
	})
}

// FuzzParseCheckpointLine is FuzzParseDigestLine for checkpoint lines.
func FuzzParseCheckpointLine(f *testing.F) {
	c := Checkpoint{Seq: 3, Hash: Genesis, Time: time.Unix(7, 9), LinkSeq: 2, LinkMAC: ZeroMAC, LinkEvery: 5}
	c.Sign(testKey)
	f.Add(MarshalCheckpointLine(c))
	c.LinkSeq, c.LinkMAC, c.LinkEvery = 0, nil, 0
	c.Sign(testKey)
	f.Add(MarshalCheckpointLine(c))
	f.Add([]byte(`{"type":"checkpoint","seq":1,"linkSeq":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpointLine(b)
		if err != nil {
			if !errors.Is(err, ErrBadLine) {
				t.Fatalf("ParseCheckpointLine: %v, not ErrBadLine", err)
			}
			return
		}
		line := MarshalCheckpointLine(c)
		again, err := ParseCheckpointLine(line)
		if err != nil || !bytes.Equal(MarshalCheckpointLine(again), line) || !bytes.Equal(again.macInput(), c.macInput()) {
			t.Fatalf("round trip of %s: %s, %v", b, line, err)
		}
	})
}

// fuzzChain is the log FuzzVerifyDigestChain checks digests against: 24
// events.
var fuzzChain = func() *memLog {
	m := &memLog{}
	for i := 1; i <= 24; i++ {
		m.AppendAudit(context.Background(), []*Event{event(i)})
	}
	return m
}()

// fuzzDigests decodes 4 bytes a digest, signed with testKey: its first
// event, its size, what it is chained to (nothing, the zero MAC, the digest
// before it, or another MAC) and its schedule.
func fuzzDigests(b []byte) []Digest {
	var ds []Digest
	for i := 0; i+3 < len(b) && len(ds) < 12; i += 4 {
		from := int64(b[i]%25) + 1
		to := min(from+int64(b[i+1]%10)-1, 24)
		d := Digest{FromSeq: from, ToSeq: to, Hash: fuzzChain.hashOf(to), Time: time.Unix(9, 0), Every: int64(b[i+3]%6) + 1, Interval: time.Minute}
		switch b[i+2] % 4 {
		case 0: // unchained, as an earlier release wrote
			d.Every = 0
			if d.ToSeq < d.FromSeq {
				continue
			}
		case 1:
			d.PrevMAC = ZeroMAC
		case 2:
			d.PrevMAC = ZeroMAC
			if len(ds) > 0 {
				d.PrevMAC = ds[len(ds)-1].MAC
			}
		case 3:
			d.PrevMAC = bytes.Repeat([]byte{b[i+2]}, 32)
		}
		d.Sign(testKey)
		ds = append(ds, d)
	}
	return ds
}

// FuzzVerifyDigestChain: whatever digests a log holds, Verify returns
// success or a *VerifyError, in any order of the digests; and when it
// passes, the chain of digests reaches to within twice its schedule of the
// head (or, without one, an earlier release's digest covers the head), and
// deleting any chained digest but the last is reported.
func FuzzVerifyDigestChain(f *testing.F) {
	// The empty digest, then 1..5, 6..10, ... chained, every 5.
	seed := []byte{0, 0, 1, 4}
	for from := byte(1); from <= 21; from += 5 {
		seed = append(seed, from-1, 5, 2, 4)
	}
	f.Add(seed)
	f.Add([]byte{0, 8, 0, 0, 8, 6, 2, 5, 14, 6, 2, 5, 20, 4, 2, 5}) // an earlier release's digest, then a chain
	f.Add([]byte{1, 5, 2, 4, 6, 5, 2, 4, 6, 5, 2, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		ds := fuzzDigests(b)
		verify := func(ds []Digest) (Report, error) {
			rep, err := Verify(context.Background(), fuzzChain, VerifyOptions{Key: testKey, Digests: ds})
			var ve *VerifyError
			if err != nil && !errors.As(err, &ve) {
				t.Fatalf("Verify: %v, not a *VerifyError", err)
			}
			return rep, err
		}
		rep, err := verify(ds)
		rev := slices.Clone(ds)
		slices.Reverse(rev)
		if _, err2 := verify(rev); failedAt(err) != failedAt(err2) {
			t.Fatalf("Verify depends on the order of the digests: %v, then %v", err, err2)
		}
		if err != nil {
			return
		}
		// Without a chained digest, only a log that an earlier release's
		// digests cover to its head passes.
		tip := rep.LastDigest
		if tip == nil && !slices.ContainsFunc(ds, func(d Digest) bool { return !d.Chained() && d.ToSeq == 24 }) ||
			tip != nil && 24-tip.ToSeq > TailAllowance(tip.Every) {
			t.Fatalf("Verify passed with the last digest %+v for 24 events", tip)
		}
		for i, d := range ds {
			if !d.Chained() || bytes.Equal(d.MAC, tip.MAC) {
				continue
			}
			if _, err := verify(slices.Delete(slices.Clone(ds), i, i+1)); err == nil {
				t.Fatalf("Verify passed without the digest of %d..%d", d.FromSeq, d.ToSeq)
			}
		}
	})
}

// failedAt is the event a verification failed at, 0 when it passed.
func failedAt(err error) int64 {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Seq
	}
	return 0
}
