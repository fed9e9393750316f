package asymmetric_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestDryRun: every asymmetric operation with DryRun that would succeed
// answers DryRunOperationException (AWS's message, typed SDK error), and
// one that would fail answers its own error instead.
func TestDryRun(t *testing.T) {
	t.Parallel()
	e := start(t)
	var (
		sign  = keyReq{types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify}
		rsa   = keyReq{types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt}
		hmac  = keyReq{types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac}
		agree = keyReq{types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement}
		kem   = keyReq{types.KeySpecMlKem768, types.KeyUsageTypeEncapsulateDecapsulate}
		sym   = keyReq{types.KeySpecSymmetricDefault, ""}
	)
	keys := e.createKeys(t, sign, rsa, hmac, agree, kem, sym)
	id := func(r keyReq) *string { return aws.String(keys[r].id) }
	ctx := t.Context()
	msg := []byte("dry run")

	// Real results to dry-run the checking operations with.
	s, err := e.c.Sign(ctx, &kms.SignInput{KeyId: id(sign), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: id(hmac), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.c.Encrypt(ctx, &kms.EncryptInput{KeyId: id(rsa), Plaintext: msg, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.c.Encapsulate(ctx, &kms.EncapsulateInput{KeyId: id(kem), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := ecdh.P256().GenerateKey(rand.Reader)
	peer := mustSPKI(t, local.PublicKey())

	ops := []struct {
		name string
		call func() error
	}{
		{"Sign", func() error {
			_, err := e.c.Sign(ctx, &kms.SignInput{KeyId: id(sign), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"Verify", func() error {
			_, err := e.c.Verify(ctx, &kms.VerifyInput{KeyId: id(sign), Message: msg, Signature: s.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"GenerateMac", func() error {
			_, err := e.c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: id(hmac), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"VerifyMac", func() error {
			_, err := e.c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: id(hmac), Message: msg, Mac: m.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"DeriveSharedSecret", func() error {
			_, err := e.c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: id(agree), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer, DryRun: aws.Bool(true)})
			return err
		}},
		{"Encrypt (RSA)", func() error {
			_, err := e.c.Encrypt(ctx, &kms.EncryptInput{KeyId: id(rsa), Plaintext: msg, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"Decrypt (RSA)", func() error {
			_, err := e.c.Decrypt(ctx, &kms.DecryptInput{KeyId: id(rsa), CiphertextBlob: ct.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256, DryRun: aws.Bool(true)})
			return err
		}},
		{"GenerateDataKeyPair", func() error {
			_, err := e.c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: id(sym), KeyPairSpec: types.DataKeyPairSpecEccNistP256, DryRun: aws.Bool(true)})
			return err
		}},
		{"GenerateDataKeyPairWithoutPlaintext", func() error {
			_, err := e.c.GenerateDataKeyPairWithoutPlaintext(ctx, &kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: id(sym), KeyPairSpec: types.DataKeyPairSpecRsa2048, DryRun: aws.Bool(true)})
			return err
		}},
		{"Encapsulate", func() error {
			_, err := e.c.Encapsulate(ctx, &kms.EncapsulateInput{KeyId: id(kem), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem, DryRun: aws.Bool(true)})
			return err
		}},
		{"Decapsulate", func() error {
			_, err := e.c.Decapsulate(ctx, &kms.DecapsulateInput{KeyId: id(kem), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem, SharedSecretCiphertextBlob: enc.SharedSecretCiphertextBlob, DryRun: aws.Bool(true)})
			return err
		}},
	}
	for _, op := range ops {
		err := op.call()
		wantErr(t, op.name+" with DryRun", err, "DryRunOperationException", msgDryRun)
		var typed *types.DryRunOperationException
		if err != nil && !errors.As(err, &typed) {
			t.Errorf("%s with DryRun: error %T is not *types.DryRunOperationException", op.name, err)
		}
	}

	// A dry run that would fail says why.
	_, err = e.c.Sign(ctx, &kms.SignInput{KeyId: id(sign), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha384, DryRun: aws.Bool(true)})
	wantErrCode(t, "Sign DryRun with an algorithm of another curve", err, "InvalidKeyUsageException")
	_, err = e.c.Sign(ctx, &kms.SignInput{KeyId: id(rsa), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256, DryRun: aws.Bool(true)})
	wantErrCode(t, "Sign DryRun with an ENCRYPT_DECRYPT key", err, "InvalidKeyUsageException")
	_, err = e.c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: id(agree), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: []byte("junk"), DryRun: aws.Bool(true)})
	wantErrCode(t, "DeriveSharedSecret DryRun with a malformed peer key", err, "ValidationException")
	_, err = e.c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: id(hmac), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha512, DryRun: aws.Bool(true)})
	wantErr(t, "GenerateMac DryRun with HMAC_SHA_512 on HMAC_256", err, "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.")
	_, err = e.c.Encrypt(ctx, &kms.EncryptInput{KeyId: id(rsa), Plaintext: make([]byte, 191), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256, DryRun: aws.Bool(true)})
	wantErr(t, "Encrypt DryRun of 191 bytes with RSA_2048 OAEP SHA-256", err, "ValidationException", "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.")
}
