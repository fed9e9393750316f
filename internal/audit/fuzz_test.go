package audit

import (
	"encoding/json"
	"strings"
	"testing"
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
