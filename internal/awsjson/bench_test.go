package awsjson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// encryptBody is a typical Encrypt request: 1 KiB of plaintext (1.5 KB of
// JSON).
func encryptBody(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bodies", "encrypt_1k.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type encryptInput struct {
	KeyId               *string           `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm *string           `json:"EncryptionAlgorithm"`
	GrantTokens         []string          `json:"GrantTokens"`
	DryRun              bool              `json:"DryRun"`
}

func decodeEncrypt(d *Decoder, in *encryptInput) error {
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
	return d.Err()
}

var sinkIn *encryptInput

func BenchmarkDecodeEncrypt(b *testing.B) {
	body := encryptBody(b)
	b.Run("awsjson", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		var d Decoder
		in := new(encryptInput)
		sinkIn = in
		for b.Loop() {
			*in = encryptInput{}
			d.Reset(body)
			if err := decodeEncrypt(&d, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		in := new(encryptInput)
		sinkIn = in
		for b.Loop() {
			*in = encryptInput{}
			if err := json.Unmarshal(body, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type encryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	KeyId               string `json:"KeyId"`
}

// sampleOutput is an Encrypt response for 1 KiB of plaintext.
func sampleOutput() *encryptOutput {
	blob := make([]byte, 1024+110)
	for i := range blob {
		blob[i] = byte(i * 13)
	}
	return &encryptOutput{
		CiphertextBlob:      blob,
		EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
		KeyId:               "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
}

func encodeEncrypt(e *Encoder, o *encryptOutput) {
	e.Begin()
	e.Blob("CiphertextBlob", o.CiphertextBlob)
	e.String("EncryptionAlgorithm", o.EncryptionAlgorithm)
	e.String("KeyId", o.KeyId)
	e.End()
}

var sinkOut []byte

func BenchmarkEncodeEncrypt(b *testing.B) {
	out := sampleOutput()
	b.Run("awsjson", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		var e Encoder
		for b.Loop() {
			e.Reset(buf)
			encodeEncrypt(&e, out)
			sinkOut = e.Bytes()
		}
		b.SetBytes(int64(len(sinkOut)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if sinkOut, err = json.Marshal(out); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(sinkOut)))
	})
}
