package kmsapi

import (
	"os"
	"testing"

	"github.com/trentkms/trent/internal/awsjson"
)

// The benchmarks run the codec as internal/api runs it on the hot path:
// a reused Decoder and a new input per request; a reused buffer for the
// response.

func encrypt1K(b *testing.B) []byte {
	body, err := os.ReadFile("../awsjson/testdata/bodies/encrypt_1k.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodeEncrypt(b *testing.B) {
	body := encrypt1K(b)
	b.Run("generated", func(b *testing.B) {
		var d awsjson.Decoder
		b.ReportAllocs()
		for b.Loop() {
			in := new(EncryptRequest)
			d.Reset(body)
			in.DecodeJSON(&d)
			if d.Err() != nil || len(in.Plaintext) != 1024 {
				b.Fatal("decode")
			}
		}
	})
	b.Run("generated+validate", func(b *testing.B) {
		var d awsjson.Decoder
		b.ReportAllocs()
		for b.Loop() {
			in := new(EncryptRequest)
			d.Reset(body)
			in.DecodeJSON(&d)
			if d.Err() != nil || in.Validate() != nil {
				b.Fatal("decode")
			}
		}
	})
}

func BenchmarkEncodeEncrypt(b *testing.B) {
	blob := make([]byte, 1024+150)
	arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	buf := make([]byte, 0, 4096)
	o := &EncryptResponse{CiphertextBlob: blob, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: arn}
	var e awsjson.Encoder
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(buf)
		o.EncodeJSON(&e)
	}
}
