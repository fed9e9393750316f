package importkey_test

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// kwpWrap is RFC 5649 AES key wrap with padding, written here separately
// from the keyring's, so that the test checks the server against an
// independent implementation (and openssl below).
func kwpWrap(t *testing.T, kek, pt []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	n := (len(pt) + 7) / 8
	r := make([]byte, 8+8*n)
	copy(r, []byte{0xA6, 0x59, 0x59, 0xA6})
	binary.BigEndian.PutUint32(r[4:8], uint32(len(pt)))
	copy(r[8:], pt)
	if n == 1 {
		b.Encrypt(r, r)
		return r
	}
	var blk [16]byte
	copy(blk[:8], r[:8])
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(blk[8:], r[8*i:])
			b.Encrypt(blk[:], blk[:])
			binary.BigEndian.PutUint64(blk[:8], binary.BigEndian.Uint64(blk[:8])^uint64(n*j+i))
			copy(r[8*i:8*i+8], blk[8:])
		}
	}
	copy(r[:8], blk[:8])
	return r
}

// keyWrapGo makes RSA_AES_KEY_WRAP_SHA_256 material as AWS documents it:
// RSA-OAEP-SHA-256 of a fresh 32-byte AES key, then KWP of the material.
func keyWrapGo(t *testing.T, pub, material []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("parse wrapping public key: %v", err)
	}
	eph := random(t, 32)
	part1, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, k.(*rsa.PublicKey), eph, nil)
	if err != nil {
		t.Fatalf("EncryptOAEP: %v", err)
	}
	return append(part1, kwpWrap(t, eph, material)...)
}

// keyWrapOpenSSL does the same with openssl 3 as AWS's documentation
// does: pkeyutl for the AES key, enc -id-aes256-wrap-pad for the
// material. It skips when /usr/bin/openssl is missing.
func keyWrapOpenSSL(t *testing.T, pub, material []byte) []byte {
	t.Helper()
	const openssl = "/usr/bin/openssl"
	if _, err := os.Stat(openssl); err != nil {
		t.Skipf("no %s: %v", openssl, err)
	}
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	if err := os.WriteFile(path("wrap.der"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path("material"), material, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	run("rand", "-out", path("aes.key"), "32")
	key, err := os.ReadFile(path("aes.key"))
	if err != nil || len(key) != 32 {
		t.Fatalf("aes.key: %d bytes, %v", len(key), err)
	}
	run("pkeyutl", "-encrypt", "-pubin", "-inkey", path("wrap.der"), "-keyform", "DER",
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
		"-in", path("aes.key"), "-out", path("part1"))
	run("enc", "-id-aes256-wrap-pad", "-iv", "A65959A6", "-K", hex.EncodeToString(key),
		"-in", path("material"), "-out", path("part2"))
	part1, err1 := os.ReadFile(path("part1"))
	part2, err2 := os.ReadFile(path("part2"))
	if err1 != nil || err2 != nil || len(part1) != 256 {
		t.Fatalf("openssl output: %d bytes, %v, %v", len(part1), err1, err2)
	}
	// openssl and the Go KWP here agree.
	if want := kwpWrap(t, key, material); !bytes.Equal(part2, want) {
		t.Errorf("openssl KWP = %x, Go = %x", part2, want)
	}
	return append(part1, part2...)
}

// TestImportRSAAESKeyWrap imports symmetric material with
// RSA_AES_KEY_WRAP_SHA_256, wrapped with Go and with openssl, and uses it.
func TestImportRSAAESKeyWrap(t *testing.T) {
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	for _, w := range []struct {
		name string
		wrap func(*testing.T, []byte, []byte) []byte
	}{{"go", keyWrapGo}, {"openssl", keyWrapOpenSSL}} {
		t.Run(w.name, func(t *testing.T) {
			md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
			id := md.KeyId
			p, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: id,
				WrappingKeySpec: types.WrappingKeySpecRsa2048, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256})
			if err != nil {
				t.Fatalf("GetParametersForImport: %v", err)
			}
			material := random(t, 32)
			wrapped := w.wrap(t, p.PublicKey, material)
			if len(wrapped) != 256+40 {
				t.Fatalf("wrapped material of %d bytes, want 296", len(wrapped))
			}
			bad := bytes.Clone(wrapped)
			bad[len(bad)-1] ^= 1
			_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken, EncryptedKeyMaterial: bad,
				ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
			wantCode(t, "import of altered KWP part", err, "InvalidCiphertextException", "")
			imp, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped,
				ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
			if err != nil {
				t.Fatalf("ImportKeyMaterial: %v", err)
			}
			if b, err := hex.DecodeString(aws.ToString(imp.KeyMaterialId)); err != nil || len(b) != 32 {
				t.Errorf("KeyMaterialId %q is not 64 hex digits", aws.ToString(imp.KeyMaterialId))
			}
			enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("key-wrapped")})
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
			if err != nil || string(dec.Plaintext) != "key-wrapped" {
				t.Fatalf("Decrypt: %q, %v", dec.Plaintext, err)
			}
			// The same bytes wrapped with RSAES_OAEP_SHA_256 are the same
			// material: re-import is accepted, not IncorrectKeyMaterial.
			p2 := params(t, c, *id)
			if _, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p2.ImportToken,
				EncryptedKeyMaterial: wrapGo(t, p2.PublicKey, material), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire}); err != nil {
				t.Errorf("re-import of the same material with RSAES_OAEP_SHA_256: %v", err)
			}
		})
	}
}
