package symmetric_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestGenerateDataKey: KeySpec AES_128/AES_256 and NumberOfBytes give keys
// of the right length whose CiphertextBlob decrypts, with the same context,
// to the Plaintext; WithoutPlaintext returns no Plaintext and a blob that
// decrypts.
func TestGenerateDataKey(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "data-keys")
	ec := map[string]string{"bucket": "photos", "object": "кот.jpg"}
	cases := []struct {
		name string
		spec types.DataKeySpec
		n    *int32
		want int
	}{
		{"KeySpec AES_128", types.DataKeySpecAes128, nil, 16},
		{"KeySpec AES_256", types.DataKeySpecAes256, nil, 32},
		{"NumberOfBytes 1", "", aws.Int32(1), 1},
		{"NumberOfBytes 24", "", aws.Int32(24), 24},
		{"NumberOfBytes 64", "", aws.Int32(64), 64},
		{"NumberOfBytes 1024", "", aws.Int32(1024), 1024},
	}
	for _, tc := range cases {
		for _, ctx := range []map[string]string{nil, ec} {
			t.Run(fmt.Sprintf("%s/context %v", tc.name, ctx != nil), func(t *testing.T) {
				for i, ref := range k.refs() {
					out, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(ref.ref), KeySpec: tc.spec, NumberOfBytes: tc.n, EncryptionContext: ctx})
					if err != nil {
						t.Fatalf("GenerateDataKey(KeyId %s): %v", ref.name, err)
					}
					if len(out.Plaintext) != tc.want {
						t.Errorf("GenerateDataKey(KeyId %s).Plaintext is %d bytes, want %d", ref.name, len(out.Plaintext), tc.want)
					}
					if got := aws.ToString(out.KeyId); got != k.arn {
						t.Errorf("GenerateDataKey(KeyId %s).KeyId = %q, want %q", ref.name, got, k.arn)
					}
					if got := aws.ToString(out.KeyMaterialId); got != k.material {
						t.Errorf("GenerateDataKey.KeyMaterialId = %q, want %q", got, k.material)
					}
					parseBlob(t, out.CiphertextBlob, e.account, e.region, k.id, tc.want)
					if i == 0 {
						decryptOK(t, e.c, out.CiphertextBlob, "", ctx, out.Plaintext, k)
						decryptOK(t, e.c, out.CiphertextBlob, k.alias, ctx, out.Plaintext, k)
						if ctx != nil {
							_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob})
							wantErr(t, "Decrypt of a data key without its context", err, "InvalidCiphertextException", "")
						}
					}

					wp, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(ref.ref), KeySpec: tc.spec, NumberOfBytes: tc.n, EncryptionContext: ctx})
					if err != nil {
						t.Fatalf("GenerateDataKeyWithoutPlaintext(KeyId %s): %v", ref.name, err)
					}
					if got := aws.ToString(wp.KeyId); got != k.arn {
						t.Errorf("GenerateDataKeyWithoutPlaintext(KeyId %s).KeyId = %q, want %q", ref.name, got, k.arn)
					}
					if got := aws.ToString(wp.KeyMaterialId); got != k.material {
						t.Errorf("GenerateDataKeyWithoutPlaintext.KeyMaterialId = %q, want %q", got, k.material)
					}
					parseBlob(t, wp.CiphertextBlob, e.account, e.region, k.id, tc.want)
					d, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: wp.CiphertextBlob, EncryptionContext: ctx})
					if err != nil {
						t.Fatalf("Decrypt of GenerateDataKeyWithoutPlaintext's blob: %v", err)
					}
					if len(d.Plaintext) != tc.want {
						t.Errorf("GenerateDataKeyWithoutPlaintext's blob decrypts to %d bytes, want %d", len(d.Plaintext), tc.want)
					}
					// Two random keys of 8 bytes or more collide with
					// probability 2^-64 or less; shorter ones may well.
					if tc.want >= 8 && bytes.Equal(d.Plaintext, out.Plaintext) {
						t.Errorf("two data keys are equal")
					}
				}
			})
		}
	}
}

// TestGenerateDataKeyWithoutPlaintextWire checks on the wire that
// GenerateDataKeyWithoutPlaintext's response has no Plaintext member (the
// SDK's output type has none to look at).
func TestGenerateDataKeyWithoutPlaintextWire(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "wire")
	var raw []byte
	_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256},
		captureBody(&raw))
	if err != nil {
		t.Fatalf("GenerateDataKeyWithoutPlaintext: %v", err)
	}
	if bytes.Contains(raw, []byte(`"Plaintext"`)) {
		t.Errorf("GenerateDataKeyWithoutPlaintext response has a Plaintext member: %s", raw)
	}
	if !bytes.Contains(raw, []byte(`"CiphertextBlob"`)) {
		t.Errorf("GenerateDataKeyWithoutPlaintext response has no CiphertextBlob: %s", raw)
	}
}

// TestReEncrypt: to another key and to the same key; the new blob names
// the destination and decrypts under it with the destination context only;
// the source context is required; a wrong SourceKeyId is
// IncorrectKeyException; KeyId and SourceKeyId are ARNs.
func TestReEncrypt(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	src := e.newKey(t, "re-src")
	dst := e.newKey(t, "re-dst")
	srcEC := map[string]string{"stage": "source", "鍵": "値"}
	dstEC := map[string]string{"stage": "destination"}
	pt := []byte("moved between keys without leaving the server")
	blob := encrypt(t, e.c, src.id, pt, srcEC)

	for _, tc := range []struct {
		name     string
		to       key
		srcKeyID string
		dstKeyID string
		dstEC    map[string]string
	}{
		{"to another key", dst, "", dst.id, dstEC},
		{"to another key, SourceKeyId ARN, destination alias", dst, src.arn, dst.alias, dstEC},
		{"to another key, SourceKeyId alias ARN, destination alias ARN", dst, src.aliasARN, dst.aliasARN, nil},
		{"to the same key, new context", src, src.id, src.arn, dstEC},
		{"to the same key, same context", src, "", src.alias, srcEC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: srcEC, DestinationKeyId: aws.String(tc.dstKeyID), DestinationEncryptionContext: tc.dstEC}
			if tc.srcKeyID != "" {
				in.SourceKeyId = aws.String(tc.srcKeyID)
			}
			out, err := e.c.ReEncrypt(t.Context(), in)
			if err != nil {
				t.Fatalf("ReEncrypt: %v", err)
			}
			if got := aws.ToString(out.KeyId); got != tc.to.arn {
				t.Errorf("ReEncrypt.KeyId = %q, want the destination ARN %q", got, tc.to.arn)
			}
			if got := aws.ToString(out.SourceKeyId); got != src.arn {
				t.Errorf("ReEncrypt.SourceKeyId = %q, want the source ARN %q", got, src.arn)
			}
			if out.SourceEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault || out.DestinationEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
				t.Errorf("ReEncrypt algorithms = %q -> %q, want SYMMETRIC_DEFAULT both", out.SourceEncryptionAlgorithm, out.DestinationEncryptionAlgorithm)
			}
			if got := aws.ToString(out.SourceKeyMaterialId); got != src.material {
				t.Errorf("ReEncrypt.SourceKeyMaterialId = %q, want %q", got, src.material)
			}
			if got := aws.ToString(out.DestinationKeyMaterialId); got != tc.to.material {
				t.Errorf("ReEncrypt.DestinationKeyMaterialId = %q, want %q", got, tc.to.material)
			}
			nb := out.CiphertextBlob
			if bytes.Equal(nb, blob) {
				t.Fatalf("ReEncrypt returned the same blob")
			}
			parseBlob(t, nb, e.account, e.region, tc.to.id, len(pt))
			decryptOK(t, e.c, nb, "", tc.dstEC, pt, tc.to)
			decryptOK(t, e.c, nb, tc.to.alias, tc.dstEC, pt, tc.to)
			if tc.to.id != src.id {
				_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: nb, EncryptionContext: tc.dstEC, KeyId: aws.String(src.id)})
				wantErr(t, "Decrypt of the new blob with KeyId = source", err, "IncorrectKeyException", msgIncorrectKey)
			}
			if len(tc.dstEC) > 0 && tc.dstEC["stage"] != srcEC["stage"] {
				_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: nb, EncryptionContext: srcEC})
				wantErr(t, "Decrypt of the new blob with the source context", err, "InvalidCiphertextException", "")
			}
			if tc.dstEC != nil {
				_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: nb})
				wantErr(t, "Decrypt of the new blob without context", err, "InvalidCiphertextException", "")
			}
		})
	}

	// The source context is required.
	for _, ctx := range []map[string]string{nil, {"stage": "source"}, dstEC, {"stage": "source", "鍵": "値", "x": "y"}} {
		_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ctx, DestinationKeyId: aws.String(dst.id)})
		wantErr(t, fmt.Sprintf("ReEncrypt with source context %v", ctx), err, "InvalidCiphertextException", "")
	}
	// A SourceKeyId that does not match the blob.
	for _, r := range dst.refs() {
		_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: srcEC, SourceKeyId: aws.String(r.ref), DestinationKeyId: aws.String(dst.id)})
		wantErr(t, "ReEncrypt with SourceKeyId = another key's "+r.name, err, "IncorrectKeyException", msgIncorrectKey)
	}
	// A destination that does not exist.
	_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: srcEC, DestinationKeyId: aws.String("alias/nowhere")})
	wantErr(t, "ReEncrypt to a missing alias", err, "NotFoundException", "Alias "+e.aliasARN("alias/nowhere")+" is not found.")
	// A data key re-encrypted is still the same data key.
	gdk, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(src.id), KeySpec: types.DataKeySpecAes256, EncryptionContext: srcEC})
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	re, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: gdk.CiphertextBlob, SourceEncryptionContext: srcEC, DestinationKeyId: aws.String(dst.id), DestinationEncryptionContext: dstEC})
	if err != nil {
		t.Fatalf("ReEncrypt of a data key: %v", err)
	}
	decryptOK(t, e.c, re.CiphertextBlob, dst.arn, dstEC, gdk.Plaintext, dst)
	// The original still decrypts under the source.
	decryptOK(t, e.c, blob, "", srcEC, pt, src)
}
