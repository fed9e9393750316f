// Package fips_test runs a real trent process in Go's FIPS 140-only mode
// (GODEBUG=fips140=only) and drives it with aws-sdk-go-v2: every algorithm
// that mode refuses answers a 400 client error that says so, never a 500
// (which SDKs retry), and everything else works.
package fips_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// setGODEBUG sets GODEBUG for the server processes started after it,
// keeping any other setting of the environment.
func setGODEBUG(t *testing.T, v string) {
	if old := os.Getenv("GODEBUG"); old != "" && v != "" {
		v = old + "," + v
	}
	t.Setenv("GODEBUG", v)
}

// wantFIPSRefusal checks that err is HTTP 400 UnsupportedOperationException
// saying that alg is not allowed in FIPS 140-only mode.
func wantFIPSRefusal(t *testing.T, what string, err error, alg string) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Errorf("%s: got %v, want an UnsupportedOperationException", what, err)
		return
	}
	want := alg + " is not allowed: this server runs in FIPS 140-only mode, where SHA-1 is not an approved hash for RSAES-OAEP."
	if re.HTTPStatusCode() != 400 || ae.ErrorCode() != "UnsupportedOperationException" || !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("%s: got HTTP %d %s %q, want HTTP 400 UnsupportedOperationException starting %q", what, re.HTTPStatusCode(), ae.ErrorCode(), ae.ErrorMessage(), want)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// TestFIPSOnly: keys, an RSA ciphertext and import tokens are made by a
// server in the default mode; the same data directory is then served in
// FIPS 140-only mode, where RSAES_OAEP_SHA_1 (Encrypt, Decrypt, ReEncrypt
// either way, DryRun included), the SHA-1 import wrapping algorithms
// (GetParametersForImport) and ImportKeyMaterial with a SHA-1 token are
// HTTP 400 UnsupportedOperationException and change nothing, while every
// other algorithm works; served in the default mode again, the same
// ciphertext and tokens work, so the refusals were the mode's alone.
func TestFIPSOnly(t *testing.T) {
	setGODEBUG(t, "")
	s := harness.Start(t, harness.Options{})
	c := s.KMS(t, "us-east-1")
	ctx := t.Context()
	key := func(spec types.KeySpec, usage types.KeyUsageType, origin types.OriginType) string {
		out := must[*kms.CreateKeyOutput](t, "CreateKey "+string(spec))(c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage, Origin: origin}))
		return aws.ToString(out.KeyMetadata.KeyId)
	}
	sym := key("", "", "")
	rsaEnc := key(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt, "")
	msg := []byte("FIPS 140-only")
	sha1CT := must[*kms.EncryptOutput](t, "Encrypt RSAES_OAEP_SHA_1")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &rsaEnc, Plaintext: msg,
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})).CiphertextBlob
	symCT := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &sym, Plaintext: msg})).CiphertextBlob

	// SHA-1 import tokens, and material wrapped with RSA-OAEP-SHA-1.
	external := key("", "", types.OriginTypeExternal)
	material := make([]byte, 32)
	rand.Read(material)
	params := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: &external, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha1}))
	pub := must[any](t, "parse wrapping key")(x509.ParsePKIXPublicKey(params.PublicKey)).(*rsa.PublicKey)
	wrapped := must[[]byte](t, "wrap")(rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, material, nil))
	kwParams := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: &external, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha1}))

	signing := map[types.KeySpec][]types.SigningAlgorithmSpec{
		types.KeySpecRsa2048:             {types.SigningAlgorithmSpecRsassaPssSha256, types.SigningAlgorithmSpecRsassaPkcs1V15Sha512},
		types.KeySpecEccNistP256:         {types.SigningAlgorithmSpecEcdsaSha256},
		types.KeySpecEccNistP521:         {types.SigningAlgorithmSpecEcdsaSha512},
		types.KeySpecEccSecgP256k1:       {types.SigningAlgorithmSpecEcdsaSha256},
		types.KeySpecEccNistEdwards25519: {types.SigningAlgorithmSpecEd25519Sha512, types.SigningAlgorithmSpecEd25519PhSha512},
		types.KeySpecMlDsa44:             {types.SigningAlgorithmSpecMlDsaShake256},
		types.KeySpecMlDsa87:             {types.SigningAlgorithmSpecMlDsaShake256},
	}
	signers := map[types.KeySpec]string{}
	for spec := range signing {
		signers[spec] = key(spec, types.KeyUsageTypeSignVerify, "")
	}
	hmac := key(types.KeySpecHmac224, types.KeyUsageTypeGenerateVerifyMac, "")
	agree := key(types.KeySpecEccNistP384, types.KeyUsageTypeKeyAgreement, "")
	kems := map[types.KeySpec]string{}
	for _, spec := range []types.KeySpec{types.KeySpecMlKem512, types.KeySpecMlKem768, types.KeySpecMlKem1024} {
		kems[spec] = key(spec, types.KeyUsageTypeEncapsulateDecapsulate, "")
	}

	setGODEBUG(t, "fips140=only")
	s.Restart(t)
	c = s.KMS(t, "us-east-1")

	t.Run("refused", func(t *testing.T) {
		sha1Alg := types.EncryptionAlgorithmSpecRsaesOaepSha1
		_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &rsaEnc, Plaintext: msg, EncryptionAlgorithm: sha1Alg})
		wantFIPSRefusal(t, "Encrypt", err, "RSAES_OAEP_SHA_1")
		_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: &rsaEnc, Plaintext: msg, EncryptionAlgorithm: sha1Alg, DryRun: aws.Bool(true)})
		wantFIPSRefusal(t, "Encrypt DryRun", err, "RSAES_OAEP_SHA_1")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{KeyId: &rsaEnc, CiphertextBlob: sha1CT, EncryptionAlgorithm: sha1Alg})
		wantFIPSRefusal(t, "Decrypt", err, "RSAES_OAEP_SHA_1")
		_, err = c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: sha1CT, SourceKeyId: &rsaEnc, SourceEncryptionAlgorithm: sha1Alg, DestinationKeyId: &sym})
		wantFIPSRefusal(t, "ReEncrypt from RSAES_OAEP_SHA_1", err, "RSAES_OAEP_SHA_1")
		_, err = c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: symCT, DestinationKeyId: &rsaEnc, DestinationEncryptionAlgorithm: sha1Alg})
		wantFIPSRefusal(t, "ReEncrypt to RSAES_OAEP_SHA_1", err, "RSAES_OAEP_SHA_1")
		for _, alg := range []types.AlgorithmSpec{types.AlgorithmSpecRsaesOaepSha1, types.AlgorithmSpecRsaAesKeyWrapSha1} {
			_, err = c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: &external, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: alg})
			wantFIPSRefusal(t, "GetParametersForImport "+string(alg), err, string(alg))
		}
		for _, p := range []*kms.GetParametersForImportOutput{params, kwParams} {
			_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: &external, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped,
				ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
			wantFIPSRefusal(t, "ImportKeyMaterial with a SHA-1 token", err, "The import token's wrapping algorithm (RSAES_OAEP_SHA_1 or RSA_AES_KEY_WRAP_SHA_1)")
		}
		d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &external}))
		if d.KeyMetadata.KeyState != types.KeyStatePendingImport {
			t.Errorf("key after the refused imports: %s, want PendingImport", d.KeyMetadata.KeyState)
		}
	})

	t.Run("approved", func(t *testing.T) {
		sha256Alg := types.EncryptionAlgorithmSpecRsaesOaepSha256
		ct := must[*kms.EncryptOutput](t, "Encrypt RSAES_OAEP_SHA_256")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &rsaEnc, Plaintext: msg, EncryptionAlgorithm: sha256Alg})).CiphertextBlob
		must[*kms.DecryptOutput](t, "Decrypt RSAES_OAEP_SHA_256")(c.Decrypt(ctx, &kms.DecryptInput{KeyId: &rsaEnc, CiphertextBlob: ct, EncryptionAlgorithm: sha256Alg}))
		must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: symCT}))
		must[*kms.GenerateDataKeyOutput](t, "GenerateDataKey")(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &sym, KeySpec: types.DataKeySpecAes256}))
		must[*kms.GetParametersForImportOutput](t, "GetParametersForImport SHA-256")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
			KeyId: &external, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256}))
		for spec, algs := range signing {
			for _, alg := range algs {
				m, mt := msg, types.MessageTypeRaw
				if alg == types.SigningAlgorithmSpecEd25519PhSha512 {
					m, mt = make([]byte, 64), types.MessageTypeDigest
				}
				sig := must[*kms.SignOutput](t, "Sign "+string(spec)+" "+string(alg))(c.Sign(ctx, &kms.SignInput{KeyId: aws.String(signers[spec]), Message: m, MessageType: mt, SigningAlgorithm: alg}))
				must[*kms.VerifyOutput](t, "Verify "+string(spec)+" "+string(alg))(c.Verify(ctx, &kms.VerifyInput{KeyId: aws.String(signers[spec]), Message: m, MessageType: mt,
					SigningAlgorithm: alg, Signature: sig.Signature}))
			}
		}
		mac := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: &hmac, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha224}))
		must[*kms.VerifyMacOutput](t, "VerifyMac")(c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: &hmac, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha224, Mac: mac.Mac}))
		peer := must[*ecdh.PrivateKey](t, "peer key")(ecdh.P384().GenerateKey(rand.Reader))
		der := must[[]byte](t, "peer SPKI")(x509.MarshalPKIXPublicKey(peer.PublicKey()))
		must[*kms.DeriveSharedSecretOutput](t, "DeriveSharedSecret")(c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: &agree,
			KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: der}))
		for spec, id := range kems {
			e := must[*kms.EncapsulateOutput](t, "Encapsulate "+string(spec))(c.Encapsulate(ctx, &kms.EncapsulateInput{KeyId: aws.String(id), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem}))
			must[*kms.DecapsulateOutput](t, "Decapsulate "+string(spec))(c.Decapsulate(ctx, &kms.DecapsulateInput{KeyId: aws.String(id),
				EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem, SharedSecretCiphertextBlob: e.SharedSecretCiphertextBlob}))
		}
		for _, spec := range []types.DataKeyPairSpec{types.DataKeyPairSpecRsa2048, types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecEccSecgP256k1,
			types.DataKeyPairSpecEccNistEdwards25519, types.DataKeyPairSpecMlKem512, types.DataKeyPairSpecMlKem1024} {
			must[*kms.GenerateDataKeyPairOutput](t, "GenerateDataKeyPair "+string(spec))(c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: &sym, KeyPairSpec: spec}))
		}
	})

	setGODEBUG(t, "")
	s.Restart(t)
	c = s.KMS(t, "us-east-1")
	t.Run("default mode again", func(t *testing.T) {
		d := must[*kms.DecryptOutput](t, "Decrypt RSAES_OAEP_SHA_1")(c.Decrypt(ctx, &kms.DecryptInput{KeyId: &rsaEnc, CiphertextBlob: sha1CT,
			EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1}))
		if string(d.Plaintext) != string(msg) {
			t.Errorf("Decrypt = %q, want %q", d.Plaintext, msg)
		}
		must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial with the SHA-1 token")(c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: &external,
			ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire}))
	})
}
