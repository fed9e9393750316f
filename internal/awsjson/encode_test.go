package awsjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncoderString(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "arn:aws:kms:us-east-1:111122223333:key/1", `"arn:aws:kms:us-east-1:111122223333:key/1"`},
		{"empty", "", `""`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other controls", "\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"DEL is literal", "\x7f", "\"\x7f\""},
		{"HTML", "<a&b>", `"\u003ca\u0026b\u003e"`},
		{"line separators", "\u2028\u2029", `"\u2028\u2029"`},
		{"UTF-8", "é€😀", `"é€😀"`},
		{"invalid UTF-8", "a\xffb\xc3", `"a\ufffdb\ufffd"`},
		{"surrogate as UTF-8", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"slash is literal", "a/b", `"a/b"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Encoder
			e.Begin()
			e.String("S", c.in)
			e.End()
			want := `{"S":` + c.want + `}`
			if got := string(e.Bytes()); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
			jb, _ := json.Marshal(struct{ S string }{c.in})
			if string(jb) != want {
				t.Fatalf("encoding/json writes %s; the test's want %s is wrong", jb, want)
			}
		})
	}
}

func TestEncoderValues(t *testing.T) {
	many := map[string]string{}
	for i := range 40 {
		many["k"+strconv.Itoa(i)] = strconv.Itoa(i)
	}
	for _, c := range []struct {
		name  string
		write func(e *Encoder)
		v     any // the struct encoding/json must encode identically
	}{
		{"blob", func(e *Encoder) { e.Blob("B", []byte("hello")) }, struct{ B []byte }{[]byte("hello")}},
		{"empty blob", func(e *Encoder) { e.Blob("B", []byte{}) }, struct{ B []byte }{[]byte{}}},
		{"nil blob", func(e *Encoder) { e.Blob("B", nil) }, struct{ B []byte }{nil}},
		{"bools", func(e *Encoder) { e.Bool("T", true); e.Bool("F", false) }, struct{ T, F bool }{true, false}},
		{"ints", func(e *Encoder) { e.Int("A", 0); e.Int("B", -1<<63); e.Int("C", 1<<63-1) }, struct{ A, B, C int }{0, -1 << 63, 1<<63 - 1}},
		{"map sorted", func(e *Encoder) { e.StringMap("M", map[string]string{"b": "2", "a": "1", "B": "3", "é": "<"}) },
			struct{ M map[string]string }{map[string]string{"b": "2", "a": "1", "B": "3", "é": "<"}}},
		{"many keys", func(e *Encoder) { e.StringMap("M", many) }, struct{ M map[string]string }{many}},
		{"empty map", func(e *Encoder) { e.StringMap("M", map[string]string{}) }, struct{ M map[string]string }{map[string]string{}}},
		{"nil map", func(e *Encoder) { e.StringMap("M", nil) }, struct{ M map[string]string }{nil}},
		{"list", func(e *Encoder) { e.StringList("L", []string{"a", "<", ""}) }, struct{ L []string }{[]string{"a", "<", ""}}},
		{"empty list", func(e *Encoder) { e.StringList("L", []string{}) }, struct{ L []string }{[]string{}}},
		{"nil list", func(e *Encoder) { e.StringList("L", nil) }, struct{ L []string }{nil}},
		{"nested", func(e *Encoder) {
			e.Object("O")
			e.String("A", "a")
			e.Object("P")
			e.End()
			e.End()
			e.Int("N", 1)
		}, struct {
			O struct {
				A string
				P struct{}
			}
			N int
		}{O: struct {
			A string
			P struct{}
		}{A: "a"}, N: 1}},
		{"empty object", func(e *Encoder) { e.Object("O"); e.End() }, struct{ O struct{} }{}},
		{"escaped name", func(e *Encoder) { e.Bool("<x>", true) }, map[string]bool{"<x>": true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Encoder
			e.Reset(nil)
			e.Begin()
			c.write(&e)
			e.End()
			want, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Bytes(); !bytes.Equal(got, want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestEncoderBlobLengths(t *testing.T) {
	for n := range 100 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*151 + n)
		}
		var e Encoder
		e.Reset([]byte("garbage"))
		e.Begin()
		e.Blob("B", b)
		e.End()
		if got, want := string(e.Bytes()), `{"B":"`+base64.StdEncoding.EncodeToString(b)+`"}`; got != want {
			t.Fatalf("%d bytes: got %s, want %s", n, got, want)
		}
	}
}

func TestEncoderReuseDoesNotAllocate(t *testing.T) {
	out := sampleOutput()
	ctx := map[string]string{"purpose": "bench", "tenant": "acme"}
	buf := make([]byte, 0, 4096)
	var e Encoder
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(buf)
		encodeEncrypt(&e, out)
		e.Begin()
		e.StringMap("EncryptionContext", ctx)
		e.StringList("GrantTokens", []string{"a"})
		e.Int("N", 12)
		e.Bool("Truncated", false)
		e.End()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations, want 0", allocs)
	}
	want, _ := json.Marshal(out)
	if got := e.Bytes()[:len(want)]; !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestEncoderGrowsBuffer(t *testing.T) {
	var e Encoder
	e.Reset(make([]byte, 0, 1))
	e.Begin()
	e.String("S", strings.Repeat("x", 10000))
	e.Blob("B", make([]byte, 10000))
	e.End()
	var v struct {
		S string
		B []byte
	}
	if err := json.Unmarshal(e.Bytes(), &v); err != nil || len(v.S) != 10000 || len(v.B) != 10000 {
		t.Fatalf("round trip: %v, %d, %d", err, len(v.S), len(v.B))
	}
}

// TestRoundTrip decodes what the Encoder writes.
func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Begin()
	e.String("KeyId", "k\u2028<\xff")
	e.Blob("Plaintext", []byte{0, 1, 2, 250})
	e.StringMap("EncryptionContext", map[string]string{"a": "\n"})
	e.StringList("GrantTokens", []string{"g"})
	e.Bool("DryRun", true)
	e.Int("NumberOfBytes", -5)
	e.End()
	got, err := decodeInput(NewDecoder(e.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := testInput{KeyId: ptr("k\u2028<\ufffd"), Plaintext: []byte{0, 1, 2, 250}, EncryptionContext: map[string]string{"a": "\n"},
		GrantTokens: []string{"g"}, DryRun: true, NumberOfBytes: ptr(-5)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
