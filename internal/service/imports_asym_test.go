package service

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"testing"

	"github.com/trentkms/trent/internal/kmsapi"
)

// kwpWrapForTest is RFC 5649 AES key wrap with padding, written apart
// from the keyring's so that the service is checked against another
// implementation.
func kwpWrapForTest(t *testing.T, kek, pt []byte) []byte {
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

// keyWrapForImport is RSA_AES_KEY_WRAP_SHA_256 as AWS documents it.
func keyWrapForImport(t *testing.T, spki, material []byte) []byte {
	t.Helper()
	eph := make([]byte, 32)
	rand.Read(eph)
	return append(wrapForImport(t, spki, eph), kwpWrapForTest(t, eph, material)...)
}

// importAsym creates an EXTERNAL key of spec and usage and imports p8
// with RSA_AES_KEY_WRAP_SHA_256; it returns the key ID.
func importAsym(t *testing.T, s *Service, spec, usage string, p8 []byte) string {
	t.Helper()
	ctx := t.Context()
	ck, err := s.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal), KeySpec: &spec, KeyUsage: &usage})
	if err != nil {
		t.Fatalf("CreateKey %s %s EXTERNAL: %v", spec, usage, err)
	}
	id := ck.KeyMetadata.KeyId
	if _, err := s.GetPublicKey(ctx, caller(), &kmsapi.GetPublicKeyRequest{KeyId: &id}); KindOf(err) != KindInvalidState {
		t.Errorf("GetPublicKey pending import: %v, want KMSInvalidState", err)
	}
	p, err := s.GetParametersForImport(ctx, caller(), &kmsapi.GetParametersForImportRequest{KeyId: &id, WrappingKeySpec: ptr("RSA_2048"), WrappingAlgorithm: ptr("RSA_AES_KEY_WRAP_SHA_256")})
	if err != nil {
		t.Fatalf("GetParametersForImport: %v", err)
	}
	out, err := s.ImportKeyMaterial(ctx, caller(), &kmsapi.ImportKeyMaterialRequest{KeyId: &id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: keyWrapForImport(t, p.PublicKey, p8), ExpirationModel: ptr(ExpirationDoesNotExpire)})
	if err != nil {
		t.Fatalf("ImportKeyMaterial %s: %v", spec, err)
	}
	if out.KeyMaterialId != "" {
		t.Errorf("ImportKeyMaterial of %s returned KeyMaterialId %q; AWS returns it for symmetric keys only", spec, out.KeyMaterialId)
	}
	return id
}

// TestImportAsymmetric: RSA and ECC private keys imported as PKCS #8 sign,
// decrypt and agree exactly as the known key does locally.
func TestImportAsymmetric(t *testing.T) {
	ctx := t.Context()
	s, _, _ := clockedService(t)
	msg := []byte("imported keys sign")

	t.Run("ECC_NIST_P256 SIGN_VERIFY", func(t *testing.T) {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p8, _ := x509.MarshalPKCS8PrivateKey(priv)
		id := importAsym(t, s, "ECC_NIST_P256", UsageSignVerify, p8)
		pk, err := s.GetPublicKey(ctx, caller(), &kmsapi.GetPublicKeyRequest{KeyId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey); !bytes.Equal(pk.PublicKey, want) {
			t.Errorf("GetPublicKey is not the imported key's public key")
		}
		sig, err := s.Sign(ctx, caller(), &kmsapi.SignRequest{KeyId: &id, Message: msg, SigningAlgorithm: ptr("ECDSA_SHA_256")})
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&priv.PublicKey, h[:], sig.Signature) {
			t.Error("the signature does not verify with the imported key's public key")
		}
	})
	t.Run("RSA_2048 ENCRYPT_DECRYPT", func(t *testing.T) {
		priv, _ := rsa.GenerateKey(rand.Reader, 2048)
		p8, _ := x509.MarshalPKCS8PrivateKey(priv)
		id := importAsym(t, s, "RSA_2048", UsageEncryptDecrypt, p8)
		ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, msg, nil)
		dec, err := s.Decrypt(ctx, caller(), &kmsapi.DecryptRequest{KeyId: &id, CiphertextBlob: ct, EncryptionAlgorithm: ptr("RSAES_OAEP_SHA_256")})
		if err != nil || !bytes.Equal(dec.Plaintext, msg) {
			t.Errorf("Decrypt of a local OAEP ciphertext: %q, %v", dec.Plaintext, err)
		}
	})
	t.Run("ECC_NIST_P384 KEY_AGREEMENT", func(t *testing.T) {
		priv, _ := ecdh.P384().GenerateKey(rand.Reader)
		p8, _ := x509.MarshalPKCS8PrivateKey(priv)
		id := importAsym(t, s, "ECC_NIST_P384", UsageKeyAgreement, p8)
		peer, _ := ecdh.P384().GenerateKey(rand.Reader)
		peerSPKI, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
		out, err := s.DeriveSharedSecret(ctx, caller(), &kmsapi.DeriveSharedSecretRequest{KeyId: &id, KeyAgreementAlgorithm: ptr("ECDH"), PublicKey: peerSPKI})
		if err != nil {
			t.Fatalf("DeriveSharedSecret: %v", err)
		}
		want, _ := peer.ECDH(priv.PublicKey())
		if !bytes.Equal(out.SharedSecret, want) {
			t.Error("the shared secret differs from the local ECDH")
		}
		if out.KeyOrigin != OriginExternal {
			t.Errorf("KeyOrigin = %q, want EXTERNAL", out.KeyOrigin)
		}
	})
}

// TestImportAsymmetricRefused: the wrapping combinations AWS refuses,
// material of another curve, other material after the first import.
func TestImportAsymmetricRefused(t *testing.T) {
	ctx := t.Context()
	s, _, _ := clockedService(t)
	create := func(spec, usage string) string {
		ck, err := s.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{Origin: ptr(OriginExternal), KeySpec: &spec, KeyUsage: &usage})
		if err != nil {
			t.Fatalf("CreateKey %s: %v", spec, err)
		}
		return ck.KeyMetadata.KeyId
	}
	rsaKey := create("RSA_3072", UsageSignVerify)
	p521 := create("ECC_NIST_P521", UsageSignVerify)
	for _, tt := range []struct {
		name, key, wspec, alg string
		ok                    bool
	}{
		{"RSA key with RSAES_OAEP_SHA_256", rsaKey, "RSA_4096", "RSAES_OAEP_SHA_256", false},
		{"RSA key with RSAES_OAEP_SHA_1", rsaKey, "RSA_2048", "RSAES_OAEP_SHA_1", false},
		{"RSA key with RSA_AES_KEY_WRAP_SHA_1", rsaKey, "RSA_2048", "RSA_AES_KEY_WRAP_SHA_1", true},
		{"P-521 with RSAES_OAEP_SHA_256 under RSA_2048", p521, "RSA_2048", "RSAES_OAEP_SHA_256", false},
		{"P-521 with RSAES_OAEP_SHA_256 under RSA_3072", p521, "RSA_3072", "RSAES_OAEP_SHA_256", true},
		{"P-521 with RSA_AES_KEY_WRAP_SHA_256 under RSA_2048", p521, "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.GetParametersForImport(ctx, caller(), &kmsapi.GetParametersForImportRequest{KeyId: &tt.key, WrappingKeySpec: &tt.wspec, WrappingAlgorithm: &tt.alg})
			if tt.ok && err != nil || !tt.ok && KindOf(err) != KindValidation {
				t.Errorf("got %v, want ok=%v (else ValidationException)", err, tt.ok)
			}
		})
	}

	// A P-256 key for a P-384 KMS key; then, after a first import, another
	// P-384 key.
	p384 := create("ECC_NIST_P384", UsageSignVerify)
	imp := func(p8 []byte) error {
		p, err := s.GetParametersForImport(ctx, caller(), &kmsapi.GetParametersForImportRequest{KeyId: &p384, WrappingKeySpec: ptr("RSA_3072"), WrappingAlgorithm: ptr("RSAES_OAEP_SHA_256")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ImportKeyMaterial(ctx, caller(), &kmsapi.ImportKeyMaterialRequest{KeyId: &p384, ImportToken: p.ImportToken,
			EncryptedKeyMaterial: wrapForImport(t, p.PublicKey, p8), ExpirationModel: ptr(ExpirationDoesNotExpire)})
		return err
	}
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p8, _ := x509.MarshalPKCS8PrivateKey(k256)
	if err := imp(p8); KindOf(err) != KindIncorrectKeyMaterial {
		t.Errorf("P-256 key into ECC_NIST_P384: %v, want IncorrectKeyMaterialException", err)
	}
	k1, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p8, _ = x509.MarshalPKCS8PrivateKey(k1)
	if err := imp(p8); err != nil {
		t.Fatalf("P-384 key into ECC_NIST_P384: %v", err)
	}
	if err := imp(p8); err != nil {
		t.Errorf("re-import of the same P-384 key: %v", err)
	}
	k2, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p8, _ = x509.MarshalPKCS8PrivateKey(k2)
	if err := imp(p8); KindOf(err) != KindIncorrectKeyMaterial {
		t.Errorf("another P-384 key after the first import: %v, want IncorrectKeyMaterialException", err)
	}
}
