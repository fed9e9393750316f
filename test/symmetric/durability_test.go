package symmetric_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestDurableAcrossKill9: blobs made before kill -9 decrypt after the
// restart, including those of a key created just before the kill, and the
// keys keep their material IDs.
func TestDurableAcrossKill9(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	old := e.newKey(t, "before-kill")
	type made struct {
		name string
		blob []byte
		ec   map[string]string
		pt   []byte
		k    *key
	}
	var blobs []made
	ec := map[string]string{"survives": "kill -9", "鍵": "値"}
	for _, size := range sizes {
		pt := randBytes(t, size)
		blobs = append(blobs, made{"Encrypt", encrypt(t, e.c, old.id, pt, ec), ec, pt, &old})
	}
	gdk, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(old.alias), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	blobs = append(blobs, made{"GenerateDataKey", gdk.CiphertextBlob, ec, gdk.Plaintext, &old})

	// A key made immediately before the kill: CreateKey's answer means the
	// key and its material are durable.
	last := e.newKey(t, "just-before-kill")
	re, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: gdk.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(last.id)})
	if err != nil {
		t.Fatalf("ReEncrypt: %v", err)
	}
	blobs = append(blobs, made{"ReEncrypt", re.CiphertextBlob, nil, gdk.Plaintext, &last})
	pt := []byte("last words")
	blobs = append(blobs, made{"Encrypt under the newest key", encrypt(t, e.c, last.id, pt, nil), nil, pt, &last})

	e.s.Kill9()
	if e.s.Running() {
		t.Fatal("server still running after kill -9")
	}
	e.s.Restart(t)
	c := e.s.KMS(t, region)

	for _, k := range []key{old, last} {
		if got := currentMaterial(t, c, k.id); got != k.material {
			t.Errorf("after restart, %s CurrentKeyMaterialId = %q, want %q", k.alias, got, k.material)
		}
	}
	for _, b := range blobs {
		t.Run(b.name, func(t *testing.T) {
			decryptOK(t, c, b.blob, "", b.ec, b.pt, *b.k)
			decryptOK(t, c, b.blob, b.k.alias, b.ec, b.pt, *b.k)
		})
	}
	// The keys still encrypt after the restart.
	decryptOK(t, c, encrypt(t, c, old.alias, pt, ec), "", ec, pt, old)
	decryptOK(t, c, encrypt(t, c, last.arn, pt, nil), "", nil, pt, last)
}
