package asymmetric_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// oaepLimits is kms-api.md §7.1 (k/8 - 2·hLen - 2), as AWS's recorded
// messages state them.
var oaepLimits = []struct {
	spec types.KeySpec
	alg  types.EncryptionAlgorithmSpec
	max  int
}{
	{types.KeySpecRsa2048, types.EncryptionAlgorithmSpecRsaesOaepSha1, 214},
	{types.KeySpecRsa2048, types.EncryptionAlgorithmSpecRsaesOaepSha256, 190},
	{types.KeySpecRsa3072, types.EncryptionAlgorithmSpecRsaesOaepSha1, 342},
	{types.KeySpecRsa3072, types.EncryptionAlgorithmSpecRsaesOaepSha256, 318},
	{types.KeySpecRsa4096, types.EncryptionAlgorithmSpecRsaesOaepSha1, 470},
	{types.KeySpecRsa4096, types.EncryptionAlgorithmSpecRsaesOaepSha256, 446},
}

func oaepHash(alg types.EncryptionAlgorithmSpec) (hash.Hash, crypto.Hash) {
	if alg == types.EncryptionAlgorithmSpecRsaesOaepSha1 {
		return sha1.New(), crypto.SHA1
	}
	return sha256.New(), crypto.SHA256
}

// TestRSAEncryption: RSAES_OAEP_SHA_1 and _SHA_256 with RSA_2048/3072/4096
// keys: round trips, the plaintext limits of §7.1 with AWS's message,
// ciphertexts made outside (Go's rsa.EncryptOAEP and openssl pkeyutl)
// decrypting in Trent, and the errors of asymmetric Decrypt.
func TestRSAEncryption(t *testing.T) {
	t.Parallel()
	e := start(t)
	reqs := []keyReq{
		{types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt},
		{types.KeySpecRsa3072, types.KeyUsageTypeEncryptDecrypt},
		{types.KeySpecRsa4096, types.KeyUsageTypeEncryptDecrypt},
	}
	keys := e.createKeys(t, reqs...)

	encrypt := func(k key, alg types.EncryptionAlgorithmSpec, pt []byte) (*kms.EncryptOutput, error) {
		return e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionAlgorithm: alg})
	}
	decryptOK := func(t *testing.T, what string, k key, alg types.EncryptionAlgorithmSpec, ct, want []byte) {
		t.Helper()
		out, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: ct, EncryptionAlgorithm: alg})
		if err != nil {
			t.Errorf("Decrypt(%s, %s) of %s: %v", k.spec, alg, what, err)
			return
		}
		if !bytes.Equal(out.Plaintext, want) {
			t.Errorf("Decrypt(%s, %s) of %s = %d bytes %x, want %d bytes %x", k.spec, alg, what, len(out.Plaintext), head(out.Plaintext), len(want), head(want))
		}
		if aws.ToString(out.KeyId) != k.arn || out.EncryptionAlgorithm != alg {
			t.Errorf("Decrypt(%s, %s) of %s: KeyId %q EncryptionAlgorithm %q, want %q %q", k.spec, alg, what, aws.ToString(out.KeyId), out.EncryptionAlgorithm, k.arn, alg)
		}
	}

	for _, c := range oaepLimits {
		k := keys[keyReq{c.spec, types.KeyUsageTypeEncryptDecrypt}]
		t.Run(fmt.Sprintf("%s/%s", c.spec, c.alg), func(t *testing.T) {
			t.Parallel()
			pubDER := e.publicKey(t, k).PublicKey
			pub := checkPublicKey(t, "GetPublicKey", string(c.spec), pubDER).(*rsa.PublicKey)
			size := pub.Size()

			// Round trips: a short plaintext and one at the limit.
			for _, n := range []int{1, 32, c.max} {
				pt := make([]byte, n)
				rand.Read(pt)
				out, err := encrypt(k, c.alg, pt)
				if err != nil {
					t.Errorf("Encrypt(%s, %s, %d bytes): %v", c.spec, c.alg, n, err)
					continue
				}
				if len(out.CiphertextBlob) != size {
					t.Errorf("Encrypt(%s, %s): ciphertext of %d bytes, want %d", c.spec, c.alg, len(out.CiphertextBlob), size)
				}
				if aws.ToString(out.KeyId) != k.arn || out.EncryptionAlgorithm != c.alg {
					t.Errorf("Encrypt(%s, %s): KeyId %q EncryptionAlgorithm %q, want %q %q", c.spec, c.alg, aws.ToString(out.KeyId), out.EncryptionAlgorithm, k.arn, c.alg)
				}
				decryptOK(t, fmt.Sprintf("its own %d-byte ciphertext", n), k, c.alg, out.CiphertextBlob, pt)
				// OAEP is randomized.
				if again, err := encrypt(k, c.alg, pt); err == nil && bytes.Equal(again.CiphertextBlob, out.CiphertextBlob) {
					t.Errorf("Encrypt(%s, %s) twice gave the same ciphertext: OAEP is not randomized", c.spec, c.alg)
				}
			}
			// One byte over the limit: AWS's recorded message.
			_, err := encrypt(k, c.alg, make([]byte, c.max+1))
			wantErr(t, fmt.Sprintf("Encrypt(%s, %s, %d bytes)", c.spec, c.alg, c.max+1), err, "ValidationException",
				fmt.Sprintf("Algorithm %s and key spec %s cannot encrypt data larger than %d bytes.", c.alg, c.spec, c.max))

			// Go's rsa.EncryptOAEP (MGF1 with the same hash, empty label).
			h, _ := oaepHash(c.alg)
			pt := []byte("encrypted outside with Go's crypto/rsa")
			ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, pt, nil)
			if err != nil {
				t.Fatalf("rsa.EncryptOAEP: %v", err)
			}
			decryptOK(t, "rsa.EncryptOAEP's ciphertext", k, c.alg, ct, pt)
			maxPT := make([]byte, c.max)
			rand.Read(maxPT)
			if ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, maxPT, nil); err != nil {
				t.Errorf("rsa.EncryptOAEP of %d bytes: %v", c.max, err)
			} else {
				decryptOK(t, fmt.Sprintf("rsa.EncryptOAEP's ciphertext of %d bytes", c.max), k, c.alg, ct, maxPT)
			}

			// openssl pkeyutl -encrypt.
			if openssl(t) {
				_, ch := oaepHash(c.alg)
				dir := writeFiles(t, map[string][]byte{"pub.pem": pemPublicKey(pubDER), "pt": maxPT})
				args := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:oaep",
					"-pkeyopt", "rsa_oaep_md:" + opensslHashName(ch), "-pkeyopt", "rsa_mgf1_md:" + opensslHashName(ch), "-in", "pt", "-out", "ct"}
				if out, err := runTool(dir, opensslPath, args...); err != nil {
					t.Errorf("openssl %v: %v\n%s", args, err, out)
				} else if ct, err := os.ReadFile(filepath.Join(dir, "ct")); err != nil {
					t.Error(err)
				} else {
					decryptOK(t, "openssl pkeyutl's ciphertext", k, c.alg, ct, maxPT)
				}
			}

			// The other OAEP hash does not decrypt it; nor does a tampered
			// ciphertext.
			other := types.EncryptionAlgorithmSpecRsaesOaepSha256
			if c.alg == other {
				other = types.EncryptionAlgorithmSpecRsaesOaepSha1
			}
			_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: ct, EncryptionAlgorithm: other})
			wantErrCode(t, fmt.Sprintf("Decrypt(%s) of a %s ciphertext", other, c.alg), err, "InvalidCiphertextException")
			_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: flipBit(ct, 17), EncryptionAlgorithm: c.alg})
			wantErrCode(t, "Decrypt of a tampered RSA ciphertext", err, "InvalidCiphertextException")
		})
	}

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		k := keys[reqs[0]]
		pt := []byte("secret")
		out, err := encrypt(k, types.EncryptionAlgorithmSpecRsaesOaepSha256, pt)
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		ct := out.CiphertextBlob

		// Without KeyId the ciphertext names no key.
		_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
		code := wantClientError(t, "Decrypt of an RSA ciphertext without KeyId", err)
		if code != "" && code != "InvalidCiphertextException" {
			t.Errorf("Decrypt of an RSA ciphertext without KeyId: %s, want InvalidCiphertextException", code)
		}
		// Without EncryptionAlgorithm (the default SYMMETRIC_DEFAULT does
		// not fit an RSA key).
		_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: ct})
		wantClientError(t, "Decrypt of an RSA ciphertext without EncryptionAlgorithm", err)
		_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt})
		wantClientError(t, "Encrypt with an RSA key without EncryptionAlgorithm", err)

		// No encryption context with asymmetric keys.
		ec := map[string]string{"purpose": "test"}
		_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256, EncryptionContext: ec})
		wantErrCode(t, "Encrypt with an RSA key and an encryption context", err, "ValidationException")
		_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256, EncryptionContext: ec})
		wantErrCode(t, "Decrypt with an RSA key and an encryption context", err, "ValidationException")

		// A symmetric key's algorithm on an RSA key.
		_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault})
		wantErrCode(t, "Encrypt(RSA_2048, SYMMETRIC_DEFAULT)", err, "InvalidKeyUsageException")

		// A ciphertext of the wrong length.
		_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: ct[:len(ct)-1], EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
		wantErrCode(t, "Decrypt of a 255-byte RSA_2048 ciphertext", err, "InvalidCiphertextException")
	})
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}
