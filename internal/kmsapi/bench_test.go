package kmsapi

import (
	"os"
	"testing"

	"github.com/trentkms/trent/internal/awsjson"
	"github.com/trentkms/trent/internal/service"
)

// The baselines are copies of internal/api/fast.go's hand-written Encrypt
// decoder and of encodeFast's Encrypt arm, which the generated code
// replaces: the generated code must be no slower and allocate no more.

func baselineDecodeEncrypt(d *awsjson.Decoder, in *service.EncryptInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Plaintext":
			in.Plaintext = d.Blob()
		case "EncryptionContext":
			in.EncryptionContext = d.StringMap()
		case "EncryptionAlgorithm":
			in.EncryptionAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		}
	}
}

func baselineEncodeEncrypt(e *awsjson.Encoder, o *service.EncryptOutput) {
	e.Begin()
	e.Blob("CiphertextBlob", o.CiphertextBlob)
	e.String("EncryptionAlgorithm", o.EncryptionAlgorithm)
	e.String("KeyId", o.KeyId)
	e.End()
}

func encrypt1K(b *testing.B) []byte {
	body, err := os.ReadFile("../awsjson/testdata/bodies/encrypt_1k.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// Both decoders run as internal/api runs them: a reused Decoder, a new
// input per request.
func BenchmarkDecodeEncrypt(b *testing.B) {
	body := encrypt1K(b)
	b.Run("handwritten", func(b *testing.B) {
		var d awsjson.Decoder
		b.ReportAllocs()
		for b.Loop() {
			in := new(service.EncryptInput)
			d.Reset(body)
			baselineDecodeEncrypt(&d, in)
			if d.Err() != nil || len(in.Plaintext) != 1024 {
				b.Fatal("decode")
			}
		}
	})
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
	b.Run("handwritten", func(b *testing.B) {
		o := &service.EncryptOutput{CiphertextBlob: blob, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: arn}
		var e awsjson.Encoder
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			baselineEncodeEncrypt(&e, o)
		}
	})
	b.Run("generated", func(b *testing.B) {
		o := &EncryptResponse{CiphertextBlob: blob, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: arn}
		var e awsjson.Encoder
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			o.EncodeJSON(&e)
		}
	})
}
