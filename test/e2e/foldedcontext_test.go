package e2e_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// TestEncryptionContextKeysDifferingInCase: condition keys are
// case-insensitive, so the encryption context
// {"Classification":"restricted","CLASSIFICATION":"public"} holds two
// values for kms:EncryptionContext:classification. A key policy Deny that
// matches either value must deny, and an Allow must allow only if both
// values satisfy it, on every one of 1,000 requests (the server's map of
// the context is iterated in a different order each time).
func TestEncryptionContextKeysDifferingInCase(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		ctx := t.Context()
		root := "arn:aws:iam::" + e.account + ":root"
		denyKey := aws.ToString(createKey(t, e.kms, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"` + root + `"},"Action":"kms:*","Resource":"*"},
			{"Effect":"Deny","Principal":"*","Action":["kms:Encrypt","kms:GenerateDataKey"],"Resource":"*",
			 "Condition":{"StringEquals":{"kms:EncryptionContext:classification":"restricted"}}}]}`)}).KeyId)
		allowKey := aws.ToString(createKey(t, e.kms, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"` + root + `"},"NotAction":"kms:Encrypt","Resource":"*"},
			{"Effect":"Allow","Principal":{"AWS":"` + root + `"},"Action":"kms:Encrypt","Resource":"*",
			 "Condition":{"StringEquals":{"kms:EncryptionContext:classification":"public"}}}]}`)}).KeyId)

		encrypt := func(key string, ec map[string]string) error {
			_, err := e.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x"), EncryptionContext: ec})
			return err
		}
		// One value each: the policies do what they say.
		if err := encrypt(denyKey, map[string]string{"Classification": "public"}); err != nil {
			t.Fatalf("deny key, public: %v", err)
		}
		wantErrPrefix(t, encrypt(denyKey, map[string]string{"classification": "restricted"}), "AccessDeniedException", "User: "+root+" is not authorized")
		if err := encrypt(allowKey, map[string]string{"CLASSIFICATION": "public"}); err != nil {
			t.Fatalf("allow key, public: %v", err)
		}
		wantErrPrefix(t, encrypt(allowKey, map[string]string{"classification": "restricted"}), "AccessDeniedException", "User: "+root+" is not authorized")

		both := map[string]string{"Classification": "restricted", "CLASSIFICATION": "public"}
		for i := range 1000 {
			err := encrypt(denyKey, both)
			if err == nil {
				t.Fatalf("request %d: the Deny on one of two folded values did not apply", i)
			}
			wantErrPrefix(t, err, "AccessDeniedException", "User: "+root+" is not authorized")
			_, err = e.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(denyKey), NumberOfBytes: aws.Int32(16), EncryptionContext: both})
			if err == nil {
				t.Fatalf("request %d: GenerateDataKey: the Deny on one of two folded values did not apply", i)
			}
		}
		for i := range 1000 {
			if err := encrypt(allowKey, both); err == nil {
				t.Fatalf("request %d: an Allow on one of two folded values allowed", i)
			}
		}
	})
}
