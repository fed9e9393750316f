package symmetric_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

func tokens(n int) []string {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf("token-%d", i)
	}
	return t
}

// TestValidation: input constraints of the symmetric operations, with
// AWS's messages where AWS's wording is known.
func TestValidation(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "validation")
	ec := map[string]string{"v": "1"}
	blob := encrypt(t, e.c, k.id, []byte("x"), ec)
	lenMax := func(field string, max int) string {
		return validationMsg("", field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	lenMin := func(field string) string {
		return validationMsg("", field, "Member must have length greater than or equal to 1")
	}
	tooManyTokens := "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"
	invalidAlg := func(v, field string) string {
		return validationMsg("'"+v+"'", field, "Member must satisfy enum value set: [")
	}
	numMin := func(n int) string {
		return validationMsg(fmt.Sprintf("'%d'", n), "numberOfBytes", "Member must have value greater than or equal to 1")
	}
	numMax := func(n int) string {
		return validationMsg(fmt.Sprintf("'%d'", n), "numberOfBytes", "Member must have value less than or equal to 1024")
	}
	big := bytes.Repeat([]byte{7}, 6145)

	type tc struct {
		name   string
		call   func() error
		code   string
		msg    string // exact, unless prefix or any is set
		prefix bool
		any    bool
	}
	cases := []tc{
		// Encrypt
		{name: "Encrypt 4097 bytes", code: "ValidationException", msg: msgPlaintextLong, call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: make([]byte, 4097)})
			return err
		}},
		{name: "Encrypt empty plaintext", code: "ValidationException", msg: lenMin("plaintext"), call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte{}})
			return err
		}},
		{name: "Encrypt RSAES_OAEP_SHA_256 on a symmetric key", code: "InvalidKeyUsageException", msg: "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.", call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte("x"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
			return err
		}},
		{name: "Encrypt unknown algorithm", code: "ValidationException", msg: invalidAlg("AES_GCM_FAST", "encryptionAlgorithm"), prefix: true, call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte("x"), EncryptionAlgorithm: "AES_GCM_FAST"})
			return err
		}},
		{name: "Encrypt 11 grant tokens", code: "ValidationException", msg: tooManyTokens, call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte("x"), GrantTokens: tokens(11)})
			return err
		}},
		{name: "Encrypt empty KeyId", code: "ValidationException", msg: validationMsg("''", "keyId", "Member must have length greater than or equal to 1"), call: func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(""), Plaintext: []byte("x")})
			return err
		}},
		// Decrypt
		{name: "Decrypt 6145-byte ciphertext", code: "ValidationException", msg: lenMax("ciphertextBlob", 6144), call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: big})
			return err
		}},
		{name: "Decrypt empty ciphertext", code: "ValidationException", msg: lenMin("ciphertextBlob"), call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: []byte{}})
			return err
		}},
		{name: "Decrypt without ciphertext", code: "ValidationException", msg: validationMsg("null", "ciphertextBlob", "Member must not be null"), call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id)})
			return err
		}},
		{name: "Decrypt 6144 bytes of garbage", code: "InvalidCiphertextException", msg: "", call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: big[:6144]})
			return err
		}},
		{name: "Decrypt RSAES_OAEP_SHA_256 on a symmetric key", code: "InvalidKeyUsageException", msg: "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.", call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, KeyId: aws.String(k.id), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
			return err
		}},
		{name: "Decrypt unknown algorithm", code: "ValidationException", msg: invalidAlg("AES_GCM_FAST", "encryptionAlgorithm"), prefix: true, call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, EncryptionAlgorithm: "AES_GCM_FAST"})
			return err
		}},
		{name: "Decrypt 11 grant tokens", code: "ValidationException", msg: tooManyTokens, call: func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, GrantTokens: tokens(11)})
			return err
		}},
		// ReEncrypt
		{name: "ReEncrypt 6145-byte ciphertext", code: "ValidationException", msg: lenMax("ciphertextBlob", 6144), call: func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: big, DestinationKeyId: aws.String(k.id)})
			return err
		}},
		{name: "ReEncrypt destination RSAES_OAEP_SHA_256", code: "InvalidKeyUsageException", msg: "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.", call: func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), DestinationEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
			return err
		}},
		{name: "ReEncrypt source unknown algorithm", code: "ValidationException", msg: invalidAlg("NOPE", "sourceEncryptionAlgorithm"), prefix: true, call: func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), SourceEncryptionAlgorithm: "NOPE"})
			return err
		}},
		{name: "ReEncrypt 11 grant tokens", code: "ValidationException", msg: tooManyTokens, call: func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), GrantTokens: tokens(11)})
			return err
		}},
		// GenerateDataKey / WithoutPlaintext
		{name: "GenerateDataKey KeySpec and NumberOfBytes", code: "ValidationException", any: true, call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)})
			return err
		}},
		{name: "GenerateDataKey neither KeySpec nor NumberOfBytes", code: "ValidationException", any: true, call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id)})
			return err
		}},
		{name: "GenerateDataKeyWithoutPlaintext KeySpec and NumberOfBytes", code: "ValidationException", any: true, call: func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes128, NumberOfBytes: aws.Int32(16)})
			return err
		}},
		{name: "GenerateDataKeyWithoutPlaintext neither", code: "ValidationException", any: true, call: func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id)})
			return err
		}},
		{name: "GenerateDataKey NumberOfBytes 0", code: "ValidationException", msg: numMin(0), call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(0)})
			return err
		}},
		{name: "GenerateDataKey NumberOfBytes 1025", code: "ValidationException", msg: numMax(1025), call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(1025)})
			return err
		}},
		{name: "GenerateDataKeyWithoutPlaintext NumberOfBytes 0", code: "ValidationException", msg: numMin(0), call: func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(0)})
			return err
		}},
		{name: "GenerateDataKeyWithoutPlaintext NumberOfBytes 1025", code: "ValidationException", msg: numMax(1025), call: func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(1025)})
			return err
		}},
		{name: "GenerateDataKey unknown KeySpec", code: "ValidationException", msg: validationMsg("'AES_512'", "keySpec", "Member must satisfy enum value set: ["), prefix: true, call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), KeySpec: "AES_512"})
			return err
		}},
		{name: "GenerateDataKey 11 grant tokens", code: "ValidationException", msg: tooManyTokens, call: func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256, GrantTokens: tokens(11)})
			return err
		}},
		{name: "GenerateDataKeyWithoutPlaintext 11 grant tokens", code: "ValidationException", msg: tooManyTokens, call: func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256, GrantTokens: tokens(11)})
			return err
		}},
		// GenerateRandom: messages recorded from AWS.
		{name: "GenerateRandom 0", code: "ValidationException", msg: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1", call: func() error {
			_, err := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(0)})
			return err
		}},
		{name: "GenerateRandom 1025", code: "ValidationException", msg: "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024", call: func() error {
			_, err := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1025)})
			return err
		}},
		{name: "GenerateRandom without NumberOfBytes", code: "ValidationException", msg: "NumberOfBytes is required.", call: func() error {
			_, err := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{})
			return err
		}},
	}
	for _, c := range cases {
		err := c.call()
		switch {
		case c.any:
			wantErrAny(t, c.name, err, c.code)
		case c.prefix:
			wantErrPrefix(t, c.name, err, c.code, c.msg)
		default:
			wantErr(t, c.name, err, c.code, c.msg)
		}
	}
	// The enum messages list every EncryptionAlgorithmSpec.
	_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte("x"), EncryptionAlgorithm: "AES_GCM_FAST"})
	if _, msg, _, ok := apiError(err); ok {
		for _, alg := range types.EncryptionAlgorithmSpec("").Values() {
			if !strings.Contains(msg, string(alg)) {
				t.Errorf("Encrypt unknown algorithm: message %q does not list %s", msg, alg)
			}
		}
	}

	// The limits themselves are accepted.
	if _, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: make([]byte, 4096)}); err != nil {
		t.Errorf("Encrypt of exactly 4096 bytes: %v", err)
	}
	for _, n := range []int32{1, 1024} {
		out, err := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(n)})
		if err != nil {
			t.Errorf("GenerateRandom(%d): %v", n, err)
		} else if len(out.Plaintext) != int(n) {
			t.Errorf("GenerateRandom(%d) returned %d bytes", n, len(out.Plaintext))
		}
	}
	a, err1 := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1024)})
	b, err2 := e.c.GenerateRandom(t.Context(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1024)})
	if err1 == nil && err2 == nil {
		if bytes.Equal(a.Plaintext, b.Plaintext) {
			t.Errorf("two GenerateRandom(1024) calls returned the same bytes")
		}
		if bytes.Equal(a.Plaintext, make([]byte, 1024)) {
			t.Errorf("GenerateRandom(1024) returned zeros")
		}
	}
	for _, n := range []int32{1, 1024} {
		out, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(n)})
		if err != nil {
			t.Errorf("GenerateDataKey(NumberOfBytes %d): %v", n, err)
		} else if len(out.Plaintext) != int(n) {
			t.Errorf("GenerateDataKey(NumberOfBytes %d) returned %d bytes", n, len(out.Plaintext))
		}
	}
	if _, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: []byte("x"), GrantTokens: []string{}}); err != nil {
		t.Errorf("Encrypt with an empty GrantTokens list: %v", err)
	}
}
