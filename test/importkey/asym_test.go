package importkey_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestImportAsymmetricOpenSSL follows AWS's procedure for asymmetric
// material with openssl: generate a key pair, convert the private key to
// PKCS #8 DER (`openssl pkcs8 -topk8 -outform der -nocrypt`), wrap it with
// RSA_AES_KEY_WRAP_SHA_256 (keyWrapOpenSSL), import it, then sign in Trent
// and verify with openssl and the known public key; GetPublicKey returns
// that public key.
func TestImportAsymmetricOpenSSL(t *testing.T) {
	const openssl = "/usr/bin/openssl"
	if _, err := os.Stat(openssl); err != nil {
		t.Skipf("no %s: %v", openssl, err)
	}
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	for _, tt := range []struct {
		spec    types.KeySpec
		genArgs []string
		alg     types.SigningAlgorithmSpec
		verify  []string // openssl dgst options besides -verify/-signature
	}{
		{types.KeySpecEccNistP256, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, types.SigningAlgorithmSpecEcdsaSha256, []string{"-sha256"}},
		{types.KeySpecEccSecgP256k1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"}, types.SigningAlgorithmSpecEcdsaSha256, []string{"-sha256"}},
		{types.KeySpecEccNistP521, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}, types.SigningAlgorithmSpecEcdsaSha512, []string{"-sha512"}},
		{types.KeySpecRsa2048, []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, types.SigningAlgorithmSpecRsassaPssSha256,
			[]string{"-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"}},
	} {
		t.Run(string(tt.spec), func(t *testing.T) {
			dir := t.TempDir()
			path := func(n string) string { return filepath.Join(dir, n) }
			run := func(args ...string) {
				t.Helper()
				if out, err := exec.CommandContext(ctx, openssl, args...).CombinedOutput(); err != nil {
					t.Fatalf("openssl %v: %v\n%s", args, err, out)
				}
			}
			run(append([]string{"genpkey", "-out", path("priv.pem")}, tt.genArgs...)...)
			run("pkcs8", "-topk8", "-outform", "der", "-nocrypt", "-in", path("priv.pem"), "-out", path("PrivateKey.der"))
			run("pkey", "-in", path("priv.pem"), "-pubout", "-outform", "der", "-out", path("pub.der"))
			p8, err := os.ReadFile(path("PrivateKey.der"))
			if err != nil {
				t.Fatal(err)
			}
			pubDER, err := os.ReadFile(path("pub.der"))
			if err != nil {
				t.Fatal(err)
			}

			md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: tt.spec, KeyUsage: types.KeyUsageTypeSignVerify})
			id := md.KeyId
			_, err = c.Sign(ctx, &kms.SignInput{KeyId: id, Message: []byte("m"), SigningAlgorithm: tt.alg})
			wantCode(t, "Sign pending import", err, "KMSInvalidStateException", *md.Arn+" is pending import.")
			if tt.spec == types.KeySpecRsa2048 || tt.spec == types.KeySpecEccNistP521 {
				_, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: id,
					WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256})
				wantCode(t, "RSAES_OAEP_SHA_256 under RSA_2048", err, "ValidationException", "")
			}
			p, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: id,
				WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256})
			if err != nil {
				t.Fatalf("GetParametersForImport: %v", err)
			}
			imp, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken,
				EncryptedKeyMaterial: keyWrapOpenSSL(t, p.PublicKey, p8), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
			if err != nil {
				t.Fatalf("ImportKeyMaterial: %v", err)
			}
			if imp.KeyMaterialId != nil {
				t.Errorf("KeyMaterialId %q for an asymmetric key; AWS returns it for symmetric keys only", *imp.KeyMaterialId)
			}
			pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: id})
			if err != nil {
				t.Fatalf("GetPublicKey: %v", err)
			}
			if string(pk.PublicKey) != string(pubDER) {
				t.Errorf("GetPublicKey:\n%x\nwant openssl's\n%x", pk.PublicKey, pubDER)
			}
			msg := []byte("signed by imported material")
			sig, err := c.Sign(ctx, &kms.SignInput{KeyId: id, Message: msg, MessageType: types.MessageTypeRaw, SigningAlgorithm: tt.alg})
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			os.WriteFile(path("msg"), msg, 0o600)
			os.WriteFile(path("sig"), sig.Signature, 0o600)
			args := append([]string{"dgst"}, tt.verify...)
			run(append(args, "-verify", path("pub.der"), "-keyform", "DER", "-signature", path("sig"), path("msg"))...)

			// Material of another key is refused once material is fixed.
			run(append([]string{"genpkey", "-out", path("other.pem")}, tt.genArgs...)...)
			run("pkcs8", "-topk8", "-outform", "der", "-nocrypt", "-in", path("other.pem"), "-out", path("other.der"))
			other, _ := os.ReadFile(path("other.der"))
			p2, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: id,
				WrappingKeySpec: types.WrappingKeySpecRsa3072, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256})
			if err != nil {
				t.Fatalf("GetParametersForImport: %v", err)
			}
			_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p2.ImportToken,
				EncryptedKeyMaterial: keyWrapGo(t, p2.PublicKey, other), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
			wantCode(t, "import of another key pair", err, "IncorrectKeyMaterialException", "")
			d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
			if err != nil || d.KeyMetadata.KeyState != types.KeyStateEnabled || aws.ToString(d.KeyMetadata.CurrentKeyMaterialId) != "" {
				t.Errorf("DescribeKey after refusal: %+v, %v; want Enabled without CurrentKeyMaterialId", d.KeyMetadata, err)
			}
		})
	}
}
