package keyring

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestMaterialRefValid(t *testing.T) {
	ok := testRef
	tests := []struct {
		name string
		edit func(*MaterialRef)
		want bool
	}{
		{"uuid", func(*MaterialRef) {}, true},
		{"mrk", func(r *MaterialRef) { r.KeyID = "mrk-1234abcd12ab34cd56ef1234567890ab" }, true},
		{"long region", func(r *MaterialRef) { r.Region = strings.Repeat("a", 32) }, true},
		{"max version", func(r *MaterialRef) { r.Version = 1<<32 - 1 }, true},
		{"version 0", func(r *MaterialRef) { r.Version = 0 }, false},
		{"short account", func(r *MaterialRef) { r.Account = "11112222333" }, false},
		{"long account", func(r *MaterialRef) { r.Account = "1111222233334" }, false},
		{"letter in account", func(r *MaterialRef) { r.Account = "11112222333a" }, false},
		{"empty region", func(r *MaterialRef) { r.Region = "" }, false},
		{"region too long", func(r *MaterialRef) { r.Region = strings.Repeat("a", 33) }, false},
		{"upper-case region", func(r *MaterialRef) { r.Region = "US-EAST-1" }, false},
		{"region with slash", func(r *MaterialRef) { r.Region = "us/east" }, false},
		{"upper-case key ID", func(r *MaterialRef) { r.KeyID = "1234ABCD-12ab-34cd-56ef-1234567890ab" }, false},
		{"key ID without dashes", func(r *MaterialRef) { r.KeyID = "1234abcd12ab34cd56ef1234567890abcdef" }, false},
		{"dash misplaced", func(r *MaterialRef) { r.KeyID = "1234abc-d12ab-34cd-56ef-1234567890ab" }, false},
		{"mrk short", func(r *MaterialRef) { r.KeyID = "mrk-1234abcd12ab34cd56ef1234567890a" }, false},
		{"mrk upper", func(r *MaterialRef) { r.KeyID = "mrk-1234ABCD12ab34cd56ef1234567890ab" }, false},
		{"alias", func(r *MaterialRef) { r.KeyID = "alias/my-key" }, false},
		{"empty", func(r *MaterialRef) { *r = MaterialRef{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			if got := r.valid(); got != tt.want {
				t.Errorf("%+v.valid() = %v, want %v", r, got, tt.want)
			}
		})
	}
}

// TestHeaderLayout pins the header bytes of format version 1, as
// docs/ciphertext-format.md describes them.
func TestHeaderLayout(t *testing.T) {
	got := hex.EncodeToString(appendHeader(nil, testRef))
	want := "54" + "01" + // magic 'T', version 1
		hex.EncodeToString([]byte("111122223333")) +
		"09" + hex.EncodeToString([]byte("us-east-1")) +
		"24" + hex.EncodeToString([]byte("1234abcd-12ab-34cd-56ef-1234567890ab")) +
		"00000001"
	if got != want {
		t.Errorf("header =\n%s\nwant\n%s", got, want)
	}
	if n := headerSize(testRef); n != len(got)/2 {
		t.Errorf("headerSize = %d, want %d", n, len(got)/2)
	}
}

func blobFor(ref MaterialRef, body int) []byte {
	return append(appendHeader(nil, ref), make([]byte, body)...)
}

func TestParseHeader(t *testing.T) {
	valid := blobFor(testRef, bodyOverhead+5)
	mrk := testRef
	mrk.KeyID = "mrk-1234abcd12ab34cd56ef1234567890ab"
	mrk.Region = strings.Repeat("z", maxRegionLen)
	mrk.Version = 7
	edit := func(i int, v byte) []byte {
		b := bytes.Clone(valid)
		b[i] = v
		return b
	}
	regionLenAt := 2 + accountLen
	keyLenAt := regionLenAt + 1 + len(testRef.Region)
	tests := []struct {
		name string
		blob []byte
		want *Header // nil: ErrInvalidCiphertext
	}{
		{"valid", valid, &Header{"111122223333", "us-east-1", "1234abcd-12ab-34cd-56ef-1234567890ab", 1}},
		{"mrk, longest region", blobFor(mrk, bodyOverhead), &Header{mrk.Account, mrk.Region, mrk.KeyID, 7}},
		{"empty plaintext", blobFor(testRef, bodyOverhead), &Header{"111122223333", "us-east-1", "1234abcd-12ab-34cd-56ef-1234567890ab", 1}},
		{"largest", blobFor(testRef, MaxCiphertextSize-headerSize(testRef)), &Header{"111122223333", "us-east-1", "1234abcd-12ab-34cd-56ef-1234567890ab", 1}},
		{"too large", blobFor(testRef, MaxCiphertextSize-headerSize(testRef)+1), nil},
		{"nil", nil, nil},
		{"header only", appendHeader(nil, testRef), nil},
		{"body too short", blobFor(testRef, bodyOverhead-1), nil},
		{"bad magic", edit(0, 'U'), nil},
		{"version 0", edit(1, 0), nil},
		{"version 2", edit(1, 2), nil},
		{"account not digits", edit(2, 'a'), nil},
		{"region length 0", edit(regionLenAt, 0), nil},
		{"region length too long", edit(regionLenAt, maxRegionLen+1), nil},
		{"region length 255", edit(regionLenAt, 255), nil},
		{"region length off by one", edit(regionLenAt, byte(len(testRef.Region)+1)), nil},
		{"upper-case region", edit(regionLenAt+1, 'U'), nil},
		{"key ID length 35", edit(keyLenAt, 35), nil},
		{"key ID length 0", edit(keyLenAt, 0), nil},
		{"key ID not hex", edit(keyLenAt+1, 'g'), nil},
		{"material version 0", func() []byte {
			r := testRef
			r.Version = 0
			return blobFor(r, bodyOverhead)
		}(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(tt.blob)
			if tt.want == nil {
				if !errors.Is(err, ErrInvalidCiphertext) || got != (Header{}) {
					t.Errorf("ParseHeader = %+v, %v; want an error wrapping ErrInvalidCiphertext", got, err)
				}
				return
			}
			if err != nil || got != *tt.want {
				t.Errorf("ParseHeader = %+v, %v; want %+v", got, err, *tt.want)
			}
		})
	}
}

func TestAppendContext(t *testing.T) {
	enc := func(ec map[string]string) string {
		b, _, ok := appendContext(nil, ec, nil)
		if !ok {
			t.Fatalf("appendContext(%v) failed", ec)
		}
		return hex.EncodeToString(b)
	}
	tests := []struct {
		name string
		ec   map[string]string
		want string
	}{
		{"nil", nil, "00000000"},
		{"empty", map[string]string{}, "00000000"},
		{"ab:c", map[string]string{"ab": "c"}, "00000001" + "00000002" + "6162" + "00000001" + "63"},
		{"a:bc", map[string]string{"a": "bc"}, "00000001" + "00000001" + "61" + "00000002" + "6263"},
		{"sorted by byte order", map[string]string{"b": "", "B": "", "a": ""},
			"00000003" + "0000000142" + "00000000" + "0000000161" + "00000000" + "0000000162" + "00000000"},
		{"empty key and value", map[string]string{"": ""}, "00000001" + "00000000" + "00000000"},
		{"utf-8", map[string]string{"é": "ü"}, "00000001" + "00000002" + "c3a9" + "00000002" + "c3bc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := enc(tt.ec); got != tt.want {
				t.Errorf("encoding = %s, want %s", got, tt.want)
			}
		})
	}
	// Pairs that concatenate alike must encode differently.
	distinct := []map[string]string{
		nil, {"": ""}, {"ab": "c"}, {"a": "bc"}, {"abc": ""}, {"": "abc"},
		{"a": "b", "c": "d"}, {"a": "bcd"}, {"ac": "bd"},
	}
	seen := map[string]int{}
	for i, ec := range distinct {
		e := enc(ec)
		if j, ok := seen[e]; ok {
			t.Errorf("contexts %v and %v encode alike", distinct[j], ec)
		}
		seen[e] = i
	}
}

// FuzzParseHeader checks that ParseHeader never panics and that whatever
// it accepts re-encodes to the same header bytes.
func FuzzParseHeader(f *testing.F) {
	mrk := testRef
	mrk.KeyID = "mrk-0123456789abcdef0123456789abcdef"
	mrk.Region = "ap-southeast-2"
	mrk.Version = 1<<32 - 1
	seeds := [][]byte{
		blobFor(testRef, bodyOverhead),
		blobFor(testRef, bodyOverhead+100),
		blobFor(mrk, bodyOverhead+1),
		appendHeader(nil, testRef),
		{blobMagic, blobVersion},
		{},
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, n, err := parseHeader(blob)
		if err != nil {
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("error %v is not ErrInvalidCiphertext", err)
			}
			if h != (Header{}) || n != 0 {
				t.Fatalf("error with a header %+v, %d", h, n)
			}
			return
		}
		enc := appendHeader(nil, h.Ref())
		if !bytes.Equal(enc, blob[:n]) {
			t.Fatalf("re-encoded header %x differs from parsed bytes %x", enc, blob[:n])
		}
		if len(blob)-n < bodyOverhead || len(blob) > MaxCiphertextSize {
			t.Fatalf("accepted a blob of %d bytes with a %d-byte header", len(blob), n)
		}
		h2, err := ParseHeader(append(enc, make([]byte, bodyOverhead)...))
		if err != nil || h2 != h {
			t.Fatalf("re-parse = %+v, %v; want %+v", h2, err, h)
		}
	})
}
