package symmetric_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

var contexts = []struct {
	name string
	ec   map[string]string
}{
	{"no context", nil},
	{"ascii context", map[string]string{"purpose": "round trip", "tenant": "42"}},
	{"unicode context", map[string]string{
		"ключ":                 "значение",
		"鍵":                    "値 🔑",
		"emoji 🙂":              "ü",
		"quote\"back\\slash":   "tab\tnewline\n",
		"e\u0301 (decomposed)": "\u00e9 (precomposed)",
	}},
}

var sizes = []int{1, 32, 1024, 4096}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTrip encrypts every size under every context and decrypts
// without KeyId and with each of the four key references, over HTTP and
// over HTTPS.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tlsOn := range []bool{false, true} {
		name := "http"
		if tlsOn {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, harness.Options{TLS: tlsOn})
			if tlsOn && (e.s.CAFile == "" || e.s.Endpoint[:8] != "https://") {
				t.Fatalf("TLS server: endpoint %q, CA file %q", e.s.Endpoint, e.s.CAFile)
			}
			k := e.newKey(t, "round-trip")
			for _, size := range sizes {
				for _, ctx := range contexts {
					t.Run(fmt.Sprintf("%d bytes/%s", size, ctx.name), func(t *testing.T) {
						pt := randBytes(t, size)
						out, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionContext: ctx.ec})
						if err != nil {
							t.Fatalf("Encrypt: %v", err)
						}
						if got := aws.ToString(out.KeyId); got != k.arn {
							t.Errorf("Encrypt.KeyId = %q, want the key ARN %q", got, k.arn)
						}
						if out.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
							t.Errorf("Encrypt.EncryptionAlgorithm = %q, want SYMMETRIC_DEFAULT", out.EncryptionAlgorithm)
						}
						blob := out.CiphertextBlob
						if len(blob) > 6144 {
							t.Errorf("ciphertext of %d bytes of plaintext is %d bytes, over AWS's 6144-byte limit", size, len(blob))
						}
						if bytes.Contains(blob, pt) && size >= 8 {
							t.Errorf("the ciphertext contains the plaintext")
						}
						parseBlob(t, blob, e.account, e.region, k.id, size)
						decryptOK(t, e.c, blob, "", ctx.ec, pt, k)
						for _, r := range k.refs() {
							decryptOK(t, e.c, blob, r.ref, ctx.ec, pt, k)
						}
					})
				}
			}
		})
	}
}

// TestEncryptKeyRefs encrypts with each of the four key references: the
// output KeyId is the key ARN every time, and the blob names the key.
func TestEncryptKeyRefs(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "refs")
	pt := []byte("encrypt by reference")
	var blobs [][]byte
	for _, r := range k.refs() {
		out, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(r.ref), Plaintext: pt})
		if err != nil {
			t.Errorf("Encrypt(KeyId %s %q): %v", r.name, r.ref, err)
			continue
		}
		if got := aws.ToString(out.KeyId); got != k.arn {
			t.Errorf("Encrypt(KeyId %s).KeyId = %q, want %q", r.name, got, k.arn)
		}
		parseBlob(t, out.CiphertextBlob, e.account, e.region, k.id, len(pt))
		decryptOK(t, e.c, out.CiphertextBlob, "", nil, pt, k)
		blobs = append(blobs, out.CiphertextBlob)
	}
	// Every encryption is randomized (fresh nonce and IV).
	for i := range blobs {
		for j := i + 1; j < len(blobs); j++ {
			if bytes.Equal(blobs[i], blobs[j]) {
				t.Errorf("two encryptions of the same plaintext gave the same blob")
			}
		}
	}
	// Explicit SYMMETRIC_DEFAULT is accepted on both sides.
	out, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault})
	if err != nil {
		t.Fatalf("Encrypt with EncryptionAlgorithm SYMMETRIC_DEFAULT: %v", err)
	}
	d, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault})
	if err != nil {
		t.Fatalf("Decrypt with EncryptionAlgorithm SYMMETRIC_DEFAULT: %v", err)
	}
	if !bytes.Equal(d.Plaintext, pt) {
		t.Errorf("Decrypt with EncryptionAlgorithm SYMMETRIC_DEFAULT: plaintext %q, want %q", d.Plaintext, pt)
	}
}

// TestFIPSRoundTrip runs the crypto round trip with the server in Go's FIPS
// 140-3 mode (GODEBUG=fips140=on). It sets the environment, so it cannot
// run in parallel; it runs before the parallel tests start.
func TestFIPSRoundTrip(t *testing.T) {
	godebug := "fips140=on"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	t.Setenv("GODEBUG", godebug)
	e := start(t, harness.Options{})
	k := e.newKey(t, "fips")
	ec := map[string]string{"mode": "fips140=on"}
	for _, size := range sizes {
		pt := randBytes(t, size)
		blob := encrypt(t, e.c, k.id, pt, ec)
		decryptOK(t, e.c, blob, "", ec, pt, k)
	}
	gdk, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.alias), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	decryptOK(t, e.c, gdk.CiphertextBlob, k.arn, ec, gdk.Plaintext, k)
	k2 := e.newKey(t, "fips-2")
	re, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: gdk.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k2.id)})
	if err != nil {
		t.Fatalf("ReEncrypt: %v", err)
	}
	decryptOK(t, e.c, re.CiphertextBlob, "", nil, gdk.Plaintext, k2)
	if r, err := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(64)}); err != nil || len(r.Plaintext) != 64 {
		t.Errorf("GenerateRandom(64) in FIPS mode: %d bytes, %v", len(r.Plaintext), err)
	}
}

// TestEmptyContextIsNoContext: a nil and an empty encryption context are
// the same context (docs/ciphertext-format.md §2.2), in both directions.
func TestEmptyContextIsNoContext(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "empty-context")
	pt := []byte("empty context")
	blob := encrypt(t, e.c, k.id, pt, map[string]string{})
	decryptOK(t, e.c, blob, "", nil, pt, k)
	blob = encrypt(t, e.c, k.id, pt, nil)
	decryptOK(t, e.c, blob, "", map[string]string{}, pt, k)
}

// TestContextBinding: a blob decrypts only with exactly its encryption
// context; anything else is InvalidCiphertextException (AWS sends it with
// an empty message), with or without KeyId.
func TestContextBinding(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "context")
	pt := []byte("bound to its context")
	base := map[string]string{"purpose": "test", "tenant": "42"}
	cases := []struct {
		name        string
		encrypt     map[string]string
		decryptWith map[string]string
	}{
		{"wrong value", base, map[string]string{"purpose": "test", "tenant": "43"}},
		{"missing context", base, nil},
		{"empty context", base, map[string]string{}},
		{"missing pair", base, map[string]string{"purpose": "test"}},
		{"extra pair", base, map[string]string{"purpose": "test", "tenant": "42", "extra": "x"}},
		{"key case", base, map[string]string{"Purpose": "test", "tenant": "42"}},
		{"value case", base, map[string]string{"purpose": "Test", "tenant": "42"}},
		{"value trailing space", base, map[string]string{"purpose": "test ", "tenant": "42"}},
		{"key and value swapped", map[string]string{"a": "b"}, map[string]string{"b": "a"}},
		{`{"ab":"c"} vs {"a":"bc"}`, map[string]string{"ab": "c"}, map[string]string{"a": "bc"}},
		{`{"a":"bc"} vs {"ab":"c"}`, map[string]string{"a": "bc"}, map[string]string{"ab": "c"}},
		{"pairs merged", map[string]string{"a": "b", "c": "d"}, map[string]string{"a": "bcd"}},
		{"context added", nil, map[string]string{"a": "b"}},
		{"empty value added", nil, map[string]string{"a": ""}},
		{"unicode NFC vs NFD", map[string]string{"caf\u00e9": "\u00fc"}, map[string]string{"cafe\u0301": "\u00fc"}},
		{"unicode value changed", map[string]string{"鍵": "値"}, map[string]string{"鍵": "価"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blob := encrypt(t, e.c, k.id, pt, tc.encrypt)
			for _, keyID := range []string{"", k.arn} {
				in := &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: tc.decryptWith}
				if keyID != "" {
					in.KeyId = aws.String(keyID)
				}
				out, err := e.c.Decrypt(t.Context(), in)
				if err == nil {
					t.Errorf("Decrypt (KeyId %q) with context %q of a blob made with %q returned plaintext %q", keyID, tc.decryptWith, tc.encrypt, out.Plaintext)
					continue
				}
				wantErr(t, fmt.Sprintf("Decrypt (KeyId %q) with context %q of a blob made with %q", keyID, tc.decryptWith, tc.encrypt), err, "InvalidCiphertextException", "")
			}
			// The right context still works.
			decryptOK(t, e.c, blob, "", tc.encrypt, pt, k)
		})
	}
}
