package api

import (
	"testing"
)

func FuzzNextToken(f *testing.F) {
	f.Add(nextToken(1))
	f.Add(nextToken(1 << 40))
	f.Add("")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		seq, ok := parseNextToken(s)
		if !ok {
			return
		}
		if seq <= 0 {
			t.Fatalf("parseNextToken(%q) = %d", s, seq)
		}
		if again, ok := parseNextToken(nextToken(seq)); !ok || again != seq {
			t.Fatalf("round trip of %d", seq)
		}
	})
}

func FuzzClaimedCredential(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("Credential=")
	f.Add("")
	f.Fuzz(func(t *testing.T, auth string) {
		r := httpGet("/")
		r.Header.Set("Authorization", auth)
		akid, region := claimedCredential(r)
		if len(akid) > 128 || len(region) > 32 {
			t.Fatalf("claimedCredential(%q) = %q, %q: not capped", auth, akid, region)
		}
	})
}
