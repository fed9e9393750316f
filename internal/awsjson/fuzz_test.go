package awsjson

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"
)

// testInput is the struct both decoders fill in the differential tests.
type testInput struct {
	KeyId             *string           `json:"KeyId"`
	Plaintext         []byte            `json:"Plaintext"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
	GrantTokens       []string          `json:"GrantTokens"`
	DryRun            bool              `json:"DryRun"`
	NumberOfBytes     *int              `json:"NumberOfBytes"`
	Recipient         *testRecipient    `json:"Recipient"`
}

type testRecipient struct {
	AttestationDocument    []byte  `json:"AttestationDocument"`
	KeyEncryptionAlgorithm *string `json:"KeyEncryptionAlgorithm"`
}

var (
	topNames       = []string{"KeyId", "Plaintext", "EncryptionContext", "GrantTokens", "DryRun", "NumberOfBytes", "Recipient"}
	recipientNames = []string{"AttestationDocument", "KeyEncryptionAlgorithm"}
)

// decodeInput is how internal/api is meant to use a Decoder.
func decodeInput(d *Decoder) (testInput, error) {
	var in testInput
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Plaintext":
			in.Plaintext = d.Blob()
		case "EncryptionContext":
			in.EncryptionContext = d.StringMap()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		case "NumberOfBytes":
			in.NumberOfBytes = d.IntPtr()
		case "Recipient":
			in.Recipient = nil
			if d.Object() {
				r := new(testRecipient)
				in.Recipient = r
				for d.Next() {
					switch {
					case d.KeyIs("AttestationDocument"):
						r.AttestationDocument = d.Blob()
					case d.KeyIs("KeyEncryptionAlgorithm"):
						r.KeyEncryptionAlgorithm = d.StringPtr()
					}
				}
			}
		default:
			d.Skip()
		}
	}
	return in, d.Err()
}

// member is one name/value pair of a JSON object, in document order.
type member struct {
	name string
	raw  json.RawMessage
}

// members lists the members of the JSON object b, or returns false if b is
// not one.
func members(b []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var ms []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		ms = append(ms, member{t.(string), raw})
	}
	return ms, true
}

// caseFolded reports whether a name in ms matches one of names only by
// encoding/json's case folding: the documented exception.
func caseFolded(ms []member, names []string) bool {
	for _, m := range ms {
		for _, n := range names {
			if m.name != n && strings.EqualFold(m.name, n) {
				return true
			}
		}
	}
	return false
}

// last returns the value of the last member called name, or nil.
func last(ms []member, name string) json.RawMessage {
	var raw json.RawMessage
	for _, m := range ms {
		if m.name == name {
			raw = m.raw
		}
	}
	return raw
}

func duplicates(ms []member, names []string) bool {
	for _, n := range names {
		count := 0
		for _, m := range ms {
			if m.name == n {
				count++
			}
		}
		if count > 1 {
			return true
		}
	}
	return false
}

// lastWins builds the expected result of a body with members ms under the
// documented "last member wins" rule, decoding each field's last value on
// its own with encoding/json.
func lastWins(t *testing.T, ms []member) (want testInput, dup bool) {
	t.Helper()
	set := func(name string, v any) {
		if raw := last(ms, name); raw != nil {
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatalf("member %s: %v", name, err)
			}
		}
	}
	set("KeyId", &want.KeyId)
	set("Plaintext", &want.Plaintext)
	set("EncryptionContext", &want.EncryptionContext)
	set("GrantTokens", &want.GrantTokens)
	set("DryRun", &want.DryRun)
	set("NumberOfBytes", &want.NumberOfBytes)
	dup = duplicates(ms, topNames)
	if raw := last(ms, "Recipient"); raw != nil && string(raw) != "null" {
		rms, ok := members(raw)
		if !ok {
			t.Fatalf("Recipient %s is not an object", raw)
		}
		want.Recipient = new(testRecipient)
		if r := last(rms, "AttestationDocument"); r != nil {
			if err := json.Unmarshal(r, &want.Recipient.AttestationDocument); err != nil {
				t.Fatal(err)
			}
		}
		if r := last(rms, "KeyEncryptionAlgorithm"); r != nil {
			if err := json.Unmarshal(r, &want.Recipient.KeyEncryptionAlgorithm); err != nil {
				t.Fatal(err)
			}
		}
		dup = dup || duplicates(rms, recipientNames)
	}
	return want, dup
}

// A fault is a member value that AWS's JSON protocol refuses for the
// testInput field it fills: a value of the wrong JSON type (null is the
// wrong type for a map value or a list element), an integer that does not
// fit, or a blob that is not strict, padded standard base64 without CR or
// LF. Kind is "type" or "base64".
type fault struct{ path, kind string }

// firstFault returns the first fault in document order among the members
// ms of the object at prefix ("" for the body, "Recipient." inside it).
// It is the test's own statement of the rules, independent of the Decoder.
func firstFault(ms []member, prefix string) (fault, bool) {
	for _, m := range ms {
		path := prefix + m.name
		c := m.raw[0]
		var kind string
		switch name := m.name; {
		case prefix == "" && name == "KeyId", prefix != "" && name == "KeyEncryptionAlgorithm":
			if c != '"' && c != 'n' {
				kind = "type"
			}
		case prefix == "" && name == "Plaintext", prefix != "" && name == "AttestationDocument":
			kind = blobFault(m.raw)
		case prefix == "" && name == "EncryptionContext":
			if c == '{' {
				vals, _ := members(m.raw)
				for _, v := range vals {
					if v.raw[0] != '"' {
						kind = "type"
					}
				}
			} else if c != 'n' {
				kind = "type"
			}
		case prefix == "" && name == "GrantTokens":
			var elems []json.RawMessage
			if c == '[' {
				json.Unmarshal(m.raw, &elems)
				for _, e := range elems {
					if e[0] != '"' {
						kind = "type"
					}
				}
			} else if c != 'n' {
				kind = "type"
			}
		case prefix == "" && name == "DryRun":
			if c != 't' && c != 'f' && c != 'n' {
				kind = "type"
			}
		case prefix == "" && name == "NumberOfBytes":
			var n *int
			if json.Unmarshal(m.raw, &n) != nil {
				kind = "type"
			}
		case prefix == "" && name == "Recipient":
			if c == '{' {
				rms, _ := members(m.raw)
				if f, ok := firstFault(rms, "Recipient."); ok {
					return f, true
				}
			} else if c != 'n' {
				kind = "type"
			}
		}
		if kind != "" {
			return fault{path, kind}, true
		}
	}
	return fault{}, false
}

// blobFault says why AWS refuses raw as a blob ("type", "base64"), or "".
func blobFault(raw json.RawMessage) string {
	switch raw[0] {
	case 'n':
		return ""
	case '"':
	default:
		return "type"
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		panic(err) // raw is part of a valid body
	}
	if strings.ContainsAny(s, "\r\n") {
		return "base64"
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
		return "base64"
	}
	return ""
}

// checkDecode compares the Decoder with json.Unmarshal on body, and with
// the stricter AWS rules (firstFault) where the two differ on purpose.
func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	ms, isObject := members(body)
	valid := json.Valid(body)
	if isObject && valid {
		if caseFolded(ms, topNames) {
			return
		}
		for _, m := range ms {
			if m.name == "Recipient" {
				if rms, ok := members(m.raw); ok && caseFolded(rms, recipientNames) {
					return
				}
			}
		}
	}

	got, gotErr := decodeInput(NewDecoder(body))
	var want testInput
	wantErr := json.Unmarshal(body, &want)

	if errors.Is(gotErr, ErrTooDeep) {
		return // documented: MaxDepth is below encoding/json's limit
	}
	if isObject && valid {
		f, faulty := firstFault(ms, "")
		if wantErr != nil && !faulty {
			t.Fatalf("body %q: test bug: encoding/json refuses it (%v) but firstFault finds nothing", body, wantErr)
		}
		if faulty {
			var e *Error
			if !errors.As(gotErr, &e) {
				t.Fatalf("body %q: Decoder error %v, want a *Error for member %s (%s)", body, gotErr, f.path, f.kind)
			}
			if e.Field != f.path || errors.Is(gotErr, ErrBase64) != (f.kind == "base64") {
				t.Fatalf("body %q: Decoder error %v (Field %q), want a %s error for member %s", body, gotErr, e.Field, f.kind, f.path)
			}
			return
		}
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("body %q:\nDecoder error: %v\nencoding/json error: %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		var e *Error
		if !errors.As(gotErr, &e) {
			t.Fatalf("body %q: error %T %v, want *Error", body, gotErr, gotErr)
		}
		var te *json.UnmarshalTypeError
		wantField := ""
		if errors.As(wantErr, &te) {
			wantField = te.Field
		}
		if e.Field != wantField {
			t.Fatalf("body %q: Field %q, want %q\nDecoder error: %v\nencoding/json error: %v", body, e.Field, wantField, gotErr, wantErr)
		}
		return
	}
	if isObject {
		lw, dup := lastWins(t, ms)
		if !dup && !reflect.DeepEqual(lw, want) {
			t.Fatalf("body %q: test bug: last-wins result differs from json.Unmarshal without duplicates:\n%s", body, cmp.Diff(want, lw))
		}
		want = lw
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q: Decoder and encoding/json differ (-json +Decoder):\n%s", body, cmp.Diff(want, got))
	}
}

// handSeeds are realistic bodies and edge cases.
var handSeeds = []string{
	`{"EncryptionContext":{"purpose":"bench"},"KeyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"aGVsbG8="}`,
	`{"KeyId":"alias/app","Plaintext":"AA==","GrantTokens":["t1","t2"],"DryRun":true}`,
	`{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32,"KeySpec":"AES_256"}`,
	`{"NumberOfBytes":1024}`,
	`{"CiphertextBlob":"AQIDBA==","EncryptionContext":{},"Recipient":{"AttestationDocument":"AQID","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`,
	`{}`, ` { } `, `null`, ` null `, `[]`, `"x"`, `1`, `true`, ``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{} {}`, `{}x`, "\ufeff{}",
	`{"KeyId":null,"Plaintext":null,"EncryptionContext":null,"GrantTokens":null,"DryRun":null,"NumberOfBytes":null,"Recipient":null}`,
	`{"KeyId":1}`, `{"KeyId":true}`, `{"KeyId":{}}`, `{"KeyId":[]}`, `{"DryRun":"true"}`, `{"DryRun":0}`,
	`{"NumberOfBytes":1.0}`, `{"NumberOfBytes":1e2}`, `{"NumberOfBytes":-0}`, `{"NumberOfBytes":9223372036854775807}`,
	`{"NumberOfBytes":9223372036854775808}`, `{"NumberOfBytes":-9223372036854775808}`, `{"NumberOfBytes":"1"}`,
	`{"NumberOfBytes":01}`, `{"NumberOfBytes":-}`, `{"NumberOfBytes":1.}`, `{"NumberOfBytes":1e}`, `{"NumberOfBytes":.5}`,
	`{"Plaintext":""}`, `{"Plaintext":"aGVsbG8"}`, `{"Plaintext":"aGVs\nbG8="}`, `{"Plaintext":"aGVs\r\nbG8="}`, `{"Plaintext":"aGVsbG8\u003d"}`,
	`{"Plaintext":"aGk="}`, `{"Plaintext":"aGl="}`, `{"Plaintext":"a==="}`, `{"Plaintext":"aG=k"}`, `{"Plaintext":"aGk=\n"}`, `{"Plaintext":"aGk=x"}`,
	`{"Plaintext":[1,2,255]}`, `{"Plaintext":[256]}`, `{"Plaintext":[-1]}`, `{"Plaintext":[1.5]}`, `{"Plaintext":[null,"a"]}`, `{"Plaintext":[]}`, `{"Plaintext":{}}`, `{"Plaintext":1}`,
	`{"EncryptionContext":{"a":null,"b":"c","a":"d"}}`, `{"EncryptionContext":{"a":1}}`, `{"EncryptionContext":{"a":[1,{"b":2}]}}`, `{"EncryptionContext":[]}`, `{"EncryptionContext":"x"}`,
	`{"Plaintext":"aB=="}`, `{"Plaintext":"AAAAAAAAAAAAAAAAAAAAaGl="}`, `{"Plaintext":"AAAAAAAAAAAAAAAA\r\nAAAA"}`, `{"Plaintext":"\nAAAA"}`,
	`{"Plaintext":[0],"KeyId":1}`, `{"Recipient":{"AttestationDocument":[1,2]}}`, `{"Recipient":{"AttestationDocument":"aGl="}}`,
	`{"EncryptionContext":{"a":"b","c":null}}`, `{"EncryptionContext":{"a":null},"KeyId":1}`, `{"GrantTokens":[null]}`, `{"GrantTokens":[null],"DryRun":1}`,
	`{"GrantTokens":[]}`, `{"GrantTokens":["a",null]}`, `{"GrantTokens":[1]}`, `{"GrantTokens":"a"}`, `{"GrantTokens":{"a":"b"}}`,
	`{"KeyId":"a","KeyId":"b"}`, `{"DryRun":true,"DryRun":null}`, `{"EncryptionContext":{"a":"1"},"EncryptionContext":{"b":"2"}}`, `{"GrantTokens":["a","b"],"GrantTokens":[null]}`,
	`{"Key\u0049d":"escaped name"}`, `{"keyid":"folded"}`, `{"KEYID":1}`, `{"\u212aeyId":1}`,
	`{"KeyId":"\u00e9\ud83d\ude00 \ud800 \udc00 \ud800\u0041 \\ \/ \" \b\f\n\r\t"}`, "{\"KeyId\":\"bad \xff\xfe utf8 \xed\xa0\x80 \xc3\"}", "{\"KeyId\":\"ctl \x01\"}",
	`{"KeyId":"\x"}`, `{"KeyId":"\u12"}`, `{"KeyId":"\u12G4"}`, `{"KeyId":"unterminated`,
	`{"Unknown":{"a":[1,2,{"b":[true,false,null,-1.5e+10,"s"]}],"c":{}},"KeyId":"k"}`, `{"Unknown":[[[[[]]]]],"DryRun":false}`,
	`{"KeyId":1,"Plaintext":"!!"}`, `{"Plaintext":"!!","KeyId":1}`, `{"KeyId":1,"x":[}`, `{"KeyId":1} x`,
	`{"Recipient":{"KeyEncryptionAlgorithm":1}}`, `{"Recipient":"x"}`, `{"Recipient":{"AttestationDocument":"@@@"}}`, `{"Recipient":{"Other":{"x":1}},"KeyId":"k"}`,
	"{\t\n\r \"KeyId\"\t:\n\"k\"\r}\n", "{\f}", "{\v}", "{\u00a0}", "{}\x00",
	strings.Repeat("[", 70) + strings.Repeat("]", 70),
	`{"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
	`{"x":` + strings.Repeat(`{"a":`, 62) + `1` + strings.Repeat("}", 62) + `}`,
	`{"x":` + strings.Repeat(`{"a":`, 63) + `1` + strings.Repeat("}", 63) + `}`,
}

// sdkBodies returns request bodies serialized by the AWS SDK for Go v2.
var sdkBodies = sync.OnceValues(func() ([][]byte, error) {
	var c captureClient
	client := kms.New(kms.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint:     aws.String("http://127.0.0.1:1"),
		RetryMaxAttempts: 1,
		HTTPClient:       &c,
	})
	ctx := context.Background()
	arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	ec := map[string]string{"purpose": "bench", "tenant": "<a&b>", "unicode": "é\u2028"}
	calls := []func() error{
		func() error {
			_, err := client.Encrypt(ctx, &kms.EncryptInput{KeyId: &arn, Plaintext: bytes.Repeat([]byte{0xa5}, 1024), EncryptionContext: ec})
			return err
		},
		func() error {
			_, err := client.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/x"), Plaintext: []byte("hi"), GrantTokens: []string{"g1"}, DryRun: aws.Bool(true)})
			return err
		},
		func() error {
			_, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte{1, 2, 3}, KeyId: &arn, EncryptionContext: ec,
				Recipient: &types.RecipientInfo{AttestationDocument: []byte("doc"), KeyEncryptionAlgorithm: types.KeyEncryptionMechanismRsaesOaepSha256}})
			return err
		},
		func() error {
			_, err := client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &arn, NumberOfBytes: aws.Int32(64), EncryptionContext: ec})
			return err
		},
		func() error {
			_, err := client.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
			return err
		},
		func() error {
			_, err := client.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: []byte{9}, DestinationKeyId: &arn, SourceEncryptionContext: ec})
			return err
		},
	}
	for _, call := range calls {
		if err := call(); err != nil {
			return nil, err
		}
	}
	return c.bodies, nil
})

// captureClient records request bodies and answers {}.
type captureClient struct{ bodies [][]byte }

func (c *captureClient) Do(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.bodies = append(c.bodies, b)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

// seeds returns every seed body: hand-written, SDK-serialized and the
// files in testdata/bodies. It fails the test if any source is empty.
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, s := range handSeeds {
		out = append(out, []byte(s))
	}
	sdk, err := sdkBodies()
	if err != nil || len(sdk) == 0 {
		tb.Fatalf("SDK seed bodies: %d, %v", len(sdk), err)
	}
	out = append(out, sdk...)
	files, err := filepath.Glob(filepath.Join("testdata", "bodies", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed files in testdata/bodies (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		tb.Fatal("empty seed set")
	}
	return out
}

func TestSeedsMatchEncodingJSON(t *testing.T) {
	for _, b := range seeds(t) {
		checkDecode(t, b)
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body)
	})
}

// testOutput is the struct the Encoder tests mirror.
type testOutput struct {
	CiphertextBlob []byte            `json:"CiphertextBlob"`
	KeyId          string            `json:"KeyId"`
	Truncated      bool              `json:"Truncated"`
	N              int               `json:"N"`
	Context        map[string]string `json:"Context"`
	Tokens         []string          `json:"Tokens"`
	Nested         struct {
		S string `json:"S"`
	} `json:"Nested"`
}

func encodeOutput(e *Encoder, o *testOutput) []byte {
	e.Begin()
	e.Blob("CiphertextBlob", o.CiphertextBlob)
	e.String("KeyId", o.KeyId)
	e.Bool("Truncated", o.Truncated)
	e.Int("N", o.N)
	e.StringMap("Context", o.Context)
	e.StringList("Tokens", o.Tokens)
	e.Object("Nested")
	e.String("S", o.Nested.S)
	e.End()
	e.End()
	return e.Bytes()
}

func checkEncode(t *testing.T, o *testOutput) {
	t.Helper()
	want, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var e Encoder
	e.Reset(make([]byte, 0, 8))
	if got := encodeOutput(&e, o); !bytes.Equal(got, want) {
		t.Fatalf("Encoder wrote\n%s\nencoding/json wrote\n%s", got, want)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("arn:aws:kms:us-east-1:111122223333:key/1234abcd", []byte("hello"), "purpose", "bench", "k2", true, int64(3), uint8(0))
	f.Add("<a&b>\u2028\u2029\x00\x1f\x7f\"\\", []byte{}, "é", "\xff", "\xed\xa0\x80", false, int64(-1<<63), uint8(1))
	f.Add("", []byte(nil), "", "", "", false, int64(0), uint8(7))
	f.Fuzz(func(t *testing.T, s string, b []byte, k1, v1, k2 string, flag bool, n int64, nils uint8) {
		o := &testOutput{CiphertextBlob: b, KeyId: s, Truncated: flag, N: int(n),
			Context: map[string]string{k1: v1, k2: s, v1: k1}, Tokens: []string{s, k1, v1, k2}}
		o.Nested.S = v1 + s
		if b == nil {
			o.CiphertextBlob = []byte{}
		}
		if nils&1 != 0 {
			o.CiphertextBlob = nil
		}
		if nils&2 != 0 {
			o.Context = nil
		}
		if nils&4 != 0 {
			o.Tokens = nil
		}
		checkEncode(t, o)
	})
}
