package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestStoredRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	big := ServiceEvent("DeleteKey", "111122223333", "us-east-1", "arn:aws:kms:us-east-1:111122223333:key/"+strings.Repeat("x", 40), "e", now)
	big.RequestParameters = []byte(`{"description":"` + strings.Repeat("ab", 10000) + `"}`)
	denied := ServiceEvent("Encrypt", "444455556666", "eu-west-1", "arn:aws:kms:eu-west-1:444455556666:key/k", "e2", now)
	denied.ErrorCode, denied.ErrorMessage = "AccessDeniedException", "User: arn:aws:iam::444455556666:user/bob is not authorized"
	for _, tc := range []struct {
		name    string
		enc     []byte
		smaller bool // the stored form must be smaller than the JSON
	}{
		{"empty object", []byte(`{}`), false},
		{"service event", ServiceEvent("RotateKey", "111122223333", "us-east-1", "arn:aws:kms:us-east-1:111122223333:key/1", "id", now).Marshal(nil), true},
		{"denied", denied.Marshal(nil), true},
		{"truncated to the cap", big.Marshal(nil), true},
		{"incompressible", []byte(`{"a":"` + hex.EncodeToString([]byte("\x8f\x13\xa9\x01\xfe\x77\x31\xc4")) + `"}`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := Compress(nil, tc.enc)
			if tc.smaller && len(st) >= len(tc.enc) {
				t.Errorf("stored form %d bytes, JSON %d", len(st), len(tc.enc))
			}
			if len(st) > len(tc.enc) {
				t.Errorf("stored form %d bytes is larger than the JSON's %d", len(st), len(tc.enc))
			}
			got, err := Decompress(st)
			if err != nil || !bytes.Equal(got, tc.enc) {
				t.Fatalf("Decompress(Compress(x)) = %q, %v; want x", got, err)
			}
			// Compress appends.
			pre := []byte("prefix")
			st2 := Compress(pre, tc.enc)
			if !bytes.Equal(st2[:len(pre)], pre) || !bytes.Equal(st2[len(pre):], st) {
				t.Errorf("Compress(prefix, x) does not append the stored form")
			}
		})
	}
}

// TestStoredV1 decodes a stored form written when dictV1 was made: the
// dictionary must never change, or databases written with it could not be
// read.
func TestStoredV1(t *testing.T) {
	h, err := os.ReadFile("testdata/stored-v1.hex")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/stored-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	if st[0] != storedS2DictV1 {
		t.Fatalf("testdata is not a v1 stored form")
	}
	got, err := Decompress(st)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Decompress(v1 testdata) = %q, %v\nwant %s", got, err, want)
	}
}

func TestDecompressDamaged(t *testing.T) {
	good := Compress(nil, ServiceEvent("RotateKey", "111122223333", "us-east-1", "arn:aws:kms:us-east-1:111122223333:key/1", "id", time.Now()).Marshal(nil))
	huge := append([]byte{storedS2DictV1}, 0xff, 0xff, 0xff, 0x7f) // uvarint length of 256 MiB
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"unknown marker", []byte{0x02, 0x00}},
		{"marker only", []byte{storedS2DictV1}},
		{"truncated", good[:len(good)/2]},
		{"claims 256 MiB", huge},
		{"bit flipped in the length", append([]byte{good[0], good[1] ^ 0x40}, good[2:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Decompress(tc.in); !errors.Is(err, ErrStoredForm) {
				t.Fatalf("Decompress = %q, %v; want ErrStoredForm", got, err)
			}
		})
	}
}

func FuzzDecompress(f *testing.F) {
	f.Add([]byte(`{"eventVersion":"1.08"}`))
	f.Add(Compress(nil, []byte(`{"eventVersion":"1.08","eventName":"Encrypt"}`)))
	f.Add([]byte{storedS2DictV1, 0x05, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Decompress(b)
		if err == nil && len(out) > maxStoredJSON {
			t.Fatalf("Decompress gave %d bytes, more than the cap", len(out))
		}
		if len(b) > 0 && b[0] == '{' {
			if got, err := Decompress(Compress(nil, b)); err != nil || !bytes.Equal(got, b) {
				t.Fatalf("round trip of %q: %q, %v", b, got, err)
			}
		}
	})
}

// TestDecompressJSON: rows written before compression hold the JSON
// itself, which Decompress returns unchanged.
func TestDecompressJSON(t *testing.T) {
	enc := ServiceEvent("RotateKey", "111122223333", "us-east-1", "arn:aws:kms:us-east-1:111122223333:key/1", "id", time.Now()).Marshal(nil)
	got, err := Decompress(enc)
	if err != nil || !bytes.Equal(got, enc) {
		t.Fatalf("Decompress(JSON) = %q, %v; want it unchanged", got, err)
	}
}
