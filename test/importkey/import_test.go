// Package importkey_test drives a real trent process with aws-sdk-go-v2's
// KMS client through imported key material (issue 6, first slice):
// GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial
// for SYMMETRIC_DEFAULT and HMAC keys, following the AWS documentation's
// procedure (wrap 32 random bytes with RSA-OAEP-SHA-256 under the wrapping
// public key, with Go and, where it is installed, with openssl).
//
// Expected errors and messages come from AWS (shared/reference/kms-api.md
// and aws-recorded-responses.json) where AWS recorded them; elsewhere only
// the error code is checked.
package importkey_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const region = "us-east-1"

func createKey(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

// wantCode checks that err is the AWS error code and, when msg is not
// empty, has message msg.
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got error %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("%s: got %s: %q, want %s: %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func params(t *testing.T, c *kms.Client, keyID string) *kms.GetParametersForImportOutput {
	t.Helper()
	out, err := c.GetParametersForImport(t.Context(), &kms.GetParametersForImportInput{
		KeyId:             aws.String(keyID),
		WrappingKeySpec:   types.WrappingKeySpecRsa2048,
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256,
	})
	if err != nil {
		t.Fatalf("GetParametersForImport: %v", err)
	}
	return out
}

// wrapGo wraps material with RSAES-OAEP-SHA-256 under the DER SPKI pub.
func wrapGo(t *testing.T, pub, material []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("parse wrapping public key: %v", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("wrapping public key is %T, want *rsa.PublicKey", k)
	}
	if rk.N.BitLen() != 2048 {
		t.Fatalf("wrapping key has %d bits, want 2048", rk.N.BitLen())
	}
	w, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rk, material, nil)
	if err != nil {
		t.Fatalf("EncryptOAEP: %v", err)
	}
	return w
}

// wrapOpenSSL wraps material as AWS's documentation does with openssl
// pkeyutl; it skips when /usr/bin/openssl is missing.
func wrapOpenSSL(t *testing.T, pub, material []byte) []byte {
	t.Helper()
	const openssl = "/usr/bin/openssl"
	if _, err := os.Stat(openssl); err != nil {
		t.Skipf("no %s: %v", openssl, err)
	}
	dir := t.TempDir()
	pubPath, inPath := filepath.Join(dir, "wrappingkey.der"), filepath.Join(dir, "plaintextkeymaterial.bin")
	if err := os.WriteFile(pubPath, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inPath, material, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), openssl, "pkeyutl", "-encrypt", "-in", inPath, "-pubin", "-inkey", pubPath, "-keyform", "DER",
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256").Output()
	if err != nil {
		t.Fatalf("openssl pkeyutl: %v", err)
	}
	return out
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestImportSymmetric is AWS's import procedure for a symmetric key, then
// deletion and re-import of the same material, which revives old
// ciphertexts.
func TestImportSymmetric(t *testing.T) {
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	if md.KeyState != types.KeyStatePendingImport {
		t.Fatalf("new EXTERNAL key is %s, want PendingImport", md.KeyState)
	}
	id := aws.String(*md.KeyId)
	p := params(t, c, *id)
	if got := aws.ToString(p.KeyId); got != *md.Arn {
		t.Errorf("GetParametersForImport KeyId = %q, want %q", got, *md.Arn)
	}
	if d := time.Until(aws.ToTime(p.ParametersValidTo)); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("ParametersValidTo is %v from now, want 24h", d)
	}
	material := random(t, 32)
	wrapped := wrapGo(t, p.PublicKey, material)

	_, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped})
	wantCode(t, "import without ValidTo", err, "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")

	imp, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	if err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
	matID := aws.ToString(imp.KeyMaterialId)
	if b, err := hex.DecodeString(matID); err != nil || len(b) != 32 {
		t.Errorf("KeyMaterialId %q is not 64 hex digits", matID)
	}
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if m := d.KeyMetadata; m.KeyState != types.KeyStateEnabled || m.ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire ||
		aws.ToString(m.CurrentKeyMaterialId) != matID || m.ValidTo != nil {
		t.Errorf("after import: state %s, expiration %q, material %q, ValidTo %v; want Enabled, DOES_NOT_EXPIRE, %q, none",
			m.KeyState, m.ExpirationModel, aws.ToString(m.CurrentKeyMaterialId), m.ValidTo, matID)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("imported")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "imported" {
		t.Fatalf("Decrypt: %q, %v; want %q", dec.Plaintext, err, "imported")
	}

	del, err := c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: id})
	if err != nil {
		t.Fatalf("DeleteImportedKeyMaterial: %v", err)
	}
	if aws.ToString(del.KeyMaterialId) != matID {
		t.Errorf("DeleteImportedKeyMaterial KeyMaterialId = %q, want %q", aws.ToString(del.KeyMaterialId), matID)
	}
	d, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if m := d.KeyMetadata; m.KeyState != types.KeyStatePendingImport || m.ExpirationModel != "" || aws.ToString(m.CurrentKeyMaterialId) != matID {
		t.Errorf("after delete: state %s, expiration %q, material %q; want PendingImport, none, %q (as AWS recorded)",
			m.KeyState, m.ExpirationModel, aws.ToString(m.CurrentKeyMaterialId), matID)
	}
	pending := *md.Arn + " is pending import."
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	wantCode(t, "Encrypt after delete", err, "KMSInvalidStateException", pending)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantCode(t, "Decrypt after delete", err, "KMSInvalidStateException", pending)
	// Deleting again changes nothing.
	if _, err := c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: id}); err != nil {
		t.Errorf("DeleteImportedKeyMaterial of a key pending import: %v", err)
	}

	p = params(t, c, *id)
	_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, p.PublicKey, random(t, 32)), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	wantCode(t, "import of other material", err, "IncorrectKeyMaterialException", "")

	// The same material again, this time wrapped by openssl as AWS's
	// documentation does (with Go where openssl is missing), expiring.
	var again []byte
	t.Run("openssl", func(t *testing.T) { again = wrapOpenSSL(t, p.PublicKey, material) })
	if again == nil {
		again = wrapGo(t, p.PublicKey, material)
	}
	validTo := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	imp, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken, EncryptedKeyMaterial: again,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialExpires, ValidTo: aws.Time(validTo)})
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if aws.ToString(imp.KeyMaterialId) != matID {
		t.Errorf("re-import KeyMaterialId = %q, want %q", aws.ToString(imp.KeyMaterialId), matID)
	}
	dec, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "imported" {
		t.Fatalf("Decrypt of an old ciphertext after re-import: %q, %v; want %q", dec.Plaintext, err, "imported")
	}
	d, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if m := d.KeyMetadata; m.KeyState != types.KeyStateEnabled || m.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires ||
		!aws.ToTime(m.ValidTo).Equal(validTo) {
		t.Errorf("after re-import: state %s, expiration %q, ValidTo %v; want Enabled, EXPIRES, %v", m.KeyState, m.ExpirationModel, aws.ToTime(m.ValidTo), validTo)
	}
}

// TestImportHMAC imports an HMAC_256 key and checks that its MAC is
// crypto/hmac's over the same key.
func TestImportHMAC(t *testing.T) {
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	p := params(t, c, *md.KeyId)
	key := random(t, 32)
	_, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, p.PublicKey, key), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	if err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
	msg := []byte("message to authenticate")
	out, err := c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: md.KeyId, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg})
	if err != nil {
		t.Fatalf("GenerateMac: %v", err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	if want := h.Sum(nil); !bytes.Equal(out.Mac, want) {
		t.Errorf("GenerateMac = %x, want crypto/hmac's %x", out.Mac, want)
	}
}

// TestImportErrors checks the errors of the three operations.
func TestImportErrors(t *testing.T) {
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	ext := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	other := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	own := createKey(t, c, &kms.CreateKeyInput{})
	p := params(t, c, *ext.KeyId)
	good := wrapGo(t, p.PublicKey, random(t, 32))
	never := types.ExpirationModelTypeKeyMaterialDoesNotExpire
	altered := bytes.Clone(p.ImportToken)
	altered[len(altered)/2] ^= 1
	otherP := params(t, c, *other.KeyId)

	tests := []struct {
		name      string
		in        kms.ImportKeyMaterialInput
		code, msg string
	}{
		{"token of another key", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: otherP.ImportToken, EncryptedKeyMaterial: good, ExpirationModel: never}, "InvalidImportTokenException", ""},
		{"altered token", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: altered, EncryptedKeyMaterial: good, ExpirationModel: never}, "InvalidImportTokenException", ""},
		{"not encrypted under the wrapping key", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: random(t, 256), ExpirationModel: never}, "InvalidCiphertextException", ""},
		{"16-byte material", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapGo(t, p.PublicKey, random(t, 16)), ExpirationModel: never}, "IncorrectKeyMaterialException", ""},
		{"ValidTo with DOES_NOT_EXPIRE", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: good, ExpirationModel: never, ValidTo: aws.Time(time.Now().Add(time.Hour))}, "ValidationException", ""},
		{"ValidTo in the past", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: good, ValidTo: aws.Time(time.Now().Add(-time.Hour))}, "ValidationException", ""},
		{"ValidTo past 365 days", kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: good, ValidTo: aws.Time(time.Now().Add(366 * 24 * time.Hour))}, "ValidationException", ""},
		{"AWS_KMS key", kms.ImportKeyMaterialInput{KeyId: own.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: good, ExpirationModel: never}, "UnsupportedOperationException", *own.Arn + " origin is AWS_KMS which is not valid for this operation."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ImportKeyMaterial(ctx, &tt.in)
			wantCode(t, "ImportKeyMaterial", err, tt.code, tt.msg)
		})
	}

	_, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: own.KeyId, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256})
	wantCode(t, "GetParametersForImport of an AWS_KMS key", err, "UnsupportedOperationException", *own.Arn+" origin is AWS_KMS which is not valid for this operation.")
	_, err = c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: ext.KeyId, WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaesPkcs1V15})
	wantCode(t, "GetParametersForImport RSAES_PKCS1_V1_5", err, "ValidationException", "")
	_, err = c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: own.KeyId})
	wantCode(t, "DeleteImportedKeyMaterial of an AWS_KMS key", err, "UnsupportedOperationException", *own.Arn+" origin is AWS_KMS which is not valid for this operation.")
}

// TestImportTokenExpires moves the server's key clock past the token's
// 24 hours (`trent server --testing-clock`).
func TestImportTokenExpires(t *testing.T) {
	s := harness.Start(t, harness.Options{ExtraArgs: []string{"--testing-clock"}})
	c := s.KMS(t, region)
	md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	p := params(t, c, *md.KeyId)
	resp, err := s.HTTPClient().Post(s.Endpoint+"/_trent/testing/clock?advance=25h", "", nil)
	if err != nil {
		t.Fatalf("advance the clock: %v", err)
	}
	var out struct {
		Now int64 `json:"now"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("advance the clock: HTTP %d, %v", resp.StatusCode, err)
	}
	_, err = c.ImportKeyMaterial(t.Context(), &kms.ImportKeyMaterialInput{KeyId: md.KeyId, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, p.PublicKey, random(t, 32)), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	wantCode(t, "import with a 25-hour-old token", err, "ExpiredImportTokenException", "")
}
